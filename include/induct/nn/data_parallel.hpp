#pragma once
// Data-parallel gradients with the same bits on any number of threads and processes. A step's batch of
// B sequences is cut into blocks of b sequences (trainer_config::gradient_block; the last block may be
// shorter), nb = ceil(B / b). With W = sum_i w_i over the whole batch (double, row order):
//   g_k = d/dtheta sum_{i in block k} w_i CE_i / W     (forward_share + backward of block k, from zero)
//   l_k = sum_{i in block k} w_i CE_i                   (double)
//   gradient = tree sum of g_k,  loss = (tree sum of l_k) / W,  over block_tree.hpp's fixed tree.
// With R ranks, rank r computes the maximal tree nodes inside its blocks rank_blocks(nb, R, r), all ranks
// exchange them (all_gather) and every rank finishes the tree with the additions a single process makes,
// so every rank holds the single-process gradient bit for bit; the optimizer step then runs identically
// on every rank. Threads only split rows inside a block (layers.hpp sums those in a fixed order).
// The communicator is the one place MPI appears: single_process() is the default, mpi_communicator
// exists only when compiled with INDUCT_MPI (CMake option INDUCT_MPI; the library needs no MPI otherwise).
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/core/linkage.hpp"
#include "induct/nn/block_tree.hpp"
#include "induct/nn/data.hpp"
#include "induct/nn/gpt.hpp"

#if defined(INDUCT_MPI) && INDUCT_MPI
#include <climits>
#include <string>

#include <mpi.h>
#endif

namespace induct::nn {

/// The processes of one data-parallel job.
class communicator {
 public:
  virtual ~communicator() = default;
  [[nodiscard]] virtual int rank() const noexcept = 0;
  [[nodiscard]] virtual int size() const noexcept = 0;
  /// Sets `all` to every rank's `mine` concatenated in rank order, on every rank (collective: every rank
  /// calls it, with any sizes); counts[r] = rank r's byte count.
  virtual void all_gather(std::span<const std::byte> mine, std::vector<std::byte>& all,
                          std::vector<std::size_t>& counts) = 0;
  /// Returns once every rank has called it.
  virtual void barrier() = 0;
};

/// The default: one process, rank 0 of 1.
class single_process_communicator final : public communicator {
 public:
  [[nodiscard]] int rank() const noexcept override { return 0; }
  [[nodiscard]] int size() const noexcept override { return 1; }
  void all_gather(std::span<const std::byte> mine, std::vector<std::byte>& all,
                  std::vector<std::size_t>& counts) override {
    all.assign(mine.begin(), mine.end());
    counts.assign(1, mine.size());
  }
  void barrier() override {}
};

/// The process-wide single-process communicator.
inline communicator& single_process() {
  static single_process_communicator instance;
  return instance;
}

/// True on every rank when `flag` is true on some rank (collective).
inline bool any_rank(communicator& comm, bool flag) {
  if (comm.size() == 1) return flag;
  const std::byte mine{static_cast<unsigned char>(flag ? 1 : 0)};
  std::vector<std::byte> all;
  std::vector<std::size_t> counts;
  comm.all_gather(std::span<const std::byte>(&mine, 1), all, counts);
  for (const std::byte b : all)
    if (b != std::byte{0}) return true;
  return false;
}

#if defined(INDUCT_MPI) && INDUCT_MPI
/// MPI_COMM_WORLD. Initialises MPI unless already done (and then finalizes it on destruction).
class mpi_communicator final : public communicator {
 public:
  mpi_communicator(int* argc, char*** argv) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      MPI_Init(argc, argv);
      owns_ = true;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  mpi_communicator(const mpi_communicator&) = delete;
  mpi_communicator& operator=(const mpi_communicator&) = delete;
  ~mpi_communicator() override {
    if (owns_) MPI_Finalize();
  }
  [[nodiscard]] int rank() const noexcept override { return rank_; }
  [[nodiscard]] int size() const noexcept override { return size_; }
  void all_gather(std::span<const std::byte> mine, std::vector<std::byte>& all,
                  std::vector<std::size_t>& counts) override {
    const auto mine_count = static_cast<unsigned long long>(mine.size());
    std::vector<unsigned long long> sizes(static_cast<std::size_t>(size_));
    check(MPI_Allgather(&mine_count, 1, MPI_UNSIGNED_LONG_LONG, sizes.data(), 1, MPI_UNSIGNED_LONG_LONG,
                        MPI_COMM_WORLD), "MPI_Allgather");
    std::vector<int> byte_counts(sizes.size()), displacements(sizes.size());
    unsigned long long total = 0;
    counts.assign(sizes.begin(), sizes.end());
    for (std::size_t r = 0; r < sizes.size(); ++r) {
      if (sizes[r] > INT_MAX || total > INT_MAX - sizes[r])
        throw error("MPI all_gather: " + std::to_string(total + sizes[r]) +
                    " bytes exceed MPI's int counts; use a smaller gradient_block or fewer ranks");
      byte_counts[r] = static_cast<int>(sizes[r]);
      displacements[r] = static_cast<int>(total);
      total += sizes[r];
    }
    all.resize(total);
    check(MPI_Allgatherv(mine.data(), static_cast<int>(mine.size()), MPI_BYTE, all.data(), byte_counts.data(),
                         displacements.data(), MPI_BYTE, MPI_COMM_WORLD), "MPI_Allgatherv");
  }
  void barrier() override { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

 private:
  static void check(int code, const char* what) {
    if (code != MPI_SUCCESS) throw error(std::string(what) + " failed with MPI error " + std::to_string(code));
  }
  int rank_ = 0, size_ = 1;
  bool owns_ = false;
};
#endif

/// One step's gradient over the block tree (the formulas above), reusing its buffers between steps.
template <class Scalar>
class batch_gradient {
 public:
  /// block_sequences >= 1 (config_error otherwise); `comm` must outlive this object.
  explicit batch_gradient(int block_sequences, communicator& comm = single_process());

  /// Sets model.gradients() to the batch's gradient on every rank (collective) and returns the batch's
  /// mean loss (sum w CE / W; 0 when W = 0). batch.inputs/targets [batch.batch, batch.time]. The model's
  /// activations are those of some block afterwards (backward is not to be called again).
  Scalar compute(gpt<Scalar>& model, const token_batch& batch);

  [[nodiscard]] int block_sequences() const noexcept { return block_sequences_; }
  [[nodiscard]] communicator& comm() const noexcept { return *comm_; }

 private:
  struct node_value {
    std::vector<Scalar> gradient;
    double loss = 0;
  };
  // Sets `out` to block's gradient and loss numerator (a tree leaf).
  void sum_block(gpt<Scalar>& model, const token_batch& batch, const Scalar* weights, std::int64_t block,
                 node_value& out);
  static void add(node_value& into, const node_value& from);
  // Sends values_[mine_first, + mine_count) and fills every other node's value from the other ranks.
  void exchange(const std::vector<tree_node>& nodes, std::size_t mine_first, std::size_t mine_count,
                std::size_t parameters);

  int block_sequences_;
  communicator* comm_;
  double weight_total_ = 0;
  std::vector<Scalar> weights_;  // the batch's loss weights as Scalar (when Scalar is not float)
  std::vector<node_value> values_, scratch_;  // every rank's node sums; tree_node_sum's per-level sums
  std::vector<std::byte> send_, received_;
};
INDUCT_EXTERN_TEMPLATE(class batch_gradient<float>)
INDUCT_EXTERN_TEMPLATE(class batch_gradient<double>)

}  // namespace induct::nn

#if INDUCT_HEADER_ONLY
#include "induct/nn/detail/data_parallel_impl.hpp"
#endif
