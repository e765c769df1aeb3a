#pragma once
// Least fixed points over a grammar's rules, in time linear in the grammar's size:
//
//   all mode:  X = least set with  A in X  if some rule A -> X1..Xk has every Xi accepted
//   any mode:  X = least set with  A in X  if some rule A -> X1..Xk has some Xi accepted
//   Xi accepted  <=>  base(Xi) or Xi in X
// (productive: all, base = terminal; nullable: all, base = none; derives a non-empty string: any, base =
// terminal). Each rule counts its occurrences not yet accepted; adding A to X visits A's occurrences
// once, so a 20,000-long chain listed top-down costs 20,000 steps, not 20,000 passes over the rules.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "induct/grammar/pcfg.hpp"

namespace induct::grammar::fixed_point_detail {

/// By symbol id: 1 for the members of X (nonterminals only). `base(s)` says whether s is accepted outright.
template <class Base>
std::vector<char> least_closed_set(const pcfg& g, bool any, Base base) {
  const std::size_t n = g.symbol_count();
  std::vector<char> in(n, 0);
  std::vector<std::vector<std::uint32_t>> occurrences(n);  // symbol -> rules it occurs in (once per occurrence)
  std::vector<std::size_t> pending(g.rule_count(), 0);      // all mode: occurrences not yet accepted
  std::vector<symbol_id> queue;
  auto add = [&](symbol_id a) {
    if (in[a]) return;
    in[a] = 1;
    queue.push_back(a);
  };
  for (std::size_t r = 0; r < g.rule_count(); ++r) {
    const auto& rule = g.rules()[r];
    bool some = false;
    for (symbol_id s : rule.rhs) {
      if (base(s)) {
        some = true;
        continue;
      }
      ++pending[r];
      occurrences[s].push_back(static_cast<std::uint32_t>(r));
    }
    if (any ? some : pending[r] == 0) add(rule.lhs);
  }
  while (!queue.empty()) {
    const symbol_id a = queue.back();
    queue.pop_back();
    for (std::uint32_t r : occurrences[a])
      if (any || --pending[r] == 0) add(g.rules()[r].lhs);
  }
  return in;
}

}  // namespace induct::grammar::fixed_point_detail
