#pragma once
// Definitions for grammar/mean_count.hpp (see induct/core/linkage.hpp for the two modes).
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Dense>
#include <Eigen/Eigenvalues>

#include "induct/core/error.hpp"
#include "induct/grammar/mean_count.hpp"
#include "induct/grammar/pcfg.hpp"

namespace induct::grammar {

INDUCT_DEFINE Eigen::MatrixXd mean_count_matrix(const pcfg& g, const nonterminal_index& index) {
  const auto n = static_cast<Eigen::Index>(index.size());
  Eigen::MatrixXd m = Eigen::MatrixXd::Zero(n, n);
  for (const auto& r : g.rules())
    for (symbol_id s : r.rhs)
      if (g.is_nonterminal(s)) m(index.index_of[r.lhs], index.index_of[s]) += r.probability;
  return m;
}

INDUCT_DEFINE double spectral_radius(const Eigen::MatrixXd& m) {
  if (m.rows() == 0) return 0.0;
  Eigen::EigenSolver<Eigen::MatrixXd> solver(m, /*computeEigenvectors=*/false);
  if (solver.info() != Eigen::Success) throw grammar_error("eigenvalue computation of the mean-count matrix failed");
  return solver.eigenvalues().cwiseAbs().maxCoeff();
}

INDUCT_DEFINE grammar_statistics compute_statistics(const pcfg& g) {
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
