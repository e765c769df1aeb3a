#pragma once
// Reference for grammar/epsilon_free.hpp's null_probabilities: Newton's method on the whole polynomial
// system e = f(e) at once (one dense Jacobian over every nullable nonterminal), from e = 0, by sweeps
// until nothing changes for the nullable sets: the computation before it was split by components.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <Eigen/LU>

#include "induct/grammar/pcfg.hpp"

namespace induct_test {

inline std::vector<long double> null_probabilities_reference(const induct::grammar::pcfg& g) {
  using induct::grammar::symbol_id;
  const std::size_t n = g.symbol_count();
  std::vector<char> nullable(n, 0), nonempty(n, 0);
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& r : g.rules()) {
      bool all = true, some = false;
      for (symbol_id s : r.rhs) {
        all = all && g.is_nonterminal(s) && nullable[s];
        some = some || g.is_terminal(s) || nonempty[s];
      }
      if (all && !nullable[r.lhs]) nullable[r.lhs] = changed = true;
      if (some && !nonempty[r.lhs]) nonempty[r.lhs] = changed = true;
    }
  }
  std::vector<long double> e(n, 0.0L);
  std::vector<int> unknown_of(n, -1);
  std::vector<symbol_id> unknowns;
  for (symbol_id a = 0; a < n; ++a) {
    if (!g.is_nonterminal(a) || !nullable[a]) continue;
    if (!nonempty[a]) e[a] = 1.0L;
    else {
      unknown_of[a] = static_cast<int>(unknowns.size());
      unknowns.push_back(a);
    }
  }
  using matrix = Eigen::Matrix<long double, Eigen::Dynamic, Eigen::Dynamic>;
  using vector = Eigen::Matrix<long double, Eigen::Dynamic, 1>;
  const auto m = static_cast<Eigen::Index>(unknowns.size());
  for (int iteration = 0; m > 0 && iteration < 400; ++iteration) {
    vector residual = vector::Zero(m);
    matrix jacobian = matrix::Zero(m, m);
    for (const auto& rule : g.rules()) {
      if (unknown_of[rule.lhs] < 0) continue;
      bool all = true;
      for (symbol_id s : rule.rhs) all = all && g.is_nonterminal(s) && nullable[s];
      if (!all) continue;
      long double product = rule.probability;
      for (symbol_id s : rule.rhs) product *= e[s];
      residual(unknown_of[rule.lhs]) += product;
      for (std::size_t i = 0; i < rule.rhs.size(); ++i) {
        if (unknown_of[rule.rhs[i]] < 0) continue;
        long double derivative = rule.probability;
        for (std::size_t j = 0; j < rule.rhs.size(); ++j)
          if (j != i) derivative *= e[rule.rhs[j]];
        jacobian(unknown_of[rule.lhs], unknown_of[rule.rhs[i]]) += derivative;
      }
    }
    for (Eigen::Index i = 0; i < m; ++i) residual(i) -= e[unknowns[static_cast<std::size_t>(i)]];
    const vector step = (matrix::Identity(m, m) - jacobian).partialPivLu().solve(residual);
    long double largest = 0.0L;
    for (Eigen::Index i = 0; i < m; ++i) {
      long double& value = e[unknowns[static_cast<std::size_t>(i)]];
      const long double updated = std::min(1.0L, std::max(value, value + step(i)));
      largest = std::max(largest, std::abs(updated - value));
      value = updated;
    }
    if (largest <= 4.0L * std::numeric_limits<long double>::epsilon()) break;
  }
  return e;
}

}  // namespace induct_test
