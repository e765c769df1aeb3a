#pragma once
// Definitions for grammar/validate.hpp (see induct/core/linkage.hpp for the two modes).
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/grammar/mean_count.hpp"
#include "induct/grammar/pcfg.hpp"
#include "induct/grammar/validate.hpp"

namespace induct::grammar {

namespace validate_detail {

INDUCT_DETAIL std::string lines_of(const std::vector<int>& lines) {
  std::set<int> unique(lines.begin(), lines.end());
  unique.erase(0);
  if (unique.empty()) return "";
  std::string out = unique.size() == 1 ? " (line " : " (lines ";
  bool first = true;
  for (int l : unique) {
    if (!first) out += ", ";
    out += std::to_string(l);
    first = false;
  }
  return out + ")";
}

INDUCT_DETAIL std::string format_number(double x) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.12g", x);
  return buffer;
}

}  // namespace validate_detail

INDUCT_DEFINE validation_report validate(pcfg& g, const validation_options& options) {
  using validate_detail::lines_of;
  validation_report report;
  const symbol_id start = g.start();
  const std::size_t n = g.symbol_count();

  auto rule_lines = [&](symbol_id a) {
    std::vector<int> lines;
    for (std::size_t r : g.rules_of(a)) lines.push_back(g.rules()[r].source_line);
    return lines;
  };

  // Probabilities are finite and positive.
  {
    std::string bad;
    for (const auto& r : g.rules())
      if (!(r.probability > 0.0) || !std::isfinite(r.probability))
        bad += "\n  " + g.name(r.lhs) + lines_of({r.source_line}) + ": " + validate_detail::format_number(r.probability);
    if (!bad.empty()) throw grammar_error("rule probabilities must be finite and > 0:" + bad);
  }

  // Undefined nonterminals: used on a right side, no rules.
  {
    std::map<symbol_id, std::vector<int>> used_at;
    for (const auto& r : g.rules())
      for (symbol_id s : r.rhs)
        if (g.is_nonterminal(s) && g.rules_of(s).empty()) used_at[s].push_back(r.source_line);
    if (g.rules_of(start).empty()) used_at[start];
    if (!used_at.empty()) {
      std::string list;
      for (const auto& [s, lines] : used_at)
        list += "\n  " + g.name(s) + (lines.empty() ? " (the start symbol)" : " used" + lines_of(lines));
      throw grammar_error("undefined nonterminals (used but no rules):" + list);
    }
  }

  // Properness.
  {
    std::string bad;
    for (symbol_id a = 0; a < n; ++a) {
      if (!g.is_nonterminal(a) || g.rules_of(a).empty()) continue;
      double sum = 0.0;
      for (std::size_t r : g.rules_of(a)) sum += g.rules()[r].probability;
      if (std::abs(sum - 1.0) <= options.tolerance) continue;
      if (options.normalise) {
        for (std::size_t r : g.rules_of(a)) g.set_probability(r, g.rules()[r].probability / sum);
        report.warnings.push_back("normalised the rules of '" + g.name(a) + "'" + lines_of(rule_lines(a)) +
                                  ": they summed to " + validate_detail::format_number(sum));
      } else {
        bad += "\n  " + g.name(a) + lines_of(rule_lines(a)) + ": sum " + validate_detail::format_number(sum);
      }
    }
    if (!bad.empty())
      throw grammar_error("rule probabilities of these left sides do not sum to 1 (tolerance " +
                          validate_detail::format_number(options.tolerance) + "; normalise only if asked):" + bad);
  }

  // Productive: least fixed point of "some rule has only terminals and productive nonterminals".
  {
    std::vector<char> productive(n, 0);
    for (bool changed = true; changed;) {
      changed = false;
      for (const auto& r : g.rules()) {
        if (productive[r.lhs]) continue;
        bool all = true;
        for (symbol_id s : r.rhs) all = all && (g.is_terminal(s) || productive[s]);
        if (all) productive[r.lhs] = changed = true;
      }
    }
    std::string bad;
    for (symbol_id a = 0; a < n; ++a)
      if (g.is_nonterminal(a) && !productive[a]) bad += "\n  " + g.name(a) + lines_of(rule_lines(a));
    if (!bad.empty()) throw grammar_error("unproductive nonterminals (derive no finite terminal string):" + bad);
  }

  // Reachable from the start symbol.
  {
    std::vector<char> reached(n, 0);
    std::vector<symbol_id> stack{start};
    reached[start] = 1;
    while (!stack.empty()) {
      const symbol_id a = stack.back();
      stack.pop_back();
      for (std::size_t r : g.rules_of(a))
        for (symbol_id s : g.rules()[r].rhs)
          if (g.is_nonterminal(s) && !reached[s]) {
            reached[s] = 1;
            stack.push_back(s);
          }
    }
    std::string bad;
    for (symbol_id a = 0; a < n; ++a)
      if (g.is_nonterminal(a) && !reached[a]) bad += "\n  " + g.name(a) + lines_of(rule_lines(a));
    if (!bad.empty()) throw grammar_error("unreachable nonterminals (not reachable from start '" + g.name(start) + "'):" + bad);
  }

  // Consistency.
  const nonterminal_index index(g);
  report.spectral_radius = spectral_radius(mean_count_matrix(g, index));
  if (!(report.spectral_radius < 1.0))
    throw grammar_error("inconsistent grammar: the spectral radius of the mean-count matrix is " +
                        validate_detail::format_number(report.spectral_radius) +
                        " >= 1 (derivations are infinite with positive probability or have infinite expected size; "
                        "lower the probabilities of the recursive rules)");
  return report;
}

}  // namespace induct::grammar
