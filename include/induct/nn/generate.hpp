#pragma once
// Inference with a KV cache: the decoder appends one token at a time, keeping every layer's keys and
// values, so a step costs O(params + position * width) instead of a full forward. Greedy generation and
// the next-token log-probabilities after a prompt.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/core/linkage.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/nn/gpt_config.hpp"

namespace induct::nn {

/// Incremental decoding for one sequence. Holds a reference to the model: its parameters must outlive
/// the decoder and not change while a sequence is being decoded. Allocates only in the constructor.
template <class Scalar>
class kv_cache_decoder {
 public:
  explicit kv_cache_decoder(const gpt<Scalar>& model)
      : model_(model), config_(model.config()),
        keys_(static_cast<std::size_t>(config_.layers) * config_.context_length * config_.width),
        values_(keys_.size()),
        x_(static_cast<std::size_t>(config_.width)), ln_(x_.size()), qkv_(3 * x_.size()), atty_(x_.size()),
        fch_(4 * x_.size()), scores_(static_cast<std::size_t>(config_.context_length)),
        logits_(static_cast<std::size_t>(config_.vocab_size)) {}

  /// Forgets the sequence (the next append is position 0).
  void reset() noexcept { position_ = 0; }
  /// Number of tokens appended so far.
  [[nodiscard]] int position() const noexcept { return position_; }
  [[nodiscard]] int capacity() const noexcept { return config_.context_length; }

  /// Appends `token` at the next position and returns the logits [V] for the token after it (valid until
  /// the next call). Throws when the token is outside the vocabulary or the context is full.
  std::span<const Scalar> append(std::int32_t token);

 private:
  const gpt<Scalar>& model_;
  gpt_config config_;
  std::vector<Scalar> keys_, values_;  // [layers, context_length, width] each
  std::vector<Scalar> x_, ln_, qkv_, atty_, fch_, scores_, logits_;
  int position_ = 0;
};
INDUCT_EXTERN_TEMPLATE(class kv_cache_decoder<float>)
INDUCT_EXTERN_TEMPLATE(class kv_cache_decoder<double>)

/// Index of the largest logit (the first one on ties).
template <class Scalar>
std::int32_t argmax(std::span<const Scalar> logits) {
  return static_cast<std::int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

enum class stop_reason { stop_token, max_tokens, context_full };

struct generation {
  std::vector<std::int32_t> tokens;  // generated tokens only (the stop token included when it ended the run)
  stop_reason reason = stop_reason::max_tokens;
};

/// Greedy decoding after `prompt` (1 <= size <= context_length) with a KV cache: appends the most likely
/// token until one of `stop_tokens` is produced, max_tokens are produced, or the context is full (a
/// learned-position model cannot look past context_length).
template <class Scalar>
generation generate_greedy(const gpt<Scalar>& model, std::span<const std::int32_t> prompt, int max_tokens,
                           std::span<const std::int32_t> stop_tokens = {});
INDUCT_EXTERN_TEMPLATE(generation generate_greedy<float>(const gpt<float>&, std::span<const std::int32_t>, int,
                                                         std::span<const std::int32_t>))
INDUCT_EXTERN_TEMPLATE(generation generate_greedy<double>(const gpt<double>&, std::span<const std::int32_t>, int,
                                                          std::span<const std::int32_t>))

/// log P(next token = v | prompt) for every v: the log-softmax (core/log_space.hpp: x_v - m - log S, in
/// double) of the last position's logits after one batched forward. Overwrites the model's activations.
template <class Scalar>
std::vector<double> next_token_log_probs(gpt<Scalar>& model, std::span<const std::int32_t> prompt);
INDUCT_EXTERN_TEMPLATE(std::vector<double> next_token_log_probs<float>(gpt<float>&, std::span<const std::int32_t>))
INDUCT_EXTERN_TEMPLATE(std::vector<double> next_token_log_probs<double>(gpt<double>&, std::span<const std::int32_t>))

}  // namespace induct::nn

#if INDUCT_HEADER_ONLY
#include "induct/nn/detail/generate_impl.hpp"
#endif
