#pragma once
// Definitions for grammar/viterbi.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <queue>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/grammar/derivation.hpp"
#include "induct/grammar/pcfg.hpp"
#include "induct/grammar/viterbi.hpp"

namespace induct::grammar {

INDUCT_DEFINE viterbi_result viterbi_parse(const pcfg& g, std::span<const symbol_id> w) {
  if (w.size() > 65535) throw error("viterbi_parse: strings longer than 65535 tokens are not supported");
  const auto n = static_cast<std::uint32_t>(w.size());
  std::uint32_t max_length = 0;
  for (const auto& r : g.rules()) max_length = std::max<std::uint32_t>(max_length, static_cast<std::uint32_t>(r.rhs.size()));
  const std::uint64_t stride = max_length + 1;
  if (viterbi_key_count(g) >= max_viterbi_keys)
    throw error("viterbi_parse: grammar too large for the item encoding");

  struct node {
    long double cost;
    std::uint32_t rule;   // rule that built it (complete: its last rule; dotted: its rule)
    std::uint32_t dot;    // dotted: symbols matched; complete: rule length
    std::uint32_t start, end;
    std::int64_t previous;  // dotted node for the first dot-1 symbols, -1 if none
    std::int64_t child;     // complete node for the last matched symbol, -1 for a terminal or none
    bool complete;
    bool final;
    symbol_id symbol;     // complete: the nonterminal
  };
  std::vector<node> nodes;
  std::unordered_map<std::uint64_t, std::uint32_t> index;
  auto complete_key = [&](symbol_id a, std::uint32_t i, std::uint32_t j) {
    return (std::uint64_t{1} << 63) | (static_cast<std::uint64_t>(a) << 32) | (static_cast<std::uint64_t>(i) << 16) | j;
  };
  auto dotted_key = [&](std::uint32_t r, std::uint32_t d, std::uint32_t i, std::uint32_t j) {
    return ((static_cast<std::uint64_t>(r) * stride + d) << 32) | (static_cast<std::uint64_t>(i) << 16) | j;
  };
  auto pair_key = [](symbol_id a, std::uint32_t position) { return (static_cast<std::uint64_t>(a) << 32) | position; };
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> waiting;         // (B, j) -> dotted nodes ending at j wanting B
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> complete_from;   // (B, i) -> final complete nodes starting at i
  std::vector<std::vector<std::uint32_t>> rules_by_first(g.symbol_count());
  for (std::uint32_t r = 0; r < g.rule_count(); ++r)
    if (!g.rules()[r].rhs.empty() && g.is_nonterminal(g.rules()[r].rhs[0])) rules_by_first[g.rules()[r].rhs[0]].push_back(r);
  std::vector<long double> rule_cost(g.rule_count());
  for (std::uint32_t r = 0; r < g.rule_count(); ++r) rule_cost[r] = -std::log2(static_cast<long double>(g.rules()[r].probability));

  using entry = std::pair<long double, std::uint32_t>;
  std::priority_queue<entry, std::vector<entry>, std::greater<>> agenda;

  // Offers rule r advanced to `dot` symbols over [i, j) with the given cost and back pointers.
  auto offer = [&](std::uint32_t r, std::uint32_t dot, std::uint32_t i, std::uint32_t j, long double cost,
                   std::int64_t previous, std::int64_t child) {
    const auto& rule = g.rules()[r];
    const bool complete = dot == rule.rhs.size();
    const std::uint64_t k = complete ? complete_key(rule.lhs, i, j) : dotted_key(r, dot, i, j);
    auto [it, inserted] = index.emplace(k, static_cast<std::uint32_t>(nodes.size()));
    if (inserted) {
      nodes.push_back(node{cost, r, dot, i, j, previous, child, complete, false, rule.lhs});
    } else {
      node& existing = nodes[it->second];
      if (existing.final || !(cost < existing.cost)) return;
      existing.cost = cost;
      existing.rule = r;
      existing.dot = dot;
      existing.previous = previous;
      existing.child = child;
    }
    agenda.emplace(cost, it->second);
  };

  for (std::uint32_t r = 0; r < g.rule_count(); ++r) {
    const auto& rule = g.rules()[r];
    if (rule.rhs.empty()) {
      for (std::uint32_t i = 0; i <= n; ++i) offer(r, 0, i, i, rule_cost[r], -1, -1);
    } else if (g.is_terminal(rule.rhs[0])) {
      for (std::uint32_t i = 0; i < n; ++i)
        if (w[i] == rule.rhs[0]) offer(r, 1, i, i + 1, rule_cost[r], -1, -1);
    }
  }

  const symbol_id start = g.start();
  std::int64_t goal = -1;
  while (!agenda.empty()) {
    const auto [cost, id] = agenda.top();
    agenda.pop();
    if (nodes[id].final || cost != nodes[id].cost) continue;
    nodes[id].final = true;
    const node x = nodes[id];
    if (x.complete) {
      if (x.symbol == start && x.start == 0 && x.end == n) {
        goal = id;
        break;
      }
      if (auto it = waiting.find(pair_key(x.symbol, x.start)); it != waiting.end())
        for (std::uint32_t d : it->second) {
          const node& y = nodes[d];
          offer(y.rule, y.dot + 1, y.start, x.end, y.cost + x.cost, d, id);
        }
      for (std::uint32_t r : rules_by_first[x.symbol]) offer(r, 1, x.start, x.end, rule_cost[r] + x.cost, -1, id);
      complete_from[pair_key(x.symbol, x.start)].push_back(id);
    } else {
      const symbol_id next = g.rules()[x.rule].rhs[x.dot];
      if (g.is_terminal(next)) {
        if (x.end < n && w[x.end] == next) offer(x.rule, x.dot + 1, x.start, x.end + 1, x.cost, id, -1);
      } else {
        waiting[pair_key(next, x.end)].push_back(id);
        if (auto it = complete_from.find(pair_key(next, x.end)); it != complete_from.end())
          for (std::uint32_t c : it->second) offer(x.rule, x.dot + 1, x.start, nodes[c].end, x.cost + nodes[c].cost, id, c);
      }
    }
  }
  viterbi_result result;
  if (goal < 0) return result;
  result.found = true;
  result.log2_probability = -nodes[static_cast<std::size_t>(goal)].cost;
  // Preorder rules: pop a complete node, emit its rule, push its nonterminal children right to left.
  std::vector<std::int64_t> stack{goal};
  std::vector<std::int64_t> children;
  while (!stack.empty()) {
    const node& x = nodes[static_cast<std::size_t>(stack.back())];
    stack.pop_back();
    result.tree.rules.push_back(x.rule);
    children.clear();  // right to left
    for (std::int64_t child = x.child, previous = x.previous;;) {
      if (child >= 0) children.push_back(child);
      if (previous < 0) break;
      child = nodes[static_cast<std::size_t>(previous)].child;
      previous = nodes[static_cast<std::size_t>(previous)].previous;
    }
    for (std::int64_t c : children) stack.push_back(c);  // rightmost pushed first, leftmost on top
  }
  return result;
}

}  // namespace induct::grammar
