#pragma once
// Exact epsilon elimination.
//
// Null probabilities e_A = P(A =>* eps) are the least solution of the polynomial system
//   e_A = sum_{A -> X1..Xk} p(A -> X1..Xk) * prod_i e_{Xi}        (e_t = 0 for a terminal t),
// found by Newton's method from e = 0 (monotone, converges to the least fixed point; Esparza et al. 2010),
// iterated in long double to full precision. A nonterminal that derives no non-empty string has e_A = 1.
// The system is solved per strongly connected component of "A's rules use B", the components A depends
// on first (decomposed Newton), so the Jacobian is only as large as the largest component (its dense
// long double form is checked against the memory available: resource_error before allocation).
//
// The epsilon-free grammar G' has the same nonterminals with rules, for each A -> X1..Xk and each way of
// dropping a set D of nullable nonterminal occurrences (keeping at least one symbol),
//   p'(A -> X_kept) = p * prod_{B in D} e_B * prod_{kept nonterminals B} (1 - e_B) / (1 - e_A),
// so that P'(A =>* w) = P(A =>* w) / (1 - e_A) for every non-empty w: string probabilities are identical up
// to the factor (1 - e_S) and P(eps) = e_S is kept separately. Duplicate results are merged (probabilities add).
#include <cstddef>
#include <vector>

#include "induct/core/linkage.hpp"
#include "induct/grammar/pcfg.hpp"

namespace induct::grammar {

/// A rule with a long double probability (rules of derived grammars such as G').
struct weighted_rule {
  symbol_id lhs;
  std::vector<symbol_id> rhs;
  long double probability;
};

/// e_A = P(A =>* eps) by symbol id (0 for terminals). `g` must be validated.
INDUCT_DECLARE std::vector<long double> null_probabilities(const pcfg& g);

/// The epsilon-free grammar G' (see the header comment) and P(S =>* eps).
struct epsilon_free_grammar {
  std::vector<weighted_rule> rules;              // no empty right sides; symbol ids as in the source grammar
  std::vector<long double> null_probability;     // e_A by symbol id
  long double start_null_probability = 0.0L;     // e_S = P(empty string)
};

/// Limit on nullable occurrences in one rule (2^k right sides are generated for k of them).
inline constexpr std::size_t max_nullable_occurrences_per_rule = 20;

/// G' and e of a validated `g` (see the header comment); grammar_error if a rule has more than
/// max_nullable_occurrences_per_rule nullable symbols.
INDUCT_DECLARE epsilon_free_grammar eliminate_epsilon(const pcfg& g);

/// By rule index: how many right-side occurrences eliminate_epsilon would keep-or-drop (nonterminals that
/// derive both eps and a non-empty string, 0 < e < 1), decided exactly by fixed points (no arithmetic;
/// where e rounds to 0 or 1 the count is larger, never smaller); 0 for a rule whose left side derives
/// only eps. validate refuses a rule above max_nullable_occurrences_per_rule with it.
INDUCT_DECLARE std::vector<std::size_t> nullable_occurrences(const pcfg& g);

}  // namespace induct::grammar

#if INDUCT_HEADER_ONLY
#include "induct/grammar/detail/epsilon_free_impl.hpp"
#endif
