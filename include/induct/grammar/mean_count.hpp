#pragma once
// The mean-count matrix of a PCFG and the closed-form quantities it yields.
//
//   M[A][B] = sum_{A -> alpha} p(A -> alpha) * #B(alpha)    (expected B's in one expansion of A)
//   consistent (derivations finite, expected size finite)  <=>  rho(M) < 1
//   v = e_S^T (I - M)^-1                                    (expected number of expansions of each A)
//   E[count(A -> alpha)] = v[A] * p(A -> alpha)
//   H(tau) = sum_A v[A] * H(p(. | A))   bits                (derivational entropy)
//   E[|yield|] = sum_r E[count(r)] * #terminals(rhs r)
//
// Computed on the strongly connected components C of the dependency graph (A -> B when B occurs in a
// rule of A), numbered so that every edge goes to the same or a later component. M is then block upper
// triangular, so
//   rho(M) = max_C rho(M_CC)                     (a lone nonterminal: |M[A][A]|, 0 without a self-loop)
//   (I - M_CC)^T v_C = e_S|C + sum_{A in earlier components} v[A] M[A][C]   (component by component)
// A block of up to 256 nonterminals is dense: all eigenvalues, LU (O(|C|^3) time, O(|C|^2) memory, checked
// against the memory available before allocation). A larger block is sparse: rho(M_CC) is the upper
// Collatz-Wielandt bound max_i (Bx)_i / x_i >= rho >= min_i (Bx)_i / x_i (x > 0, M_CC irreducible) at an
// x driven to the Perron vector by power steps (to 8e-15 relative), then, if they close too slowly (long
// cycles), bisection on the M-matrix test "(tI - M_CC)^-1 1 > 0 iff t > rho" (to 1e-13, one sparse LU a
// step); v_C by BiCGSTAB (relative residual 1e-14), or sparse LU if that stalls.
// A 10,001-nonterminal chain is 10,001 blocks of one; a 10,001-nonterminal cycle one sparse block.
// mean_count_matrix and spectral_radius(matrix) are the dense forms of the whole matrix.
#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "induct/core/linkage.hpp"
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

/// M[A][B] = expected number of B's in the right side of one expansion of A, dense (n^2 doubles).
INDUCT_DECLARE Eigen::MatrixXd mean_count_matrix(const pcfg& g, const nonterminal_index& index);

/// rho(M) = max |eigenvalue| (0 for an empty matrix), dense.
INDUCT_DECLARE double spectral_radius(const Eigen::MatrixXd& m);

/// rho(M) of g's mean-count matrix, block by strongly connected component (see the header comment);
/// resource_error if one block's dense form does not fit in memory.
INDUCT_DECLARE double mean_count_spectral_radius(const pcfg& g);

/// Closed-form expectations of a consistent PCFG (see the header comment for the formulas).
struct grammar_statistics {
  double spectral_radius = 0.0;
  std::vector<double> expected_visits;       // by dense nonterminal index: E[# expansions of A]
  std::vector<double> expected_rule_counts;  // by rule index
  double derivational_entropy_bits = 0.0;    // H(tau) in bits
  double expected_length = 0.0;              // E[|yield|] in tokens
  double expected_derivation_size = 0.0;     // E[# rule applications]
};

/// Statistics of a proper PCFG, component by component; grammar_error (naming g.source()) if rho(M) >= 1
/// (expectations infinite).
INDUCT_DECLARE grammar_statistics compute_statistics(const pcfg& g);

}  // namespace induct::grammar

#if INDUCT_HEADER_ONLY
#include "induct/grammar/detail/mean_count_impl.hpp"
#endif
