#pragma once
// Definitions for grammar/validate.hpp (see induct/core/linkage.hpp for the two modes).
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/grammar/detail/fixed_point.hpp"
#include "induct/grammar/detail/messages.hpp"
#include "induct/grammar/epsilon_free.hpp"
#include "induct/grammar/mean_count.hpp"
#include "induct/grammar/pcfg.hpp"
#include "induct/grammar/validate.hpp"
#include "induct/grammar/viterbi.hpp"

namespace induct::grammar {

namespace validate_detail {

/// Throws "FILE: what:" followed by the (capped) list, if the list is not empty.
INDUCT_DETAIL void refuse_if_any(const pcfg& g, const std::string& what, const message_detail::problem_list& list) {
  if (list.empty()) return;
  std::string message = message_detail::where(g);
  message += what;
  message += ":";
  message += list.text();
  throw grammar_error(message);
}

}  // namespace validate_detail

INDUCT_DEFINE validation_report validate(pcfg& g, const validation_options& options) {
  using message_detail::excerpt;
  using message_detail::lines_text;
  using message_detail::number_text;
  using message_detail::problem_list;
  using validate_detail::refuse_if_any;
  validation_report report;
  const symbol_id start = g.start();
  const std::size_t n = g.symbol_count();

  auto rule_lines = [&](symbol_id a) {
    std::vector<int> lines;
    for (std::size_t r : g.rules_of(a)) lines.push_back(g.rules()[r].source_line);
    return lines;
  };
  auto nonterminals_where = [&](const std::vector<char>& bad) {
    problem_list list;
    for (symbol_id a = 0; a < n; ++a)
      if (g.is_nonterminal(a) && bad[a]) list.add(excerpt(g.name(a)) + lines_text(rule_lines(a)));
    return list;
  };

  // Probabilities are finite and positive.
  {
    problem_list bad;
    for (const auto& r : g.rules())
      if (!(r.probability > 0.0) || !std::isfinite(r.probability))
        bad.add(excerpt(g.name(r.lhs)) + lines_text({r.source_line}) + ": " + number_text(r.probability));
    refuse_if_any(g, "rule probabilities must be finite and > 0", bad);
  }

  // Undefined nonterminals: used on a right side, no rules.
  {
    std::map<symbol_id, std::vector<int>> used_at;
    for (const auto& r : g.rules())
      for (symbol_id s : r.rhs)
        if (g.is_nonterminal(s) && g.rules_of(s).empty()) used_at[s].push_back(r.source_line);
    if (g.rules_of(start).empty()) used_at[start];
    problem_list list;
    for (const auto& [s, lines] : used_at)
      list.add(excerpt(g.name(s)) + (lines.empty() ? " (the start symbol)" : " used" + lines_text(lines)));
    refuse_if_any(g, "undefined nonterminals (used but no rules)", list);
  }

  // Properness.
  {
    problem_list bad;
    for (symbol_id a = 0; a < n; ++a) {
      if (!g.is_nonterminal(a) || g.rules_of(a).empty()) continue;
      double sum = 0.0;
      for (std::size_t r : g.rules_of(a)) sum += g.rules()[r].probability;
      if (std::abs(sum - 1.0) <= options.tolerance) continue;
      if (options.normalise) {
        for (std::size_t r : g.rules_of(a)) g.set_probability(r, g.rules()[r].probability / sum);
        report.warnings.push_back("normalised the rules of '" + excerpt(g.name(a)) + "'" + lines_text(rule_lines(a)) +
                                  ": they summed to " + number_text(sum));
      } else {
        bad.add(excerpt(g.name(a)) + lines_text(rule_lines(a)) + ": sum " + number_text(sum));
      }
    }
    std::string what = "rule probabilities of these left sides do not sum to 1 (tolerance ";
    what += number_text(options.tolerance);
    what += "; normalise only if asked)";
    refuse_if_any(g, what, bad);
  }

  // Productive: least fixed point of "some rule has only terminals and productive nonterminals".
  {
    const std::vector<char> productive =
        fixed_point_detail::least_closed_set(g, false, [&](symbol_id s) { return g.is_terminal(s); });
    std::vector<char> unproductive(n, 0);
    for (symbol_id a = 0; a < n; ++a) unproductive[a] = !productive[a];
    refuse_if_any(g, "unproductive nonterminals (derive no finite terminal string)", nonterminals_where(unproductive));
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
    std::vector<char> unreached(n, 0);
    for (symbol_id a = 0; a < n; ++a) unreached[a] = !reached[a];
    std::string what = "unreachable nonterminals (not reachable from start '";
    what += excerpt(g.name(start));
    what += "')";
    refuse_if_any(g, what, nonterminals_where(unreached));
  }

  // Limits of the later commands, so that a grammar check passes is one logprob and next accept.
  {
    problem_list bad;
    const auto nullable = nullable_occurrences(g);
    for (std::size_t r = 0; r < g.rule_count(); ++r)
      if (nullable[r] > max_nullable_occurrences_per_rule)
        bad.add("rule of '" + excerpt(g.name(g.rules()[r].lhs)) + "'" + lines_text({g.rules()[r].source_line}) + " has " +
                std::to_string(nullable[r]) + " nullable symbols (at most " +
                std::to_string(max_nullable_occurrences_per_rule) + "): split it into shorter rules");
    if (const std::uint64_t keys = viterbi_key_count(g); keys >= max_viterbi_keys)
      bad.add("(rules + symbols) * (longest right side + 1) is " + std::to_string(keys) + " (Viterbi parsing needs < " +
              std::to_string(max_viterbi_keys) + "): shorten the longest rules or split the grammar");
    refuse_if_any(g, "grammar exceeds limits of the exact algorithms", bad);
  }

  // Consistency.
  report.spectral_radius = mean_count_spectral_radius(g);
  if (!(report.spectral_radius < 1.0)) {
    std::string message = message_detail::where(g);
    message += "inconsistent grammar: the spectral radius of the mean-count matrix is ";
    message += number_text(report.spectral_radius);
    message += " >= 1 (derivations are infinite with positive probability or have infinite expected size; "
               "lower the probabilities of the recursive rules)";
    throw grammar_error(message);
  }
  return report;
}

}  // namespace induct::grammar
