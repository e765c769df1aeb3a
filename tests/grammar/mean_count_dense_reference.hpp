#pragma once
// Dense reference for grammar/mean_count.hpp: the whole n x n mean-count matrix M, rho(M) from all of
// its eigenvalues and v = e_S^T (I - M)^-1 from one LU solve, with no components (the computation the
// library did before it worked block by block). O(n^2) memory, O(n^3) time: small grammars only.
#include <cmath>
#include <vector>

#include <Eigen/Dense>
#include <Eigen/Eigenvalues>

#include "induct/grammar/mean_count.hpp"
#include "induct/grammar/pcfg.hpp"

namespace induct_test {

struct dense_mean_counts {
  double spectral_radius = 0.0;
  std::vector<double> expected_visits;  // by dense nonterminal index; empty when rho >= 1
};

inline dense_mean_counts dense_reference(const induct::grammar::pcfg& g) {
  const induct::grammar::nonterminal_index index(g);
  const auto n = static_cast<Eigen::Index>(index.size());
  Eigen::MatrixXd m = Eigen::MatrixXd::Zero(n, n);
  for (const auto& r : g.rules())
    for (auto s : r.rhs)
      if (g.is_nonterminal(s)) m(index.index_of[r.lhs], index.index_of[s]) += r.probability;
  dense_mean_counts out;
  if (n > 0) {
    Eigen::EigenSolver<Eigen::MatrixXd> solver(m, false);
    out.spectral_radius = solver.eigenvalues().cwiseAbs().maxCoeff();
  }
  if (!(out.spectral_radius < 1.0)) return out;
  Eigen::VectorXd e_start = Eigen::VectorXd::Zero(n);
  e_start(index.index_of[g.start()]) = 1.0;
  const Eigen::VectorXd v = (Eigen::MatrixXd::Identity(n, n) - m).transpose().partialPivLu().solve(e_start);
  out.expected_visits.assign(v.data(), v.data() + n);
  return out;
}

}  // namespace induct_test
