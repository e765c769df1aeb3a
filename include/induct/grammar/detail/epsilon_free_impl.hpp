#pragma once
// Definitions for grammar/epsilon_free.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/LU>

#include "induct/core/error.hpp"
#include "induct/core/resources.hpp"
#include "induct/grammar/detail/components.hpp"
#include "induct/grammar/detail/fixed_point.hpp"
#include "induct/grammar/detail/messages.hpp"
#include "induct/grammar/epsilon_free.hpp"
#include "induct/grammar/pcfg.hpp"

namespace induct::grammar {

namespace epsilon_detail {

/// By symbol id: nullable (A =>* eps) and nonempty (A derives some non-empty string), exact least fixed
/// points with no arithmetic, so that validate and eliminate_epsilon agree on which symbols are optional.
struct nullability {
  std::vector<char> nullable, nonempty;
};

INDUCT_DETAIL nullability nullable_sets(const pcfg& g) {
  using fixed_point_detail::least_closed_set;
  // nullable: some rule whose right side is all nullable nonterminals (a terminal never is)
  // nonempty: some rule with a terminal or a nonempty symbol on its right side
  return {least_closed_set(g, false, [](symbol_id) { return false; }),
          least_closed_set(g, true, [&](symbol_id s) { return g.is_terminal(s); })};
}

}  // namespace epsilon_detail

INDUCT_DEFINE std::vector<long double> null_probabilities(const pcfg& g) {
  const std::size_t n = g.symbol_count();
  const auto sets = epsilon_detail::nullable_sets(g);
  const auto& nullable = sets.nullable;
  const auto& nonempty = sets.nonempty;
  std::vector<long double> e(n, 0.0L);
  std::vector<std::int32_t> unknown_of(n, -1);
  std::vector<symbol_id> unknowns;
  for (symbol_id a = 0; a < n; ++a) {
    if (!g.is_nonterminal(a) || !nullable[a]) continue;
    if (!nonempty[a]) {
      e[a] = 1.0L;  // every terminating derivation of A is empty
    } else {
      unknown_of[a] = static_cast<std::int32_t>(unknowns.size());
      unknowns.push_back(a);
    }
  }
  if (unknowns.empty()) return e;
  using matrix = Eigen::Matrix<long double, Eigen::Dynamic, Eigen::Dynamic>;
  using vector = Eigen::Matrix<long double, Eigen::Dynamic, 1>;
  // Only rules whose right side is all nullable contribute to f; unknown u depends on the unknowns in them.
  std::vector<std::vector<std::size_t>> relevant(unknowns.size());
  std::vector<std::vector<std::int32_t>> depends(unknowns.size());
  for (std::size_t r = 0; r < g.rule_count(); ++r) {
    const auto& rule = g.rules()[r];
    const auto u = unknown_of[rule.lhs];
    if (u < 0) continue;
    bool all = true;
    for (symbol_id s : rule.rhs) all = all && g.is_nonterminal(s) && nullable[s];
    if (!all) continue;
    relevant[static_cast<std::size_t>(u)].push_back(r);
    for (symbol_id s : rule.rhs)
      if (unknown_of[s] >= 0) depends[static_cast<std::size_t>(u)].push_back(unknown_of[s]);
  }
  // Newton component by component, the ones depended on first (Esparza et al.: decomposed Newton), so a
  // 10,001-long nullable chain is 10,001 one-variable problems, not one 10,001 x 10,001 Jacobian.
  const auto parts = scc_detail::strongly_connected(depends, [](std::int32_t w) { return w; });
  std::vector<std::int32_t> local_of(unknowns.size(), -1);
  for (std::size_t c = parts.members.size(); c-- > 0;) {
    const auto& members = parts.members[c];
    const auto m = static_cast<Eigen::Index>(members.size());
    if (members.size() > 1) {
      std::string what = message_detail::where(g);
      what += "the null-probability Jacobian of ";
      what += std::to_string(members.size());
      what += " mutually nullable nonterminals";
      require_memory(4.0 * static_cast<double>(m) * static_cast<double>(m) * sizeof(long double), what);
    }
    for (std::size_t i = 0; i < members.size(); ++i) local_of[static_cast<std::size_t>(members[i])] = static_cast<std::int32_t>(i);
    for (int iteration = 0; iteration < 400; ++iteration) {
      vector residual = vector::Zero(m);  // f(e) - e on this component, the others fixed
      matrix jacobian = matrix::Zero(m, m);
      for (Eigen::Index row = 0; row < m; ++row)
        for (std::size_t r : relevant[static_cast<std::size_t>(members[static_cast<std::size_t>(row)])]) {
          const auto& rule = g.rules()[r];
          long double product = rule.probability;
          for (symbol_id s : rule.rhs) product *= e[s];
          residual(row) += product;
          for (std::size_t i = 0; i < rule.rhs.size(); ++i) {
            const symbol_id s = rule.rhs[i];
            if (unknown_of[s] < 0 || parts.of[static_cast<std::size_t>(unknown_of[s])] != static_cast<std::int32_t>(c)) continue;
            long double derivative = rule.probability;
            for (std::size_t j = 0; j < rule.rhs.size(); ++j)
              if (j != i) derivative *= e[rule.rhs[j]];
            jacobian(row, local_of[static_cast<std::size_t>(unknown_of[s])]) += derivative;
          }
        }
      for (Eigen::Index i = 0; i < m; ++i) residual(i) -= e[unknowns[static_cast<std::size_t>(members[static_cast<std::size_t>(i)])]];
      const vector step = (matrix::Identity(m, m) - jacobian).partialPivLu().solve(residual);
      long double largest = 0.0L;
      for (Eigen::Index i = 0; i < m; ++i) {
        long double& value = e[unknowns[static_cast<std::size_t>(members[static_cast<std::size_t>(i)])]];
        const long double updated = std::min(1.0L, std::max(value, value + step(i)));  // monotone from below
        largest = std::max(largest, std::abs(updated - value));
        value = updated;
      }
      if (largest <= 4.0L * std::numeric_limits<long double>::epsilon()) break;
    }
  }
  return e;
}

INDUCT_DEFINE epsilon_free_grammar eliminate_epsilon(const pcfg& g) {
  epsilon_free_grammar out;
  out.null_probability = null_probabilities(g);
  const auto& e = out.null_probability;
  out.start_null_probability = e[g.start()];
  std::map<std::pair<symbol_id, std::vector<symbol_id>>, long double> merged;
  std::vector<std::pair<symbol_id, std::vector<symbol_id>>> order;  // first-appearance order, for stable output
  for (const auto& rule : g.rules()) {
    if (rule.rhs.empty() || e[rule.lhs] >= 1.0L) continue;
    std::vector<std::size_t> optional;  // 0 < e < 1: kept or dropped
    for (std::size_t i = 0; i < rule.rhs.size(); ++i) {
      const symbol_id s = rule.rhs[i];
      if (g.is_nonterminal(s) && e[s] > 0.0L && e[s] < 1.0L) optional.push_back(i);
    }
    if (optional.size() > max_nullable_occurrences_per_rule) {
      std::string message = message_detail::where(g);
      message += "rule of '";
      message += message_detail::excerpt(g.name(rule.lhs));
      message += "' on line ";
      message += std::to_string(rule.source_line);
      message += " has ";
      message += std::to_string(optional.size());
      message += " nullable symbols (at most ";
      message += std::to_string(max_nullable_occurrences_per_rule);
      message += "): split it into shorter rules";
      throw grammar_error(message);
    }
    const std::uint64_t subsets = std::uint64_t{1} << optional.size();
    for (std::uint64_t dropped = 0; dropped < subsets; ++dropped) {
      long double p = static_cast<long double>(rule.probability) / (1.0L - e[rule.lhs]);
      std::vector<symbol_id> kept;
      std::size_t next_optional = 0;
      for (std::size_t i = 0; i < rule.rhs.size(); ++i) {
        const symbol_id s = rule.rhs[i];
        if (next_optional < optional.size() && optional[next_optional] == i) {
          if ((dropped >> next_optional) & 1U) {
            p *= e[s];
          } else {
            p *= 1.0L - e[s];
            kept.push_back(s);
          }
          ++next_optional;
        } else if (g.is_nonterminal(s) && e[s] >= 1.0L) {
          // derives only eps: always dropped, factor e = 1
        } else {
          kept.push_back(s);
        }
      }
      if (kept.empty() || !(p > 0.0L)) continue;
      auto key = std::make_pair(rule.lhs, std::move(kept));
      auto [it, inserted] = merged.emplace(key, 0.0L);
      if (inserted) order.push_back(key);
      it->second += p;
    }
  }
  out.rules.reserve(order.size());
  for (auto& key : order) out.rules.push_back(weighted_rule{key.first, key.second, merged[key]});
  return out;
}

INDUCT_DEFINE std::vector<std::size_t> nullable_occurrences(const pcfg& g) {
  const auto sets = epsilon_detail::nullable_sets(g);
  std::vector<std::size_t> counts(g.rule_count(), 0);
  for (std::size_t r = 0; r < g.rule_count(); ++r) {
    const auto& rule = g.rules()[r];
    if (!sets.nonempty[rule.lhs]) continue;  // eliminate_epsilon skips a left side that derives only eps
    for (symbol_id s : rule.rhs) counts[r] += g.is_nonterminal(s) && sets.nullable[s] && sets.nonempty[s] ? 1 : 0;
  }
  return counts;
}

}  // namespace induct::grammar
