#pragma once
// The Viterbi derivation: tau* = argmax_{tau : yield(tau) = w} P(tau), on the original grammar.
//
// Knuth's (1977) generalisation of Dijkstra's algorithm over weighted deduction items, with costs
// c = -log2 p >= 0 (so a popped item's cost is final):
//   complete  [A, i, j]     cost of the best A =>* w_i..w_{j-1}
//   dotted    [r, d, i, j]  best cost of the first d symbols of rule r over w_i..w_{j-1} (plus -log2 p(r))
//   axioms    [A -> eps, i, i] = -log2 p,   [r, 1, i, i+1] = -log2 p(r) if rhs_0 = w_i
//   combine   [r, d, i, j] + w_j = rhs_d                     -> [r, d+1, i, j+1]
//             [r, d, i, j] + [rhs_d, j, k]                   -> [r, d+1, i, k]       (costs add)
//             [B, i, k], rhs_0 of r = B                       -> [r, 1, i, k] + -log2 p(r)
//             [r, |r|, i, j]                                  -> [lhs r, i, j]
// Rules of any length, epsilon rules and unary cycles are exact: a cycle adds cost >= 0, so it never
// beats the item it starts from. Stops as soon as [S, 0, n] is popped. Strings up to 65535 tokens.
#include <limits>
#include <span>

#include "induct/core/linkage.hpp"
#include "induct/grammar/derivation.hpp"
#include "induct/grammar/pcfg.hpp"

namespace induct::grammar {

struct viterbi_result {
  bool found = false;             // false: the string has probability 0
  long double log2_probability = -std::numeric_limits<long double>::infinity();  // log2 P(tau*)
  derivation tree;                // tau* (empty if not found)
};

/// tau* for `w` (see the header comment); not found if P(w) = 0. induct::error for strings longer than
/// 65535 tokens or a grammar too large for the item encoding.
INDUCT_DECLARE viterbi_result viterbi_parse(const pcfg& g, std::span<const symbol_id> w);

}  // namespace induct::grammar

#if INDUCT_HEADER_ONLY
#include "induct/grammar/detail/viterbi_impl.hpp"
#endif
