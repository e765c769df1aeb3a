// induct grammar check|sample|logprob|next|stats FILE: a grammar file (grammar/parse.hpp), validated
// (grammar/validate.hpp; --normalise rescales improper left sides with a warning instead of failing).
#include <cmath>
#include <iostream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "induct/core/random.hpp"
#include "induct/grammar/derivation.hpp"
#include "induct/grammar/earley.hpp"
#include "induct/grammar/epsilon_free.hpp"
#include "induct/grammar/mean_count.hpp"
#include "induct/grammar/parse.hpp"
#include "induct/grammar/sample.hpp"
#include "induct/grammar/validate.hpp"
#include "induct/grammar/viterbi.hpp"
#include "tool.hpp"

namespace induct::tool {
namespace {

/// The options every grammar command has.
struct grammar_input {
  std::string file;
  bool normalise = false;
  common_flags flags;

  void add_to(CLI::App* command) {
    command->add_option("FILE", file, "grammar file: one rule a line, `LHS -> SYM ... [prob]`, quoted terminals, "
                                      "`#` comments, `<eps>` for an empty right side (docs/grammar-format.md)")
        ->required();
    command->add_flag("--normalise", normalise,
                      "rescale left sides whose probabilities do not sum to 1 (with a warning) instead of failing");
    add_common_flags(command, flags);
  }

  struct loaded {
    grammar::pcfg g;
    grammar::validation_report report;
  };
  [[nodiscard]] loaded load() const {
    flags.apply();
    loaded out{grammar::read_grammar_file(file), {}};
    grammar::validation_options options;
    options.normalise = normalise;
    out.report = grammar::validate(out.g, options);
    if (!flags.json)
      for (const auto& w : out.report.warnings) std::cerr << "warning: " << file << ": " << w << "\n";
    return out;
  }
};

/// A log2 probability as JSON: a number, or null when it is -inf, with its "*_is_zero" flag.
void put_log2(nlohmann::json& j, const std::string& key, long double value) {
  const bool zero = std::isinf(value) && value < 0;
  j[key] = zero ? nlohmann::json(nullptr) : nlohmann::json(static_cast<double>(value));
  j[key.substr(0, key.size() - 5) + "_is_zero"] = zero;  // "inside_log2" -> "inside_is_zero"
}

std::string text_log2(long double value) {
  if (std::isinf(value) && value < 0) return "-inf (probability 0)";
  return number_text(static_cast<double>(value));
}

void add_check(CLI::App* group, invocation& chosen) {
  auto* command = add_command(group,
      "check", "parse and validate a grammar file (proper, clean, consistent)",
      "Parses FILE (a UTF-8 byte-order mark is skipped; a rule given twice or a non-finite probability is an "
      "error) and checks that every left side's probabilities sum to 1, that no nonterminal is undefined, "
      "unreachable or unproductive, that no rule exceeds a limit of logprob or next (at most 20 nullable symbols "
      "a rule), and that the grammar is consistent (spectral radius of the mean-count matrix < 1, computed per "
      "strongly connected block). Errors name the file and line and list at most 20 problems.\nJSON: {\"ok\":true,\"nonterminals\",\"terminals\",\"rules\",\"start\","
      "\"spectral_radius\",\"warnings\":[...]}");
  auto in = std::make_shared<grammar_input>();
  in->add_to(command);
  on_run(command, chosen, [in] {
    const auto l = in->load();
    if (in->flags.json) {
      print_json({{"ok", true},
                  {"nonterminals", l.g.nonterminal_count()},
                  {"terminals", l.g.terminal_count()},
                  {"rules", l.g.rule_count()},
                  {"start", l.g.name(l.g.start())},
                  {"spectral_radius", l.report.spectral_radius},
                  {"warnings", l.report.warnings}});
    } else {
      std::cout << "ok: " << l.g.nonterminal_count() << " nonterminals, " << l.g.terminal_count() << " terminals, "
                << l.g.rule_count() << " rules, start " << l.g.name(l.g.start()) << ", spectral radius "
                << number_text(l.report.spectral_radius) << "\n";
    }
    return 0;
  });
}

void add_sample(CLI::App* group, invocation& chosen) {
  auto* command = add_command(group,
      "sample", "sample strings with a seeded, platform-independent RNG",
      "Prints --count strings, one a line, tokens separated by spaces; the same seed gives the same strings on "
      "every platform.\nJSON: {\"samples\":[\"a b\",...]}, with --tree also \"trees\" and "
      "\"description_length_bits\"");
  struct options : grammar_input {
    std::int64_t count = 10;
    std::uint64_t seed = 1;
    bool tree = false;
  };
  auto o = std::make_shared<options>();
  o->add_to(command);
  add_integer(command, "--count", o->count, "number of strings", 0, std::int64_t{1} << 40);
  add_unsigned(command, "--seed", o->seed, "random seed", 0, std::numeric_limits<std::uint64_t>::max());
  command->add_flag("--tree", o->tree, "also print each derivation (bracketed) and its description length in bits");
  on_run(command, chosen, [o] {
    const auto l = o->load();
    grammar::sampler s(l.g);
    random_engine rng(o->seed);
    std::vector<grammar::symbol_id> w;
    grammar::derivation d;
    nlohmann::json samples = nlohmann::json::array(), trees = nlohmann::json::array(), bits = nlohmann::json::array();
    for (std::int64_t i = 0; i < o->count; ++i) {
      if (o->tree) s.sample(rng, w, d);
      else s.sample(rng, w);
      const std::string text = grammar::join_tokens(l.g, w);
      if (o->flags.json) {
        samples.push_back(text);
        if (o->tree) {
          trees.push_back(grammar::to_bracketed(l.g, d));
          bits.push_back(grammar::description_length_bits(l.g, d));
        }
      } else {
        std::cout << text << "\n";
        if (o->tree)
          std::cout << "  " << grammar::to_bracketed(l.g, d) << "  [" << grammar::description_length_bits(l.g, d)
                    << " bits]\n";
      }
    }
    if (o->flags.json) {
      nlohmann::json j{{"samples", samples}};
      if (o->tree) {
        j["trees"] = trees;
        j["description_length_bits"] = bits;
      }
      print_json(j);
    }
    return 0;
  });
}

void add_logprob(CLI::App* group, invocation& chosen) {
  auto* command = add_command(group,
      "logprob", "exact inside, Viterbi and prefix log2-probabilities of a string",
      "inside  = log2 P(w), summed over all derivations (probabilistic Earley, exact)\n"
      "viterbi = log2 max_tau P(tau) over derivations of w, with the tree\n"
      "prefix  = log2 P(S =>* w ...), the probability that a string starts with w\n"
      "Tokens are terminal names separated by whitespace; an unknown name gives probability 0.\n"
      "JSON: {\"inside_log2\",\"inside_is_zero\",\"viterbi_log2\",\"viterbi_is_zero\",\"prefix_log2\","
      "\"prefix_is_zero\",\"viterbi_tree\",\"tokens\"}; a probability of 0 is null with its *_is_zero flag true.");
  struct options : grammar_input {
    std::string text;
  };
  auto o = std::make_shared<options>();
  o->add_to(command);
  command->add_option("--string", o->text, "the string (\"\" for the empty string)")->required();
  on_run(command, chosen, [o] {
    const auto l = o->load();
    std::string unknown;
    std::vector<grammar::symbol_id> w;
    for (const auto& name : grammar::split_tokens(o->text)) {
      if (auto t = l.g.find_terminal(name)) w.push_back(*t);
      else if (unknown.empty()) unknown = name;
    }
    const long double minus_infinity = -std::numeric_limits<long double>::infinity();
    long double inside = minus_infinity, prefix = minus_infinity, best = minus_infinity;
    std::string tree;
    if (unknown.empty()) {
      const grammar::earley_grammar compiled(l.g);
      grammar::earley_state s(compiled);
      for (auto t : w) s.advance(t);
      inside = s.string_log2();
      prefix = s.prefix_log2();
      if (!std::isinf(inside)) {
        const auto v = grammar::viterbi_parse(l.g, w);
        if (v.found) {
          best = v.log2_probability;
          tree = grammar::to_bracketed(l.g, v.tree);
        }
      }
    }
    if (o->flags.json) {
      nlohmann::json j;
      put_log2(j, "inside_log2", inside);
      put_log2(j, "viterbi_log2", best);
      put_log2(j, "prefix_log2", prefix);
      j["viterbi_tree"] = tree.empty() ? nlohmann::json(nullptr) : nlohmann::json(tree);
      j["tokens"] = grammar::split_tokens(o->text).size();
      if (!unknown.empty()) j["unknown_token"] = unknown;
      print_json(j);
    } else {
      if (!unknown.empty()) std::cout << "unknown token '" << unknown << "': not a terminal of the grammar\n";
      std::cout << "inside_log2  " << text_log2(inside) << "\nviterbi_log2 " << text_log2(best) << "\nprefix_log2  "
                << text_log2(prefix) << "\n";
      if (!tree.empty()) std::cout << "viterbi_tree " << tree << "\n";
    }
    return 0;
  });
}

void add_next(CLI::App* group, invocation& chosen) {
  auto* command = add_command(group,
      "next", "exact next-token distribution and end probability after a prefix",
      "For each terminal t: P(next = t | prefix) = P(prefix t ...) / P(prefix ...), and end = P(string == prefix) / "
      "P(prefix ...); they sum to 1. Printed most probable first. A prefix of probability 0 is an error.\n"
      "JSON: {\"distribution\":{\"tok\":p,...},\"end\":p,\"prefix_log2\":x}");
  struct options : grammar_input {
    std::string prefix;
    std::int64_t top = 0;
  };
  auto o = std::make_shared<options>();
  o->add_to(command);
  command->add_option("--prefix", o->prefix, "the prefix (\"\" for the start)")->required();
  add_integer(command, "--top", o->top, "print only the K most probable tokens (0 = all)", 0, std::int64_t{1} << 40);
  on_run(command, chosen, [o] {
    const auto l = o->load();
    const grammar::earley_grammar compiled(l.g);
    grammar::earley_state s(compiled);
    for (const auto& name : grammar::split_tokens(o->prefix)) s.advance(std::string_view(name));
    if (!s.possible()) throw error("prefix \"" + o->prefix + "\" has probability 0: " + s.why_impossible());
    auto d = s.next_tokens();
    std::stable_sort(d.tokens.begin(), d.tokens.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
    if (o->top > 0 && static_cast<std::size_t>(o->top) < d.tokens.size()) d.tokens.resize(static_cast<std::size_t>(o->top));
    if (o->flags.json) {
      nlohmann::json distribution = nlohmann::json::object();
      for (const auto& [t, p] : d.tokens) distribution[l.g.name(t)] = static_cast<double>(p);
      nlohmann::json j{{"distribution", distribution}, {"end", static_cast<double>(d.end)}};
      put_log2(j, "prefix_log2", s.prefix_log2());
      print_json(j);
    } else {
      for (const auto& [t, p] : d.tokens) std::cout << l.g.name(t) << "\t" << number_text(static_cast<double>(p)) << "\n";
      std::cout << "<end>\t" << number_text(static_cast<double>(d.end)) << "\n";
    }
    return 0;
  });
}

void add_stats(CLI::App* group, invocation& chosen) {
  auto* command = add_command(group,
      "stats", "closed-form statistics: derivational entropy, expected length, spectral radius",
      "Through v = e_S^T (I - M)^-1 (M the mean-count matrix): expected visits of each nonterminal, derivational "
      "entropy H = sum_A v[A] H(rule choice at A) bits, expected yield length, expected number of rule "
      "applications, and P(empty string).\nJSON: {\"derivational_entropy_bits\",\"expected_length\","
      "\"spectral_radius\",\"expected_derivation_size\",\"empty_string_probability\",\"expected_visits\":{...}}");
  auto in = std::make_shared<grammar_input>();
  in->add_to(command);
  on_run(command, chosen, [in] {
    const auto l = in->load();
    const auto stats = grammar::compute_statistics(l.g);
    const grammar::nonterminal_index index(l.g);
    const auto empty = grammar::null_probabilities(l.g)[l.g.start()];
    if (in->flags.json) {
      nlohmann::json visits = nlohmann::json::object();
      for (std::size_t k = 0; k < index.size(); ++k) visits[l.g.name(index.symbol_of[k])] = stats.expected_visits[k];
      print_json({{"derivational_entropy_bits", stats.derivational_entropy_bits},
                  {"expected_length", stats.expected_length},
                  {"spectral_radius", stats.spectral_radius},
                  {"expected_derivation_size", stats.expected_derivation_size},
                  {"empty_string_probability", static_cast<double>(empty)},
                  {"expected_visits", visits}});
    } else {
      std::cout << "derivational_entropy_bits " << number_text(stats.derivational_entropy_bits) << "\nexpected_length "
                << number_text(stats.expected_length) << "\nspectral_radius " << number_text(stats.spectral_radius)
                << "\nexpected_derivation_size " << number_text(stats.expected_derivation_size)
                << "\nempty_string_probability " << number_text(static_cast<double>(empty)) << "\n";
    }
    return 0;
  });
}

}  // namespace

void add_grammar_commands(CLI::App& app, invocation& chosen) {
  auto* group = app.add_subcommand("grammar", "PCFG files: check, sample, exact probabilities, statistics");
  group->require_subcommand(1);
  add_check(group, chosen);
  add_sample(group, chosen);
  add_logprob(group, chosen);
  add_next(group, chosen);
  add_stats(group, chosen);
}

}  // namespace induct::tool
