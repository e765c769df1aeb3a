#pragma once
// Reflexive-transitive closure of a sparse nonnegative matrix with rho(P) < 1:
//
//   R = (I - P)^-1 = sum_{k >= 0} P^k,   R[a][b] = total weight of all paths a ->* b.
//
// Computed exactly (no truncated series) strongly-connected component by component, sinks first:
// for a component C with local inverse L_C = (I - P_CC)^-1 (dense, long double LU) and a in C,
//   R[a][.] = sum_{c in C} L_C[a][c] * (e_c + sum_{b not in C} P[c][b] * R[b][.]).
// Cost is dominated by the component sizes, so left-corner and unit closures of large, mostly acyclic
// grounded grammars stay cheap. Entries are returned only where a path exists (structural nonzeros).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/core/linkage.hpp"

namespace induct::grammar {

using sparse_row = std::vector<std::pair<std::uint32_t, long double>>;  // (column, value), sorted by column

/// `edges[a]` lists (b, P[a][b]) with P[a][b] > 0 (duplicates are added). Returns the rows of R;
/// grammar_error if R is not finite and nonnegative (rho(P) >= 1).
/// Memory: R can be dense where P is a chain (a_1 -> a_2 -> ... holds n^2 / 2 entries), so its entries
/// are bounded before rows are built (a component's row holds at most |C| plus the bounds of the
/// components it exits to, at most n) and, where the bound does not fit, counted as rows are built;
/// resource_error naming `relation` and the size once they would exceed `memory_limit_bytes` (default,
/// when negative: 80% of the memory available now), an entry counted as 2 sizeof(sparse_row::value_type)
/// (a row's capacity is up to twice its size).
INDUCT_DECLARE std::vector<sparse_row> closure_of(const std::vector<sparse_row>& edges,
                                                  const std::string& relation = "closure",
                                                  double memory_limit_bytes = -1.0);

}  // namespace induct::grammar

#if INDUCT_HEADER_ONLY
#include "induct/grammar/detail/closure_impl.hpp"
#endif
