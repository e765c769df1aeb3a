#include <doctest/doctest.h>

#include <barrier>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include <omp.h>

#include "induct/core/random.hpp"
#include "induct/nn/block_tree.hpp"
#include "induct/nn/data_parallel.hpp"
#include "induct/nn/gpt.hpp"

using namespace induct::nn;

namespace {

bool same_bits(const std::vector<float>& a, std::span<const float> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

/// The tree written as a recursion over power-of-two spans [first, first + span) of [0, 2^K), clipped to
/// n: the slow reference for block_tree.hpp's node arithmetic.
template <class Value, class Add>
Value reference_tree_sum(const std::vector<Value>& leaves, std::size_t first, std::size_t span, Add add) {
  if (span == 1) return leaves[first];
  const std::size_t half = span / 2;
  Value left = reference_tree_sum(leaves, first, half, add);
  if (first + half >= leaves.size()) return left;
  add(left, reference_tree_sum(leaves, first + half, half, add));
  return left;
}
std::size_t power_of_two_at_least(std::size_t n) {
  std::size_t p = 1;
  while (p < n) p *= 2;
  return p;
}

/// R in-process ranks on std::threads (a barrier and a shared table): the exchange logic without MPI.
class thread_ranks {
 public:
  explicit thread_ranks(int ranks) : ranks_(ranks), barrier_(ranks), posted_(static_cast<std::size_t>(ranks)) {}
  class member final : public communicator {
   public:
    member(thread_ranks& group, int rank) : group_(&group), rank_(rank) {}
    [[nodiscard]] int rank() const noexcept override { return rank_; }
    [[nodiscard]] int size() const noexcept override { return group_->ranks_; }
    void all_gather(std::span<const std::byte> mine, std::vector<std::byte>& all,
                    std::vector<std::size_t>& counts) override {
      group_->posted_[static_cast<std::size_t>(rank_)] = mine;
      group_->barrier_.arrive_and_wait();
      all.clear();
      counts.clear();
      for (const auto& part : group_->posted_) {
        all.insert(all.end(), part.begin(), part.end());
        counts.push_back(part.size());
      }
      group_->barrier_.arrive_and_wait();  // nobody reposts before everyone has read
    }
    void barrier() override { group_->barrier_.arrive_and_wait(); }

   private:
    thread_ranks* group_;
    int rank_;
  };
  /// Runs body(rank's communicator) on one thread per rank.
  void run(const std::function<void(communicator&)>& body) {
    std::vector<std::thread> threads;
    for (int r = 0; r < ranks_; ++r)
      threads.emplace_back([this, r, &body] {
        member comm(*this, r);
        body(comm);
      });
    for (auto& t : threads) t.join();
  }

 private:
  int ranks_;
  std::barrier<> barrier_;
  std::vector<std::span<const std::byte>> posted_;
};

gpt_config tiny_model() {
  return {.vocab_size = 11, .context_length = 8, .layers = 2, .width = 16, .heads = 2};
}

/// A batch of B sequences with some ignored targets (-1) and uneven loss weights.
token_batch tiny_batch(int B, int T, bool weighted) {
  induct::random_engine rng(5);
  token_batch batch{B, T, {}, {}, {}};
  for (int i = 0; i < B * T; ++i) {
    batch.inputs.push_back(static_cast<std::int32_t>(rng.below(11)));
    batch.targets.push_back(rng.bernoulli(0.1) ? -1 : static_cast<std::int32_t>(rng.below(11)));
    if (weighted) batch.loss_weights.push_back(rng.bernoulli(0.3) ? 0.0f : static_cast<float>(0.5 + rng.uniform()));
  }
  return batch;
}

struct block_gradient {
  std::vector<float> gradient;
  double loss = 0;
};

/// Each block's gradient by its own forward_share + backward from zero, then the reference tree.
block_gradient reference_batch_gradient(gpt<float>& model, const token_batch& batch, int block_sequences) {
  const int B = batch.batch, T = batch.time;
  double W = 0;
  for (int i = 0; i < B * T; ++i)
    W += batch.targets[static_cast<std::size_t>(i)] < 0
             ? 0.0
             : (batch.loss_weights.empty() ? 1.0 : static_cast<double>(batch.loss_weights[static_cast<std::size_t>(i)]));
  std::vector<block_gradient> leaves;
  for (int first = 0; first < B; first += block_sequences) {
    const int rows = std::min(block_sequences, B - first);
    const auto offset = static_cast<std::size_t>(first) * T;
    model.zero_gradients();
    const double loss = model.forward_share(batch.inputs.data() + offset, batch.targets.data() + offset, rows, T,
                                            batch.loss_weights.empty() ? nullptr : batch.loss_weights.data() + offset,
                                            W);
    model.backward();
    leaves.push_back({std::vector<float>(model.gradients().begin(), model.gradients().end()), loss});
  }
  auto add = [](block_gradient& into, const block_gradient& from) {
    for (std::size_t i = 0; i < into.gradient.size(); ++i) into.gradient[i] += from.gradient[i];
    into.loss += from.loss;
  };
  auto sum = reference_tree_sum(leaves, 0, power_of_two_at_least(leaves.size()), add);
  sum.loss /= W;
  return sum;
}

}  // namespace

TEST_CASE("block tree: maximal nodes by hand, and every range of every tree covered exactly once") {
  CHECK(tree_height(1) == 0);
  CHECK(tree_height(5) == 3);
  CHECK(tree_height(8) == 3);
  // 7 blocks: [0, 7) is the root; [1, 6) = {1} {2,3} {4,5}; [4, 7) = node (2, 1) (blocks 4..6, clipped).
  CHECK(maximal_nodes(7, {0, 7}) == std::vector<tree_node>{{3, 0}});
  CHECK(maximal_nodes(7, {1, 6}) == std::vector<tree_node>{{0, 1}, {1, 1}, {1, 2}});
  CHECK(maximal_nodes(7, {4, 7}) == std::vector<tree_node>{{2, 1}});
  CHECK(maximal_nodes(7, {3, 3}).empty());
  CHECK(rank_blocks(7, 3, 0).last == 2);
  CHECK(rank_blocks(7, 3, 2).first == 4);
  CHECK(rank_blocks(2, 3, 0).last == 0);  // more ranks than blocks: a rank with none
  for (std::int64_t n = 1; n <= 20; ++n)
    for (std::int64_t a = 0; a <= n; ++a)
      for (std::int64_t b = a; b <= n; ++b) {
        std::vector<int> covered(static_cast<std::size_t>(n), 0);
        for (const auto node : maximal_nodes(n, {a, b})) {
          const auto r = node_blocks(n, node);
          CHECK(r.first >= a);
          CHECK(r.last <= b);
          // maximal: the parent would leave the range (or the node is the root)
          const tree_node parent{node.level + 1, node.index / 2};
          const auto pr = node_blocks(n, parent);
          CHECK((node.level == tree_height(n) || pr.first < a || pr.last > b));
          for (auto i = r.first; i < r.last; ++i) ++covered[static_cast<std::size_t>(i)];
        }
        for (std::int64_t i = 0; i < n; ++i) CHECK(covered[static_cast<std::size_t>(i)] == (i >= a && i < b ? 1 : 0));
      }
}

TEST_CASE("block tree: the sum is the reference tree's bits for every split of the blocks over ranks") {
  // Values whose sum depends on the association: large and small magnitudes.
  induct::random_engine rng(11);
  for (std::int64_t n = 1; n <= 13; ++n) {
    std::vector<float> leaves;
    for (std::int64_t i = 0; i < n; ++i)
      leaves.push_back(static_cast<float>((rng.bernoulli(0.5) ? 1e7 : 1e-3) * (rng.uniform() - 0.5)));
    auto add = [](float& into, const float& from) { into += from; };
    const float reference = reference_tree_sum(leaves, 0, power_of_two_at_least(leaves.size()), add);
    if (n == 5) CHECK(reference == ((leaves[0] + leaves[1]) + (leaves[2] + leaves[3])) + leaves[4]);
    for (int ranks = 1; ranks <= n + 1; ++ranks) {
      std::vector<tree_node> nodes;
      std::vector<float> values, scratch;
      for (int r = 0; r < ranks; ++r)
        for (const auto node : maximal_nodes(n, rank_blocks(n, ranks, r))) {
          nodes.push_back(node);
          values.emplace_back();
          tree_node_sum(n, node, values.back(), scratch,
                        [&](std::int64_t block, float& out) { out = leaves[static_cast<std::size_t>(block)]; }, add);
        }
      const auto root = combine_tree_nodes(n, std::span<const tree_node>(nodes), std::span<float>(values), add);
      CHECK(std::memcmp(&values[root], &reference, sizeof(float)) == 0);
    }
  }
  std::vector<float> one{1.0f};
  const std::vector<tree_node> missing{{0, 0}};
  CHECK_THROWS(combine_tree_nodes(2, std::span<const tree_node>(missing), std::span<float>(one),
                                  [](float& a, const float& b) { a += b; }));
}

TEST_CASE("batch_gradient: the block-tree gradient equals per-block gradients summed in tree order, any threads") {
  const int B = 5, T = 8;
  for (const bool weighted : {false, true}) {
    const auto batch = tiny_batch(B, T, weighted);
    for (const int block : {1, 2, 5}) {
      CAPTURE(weighted);
      CAPTURE(block);
      gpt<float> model(tiny_model());
      model.initialize(3);
      const auto reference = reference_batch_gradient(model, batch, block);
      for (const int threads : {1, 2, 3}) {
        omp_set_num_threads(threads);
        batch_gradient<float> gradient(block);
        const float loss = gradient.compute(model, batch);
        CHECK(same_bits(reference.gradient, model.gradients()));
        CHECK(loss == static_cast<float>(reference.loss));
      }
      omp_set_num_threads(2);
      if (block == B) {  // one block: forward()'s own gradient and loss, bit for bit
        batch_gradient<float> gradient(block);
        const float loss = gradient.compute(model, batch);
        const std::vector<float> tree(model.gradients().begin(), model.gradients().end());
        model.zero_gradients();
        CHECK(model.forward(batch.inputs.data(), batch.targets.data(), B, T,
                            weighted ? batch.loss_weights.data() : nullptr) == loss);
        model.backward();
        CHECK(same_bits(tree, model.gradients()));
      }
    }
  }
  CHECK_THROWS_AS(batch_gradient<float>(0), induct::config_error);
}

TEST_CASE("batch_gradient: ranks splitting the blocks (in-process communicator) get the one-process bits") {
  const int B = 7, T = 8;
  const auto batch = tiny_batch(B, T, true);
  gpt<float> single(tiny_model());
  single.initialize(3);
  const auto reference = reference_batch_gradient(single, batch, 1);
  for (const int ranks : {2, 3, 8}) {
    CAPTURE(ranks);
    std::vector<std::vector<float>> gradients(static_cast<std::size_t>(ranks));
    std::vector<float> losses(static_cast<std::size_t>(ranks));
    thread_ranks group(ranks);
    group.run([&](communicator& comm) {
      gpt<float> model(tiny_model());
      model.initialize(3);
      batch_gradient<float> gradient(1, comm);
      losses[static_cast<std::size_t>(comm.rank())] = gradient.compute(model, batch);
      gradients[static_cast<std::size_t>(comm.rank())].assign(model.gradients().begin(), model.gradients().end());
    });
    for (int r = 0; r < ranks; ++r) {
      CHECK(same_bits(reference.gradient, gradients[static_cast<std::size_t>(r)]));
      CHECK(losses[static_cast<std::size_t>(r)] == static_cast<float>(reference.loss));
    }
  }
}
