#pragma once
// Definitions for grammar/closure.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/LU>

#include "induct/core/error.hpp"
#include "induct/core/resources.hpp"
#include "induct/grammar/closure.hpp"

namespace induct::grammar {

INDUCT_DEFINE std::vector<sparse_row> closure_of(const std::vector<sparse_row>& edges, const std::string& relation,
                                                 double memory_limit_bytes) {
  const auto n = static_cast<std::uint32_t>(edges.size());
  // Tarjan's SCC algorithm, iterative; components come out sinks first.
  std::vector<std::int64_t> order(n, -1), low(n, 0);
  std::vector<char> on_stack(n, 0);
  std::vector<std::uint32_t> stack, component_of(n, 0);
  std::vector<std::vector<std::uint32_t>> components;
  std::int64_t counter = 0;
  struct frame {
    std::uint32_t node;
    std::size_t edge;
  };
  for (std::uint32_t root = 0; root < n; ++root) {
    if (order[root] >= 0) continue;
    std::vector<frame> call{{root, 0}};
    order[root] = low[root] = counter++;
    stack.push_back(root);
    on_stack[root] = 1;
    while (!call.empty()) {
      frame& f = call.back();
      if (f.edge < edges[f.node].size()) {
        const std::uint32_t next = edges[f.node][f.edge++].first;
        if (order[next] < 0) {
          order[next] = low[next] = counter++;
          stack.push_back(next);
          on_stack[next] = 1;
          call.push_back({next, 0});
        } else if (on_stack[next]) {
          low[f.node] = std::min(low[f.node], order[next]);
        }
        continue;
      }
      const std::uint32_t node = f.node;
      call.pop_back();
      if (!call.empty()) low[call.back().node] = std::min(low[call.back().node], low[node]);
      if (low[node] == order[node]) {
        std::vector<std::uint32_t> component;
        std::uint32_t member;
        do {
          member = stack.back();
          stack.pop_back();
          on_stack[member] = 0;
          component_of[member] = static_cast<std::uint32_t>(components.size());
          component.push_back(member);
        } while (member != node);
        std::sort(component.begin(), component.end());
        components.push_back(std::move(component));
      }
    }
  }

  // Entries of R bounded per component, sinks first: row(C) <= min(n, |C| + sum of row(D) over the distinct
  // components D that C's edges leave to); exact for chains, an overestimate where paths rejoin.
  if (memory_limit_bytes < 0) memory_limit_bytes = 0.8 * available_memory_bytes();
  // Bytes per entry as allocated: a row grown by emplace_back has up to twice its size in capacity.
  constexpr double entry_bytes = 2.0 * sizeof(sparse_row::value_type);
  std::vector<double> row_bound(components.size(), 0.0);
  std::vector<std::uint32_t> seen_by(components.size(), UINT32_MAX);
  double total_bound = 0;
  for (std::uint32_t c = 0; c < components.size(); ++c) {
    double bound = static_cast<double>(components[c].size());
    for (std::uint32_t member : components[c])
      for (const auto& [b, w] : edges[member]) {
        const std::uint32_t d = component_of[b];
        if (d != c && seen_by[d] != c) {
          seen_by[d] = c;
          bound += row_bound[d];
        }
      }
    row_bound[c] = std::min(bound, static_cast<double>(n));
    total_bound += static_cast<double>(components[c].size()) * row_bound[c];
  }
  const bool count_entries = total_bound * entry_bytes > memory_limit_bytes;
  double entries = 0;
  auto refuse = [&](double needed_entries) {
    throw resource_error(std::string("the ") + relation + " closure (I - P)^-1 over " + std::to_string(n) +
                             " nonterminals holds more than " + std::to_string(static_cast<std::uint64_t>(needed_entries)) +
                             " entries (" + bytes_text(needed_entries * entry_bytes) + ", at most " +
                             bytes_text(total_bound * entry_bytes) + " by its bound); the limit is " +
                             bytes_text(memory_limit_bytes) +
                             " (a long chain of first symbols A1 -> A2 ..., each left corner of the previous, "
                             "makes it dense)",
                         needed_entries * entry_bytes, memory_limit_bytes);
  };

  using matrix = Eigen::Matrix<long double, Eigen::Dynamic, Eigen::Dynamic>;
  std::vector<sparse_row> rows(n);
  std::vector<long double> dense(n, 0.0L);
  std::vector<char> touched_flag(n, 0);
  std::vector<std::uint32_t> touched;
  for (std::uint32_t c = 0; c < components.size(); ++c) {
    const auto& members = components[c];
    const auto k = static_cast<Eigen::Index>(members.size());
    auto local = [&](std::uint32_t node) {
      return static_cast<Eigen::Index>(std::lower_bound(members.begin(), members.end(), node) - members.begin());
    };
    matrix inside = matrix::Identity(k, k);
    for (Eigen::Index a = 0; a < k; ++a)
      for (const auto& [b, w] : edges[members[static_cast<std::size_t>(a)]])
        if (component_of[b] == c) inside(a, local(b)) -= w;
    const matrix local_inverse = inside.partialPivLu().inverse();
    // T[c'] = e_{c'} + sum_{b outside} P[c'][b] R[b], as sparse rows.
    std::vector<sparse_row> exits(members.size());
    for (std::size_t a = 0; a < members.size(); ++a) {
      touched.clear();
      auto add = [&](std::uint32_t column, long double value) {
        if (!touched_flag[column]) {
          touched_flag[column] = 1;
          touched.push_back(column);
        }
        dense[column] += value;
      };
      add(members[a], 1.0L);
      for (const auto& [b, w] : edges[members[a]])
        if (component_of[b] != c)
          for (const auto& [column, value] : rows[b]) add(column, w * value);
      std::sort(touched.begin(), touched.end());
      for (std::uint32_t column : touched) {
        exits[a].emplace_back(column, dense[column]);
        dense[column] = 0.0L;
        touched_flag[column] = 0;
      }
    }
    for (std::size_t a = 0; a < members.size(); ++a) {
      touched.clear();
      for (std::size_t b = 0; b < members.size(); ++b) {
        const long double weight = local_inverse(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b));
        if (weight == 0.0L) continue;
        for (const auto& [column, value] : exits[b]) {
          if (!touched_flag[column]) {
            touched_flag[column] = 1;
            touched.push_back(column);
          }
          dense[column] += weight * value;
        }
      }
      std::sort(touched.begin(), touched.end());
      entries += static_cast<double>(touched.size());
      if (count_entries && entries * entry_bytes > memory_limit_bytes) refuse(entries);
      for (std::uint32_t column : touched) {
        const long double value = dense[column];
        if (!(value >= 0.0L) || !std::isfinite(static_cast<double>(value)))
          throw grammar_error("closure (I - P)^-1 is not finite and nonnegative: the grammar's left-corner or unit "
                              "relation has spectral radius >= 1 (inconsistent grammar)");
        rows[members[a]].emplace_back(column, value);
        dense[column] = 0.0L;
        touched_flag[column] = 0;
      }
    }
  }
  return rows;
}

}  // namespace induct::grammar
