#pragma once
// Definitions for grammar/mean_count.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

// Only the modules used (EigenSolver, partialPivLu, SparseLU, BiCGSTAB), not Eigen/Dense and Eigen/Sparse: every
// includer of the umbrella in header-only mode parses them.
#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <Eigen/IterativeLinearSolvers>
#include <Eigen/LU>
#include <Eigen/SparseCore>
#include <Eigen/SparseLU>

#include "induct/core/error.hpp"
#include "induct/core/resources.hpp"
#include "induct/grammar/detail/components.hpp"
#include "induct/grammar/detail/messages.hpp"
#include "induct/grammar/mean_count.hpp"
#include "induct/grammar/pcfg.hpp"

namespace induct::grammar {

namespace mean_count_detail {

/// M by rows: rows[A] holds (B, M[A][B]) for each B occurring in a rule of A, sorted by B.
using sparse_rows = std::vector<std::vector<std::pair<std::int32_t, double>>>;

INDUCT_DETAIL sparse_rows mean_count_rows(const pcfg& g, const nonterminal_index& index) {
  sparse_rows rows(index.size());
  for (const auto& r : g.rules())
    for (symbol_id s : r.rhs)
      if (g.is_nonterminal(s)) rows[static_cast<std::size_t>(index.index_of[r.lhs])].emplace_back(index.index_of[s], r.probability);
  for (auto& row : rows) {
    // stable: equal columns are summed in rule order, as the dense matrix sums them (same bits)
    std::stable_sort(row.begin(), row.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    std::size_t kept = 0;
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (kept > 0 && row[kept - 1].first == row[i].first) row[kept - 1].second += row[i].second;
      else row[kept++] = row[i];
    }
    row.resize(kept);
  }
  return rows;
}

/// The strongly connected components of the graph A -> B, M[A][B] > 0.
INDUCT_DETAIL scc_detail::components components_of(const sparse_rows& rows) {
  return scc_detail::strongly_connected(rows, [](const auto& entry) { return entry.first; });
}

/// M[a][a] (0 without a self-loop).
INDUCT_DETAIL double self_loop(const sparse_rows& rows, std::int32_t a) {
  for (const auto& [b, m] : rows[static_cast<std::size_t>(a)])
    if (b == a) return m;
  return 0.0;
}

/// The dense block M_CC of one component (rows and columns in the order of `members`).
INDUCT_DETAIL Eigen::MatrixXd dense_block(const pcfg& g, const sparse_rows& rows, const scc_detail::components& parts, std::size_t c) {
  const auto& members = parts.members[c];
  const auto k = static_cast<Eigen::Index>(members.size());
  // block, eigen solver's Hessenberg and Schur forms, LU: a few k x k matrices
  std::string what = message_detail::where(g);
  what += "the mean-count block of ";
  what += std::to_string(members.size());
  what += " mutually recursive nonterminals";
  require_memory(6.0 * static_cast<double>(k) * static_cast<double>(k) * sizeof(double), what);
  Eigen::MatrixXd block = Eigen::MatrixXd::Zero(k, k);
  for (Eigen::Index i = 0; i < k; ++i)
    for (const auto& [b, m] : rows[static_cast<std::size_t>(members[static_cast<std::size_t>(i)])]) {
      if (parts.of[static_cast<std::size_t>(b)] != static_cast<std::int32_t>(c)) continue;
      const auto j = std::lower_bound(members.begin(), members.end(), b) - members.begin();
      block(i, j) = m;
    }
  return block;
}

/// Above this many nonterminals a component is handled sparse (k^3 dense work would take minutes).
inline constexpr std::size_t dense_block_limit = 256;

/// The block M_CC of one component as a sparse matrix (rows and columns in the order of `members`).
INDUCT_DETAIL Eigen::SparseMatrix<double> sparse_block(const sparse_rows& rows, const scc_detail::components& parts, std::size_t c) {
  const auto& members = parts.members[c];
  std::vector<Eigen::Triplet<double>> entries;
  for (std::size_t i = 0; i < members.size(); ++i)
    for (const auto& [b, m] : rows[static_cast<std::size_t>(members[i])]) {
      if (parts.of[static_cast<std::size_t>(b)] != static_cast<std::int32_t>(c)) continue;
      const auto j = std::lower_bound(members.begin(), members.end(), b) - members.begin();
      entries.emplace_back(static_cast<int>(i), static_cast<int>(j), m);
    }
  const auto k = static_cast<Eigen::Index>(members.size());
  Eigen::SparseMatrix<double> block(k, k);
  block.setFromTriplets(entries.begin(), entries.end());
  return block;
}

/// Collatz-Wielandt bounds at x > 0: min_i (Bx)_i / x_i <= rho(B) <= max_i (Bx)_i / x_i (B irreducible).
INDUCT_DETAIL std::pair<double, double> collatz_wielandt(const Eigen::SparseMatrix<double>& b, const Eigen::VectorXd& x) {
  const Eigen::VectorXd q = (b * x).cwiseQuotient(x);
  return {q.minCoeff(), q.maxCoeff()};
}

/// rho of an irreducible nonnegative block, as an upper bound sigma closed onto a lower bound:
///   1. power steps x <- (B + s I) x / max (primitive, O(nnz) a step), with the Collatz-Wielandt bounds at
///      x, until they agree to 8e-15 (rounding) or close by less than 10x in 50 steps (a narrow gap);
///   2. if they are still 1e-13 apart (long cycles: eigenvalues all around the circle |z| = rho), bisection
///      on the M-matrix test: for t > rho, y = (tI - B)^-1 1 > 0 and the ratios (By)_i / y_i = t - 1/y_i
///      give [t - 1/min y, t - 1/max y]; for t < rho no positive y exists (Collatz-Wielandt), so rho > t.
///      One sparse LU a step, at least halving the interval.
/// x (or y) is only used when positive and finite, so sigma is always an upper bound of rho.
INDUCT_DETAIL double perron_root(const Eigen::SparseMatrix<double>& b) {
  const Eigen::Index k = b.rows();
  Eigen::VectorXd x = Eigen::VectorXd::Ones(k);
  auto [lower, sigma] = collatz_wielandt(b, x);
  auto converged = [&](double tolerance) { return sigma - lower <= tolerance * sigma; };
  const double shift = sigma;
  double gap_before = sigma - lower;
  for (int step = 1; step <= 2000 && !converged(8e-15); ++step) {  // 8e-15: a few roundings of the ratios
    Eigen::VectorXd y = b * x + shift * x;
    y /= y.maxCoeff();
    if (!y.allFinite() || !(y.array() > 0.0).all()) break;
    x = y;
    const auto [l, u] = collatz_wielandt(b, x);
    lower = std::max(lower, l);
    sigma = std::min(sigma, u);
    if (step % 50 == 0) {  // closing by less than 10x in 50 steps: a narrow gap, left to the bisection
      if (!(sigma - lower < 0.1 * gap_before)) break;
      gap_before = sigma - lower;
    }
  }
  Eigen::SparseMatrix<double> identity(k, k);
  identity.setIdentity();
  const Eigen::VectorXd ones = Eigen::VectorXd::Ones(k);
  Eigen::SparseLU<Eigen::SparseMatrix<double>> lu;
  for (int step = 0; step < 64 && !converged(1e-13); ++step) {
    const double t = 0.5 * (lower + sigma);
    if (!(t > lower && t < sigma)) break;
    const Eigen::SparseMatrix<double> shifted = t * identity - b;
    lu.compute(shifted);
    if (lu.info() != Eigen::Success) {  // singular: t is an eigenvalue, so rho >= t
      lower = t;
      continue;
    }
    const Eigen::VectorXd y = lu.solve(ones);
    if (lu.info() == Eigen::Success && y.allFinite() && (y.array() > 0.0).all()) {
      sigma = std::min(sigma, t - 1.0 / y.maxCoeff());
      lower = std::max(lower, t - 1.0 / y.minCoeff());
    } else {
      lower = t;
    }
  }
  return sigma;
}

/// max_C rho(M_CC).
INDUCT_DETAIL double block_spectral_radius(const pcfg& g, const sparse_rows& rows, const scc_detail::components& parts) {
  double rho = 0.0;
  for (std::size_t c = 0; c < parts.members.size(); ++c) {
    const auto& members = parts.members[c];
    double block_rho = 0.0;
    if (members.size() == 1) block_rho = std::abs(self_loop(rows, members[0]));
    else if (members.size() <= dense_block_limit) block_rho = spectral_radius(dense_block(g, rows, parts, c));
    else block_rho = perron_root(sparse_block(rows, parts, c));
    rho = std::max(rho, block_rho);
  }
  return rho;
}

}  // namespace mean_count_detail

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

INDUCT_DEFINE double mean_count_spectral_radius(const pcfg& g) {
  const nonterminal_index index(g);
  const auto rows = mean_count_detail::mean_count_rows(g, index);
  return mean_count_detail::block_spectral_radius(g, rows, mean_count_detail::components_of(rows));
}

INDUCT_DEFINE grammar_statistics compute_statistics(const pcfg& g) {
  using namespace mean_count_detail;
  const nonterminal_index index(g);
  const auto rows = mean_count_rows(g, index);
  const auto parts = components_of(rows);
  grammar_statistics stats;
  stats.spectral_radius = block_spectral_radius(g, rows, parts);
  if (!(stats.spectral_radius < 1.0)) {
    std::string message = message_detail::where(g);
    message += "inconsistent grammar: spectral radius of the mean-count matrix is ";
    message += message_detail::number_text(stats.spectral_radius);
    message += " >= 1, so expected derivation sizes are infinite";
    throw grammar_error(message);
  }
  // v^T (I - M) = e_S^T, component by component: inflow[B] = [B == S] + sum over earlier A of v[A] M[A][B]
  std::vector<double> visits(index.size(), 0.0), inflow(index.size(), 0.0);
  inflow[static_cast<std::size_t>(index.index_of[g.start()])] = 1.0;
  for (std::size_t c = 0; c < parts.members.size(); ++c) {
    const auto& members = parts.members[c];
    if (members.size() == 1) {
      const auto a = static_cast<std::size_t>(members[0]);
      visits[a] = inflow[a] / (1.0 - self_loop(rows, members[0]));
    } else {
      const auto k = static_cast<Eigen::Index>(members.size());
      Eigen::VectorXd right(k);
      for (Eigen::Index i = 0; i < k; ++i) right(i) = inflow[static_cast<std::size_t>(members[static_cast<std::size_t>(i)])];
      Eigen::VectorXd solution;
      if (members.size() <= dense_block_limit) {
        const Eigen::MatrixXd system = (Eigen::MatrixXd::Identity(k, k) - dense_block(g, rows, parts, c)).transpose();
        solution = system.partialPivLu().solve(right);
      } else {
        Eigen::SparseMatrix<double> identity(k, k);
        identity.setIdentity();
        const Eigen::SparseMatrix<double> system = Eigen::SparseMatrix<double>(identity - sparse_block(rows, parts, c)).transpose();
        // Krylov first (O(nnz) a step; fill-in makes LU slow on well-connected blocks), sparse LU if it stalls
        Eigen::BiCGSTAB<Eigen::SparseMatrix<double>> krylov;
        krylov.setTolerance(1e-14);
        krylov.setMaxIterations(1000);
        krylov.compute(system);
        solution = krylov.solve(right);
        if (krylov.info() != Eigen::Success || !solution.allFinite()) {
          Eigen::SparseLU<Eigen::SparseMatrix<double>> lu(system);
          if (lu.info() != Eigen::Success) throw grammar_error(message_detail::where(g) + "mean counts: singular system (I - M)");
          solution = lu.solve(right);
        }
      }
      for (Eigen::Index i = 0; i < k; ++i) visits[static_cast<std::size_t>(members[static_cast<std::size_t>(i)])] = solution(i);
    }
    for (std::int32_t a : members)
      for (const auto& [b, m] : rows[static_cast<std::size_t>(a)])
        if (parts.of[static_cast<std::size_t>(b)] != static_cast<std::int32_t>(c))
          inflow[static_cast<std::size_t>(b)] += visits[static_cast<std::size_t>(a)] * m;
  }
  stats.expected_visits = visits;
  stats.expected_rule_counts.resize(g.rule_count());
  std::vector<double> entropy_of(index.size(), 0.0);
  for (std::size_t r = 0; r < g.rule_count(); ++r) {
    const auto& rule = g.rules()[r];
    const auto a = static_cast<std::size_t>(index.index_of[rule.lhs]);
    const double v = visits[a];
    stats.expected_rule_counts[r] = v * rule.probability;
    stats.expected_derivation_size += v * rule.probability;
    std::size_t terminals = 0;
    for (symbol_id s : rule.rhs) terminals += g.is_terminal(s) ? 1 : 0;
    stats.expected_length += v * rule.probability * static_cast<double>(terminals);
    if (rule.probability > 0.0) entropy_of[a] -= rule.probability * std::log2(rule.probability);
  }
  for (std::size_t a = 0; a < index.size(); ++a) stats.derivational_entropy_bits += visits[a] * entropy_of[a];
  return stats;
}

}  // namespace induct::grammar
