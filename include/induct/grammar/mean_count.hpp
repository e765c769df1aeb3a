#pragma once
// The mean-count matrix of a PCFG and the closed-form quantities it yields.
//
//   M[A][B] = sum_{A -> alpha} p(A -> alpha) * #B(alpha)    (expected B's in one expansion of A)
//   consistent (derivations finite, expected size finite)  <=>  rho(M) < 1
//   v = e_S^T (I - M)^-1                                    (expected number of expansions of each A)
//   E[count(A -> alpha)] = v[A] * p(A -> alpha)
//   H(tau) = sum_A v[A] * H(p(. | A))   bits                (derivational entropy)
//   E[|yield|] = sum_r E[count(r)] * #terminals(rhs r)
#include <cmath>
#include <cstdint>
#include <vector>

#include <Eigen/Dense>
#include <Eigen/Eigenvalues>

#include "induct/core/error.hpp"
#include "induct/grammar/pcfg.hpp"

namespace induct::grammar {

/// Dense numbering 0..n-1 of a grammar's nonterminals (matrix rows), in symbol-id order.
struct nonterminal_index {
  std::vector<symbol_id> symbol_of;    // dense index -> symbol id
  std::vector<std::int32_t> index_of;  // symbol id -> dense index, -1 for terminals

  explicit nonterminal_index(const pcfg& g) : index_of(g.symbol_count(), -1) {
    for (symbol_id s = 0; s < g.symbol_count(); ++s)
      if (g.is_nonterminal(s)) {
        index_of[s] = static_cast<std::int32_t>(symbol_of.size());
        symbol_of.push_back(s);
      }
  }
  [[nodiscard]] std::size_t size() const noexcept { return symbol_of.size(); }
};

/// M[A][B] = expected number of B's in the right side of one expansion of A.
inline Eigen::MatrixXd mean_count_matrix(const pcfg& g, const nonterminal_index& index) {
  const auto n = static_cast<Eigen::Index>(index.size());
  Eigen::MatrixXd m = Eigen::MatrixXd::Zero(n, n);
  for (const auto& r : g.rules())
    for (symbol_id s : r.rhs)
      if (g.is_nonterminal(s)) m(index.index_of[r.lhs], index.index_of[s]) += r.probability;
  return m;
}

/// rho(M) = max |eigenvalue| (0 for an empty matrix).
inline double spectral_radius(const Eigen::MatrixXd& m) {
  if (m.rows() == 0) return 0.0;
  Eigen::EigenSolver<Eigen::MatrixXd> solver(m, /*computeEigenvectors=*/false);
  if (solver.info() != Eigen::Success) throw grammar_error("eigenvalue computation of the mean-count matrix failed");
  return solver.eigenvalues().cwiseAbs().maxCoeff();
}

/// Closed-form expectations of a consistent PCFG (see the header comment for the formulas).
struct grammar_statistics {
  double spectral_radius = 0.0;
  std::vector<double> expected_visits;       // by dense nonterminal index: E[# expansions of A]
  std::vector<double> expected_rule_counts;  // by rule index
  double derivational_entropy_bits = 0.0;    // H(tau) in bits
  double expected_length = 0.0;              // E[|yield|] in tokens
  double expected_derivation_size = 0.0;     // E[# rule applications]
};

/// Statistics of a proper PCFG; grammar_error if rho(M) >= 1 (expectations infinite).
inline grammar_statistics compute_statistics(const pcfg& g) {
  const nonterminal_index index(g);
  const Eigen::MatrixXd m = mean_count_matrix(g, index);
  grammar_statistics stats;
  stats.spectral_radius = spectral_radius(m);
  if (!(stats.spectral_radius < 1.0))
    throw grammar_error("inconsistent grammar: spectral radius of the mean-count matrix is " +
                        std::to_string(stats.spectral_radius) + " >= 1, so expected derivation sizes are infinite");
  const auto n = static_cast<Eigen::Index>(index.size());
  // v^T (I - M) = e_S^T  <=>  (I - M)^T v = e_S
  Eigen::VectorXd e_start = Eigen::VectorXd::Zero(n);
  e_start(index.index_of[g.start()]) = 1.0;
  const Eigen::MatrixXd system = (Eigen::MatrixXd::Identity(n, n) - m).transpose();
  const Eigen::VectorXd visits = system.partialPivLu().solve(e_start);
  stats.expected_visits.assign(visits.data(), visits.data() + n);
  stats.expected_rule_counts.resize(g.rule_count());
  std::vector<double> entropy_of(index.size(), 0.0);
  for (std::size_t r = 0; r < g.rule_count(); ++r) {
    const auto& rule = g.rules()[r];
    const double v = visits(index.index_of[rule.lhs]);
    stats.expected_rule_counts[r] = v * rule.probability;
    stats.expected_derivation_size += v * rule.probability;
    std::size_t terminals = 0;
    for (symbol_id s : rule.rhs) terminals += g.is_terminal(s) ? 1 : 0;
    stats.expected_length += v * rule.probability * static_cast<double>(terminals);
    if (rule.probability > 0.0) entropy_of[index.index_of[rule.lhs]] -= rule.probability * std::log2(rule.probability);
  }
  for (std::size_t a = 0; a < index.size(); ++a) stats.derivational_entropy_bits += visits(static_cast<Eigen::Index>(a)) * entropy_of[a];
  return stats;
}

}  // namespace induct::grammar
