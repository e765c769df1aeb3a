#pragma once
// Definitions for nn/data_parallel.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/nn/block_tree.hpp"
#include "induct/nn/data_parallel.hpp"
#include "induct/nn/gpt.hpp"

namespace induct::nn {

template <class Scalar>
batch_gradient<Scalar>::batch_gradient(int block_sequences, communicator& comm)
    : block_sequences_(block_sequences), comm_(&comm) {
  if (block_sequences < 1)
    throw config_error("gradient_block", "must be >= 1 sequence, got " + std::to_string(block_sequences));
}

template <class Scalar>
Scalar batch_gradient<Scalar>::compute(gpt<Scalar>& model, const token_batch& batch) {
  const int B = batch.batch, T = batch.time;
  const auto N = static_cast<std::size_t>(B) * static_cast<std::size_t>(T);
  if (B < 1 || batch.inputs.size() != N || batch.targets.size() != N ||
      (!batch.loss_weights.empty() && batch.loss_weights.size() != N))
    throw error("batch_gradient: a batch of " + std::to_string(B) + " x " + std::to_string(T) +
                " needs that many inputs, targets and (if any) loss weights");
  if constexpr (std::is_same_v<Scalar, float>) {
    weights_.clear();
  } else {
    weights_.assign(batch.loss_weights.begin(), batch.loss_weights.end());
  }
  const Scalar* w = batch.loss_weights.empty() ? nullptr
                    : std::is_same_v<Scalar, float> ? reinterpret_cast<const Scalar*>(batch.loss_weights.data())
                                                    : weights_.data();
  // W in row order, as gpt::forward sums its own weights, so one block of B rows is forward()'s gradient.
  weight_total_ = 0;
  for (std::size_t i = 0; i < N; ++i)
    weight_total_ += batch.targets[i] < 0 ? 0.0 : (w ? static_cast<double>(w[i]) : 1.0);

  const std::int64_t blocks = (B + block_sequences_ - 1) / block_sequences_;
  std::vector<tree_node> nodes;  // every rank's maximal nodes, in rank order
  std::size_t mine_first = 0, mine_count = 0;
  for (int r = 0; r < comm_->size(); ++r) {
    const auto rank_nodes = maximal_nodes(blocks, rank_blocks(blocks, comm_->size(), r));
    if (r == comm_->rank()) mine_first = nodes.size(), mine_count = rank_nodes.size();
    nodes.insert(nodes.end(), rank_nodes.begin(), rank_nodes.end());
  }
  if (values_.size() < nodes.size()) values_.resize(nodes.size());
  auto leaf = [&](std::int64_t block, node_value& out) { sum_block(model, batch, w, block, out); };
  for (std::size_t i = mine_first; i < mine_first + mine_count; ++i)
    tree_node_sum(blocks, nodes[i], values_[i], scratch_, leaf, add);
  if (comm_->size() > 1) exchange(nodes, mine_first, mine_count, model.gradients().size());
  const std::size_t root = combine_tree_nodes(blocks, std::span<const tree_node>(nodes),
                                              std::span<node_value>(values_.data(), nodes.size()), add);
  model.swap_gradients(values_[root].gradient);
  return weight_total_ > 0 ? static_cast<Scalar>(values_[root].loss / weight_total_) : Scalar(0);
}

template <class Scalar>
void batch_gradient<Scalar>::sum_block(gpt<Scalar>& model, const token_batch& batch, const Scalar* weights,
                                       std::int64_t block, node_value& out) {
  const int T = batch.time;
  const int first = static_cast<int>(block) * block_sequences_;
  const int rows = std::min(batch.batch - first, block_sequences_);
  const auto offset = static_cast<std::size_t>(first) * static_cast<std::size_t>(T);
  model.zero_gradients();
  out.loss = model.forward_share(batch.inputs.data() + offset, batch.targets.data() + offset, rows, T,
                                 weights ? weights + offset : nullptr, weight_total_);
  model.backward();
  out.gradient.resize(model.gradients().size());
  model.swap_gradients(out.gradient);
}

template <class Scalar>
void batch_gradient<Scalar>::add(node_value& into, const node_value& from) {
  const auto n = static_cast<std::ptrdiff_t>(into.gradient.size());
  Scalar* a = into.gradient.data();
  const Scalar* b = from.gradient.data();
#pragma omp parallel for schedule(static) if (n >= (std::ptrdiff_t{1} << 16))
  for (std::ptrdiff_t i = 0; i < n; ++i) a[i] += b[i];
  into.loss += from.loss;
}

template <class Scalar>
void batch_gradient<Scalar>::exchange(const std::vector<tree_node>& nodes, std::size_t mine_first,
                                      std::size_t mine_count, std::size_t parameters) {
  // Per node: its gradient, then its loss numerator.
  const std::size_t gradient_bytes = parameters * sizeof(Scalar), node_bytes = gradient_bytes + sizeof(double);
  send_.resize(mine_count * node_bytes);
  for (std::size_t i = 0; i < mine_count; ++i) {
    std::byte* p = send_.data() + i * node_bytes;
    std::memcpy(p, values_[mine_first + i].gradient.data(), gradient_bytes);
    std::memcpy(p + gradient_bytes, &values_[mine_first + i].loss, sizeof(double));
  }
  std::vector<std::size_t> counts;
  comm_->all_gather(send_, received_, counts);
  if (received_.size() != nodes.size() * node_bytes)
    throw error("batch_gradient: received " + std::to_string(received_.size()) + " bytes of node sums, expected " +
                std::to_string(nodes.size() * node_bytes) + " (do all ranks run the same model and batch?)");
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (i >= mine_first && i < mine_first + mine_count) continue;
    const std::byte* p = received_.data() + i * node_bytes;
    values_[i].gradient.resize(parameters);
    std::memcpy(values_[i].gradient.data(), p, gradient_bytes);
    std::memcpy(&values_[i].loss, p + gradient_bytes, sizeof(double));
  }
}

}  // namespace induct::nn
