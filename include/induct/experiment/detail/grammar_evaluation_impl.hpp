#pragma once
// Definitions for experiment/grammar_evaluation.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/core/error.hpp"
#include "induct/core/fields.hpp"
#include "induct/core/json_number.hpp"
#include "induct/core/log_space.hpp"
#include "induct/core/random.hpp"
#include "induct/experiment/grammar_evaluation.hpp"
#include "induct/experiment/report.hpp"
#include "induct/experiment/svg_plot.hpp"
#include "induct/grammar/earley.hpp"
#include "induct/grammar/sample.hpp"
#include "induct/grammar/viterbi.hpp"
#include "induct/nn/checkpoint.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/theory/statistics.hpp"

namespace induct::experiment {

INDUCT_DEFINE void grammar_evaluation_config::validate() const { check_field_bounds(*this); }

INDUCT_DEFINE nlohmann::json grammar_evaluation_config::to_json() const { return fields_to_json(*this); }

INDUCT_DEFINE grammar_evaluation_config grammar_evaluation_config::from_json(const nlohmann::json& j) {
  grammar_evaluation_config c;
  fields_from_json(c, j);
  c.validate();
  return c;
}

INDUCT_DEFINE std::vector<grammar::symbol_id> detect_iterated_nonterminals(const grammar::pcfg& g) {
  std::vector<char> recursive(g.symbol_count(), 0), exits(g.symbol_count(), 0);
  for (const auto& r : g.rules()) {
    const bool last_is_lhs = r.rhs.size() >= 2 && r.rhs.back() == r.lhs;
    if (last_is_lhs) recursive[r.lhs] = 1;
    if (std::find(r.rhs.begin(), r.rhs.end(), r.lhs) == r.rhs.end()) exits[r.lhs] = 1;
  }
  std::vector<grammar::symbol_id> found;
  for (grammar::symbol_id s = 0; s < g.symbol_count(); ++s)
    if (recursive[s] && exits[s]) found.push_back(s);
  return found;
}

INDUCT_DEFINE std::vector<grammar::symbol_id> iterated_nonterminals(const grammar::pcfg& g,
                                                                    const std::vector<std::string>& names) {
  if (names.empty()) return detect_iterated_nonterminals(g);
  std::vector<grammar::symbol_id> ids;
  for (const auto& name : names) {
    const auto id = g.find_nonterminal(name);
    if (!id) {
      std::string message = "iterated nonterminal '" + name + "' is not a nonterminal of the grammar";
      if (g.find_terminal(name)) message += " (it is a terminal)";
      throw grammar_error(message);
    }
    ids.push_back(*id);
  }
  return ids;
}

INDUCT_DEFINE std::vector<int> item_indices(const grammar::pcfg& g, const grammar::derivation& tau,
                                            std::span<const grammar::symbol_id> iterated) {
  // The leftmost derivation replayed with, per stacked symbol, the iterated ancestors above it.
  std::vector<std::pair<grammar::symbol_id, int>> stack{{g.start(), 0}};
  std::vector<int> items;
  std::size_t next = 0;
  while (!stack.empty()) {
    const auto [s, depth] = stack.back();
    stack.pop_back();
    if (g.is_terminal(s)) {
      items.push_back(depth);
      continue;
    }
    if (next >= tau.rules.size() || tau.rules[next] >= g.rule_count() || g.rules()[tau.rules[next]].lhs != s)
      throw grammar_error("item_indices: the derivation does not expand '" + g.name(s) + "' at step " +
                          std::to_string(next));
    const auto& rule = g.rules()[tau.rules[next++]];
    const int below = depth + (std::find(iterated.begin(), iterated.end(), s) != iterated.end() ? 1 : 0);
    for (auto it = rule.rhs.rbegin(); it != rule.rhs.rend(); ++it) stack.emplace_back(*it, below);
  }
  if (next != tau.rules.size()) throw grammar_error("item_indices: the derivation has rules left over");
  return items;
}

namespace grammar_evaluation_detail {

/// Items per position (n + 1: the end takes the last token's item, 0 for the empty string).
INDUCT_DETAIL std::vector<int> with_end_item(std::vector<int> items) {
  items.push_back(items.empty() ? 0 : items.back());
  return items;
}

/// Mean and half-width of the normal 95% interval of `values` (half-width NaN for fewer than 2).
INDUCT_DETAIL std::pair<double, double> mean_and_half_width(const std::vector<double>& values) {
  const double m = static_cast<double>(values.size());
  double sum = 0.0;
  for (double v : values) sum += v;
  const double mean = sum / m;
  if (values.size() < 2) return {mean, std::nan("")};
  double squares = 0.0;
  for (double v : values) squares += (v - mean) * (v - mean);
  return {mean, 1.96 * std::sqrt(squares / (m - 1.0)) / std::sqrt(m)};
}

/// Index of the largest entry of row [begin, begin + V) (the first on ties).
INDUCT_DETAIL std::size_t argmax_of(const std::vector<double>& rows, std::size_t begin, std::size_t V) {
  std::size_t best = 0;
  for (std::size_t v = 1; v < V; ++v)
    if (rows[begin + v] > rows[begin + best]) best = v;
  return best;
}

}  // namespace grammar_evaluation_detail

INDUCT_DEFINE std::vector<grammar_string> sample_grammar_strings(const setup::corpus_grammar& g, std::uint64_t count,
                                                                 std::uint64_t seed,
                                                                 std::span<const grammar::symbol_id> iterated) {
  grammar::sampler sampler(g.grammar());
  random_engine rng = random_engine::for_stream(seed, grammar_evaluation_stream);
  std::vector<grammar_string> strings(count);
  grammar::derivation tau;
  for (std::uint64_t i = 0; i < count; ++i) {
    sampler.sample(rng, strings[i].symbols, tau);
    strings[i].items = grammar_evaluation_detail::with_end_item(item_indices(g.grammar(), tau, iterated));
    strings[i].source = "sample " + std::to_string(i + 1);
  }
  return strings;
}

INDUCT_DEFINE std::vector<grammar_string> read_grammar_strings(const setup::corpus_grammar& g,
                                                               const std::filesystem::path& path,
                                                               std::span<const grammar::symbol_id> iterated) {
  const std::string text = read_text_file(path);
  std::vector<grammar_string> strings;
  std::size_t line_start = 0;
  for (int line = 1; line_start < text.size(); ++line) {
    std::size_t line_end = text.find('\n', line_start);
    if (line_end == std::string::npos) line_end = text.size();
    const std::string_view content(text.data() + line_start, line_end - line_start);
    const std::size_t first = content.find_first_not_of(" \t\r");
    if (first != std::string_view::npos && content[first] != '#') {
      grammar_string s;
      s.source = path.string() + ":" + std::to_string(line);
      std::size_t column = 0;
      for (const auto& name : grammar::split_tokens(content)) {
        column = content.find(name, column);
        const auto t = g.grammar().find_terminal(name);
        if (!t)
          throw parse_error(path.string(), line, static_cast<int>(column + 1),
                            "'" + name + "' is not a terminal of the grammar");
        s.symbols.push_back(*t);
        column += name.size();
      }
      const auto parse = grammar::viterbi_parse(g.grammar(), s.symbols);
      if (!parse.found) throw parse_error(path.string(), line, 1, "the string has probability 0 under the grammar");
      s.items = grammar_evaluation_detail::with_end_item(item_indices(g.grammar(), parse.tree, iterated));
      strings.push_back(std::move(s));
    }
    line_start = line_end + 1;
  }
  if (strings.empty()) throw file_error(path.string(), "holds no strings (one per line; '#' lines are comments)");
  return strings;
}

INDUCT_DEFINE void exact_next_token_rows(const setup::corpus_grammar& g, const grammar::earley_grammar& compiled,
                                         std::span<const grammar::symbol_id> w, std::vector<double>& out) {
  const std::size_t V = g.vocabulary_size();
  grammar::earley_state state(compiled);
  out.assign((w.size() + 1) * V, 0.0);
  for (std::size_t t = 0; t <= w.size(); ++t) {
    const auto next = state.next_tokens();
    double* row = out.data() + t * V;
    row[setup::grammar_boundary_token] = static_cast<double>(next.end);
    for (const auto& [symbol, p] : next.tokens) row[g.token_of(symbol)] = static_cast<double>(p);
    if (t < w.size()) state.advance(w[t]);
  }
}

INDUCT_DEFINE next_token_log_prob_rows model_log_prob_rows(nn::gpt<float>& model) {
  return [&model](std::span<const std::int32_t> tokens, std::vector<double>& out) {
    const int time = static_cast<int>(tokens.size());
    const auto V = static_cast<std::size_t>(model.config().vocab_size);
    model.forward(tokens.data(), nullptr, 1, time);
    out.resize(tokens.size() * V);
    for (std::size_t i = 0; i < tokens.size(); ++i)
      log_softmax(std::span<const float>(model.logits() + i * V, V), std::span<double>(out.data() + i * V, V));
  };
}

namespace grammar_evaluation_detail {

/// Sums per (string, item) and per position, gathered while the position rows are written.
struct accumulators {
  struct item_sums {
    double exact = 0.0, model = 0.0, kl = 0.0, excess = 0.0;
  };
  std::map<int, std::vector<item_sums>> by_item;  // item -> one entry per string that reaches it
  struct position_sums {
    std::size_t strings = 0, agreements = 0;
    double exact = 0.0, model = 0.0, kl = 0.0, excess = 0.0, entropy = 0.0;
  };
  std::vector<position_sums> by_position;
};

/// Appends the rows of one string to e.positions and its sums to `acc`.
INDUCT_DETAIL void evaluate_string(const setup::corpus_grammar& g, const grammar_string& s,
                                   const std::vector<double>& exact, const std::vector<double>& log_q,
                                   grammar_evaluation& e, accumulators& acc) {
  const std::size_t V = g.vocabulary_size();
  const std::size_t n = s.symbols.size();
  std::vector<double> q(V);
  std::map<int, accumulators::item_sums> items;
  if (acc.by_position.size() < n + 1) acc.by_position.resize(n + 1);
  for (std::size_t t = 0; t <= n; ++t) {
    const std::span<const double> p(exact.data() + t * V, V);
    for (std::size_t v = 0; v < V; ++v) q[v] = std::exp(log_q[t * V + v]);
    const std::size_t token = t < n ? g.token_of(s.symbols[t]) : setup::grammar_boundary_token;
    const double exact_loss = -std::log2(p[token]);
    const double model_loss = -log_q[t * V + token] / std::log(2.0);
    const double kl = theory::kl_divergence_bits(p, q);
    const double entropy = theory::entropy_bits(p);
    const std::size_t model_choice = argmax_of(log_q, t * V, V);
    const double best = *std::max_element(p.begin(), p.end());
    const bool agrees = p[model_choice] == best;
    auto row = e.positions.new_row();
    row["string"] = s.source;
    row["position"] = static_cast<long long>(t + 1);
    row["item"] = static_cast<long long>(s.items[t]);
    row["token"] = g.vocabulary()[token];
    row["exact_probability"] = p[token];
    row["model_probability"] = q[token];
    row["kl_bits"] = kl;
    row["excess_bits"] = model_loss - exact_loss;
    row["exact_entropy_bits"] = entropy;
    row["argmax_agrees"] = static_cast<long long>(agrees ? 1 : 0);
    row["exact_loss_bits"] = exact_loss;
    row["model_loss_bits"] = model_loss;
    e.positions.add_row(row);
    auto& at = acc.by_position[t];
    ++at.strings;
    at.agreements += agrees ? 1 : 0;
    at.exact += exact_loss;
    at.model += model_loss;
    at.kl += kl;
    at.excess += model_loss - exact_loss;
    at.entropy += entropy;
    if (s.items[t] > 0) {
      auto& item = items[s.items[t]];
      item.exact += exact_loss;
      item.model += model_loss;
      item.kl += kl;
      item.excess += model_loss - exact_loss;
    }
  }
  for (const auto& [k, sums] : items) acc.by_item[k].push_back(sums);
}

INDUCT_DETAIL result_table position_summary(const accumulators& acc) {
  result_table table({"position", "strings", "exact_loss_bits", "model_loss_bits", "kl_bits", "excess_bits",
                      "exact_entropy_bits", "argmax_agreement"});
  for (std::size_t t = 0; t < acc.by_position.size(); ++t) {
    const auto& a = acc.by_position[t];
    const double m = static_cast<double>(a.strings);
    auto row = table.new_row();
    row["position"] = static_cast<long long>(t + 1);
    row["strings"] = static_cast<long long>(a.strings);
    row["exact_loss_bits"] = a.exact / m;
    row["model_loss_bits"] = a.model / m;
    row["kl_bits"] = a.kl / m;
    row["excess_bits"] = a.excess / m;
    row["exact_entropy_bits"] = a.entropy / m;
    row["argmax_agreement"] = static_cast<double>(a.agreements) / m;
    table.add_row(row);
  }
  return table;
}

INDUCT_DETAIL result_table item_summary(const accumulators& acc) {
  result_table table({"item", "strings", "exact_loss_bits", "exact_ci_low", "exact_ci_high", "model_loss_bits",
                      "model_ci_low", "model_ci_high", "kl_bits", "excess_bits"});
  for (const auto& [k, per_string] : acc.by_item) {
    std::vector<double> exact, model, kl, excess;
    for (const auto& s : per_string) {
      exact.push_back(s.exact);
      model.push_back(s.model);
      kl.push_back(s.kl);
      excess.push_back(s.excess);
    }
    const auto [exact_mean, exact_half] = mean_and_half_width(exact);
    const auto [model_mean, model_half] = mean_and_half_width(model);
    auto row = table.new_row();
    row["item"] = static_cast<long long>(k);
    row["strings"] = static_cast<long long>(per_string.size());
    row["exact_loss_bits"] = exact_mean;
    row["exact_ci_low"] = exact_mean - exact_half;
    row["exact_ci_high"] = exact_mean + exact_half;
    row["model_loss_bits"] = model_mean;
    row["model_ci_low"] = model_mean - model_half;
    row["model_ci_high"] = model_mean + model_half;
    row["kl_bits"] = mean_and_half_width(kl).first;
    row["excess_bits"] = mean_and_half_width(excess).first;
    table.add_row(row);
  }
  return table;
}

}  // namespace grammar_evaluation_detail

INDUCT_DEFINE grammar_evaluation evaluate_against_grammar(const setup::corpus_grammar& g,
                                                          const std::vector<grammar_string>& strings,
                                                          const next_token_log_prob_rows& model, int context_length,
                                                          std::vector<std::string> iterated_names) {
  namespace detail = grammar_evaluation_detail;
  grammar_evaluation e;
  e.iterated = std::move(iterated_names);
  detail::accumulators acc;
  std::vector<double> exact, log_q;
  std::vector<std::int32_t> tokens;
  const std::size_t V = g.vocabulary_size();
  const grammar::earley_grammar compiled(g.grammar());
  for (const auto& s : strings) {
    if (s.items.size() != s.symbols.size() + 1)
      throw error(s.source + ": " + std::to_string(s.items.size()) + " item indices for " +
                  std::to_string(s.symbols.size()) + " tokens and the end");
    if (static_cast<long long>(s.symbols.size()) + 1 > context_length) {
      e.skipped.push_back(s.source);
      continue;
    }
    tokens.assign(1, static_cast<std::int32_t>(setup::grammar_boundary_token));
    for (auto symbol : s.symbols) tokens.push_back(static_cast<std::int32_t>(g.token_of(symbol)));
    exact_next_token_rows(g, compiled, s.symbols, exact);
    model(tokens, log_q);
    if (log_q.size() != tokens.size() * V)
      throw error("evaluate_against_grammar: the model gave " + std::to_string(log_q.size()) + " log-probabilities for " +
                  std::to_string(tokens.size()) + " positions of " + std::to_string(V) + " tokens");
    detail::evaluate_string(g, s, exact, log_q, e, acc);
    ++e.strings;
  }
  e.by_position = detail::position_summary(acc);
  e.by_item = detail::item_summary(acc);
  return e;
}

INDUCT_DEFINE line_chart grammar_item_chart(const grammar_evaluation& e, const std::string& title) {
  line_chart chart;
  chart.title = title;
  chart.x_label = "item k of the iteration";
  chart.y_label = "loss on item k (bits, mean over strings)";
  chart.integer_x = true;
  chart_series exact{"exact (idealized predictor)", {}, {}, {}, {}, 0, true};
  chart_series model{"model, 95% interval", {}, {}, {}, {}, 1};
  for (std::size_t r = 0; r < e.by_item.row_count(); ++r) {
    const double k = e.by_item.number(r, "item");
    exact.x.push_back(k);
    exact.y.push_back(e.by_item.number(r, "exact_loss_bits"));
    model.x.push_back(k);
    model.y.push_back(e.by_item.number(r, "model_loss_bits"));
    // One string: no interval, the band collapses onto the mean.
    const double low = e.by_item.number(r, "model_ci_low"), high = e.by_item.number(r, "model_ci_high");
    model.band_low.push_back(std::isfinite(low) ? low : model.y.back());
    model.band_high.push_back(std::isfinite(high) ? high : model.y.back());
  }
  chart.series = {exact, model};
  return chart;
}

INDUCT_DEFINE void check_model_grammar(const nn::checkpoint_info& info, const std::string& model_file,
                                       const setup::corpus_grammar& given) {
  const auto recorded = info.extra.find(nn::checkpoint_keys::grammar_fingerprint);
  if (recorded == info.extra.end()) {
    std::string message = "the model records no grammar (\"grammar_fingerprint\")";
    if (info.extra.count(nn::checkpoint_keys::world_fingerprint))
      message += ": it was trained in a world of the controlled setup (evaluate it without --grammar)";
    else
      message += ": train it with `induct train` on a corpus of `induct corpus --grammar`";
    throw file_error(model_file, message);
  }
  if (recorded->second != given.fingerprint())
    throw file_error(model_file, "the model was trained on grammar " + recorded->second + ", not on the given grammar " +
                                     given.fingerprint() + " (" + given.grammar().source() + ")");
}

INDUCT_DEFINE grammar_evaluation_run evaluate_model_on_grammar(const std::filesystem::path& model_file,
                                                              const grammar::pcfg& user_grammar,
                                                              const grammar_evaluation_config& config,
                                                              const std::filesystem::path& strings_file) {
  config.validate();
  const setup::corpus_grammar g(user_grammar);
  const auto header = nn::read_checkpoint_metadata(model_file);
  check_model_grammar(header.info, model_file.string(), g);
  if (header.config.vocab_size != static_cast<int>(g.vocabulary_size()))
    throw file_error(model_file.string(), "the model has a vocabulary of " + std::to_string(header.config.vocab_size) +
                                              " tokens, the grammar " + std::to_string(g.vocabulary_size()));
  const auto iterated = iterated_nonterminals(g.grammar(), config.iterate);
  std::vector<std::string> iterated_names;
  for (auto s : iterated) iterated_names.push_back(g.grammar().name(s));
  const bool sampled = strings_file.empty();
  const auto strings = sampled ? sample_grammar_strings(g, config.samples, config.seed, iterated)
                               : read_grammar_strings(g, strings_file, iterated);
  auto model = nn::read_model_checkpoint<float>(model_file, nullptr, &header.config);
  grammar_evaluation_run run;
  run.evaluation = evaluate_against_grammar(g, strings, model_log_prob_rows(model), header.config.context_length,
                                            iterated_names);
  const auto& positions = run.evaluation.positions;
  const auto mean_of = [&](const char* column) {
    double sum = 0.0;
    for (std::size_t r = 0; r < positions.row_count(); ++r) sum += positions.number(r, column);
    return positions.row_count() > 0 ? sum / static_cast<double>(positions.row_count()) : std::nan("");
  };
  run.metadata = {{"model", model_file.string()},
                  {"step", header.info.step},
                  {"model_config", header.config.to_json()},
                  {"grammar_file", user_grammar.source()},
                  {"grammar_fingerprint", g.fingerprint()},
                  {"vocabulary", g.vocabulary()},
                  {"config", config.to_json()},
                  {"strings", sampled ? std::string("sampled") : strings_file.string()},
                  {"iterated", iterated_names},
                  {"strings_evaluated", run.evaluation.strings},
                  {"skipped_longer_than_context", run.evaluation.skipped},
                  {"positions", positions.row_count()},
                  {"mean_kl_bits", finite_or_null(mean_of("kl_bits"))},
                  {"mean_excess_bits", finite_or_null(mean_of("excess_bits"))},
                  {"mean_exact_entropy_bits", finite_or_null(mean_of("exact_entropy_bits"))},
                  {"argmax_agreement", finite_or_null(mean_of("argmax_agrees"))}};
  return run;
}

INDUCT_DEFINE void write_grammar_evaluation(const std::filesystem::path& out, const grammar_evaluation& e,
                                            const nlohmann::json& metadata, const std::string& title) {
  std::filesystem::create_directories(out);
  write_csv(out / "positions.csv", e.positions);
  write_csv(out / "by_position.csv", e.by_position);
  write_csv(out / "by_item.csv", e.by_item);
  const nlohmann::json all = {{"metadata", metadata},
                              {"by_item", e.by_item.to_json()},
                              {"by_position", e.by_position.to_json()},
                              {"positions", e.positions.to_json()}};
  write_text_atomically(out / "grammar_evaluation.json", all.dump(1) + "\n");
  write_text_atomically(out / "items.svg", render_svg(grammar_item_chart(e, title)));
}

}  // namespace induct::experiment
