#pragma once
// Strongly connected components of a directed graph given by adjacency rows (node v -> target(rows[v][i])),
// by Tarjan's algorithm with an explicit stack, so that a 10^5-long chain cannot overflow the call stack.
// Tarjan emits a component after every component reachable from it; `members` lists them reversed, in
// topological order: every edge goes from a component to itself or to a later one. O(nodes + edges).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <utility>
#include <vector>

namespace induct::grammar::scc_detail {

struct components {
  std::vector<std::int32_t> of;                    // node -> its component
  std::vector<std::vector<std::int32_t>> members;  // component -> its nodes, ascending; topological order
};

/// `rows[v]` holds v's out-edges; `target(edge)` is the node an edge points to.
template <class Rows, class Target>
components strongly_connected(const Rows& rows, Target target) {
  const std::size_t n = rows.size();
  std::vector<std::int32_t> order(n, -1), low(n, 0);
  std::vector<char> on_stack(n, 0);
  std::vector<std::int32_t> stack;
  std::vector<std::pair<std::int32_t, std::size_t>> calls;  // (node, next edge)
  std::vector<std::vector<std::int32_t>> emitted;
  std::int32_t counter = 0;
  auto visit = [&](std::int32_t v) {
    order[static_cast<std::size_t>(v)] = low[static_cast<std::size_t>(v)] = counter++;
    stack.push_back(v);
    on_stack[static_cast<std::size_t>(v)] = 1;
    calls.emplace_back(v, 0);
  };
  for (std::size_t root = 0; root < n; ++root) {
    if (order[root] >= 0) continue;
    visit(static_cast<std::int32_t>(root));
    while (!calls.empty()) {
      const auto v = static_cast<std::size_t>(calls.back().first);
      const std::size_t edge = calls.back().second;
      if (edge < rows[v].size()) {
        ++calls.back().second;
        const auto w = static_cast<std::size_t>(target(rows[v][edge]));
        if (order[w] < 0) visit(static_cast<std::int32_t>(w));
        else if (on_stack[w]) low[v] = std::min(low[v], order[w]);
        continue;
      }
      if (low[v] == order[v]) {
        std::vector<std::int32_t> component;
        std::int32_t w = -1;
        do {
          w = stack.back();
          stack.pop_back();
          on_stack[static_cast<std::size_t>(w)] = 0;
          component.push_back(w);
        } while (static_cast<std::size_t>(w) != v);
        std::sort(component.begin(), component.end());
        emitted.push_back(std::move(component));
      }
      calls.pop_back();
      if (!calls.empty()) {
        const auto u = static_cast<std::size_t>(calls.back().first);
        low[u] = std::min(low[u], low[v]);
      }
    }
  }
  components out;
  out.of.assign(n, -1);
  out.members.assign(std::make_move_iterator(emitted.rbegin()), std::make_move_iterator(emitted.rend()));
  for (std::size_t c = 0; c < out.members.size(); ++c)
    for (std::int32_t a : out.members[c]) out.of[static_cast<std::size_t>(a)] = static_cast<std::int32_t>(c);
  return out;
}

}  // namespace induct::grammar::scc_detail
