#pragma once
// Training data for the GPT: random windows of context + 1 tokens from a token stream.
// A window starting at s gives inputs tokens[s, s+T) and targets tokens[s+1, s+T+1) (next-token
// prediction). The stream is split once: the first (1 - validation_fraction) of the tokens are the
// training split, the last validation_fraction the held-out validation split (contiguous, so no
// validation window overlaps a training window). Training windows start uniformly at random in the
// training split (induct::random_engine, portable); validation windows tile the validation split in
// order, so the validation loss is deterministic. The sampler's whole state is the engine's four words
// plus a batch counter (data_position), which checkpoints store for bit-exact resume.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/core/linkage.hpp"
#include "induct/core/random.hpp"

namespace induct::nn {

/// One batch: inputs and targets [batch, time] row-major, loss weights [batch, time] when the
/// stream carries per-token weights (empty otherwise).
struct token_batch {
  int batch = 0;
  int time = 0;
  std::vector<std::int32_t> inputs;
  std::vector<std::int32_t> targets;
  std::vector<float> loss_weights;
};

/// Where the training sampler stands: its engine state and how many batches it has drawn.
struct data_position {
  random_engine::state_type rng_state{};
  std::uint64_t batches_drawn = 0;
};

class token_windows {
 public:
  /// `tokens`: the stream (every id < vocab_size). `loss_weights`: empty, or one weight >= 0 per token,
  /// applied to the loss of predicting that token (e.g. 1 on answer tokens, 0 elsewhere).
  INDUCT_DECLARE token_windows(std::vector<std::uint16_t> tokens, int vocab_size, double validation_fraction = 0.05,
                               std::vector<float> loss_weights = {}, std::string source = "<tokens>");

  [[nodiscard]] std::size_t size() const noexcept { return tokens_.size(); }
  [[nodiscard]] std::size_t training_tokens() const noexcept { return training_size_; }
  [[nodiscard]] std::size_t validation_tokens() const noexcept { return tokens_.size() - training_size_; }
  [[nodiscard]] bool has_loss_weights() const noexcept { return !loss_weights_.empty(); }
  [[nodiscard]] const std::string& source() const noexcept { return source_; }
  /// CRC-32 of the tokens (and weights): a resumed run checks it trains on the same data.
  [[nodiscard]] std::uint32_t fingerprint() const noexcept { return fingerprint_; }

  /// Restarts the training sampler from `seed` (a stream of its own, independent of model init).
  void seed(std::uint64_t seed) noexcept {
    rng_ = random_engine::for_stream(seed, 0x64617461ULL /* "data" */);
    batches_drawn_ = 0;
  }

  [[nodiscard]] data_position position() const noexcept { return {rng_.state(), batches_drawn_}; }
  void set_position(const data_position& position) {
    rng_.set_state(position.rng_state);
    batches_drawn_ = position.batches_drawn;
  }

  /// Fills `out` with `batch` random training windows of `time` + 1 tokens.
  void next_training_batch(int batch, int time, token_batch& out) {
    check_window(batch, time, training_size_, "training");
    prepare(out, batch, time);
    const std::uint64_t starts = training_size_ - static_cast<std::size_t>(time);  // s in [0, n - T - 1]
    for (int b = 0; b < batch; ++b) fill_row(out, b, static_cast<std::size_t>(rng_.below(starts)));
    ++batches_drawn_;
  }

  /// Number of whole validation windows of `time` + 1 tokens (windows tile the split with stride `time`).
  [[nodiscard]] std::size_t validation_windows(int time) const noexcept {
    const std::size_t n = validation_tokens();
    if (time < 1 || n < static_cast<std::size_t>(time) + 1) return 0;
    return (n - 1) / static_cast<std::size_t>(time);
  }

  /// Fills `out` with validation windows [first, first + batch) (window w starts at split + w * time);
  /// returns how many rows were filled (fewer at the end of the split).
  int validation_batch(std::size_t first, int batch, int time, token_batch& out) const {
    check_window(batch, time, validation_tokens(), "validation");
    const std::size_t windows = validation_windows(time);
    const int rows = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(batch), first < windows ? windows - first : 0));
    prepare(out, rows, time);
    for (int b = 0; b < rows; ++b) fill_row(out, b, training_size_ + (first + static_cast<std::size_t>(b)) * static_cast<std::size_t>(time));
    return rows;
  }

 private:
  void check_window(int batch, int time, std::size_t available, const char* split) const {
    if (batch < 1) throw config_error("batch", "must be >= 1, got " + std::to_string(batch));
    if (time < 1) throw config_error("context", "must be >= 1, got " + std::to_string(time));
    if (available < static_cast<std::size_t>(time) + 1)
      throw error(source_ + ": the " + split + " split has " + std::to_string(available) +
                  " tokens, fewer than one window of context + 1 = " + std::to_string(time + 1));
  }

  void prepare(token_batch& out, int batch, int time) const {
    out.batch = batch;
    out.time = time;
    const auto n = static_cast<std::size_t>(batch) * static_cast<std::size_t>(time);
    out.inputs.resize(n);
    out.targets.resize(n);
    out.loss_weights.resize(loss_weights_.empty() ? 0 : n);
  }

  void fill_row(token_batch& out, int row, std::size_t start) const {
    const auto T = static_cast<std::size_t>(out.time);
    const std::size_t base = static_cast<std::size_t>(row) * T;
    for (std::size_t t = 0; t < T; ++t) {
      out.inputs[base + t] = tokens_[start + t];
      out.targets[base + t] = tokens_[start + t + 1];
      if (!loss_weights_.empty()) out.loss_weights[base + t] = loss_weights_[start + t + 1];
    }
  }

  std::vector<std::uint16_t> tokens_;
  std::vector<float> loss_weights_;
  std::string source_;
  std::size_t training_size_ = 0;
  std::uint32_t fingerprint_ = 0;
  random_engine rng_{1};
  std::uint64_t batches_drawn_ = 0;
};

/// Windows over a corpus token file of the setup module (INDUCTTK: read with setup::read_corpus_tokens,
/// which checks the header and payload checksums). The file's vocabulary must fit the model's.
INDUCT_DECLARE token_windows corpus_windows(const std::filesystem::path& path, int vocab_size,
                                            double validation_fraction = 0.05);

}  // namespace induct::nn

#if INDUCT_HEADER_ONLY
#include "induct/nn/detail/data_impl.hpp"
#endif
