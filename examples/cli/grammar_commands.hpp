#pragma once
// Subcommands of the grammar module for the induct tool:
//   induct grammar check|sample|logprob|next|stats FILE ...
// Each loads a grammar file (grammar/parse.hpp), validates it (grammar/validate.hpp; --normalise rescales
// improper left sides with a warning instead of rejecting them) and prints text, or JSON with --json.
#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/args.hpp"
#include "induct/core/random.hpp"
#include "induct/grammar/derivation.hpp"
#include "induct/grammar/earley.hpp"
#include "induct/grammar/mean_count.hpp"
#include "induct/grammar/parse.hpp"
#include "induct/grammar/sample.hpp"
#include "induct/grammar/validate.hpp"
#include "induct/grammar/viterbi.hpp"

namespace induct::cli {

namespace grammar_cli {

struct loaded {
  grammar::pcfg g;
  grammar::validation_report report;
};

inline loaded load(const args& a) {
  loaded out{grammar::read_grammar_file(a.positional(0, "FILE (a grammar file)")), {}};
  grammar::validation_options options;
  options.normalise = a.flag("normalise");
  out.report = grammar::validate(out.g, options);
  if (!a.flag("json"))
    for (const auto& w : out.report.warnings) std::cerr << "warning: " << w << "\n";
  return out;
}

/// A log2 probability as JSON: a number, or null when it is -inf (JSON has no infinities).
inline void put_log2(nlohmann::json& j, const std::string& key, long double value) {
  const bool zero = std::isinf(value) && value < 0;
  j[key] = zero ? nlohmann::json(nullptr) : nlohmann::json(static_cast<double>(value));
  j[key.substr(0, key.size() - 5) + "_is_zero"] = zero;  // "inside_log2" -> "inside_is_zero"
}

inline std::string text_log2(long double value) {
  if (std::isinf(value) && value < 0) return "-inf (probability 0)";
  return std::to_string(static_cast<double>(value));
}

/// Terminal ids of a whitespace-separated string; unknown names are reported in `unknown`.
inline std::vector<grammar::symbol_id> tokens_of(const grammar::pcfg& g, const std::string& text, std::string& unknown) {
  std::vector<grammar::symbol_id> out;
  for (const auto& name : grammar::split_tokens(text)) {
    if (auto t = g.find_terminal(name)) out.push_back(*t);
    else if (unknown.empty()) unknown = name;
  }
  return out;
}

inline constexpr const char* common_options =
    "  FILE            grammar file: one rule a line, `LHS -> SYM ... [prob]`, quoted terminals,\n"
    "                  `#` comments, `<eps>` for an empty right side (docs/grammar-format.md)\n"
    "  --normalise     rescale left sides whose probabilities do not sum to 1 (warning) instead of failing\n"
    "  --json          print JSON on stdout\n"
    "  --help          this text\n";

}  // namespace grammar_cli

inline void register_grammar_commands(command_table& commands) {
  using namespace grammar_cli;

  commands.push_back(command{
      "grammar check", "parse and validate a grammar file (proper, clean, consistent)",
      std::string("usage: induct grammar check FILE [--normalise] [--json]\n\n"
                  "Parses FILE and checks that every left side's probabilities sum to 1, that no nonterminal is\n"
                  "undefined, unreachable or unproductive, and that the grammar is consistent (spectral radius of\n"
                  "the mean-count matrix < 1). Errors name the file and line; exit status 1.\n\noptions:\n") +
          common_options +
          "\nJSON: {\"ok\":true,\"nonterminals\":N,\"terminals\":T,\"rules\":R,\"spectral_radius\":rho,\"warnings\":[...]}",
      {"normalise"},
      [](const args& a) {
        a.check({"normalise"}, 1);
        const loaded l = load(a);
        if (a.flag("json")) {
          nlohmann::json j{{"ok", true},
                           {"nonterminals", l.g.nonterminal_count()},
                           {"terminals", l.g.terminal_count()},
                           {"rules", l.g.rule_count()},
                           {"start", l.g.name(l.g.start())},
                           {"spectral_radius", l.report.spectral_radius},
                           {"warnings", l.report.warnings}};
          std::cout << dump_json(j) << "\n";
        } else {
          std::cout << "ok: " << l.g.nonterminal_count() << " nonterminals, " << l.g.terminal_count() << " terminals, "
                    << l.g.rule_count() << " rules, start " << l.g.name(l.g.start()) << ", spectral radius "
                    << l.report.spectral_radius << "\n";
        }
        return 0;
      }});

  commands.push_back(command{
      "grammar sample", "sample strings from a grammar with a seeded, platform-independent RNG",
      std::string("usage: induct grammar sample FILE [--count N] [--seed S] [--tree] [--normalise] [--json]\n\n"
                  "Prints N strings (default 10), one a line, tokens separated by spaces; the same seed gives the\n"
                  "same strings on every platform.\n\noptions:\n"
                  "  --count N       number of strings (default 10)\n"
                  "  --seed S        random seed (default 1)\n"
                  "  --tree          also print each derivation (bracketed) and its description length in bits\n") +
          common_options +
          "\nJSON: {\"samples\":[\"a b\",...]} and with --tree also \"trees\":[...],\"description_length_bits\":[...]",
      {"normalise", "tree"},
      [](const args& a) {
        a.check({"normalise", "count", "seed", "tree"}, 1);
        const long long count = a.get_int("count", 10);
        if (count < 0) throw usage_error("option --count must be >= 0");
        const loaded l = load(a);
        grammar::sampler s(l.g);
        random_engine rng(a.get_uint64("seed", 1));
        const bool tree = a.flag("tree");
        std::vector<grammar::symbol_id> w;
        grammar::derivation d;
        nlohmann::json samples = nlohmann::json::array(), trees = nlohmann::json::array(), bits = nlohmann::json::array();
        for (long long i = 0; i < count; ++i) {
          if (tree) s.sample(rng, w, d);
          else s.sample(rng, w);
          const std::string text = grammar::join_tokens(l.g, w);
          if (a.flag("json")) {
            samples.push_back(text);
            if (tree) {
              trees.push_back(grammar::to_bracketed(l.g, d));
              bits.push_back(grammar::description_length_bits(l.g, d));
            }
          } else {
            std::cout << text << "\n";
            if (tree)
              std::cout << "  " << grammar::to_bracketed(l.g, d) << "  [" << grammar::description_length_bits(l.g, d)
                        << " bits]\n";
          }
        }
        if (a.flag("json")) {
          nlohmann::json j{{"samples", samples}};
          if (tree) {
            j["trees"] = trees;
            j["description_length_bits"] = bits;
          }
          std::cout << dump_json(j) << "\n";
        }
        return 0;
      }});

  commands.push_back(command{
      "grammar logprob", "exact inside, Viterbi and prefix log2-probabilities of a string",
      std::string("usage: induct grammar logprob FILE --string \"a b c\" [--normalise] [--json]\n\n"
                  "inside  = log2 P(w), summed over all derivations (probabilistic Earley, exact)\n"
                  "viterbi = log2 max_tau P(tau) over derivations of w, with the tree\n"
                  "prefix  = log2 P(S =>* w ...), the probability that a string starts with w\n"
                  "Tokens are terminal names separated by whitespace; an unknown name gives probability 0.\n\n"
                  "options:\n"
                  "  --string TEXT   the string (\"\" for the empty string)\n") +
          common_options +
          "\nJSON: {\"inside_log2\":x,\"inside_is_zero\":false,\"viterbi_log2\":x,\"viterbi_is_zero\":false,\n"
          "       \"prefix_log2\":x,\"prefix_is_zero\":false,\"viterbi_tree\":\"(S ...)\",\"tokens\":n}\n"
          "A probability of 0 (log2 = -inf) is written as null with its *_is_zero flag true.",
      {"normalise"},
      [](const args& a) {
        a.check({"normalise", "string"}, 1);
        const std::string text = a.require("string");
        const loaded l = load(a);
        std::string unknown;
        const auto w = tokens_of(l.g, text, unknown);
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
        if (a.flag("json")) {
          nlohmann::json j;
          put_log2(j, "inside_log2", inside);
          put_log2(j, "viterbi_log2", best);
          put_log2(j, "prefix_log2", prefix);
          j["viterbi_tree"] = tree.empty() ? nlohmann::json(nullptr) : nlohmann::json(tree);
          j["tokens"] = grammar::split_tokens(text).size();
          if (!unknown.empty()) j["unknown_token"] = unknown;
          std::cout << dump_json(j) << "\n";
        } else {
          if (!unknown.empty()) std::cout << "unknown token '" << unknown << "': not a terminal of the grammar\n";
          std::cout << "inside_log2  " << text_log2(inside) << "\nviterbi_log2 " << text_log2(best) << "\nprefix_log2  "
                    << text_log2(prefix) << "\n";
          if (!tree.empty()) std::cout << "viterbi_tree " << tree << "\n";
        }
        return 0;
      }});

  commands.push_back(command{
      "grammar next", "exact next-token distribution and end probability after a prefix",
      std::string("usage: induct grammar next FILE --prefix \"a b\" [--normalise] [--json]\n\n"
                  "For each terminal t: P(next = t | prefix) = P(prefix t ...) / P(prefix ...), and\n"
                  "end = P(string == prefix) / P(prefix ...); they sum to 1. A prefix of probability 0 is an error.\n\n"
                  "options:\n"
                  "  --prefix TEXT   the prefix (\"\" for the start)\n") +
          common_options + "\nJSON: {\"distribution\":{\"tok\":p,...},\"end\":p,\"prefix_log2\":x}",
      {"normalise"},
      [](const args& a) {
        a.check({"normalise", "prefix"}, 1);
        const std::string text = a.require("prefix");
        const loaded l = load(a);
        const grammar::earley_grammar compiled(l.g);
        grammar::earley_state s(compiled);
        for (const auto& name : grammar::split_tokens(text)) s.advance(std::string_view(name));
        if (!s.possible()) throw error("prefix \"" + text + "\" has probability 0: " + s.why_impossible());
        const auto d = s.next_tokens();
        if (a.flag("json")) {
          nlohmann::json distribution = nlohmann::json::object();
          for (const auto& [t, p] : d.tokens) distribution[l.g.name(t)] = static_cast<double>(p);
          nlohmann::json j{{"distribution", distribution}, {"end", static_cast<double>(d.end)}};
          put_log2(j, "prefix_log2", s.prefix_log2());
          std::cout << dump_json(j) << "\n";
        } else {
          for (const auto& [t, p] : d.tokens) std::cout << l.g.name(t) << "\t" << static_cast<double>(p) << "\n";
          std::cout << "<end>\t" << static_cast<double>(d.end) << "\n";
        }
        return 0;
      }});

  commands.push_back(command{
      "grammar stats", "closed-form statistics: derivational entropy, expected length, spectral radius",
      std::string("usage: induct grammar stats FILE [--normalise] [--json]\n\n"
                  "Through v = e_S^T (I - M)^-1 (M the mean-count matrix): expected visits of each nonterminal,\n"
                  "derivational entropy H = sum_A v[A] H(rule choice at A) bits, expected yield length, expected\n"
                  "number of rule applications, and P(empty string).\n\noptions:\n") +
          common_options +
          "\nJSON: {\"derivational_entropy_bits\":H,\"expected_length\":L,\"spectral_radius\":rho,\n"
          "       \"expected_derivation_size\":n,\"empty_string_probability\":p,\"expected_visits\":{\"A\":v,...}}",
      {"normalise"},
      [](const args& a) {
        a.check({"normalise"}, 1);
        const loaded l = load(a);
        const auto stats = grammar::compute_statistics(l.g);
        const grammar::nonterminal_index index(l.g);
        const auto empty = grammar::null_probabilities(l.g)[l.g.start()];
        if (a.flag("json")) {
          nlohmann::json visits = nlohmann::json::object();
          for (std::size_t k = 0; k < index.size(); ++k) visits[l.g.name(index.symbol_of[k])] = stats.expected_visits[k];
          nlohmann::json j{{"derivational_entropy_bits", stats.derivational_entropy_bits},
                           {"expected_length", stats.expected_length},
                           {"spectral_radius", stats.spectral_radius},
                           {"expected_derivation_size", stats.expected_derivation_size},
                           {"empty_string_probability", static_cast<double>(empty)},
                           {"expected_visits", visits}};
          std::cout << dump_json(j) << "\n";
        } else {
          std::cout << "derivational_entropy_bits " << stats.derivational_entropy_bits << "\nexpected_length "
                    << stats.expected_length << "\nspectral_radius " << stats.spectral_radius
                    << "\nexpected_derivation_size " << stats.expected_derivation_size << "\nempty_string_probability "
                    << static_cast<double>(empty) << "\n";
        }
        return 0;
      }});
}

}  // namespace induct::cli
