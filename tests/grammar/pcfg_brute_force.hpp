#pragma once
// Brute-force reference for finite (acyclic) grammars: the exact yield distribution of every symbol,
// summing (or maximising) over all derivations by direct recursion, independent of Earley and Knuth.
#include <algorithm>
#include <map>
#include <vector>

#include "induct/grammar/pcfg.hpp"

namespace induct_test {

using induct::grammar::pcfg;
using induct::grammar::symbol_id;
using yield_distribution = std::map<std::vector<symbol_id>, long double>;

/// P(A =>* w) for all w (max over derivations when `viterbi`), for an acyclic grammar.
inline yield_distribution enumerate_yields(const pcfg& g, symbol_id a, bool viterbi,
                                           std::map<symbol_id, yield_distribution>& memo) {
  if (g.is_terminal(a)) return {{{a}, 1.0L}};
  if (auto it = memo.find(a); it != memo.end()) return it->second;
  yield_distribution out;
  for (std::size_t r : g.rules_of(a)) {
    const auto& rule = g.rules()[r];
    yield_distribution partial{{{}, static_cast<long double>(rule.probability)}};
    for (symbol_id s : rule.rhs) {
      const yield_distribution child = enumerate_yields(g, s, viterbi, memo);
      yield_distribution next;
      for (const auto& [left, p] : partial)
        for (const auto& [right, q] : child) {
          std::vector<symbol_id> joined = left;
          joined.insert(joined.end(), right.begin(), right.end());
          long double& slot = next[joined];
          slot = viterbi ? std::max(slot, p * q) : slot + p * q;
        }
      partial = std::move(next);
    }
    for (const auto& [w, p] : partial) {
      long double& slot = out[w];
      slot = viterbi ? std::max(slot, p) : slot + p;
    }
  }
  memo[a] = out;
  return out;
}

inline yield_distribution string_distribution(const pcfg& g, bool viterbi = false) {
  std::map<symbol_id, yield_distribution> memo;
  return enumerate_yields(g, g.start(), viterbi, memo);
}

/// P(prefix ...) = sum of P(w) over the strings w starting with `prefix`.
inline long double prefix_mass(const yield_distribution& d, const std::vector<symbol_id>& prefix) {
  long double sum = 0.0L;
  for (const auto& [w, p] : d)
    if (w.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), w.begin())) sum += p;
  return sum;
}

}  // namespace induct_test
