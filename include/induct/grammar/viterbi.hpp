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
#include <algorithm>
#include <cstdint>
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

/// Items are keyed in 31 bits by (rule or symbol) * (longest right side + 1) + dot, so a grammar needs
/// viterbi_key_count(g) < max_viterbi_keys; validate refuses one that does not.
inline constexpr std::uint64_t max_viterbi_keys = std::uint64_t{1} << 31;

/// (rule_count + symbol_count) * (longest right side + 1).
inline std::uint64_t viterbi_key_count(const pcfg& g) {
  std::uint64_t longest = 0;
  for (const auto& r : g.rules()) longest = std::max<std::uint64_t>(longest, r.rhs.size());
  return static_cast<std::uint64_t>(g.rule_count() + g.symbol_count()) * (longest + 1);
}

/// tau* for `w` (see the header comment); not found if P(w) = 0. induct::error for strings longer than
/// 65535 tokens or a grammar with viterbi_key_count(g) >= max_viterbi_keys.
INDUCT_DECLARE viterbi_result viterbi_parse(const pcfg& g, std::span<const symbol_id> w);

}  // namespace induct::grammar

#if INDUCT_HEADER_ONLY
#include "induct/grammar/detail/viterbi_impl.hpp"
#endif
