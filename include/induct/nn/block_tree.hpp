#pragma once
// A fixed binary summation tree over block indices 0..n-1, so that a sum of per-block values (gradients,
// loss numerators) has the same rounding however the blocks are spread over threads or processes:
//   node (level k, index j) covers blocks [j 2^k, min((j + 1) 2^k, n));  leaves are level 0 (one block);
//   sum(k, j) = sum(k-1, 2j) + sum(k-1, 2j+1)   when the right child covers a block,
//             = sum(k-1, 2j)                     otherwise (no addition);
//   the root is (K, 0) with K = ceil(log2 n).
// Floating-point addition is commutative, so every node's value is a function of its blocks alone: a
// process that owns a contiguous range of blocks sums the maximal nodes inside it (maximal_nodes), and
// any process holding every range's nodes finishes the tree (combine_tree_nodes) with the very additions
// of a single process that summed from the leaves (tree_node_sum).
// Cost: n - 1 additions of a value for n blocks; depth-first summation holds level + 1 values at once.
#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "induct/core/error.hpp"

namespace induct::nn {

struct tree_node {
  int level = 0;
  std::int64_t index = 0;
  friend bool operator==(const tree_node&, const tree_node&) = default;
};

/// Blocks [first, last) (a half-open range).
struct block_range {
  std::int64_t first = 0;
  std::int64_t last = 0;
};

/// K = ceil(log2 blocks), the root's level (0 for one block). blocks >= 1.
inline int tree_height(std::int64_t blocks) {
  if (blocks < 1) throw error("block tree: needs at least one block, got " + std::to_string(blocks));
  int k = 0;
  while ((std::int64_t{1} << k) < blocks) ++k;
  return k;
}

inline tree_node tree_root(std::int64_t blocks) { return {tree_height(blocks), 0}; }

/// The blocks node covers, clipped to [0, blocks) (empty when it starts past the end).
inline block_range node_blocks(std::int64_t blocks, tree_node node) {
  const std::int64_t first = node.index << node.level;
  return {std::min(first, blocks), std::min(first + (std::int64_t{1} << node.level), blocks)};
}

/// The contiguous blocks of `rank` among `ranks`: [blocks r / R, blocks (r + 1) / R), so every block has
/// one owner, in rank order (a rank may own none when ranks > blocks).
inline block_range rank_blocks(std::int64_t blocks, int ranks, int rank) {
  if (ranks < 1 || rank < 0 || rank >= ranks)
    throw error("block tree: rank " + std::to_string(rank) + " outside [0, " + std::to_string(ranks) + ")");
  return {blocks * rank / ranks, blocks * (rank + 1) / ranks};
}

/// The maximal tree nodes whose blocks lie in [range.first, range.last), left to right: they cover the
/// range exactly once (none for an empty range).
inline std::vector<tree_node> maximal_nodes(std::int64_t blocks, block_range range) {
  const int height = tree_height(blocks);
  std::vector<tree_node> nodes;
  for (std::int64_t position = range.first; position < range.last;) {
    int level = 0;  // grow while the node stays aligned, inside the tree and inside the range
    while (level < height && position % (std::int64_t{1} << (level + 1)) == 0 &&
           std::min(position + (std::int64_t{1} << (level + 1)), blocks) <= range.last)
      ++level;
    nodes.push_back({level, position >> level});
    position = node_blocks(blocks, nodes.back()).last;
  }
  return nodes;
}

namespace detail {
template <class Value, class Leaf, class Add>
void tree_node_sum_into(std::int64_t blocks, tree_node node, Value& out, std::vector<Value>& scratch, Leaf& leaf,
                        Add& add) {
  if (node.level == 0) {
    leaf(node.index, out);
    return;
  }
  const tree_node left{node.level - 1, 2 * node.index}, right{node.level - 1, 2 * node.index + 1};
  tree_node_sum_into(blocks, left, out, scratch, leaf, add);
  if (node_blocks(blocks, right).first < blocks) {
    Value& right_sum = scratch[static_cast<std::size_t>(node.level - 1)];  // levels below use lower slots
    tree_node_sum_into(blocks, right, right_sum, scratch, leaf, add);
    add(out, right_sum);
  }
}
}  // namespace detail

/// Sets `out` to node's sum, depth-first: leaf(block, out) sets `out` to that block's value, add(into,
/// from) does into += from. `scratch` gets node.level values (kept between calls to reuse their storage).
template <class Value, class Leaf, class Add>
void tree_node_sum(std::int64_t blocks, tree_node node, Value& out, std::vector<Value>& scratch, Leaf&& leaf,
                   Add&& add) {
  if (scratch.size() < static_cast<std::size_t>(node.level)) scratch.resize(static_cast<std::size_t>(node.level));
  detail::tree_node_sum_into(blocks, node, out, scratch, leaf, add);
}

/// Finishes the tree from node sums that cover every block once (the ranks' maximal_nodes, in any order):
/// values[i] is nodes[i]'s sum. Returns the index of the value that now holds the root's sum; the others
/// are consumed (added into). Error when the nodes do not cover the blocks.
template <class Value, class Add>
std::size_t combine_tree_nodes(std::int64_t blocks, std::span<const tree_node> nodes, std::span<Value> values,
                               Add&& add) {
  if (nodes.size() != values.size()) throw error("block tree: one value per node needed");
  auto evaluate = [&](auto& self, tree_node node) -> std::size_t {
    if (const auto it = std::find(nodes.begin(), nodes.end(), node); it != nodes.end())
      return static_cast<std::size_t>(it - nodes.begin());
    if (node.level == 0)
      throw error("block tree: no node sum covers block " + std::to_string(node.index));
    const tree_node left{node.level - 1, 2 * node.index}, right{node.level - 1, 2 * node.index + 1};
    const std::size_t sum = self(self, left);
    if (node_blocks(blocks, right).first < blocks) add(values[sum], values[self(self, right)]);
    return sum;
  };
  return evaluate(evaluate, tree_root(blocks));
}

}  // namespace induct::nn
