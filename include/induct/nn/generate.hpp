#pragma once
// Inference with a KV cache: the decoder appends one token at a time, keeping every layer's keys and
// values, so a step costs O(params + position * width) instead of a full forward. Greedy generation and
// the next-token log-probabilities after a prompt.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/core/log_space.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/nn/layers.hpp"

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
  std::span<const Scalar> append(std::int32_t token) {
    const int C = config_.width, H = config_.heads, hs = C / H, V = config_.vocab_size;
    if (token < 0 || token >= V)
      throw error("kv_cache_decoder: token " + std::to_string(token) + " outside the vocabulary [0, " +
                  std::to_string(V) + ")");
    if (position_ >= config_.context_length)
      throw error("kv_cache_decoder: context of " + std::to_string(config_.context_length) + " tokens is full");
    const auto& offsets = model_.offsets();
    const Scalar* P = model_.parameters().data();
    const int t = position_;
    Scalar mean = 0, rstd = 0;
    const Scalar* wte = P + offsets.wte + static_cast<std::size_t>(token) * C;
    const Scalar* wpe = P + offsets.wpe + static_cast<std::size_t>(t) * C;
    for (int c = 0; c < C; ++c) x_[c] = wte[c] + wpe[c];
    const Scalar scale = Scalar(1) / std::sqrt(Scalar(hs));
    for (int l = 0; l < config_.layers; ++l) {
      const auto& o = offsets.blocks[static_cast<std::size_t>(l)];
      layers::layernorm_forward(ln_.data(), &mean, &rstd, x_.data(), P + o.ln1_weight, P + o.ln1_bias, 1, C);
      layers::linear_forward(qkv_.data(), ln_.data(), P + o.attn_weight, P + o.attn_bias, 1, C, 3 * C);
      Scalar* keys = keys_.data() + static_cast<std::size_t>(l) * config_.context_length * C;
      Scalar* values = values_.data() + static_cast<std::size_t>(l) * config_.context_length * C;
      std::copy(qkv_.begin() + C, qkv_.begin() + 2 * C, keys + static_cast<std::size_t>(t) * C);
      std::copy(qkv_.begin() + 2 * C, qkv_.begin() + 3 * C, values + static_cast<std::size_t>(t) * C);
      for (int h = 0; h < H; ++h) {
        const Scalar* q = qkv_.data() + static_cast<std::size_t>(h) * hs;
        Scalar max = -std::numeric_limits<Scalar>::infinity();
        for (int j = 0; j <= t; ++j) {
          const Scalar* k = keys + static_cast<std::size_t>(j) * C + static_cast<std::size_t>(h) * hs;
          Scalar dot = 0;
          for (int d = 0; d < hs; ++d) dot += q[d] * k[d];
          scores_[j] = dot;
          max = std::max(max, dot);
        }
        Scalar sum = 0;
        for (int j = 0; j <= t; ++j) sum += (scores_[j] = std::exp((scores_[j] - max) * scale));
        Scalar* y = atty_.data() + static_cast<std::size_t>(h) * hs;
        std::fill(y, y + hs, Scalar(0));
        for (int j = 0; j <= t; ++j) {
          const Scalar p = scores_[j] / sum;
          const Scalar* v = values + static_cast<std::size_t>(j) * C + static_cast<std::size_t>(h) * hs;
          for (int d = 0; d < hs; ++d) y[d] += p * v[d];
        }
      }
      layers::linear_forward(x_.data(), atty_.data(), P + o.attn_proj_weight, P + o.attn_proj_bias, 1, C, C, true);
      layers::layernorm_forward(ln_.data(), &mean, &rstd, x_.data(), P + o.ln2_weight, P + o.ln2_bias, 1, C);
      layers::linear_forward(fch_.data(), ln_.data(), P + o.fc_weight, P + o.fc_bias, 1, C, 4 * C);
      layers::gelu_forward(fch_.data(), fch_.data(), fch_.size());
      layers::linear_forward(x_.data(), fch_.data(), P + o.fc_proj_weight, P + o.fc_proj_bias, 1, 4 * C, C, true);
    }
    layers::layernorm_forward(ln_.data(), &mean, &rstd, x_.data(), P + offsets.lnf_weight, P + offsets.lnf_bias, 1, C);
    layers::linear_forward(logits_.data(), ln_.data(), P + offsets.lm_head, static_cast<const Scalar*>(nullptr), 1, C,
                           V);
    ++position_;
    return logits_;
  }

 private:
  const gpt<Scalar>& model_;
  gpt_config config_;
  std::vector<Scalar> keys_, values_;  // [layers, context_length, width] each
  std::vector<Scalar> x_, ln_, qkv_, atty_, fch_, scores_, logits_;
  int position_ = 0;
};

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
                           std::span<const std::int32_t> stop_tokens = {}) {
  if (prompt.empty()) throw error("generate: the prompt is empty");
  if (prompt.size() > static_cast<std::size_t>(model.config().context_length))
    throw error("generate: prompt of " + std::to_string(prompt.size()) + " tokens exceeds the context length " +
                std::to_string(model.config().context_length));
  if (max_tokens < 0) throw error("generate: max_tokens must be >= 0, got " + std::to_string(max_tokens));
  kv_cache_decoder<Scalar> decoder(model);
  std::span<const Scalar> logits;
  for (const auto token : prompt) logits = decoder.append(token);
  generation out;
  out.tokens.reserve(static_cast<std::size_t>(max_tokens));
  while (static_cast<int>(out.tokens.size()) < max_tokens) {
    const std::int32_t next = argmax(logits);
    out.tokens.push_back(next);
    if (std::find(stop_tokens.begin(), stop_tokens.end(), next) != stop_tokens.end()) {
      out.reason = stop_reason::stop_token;
      return out;
    }
    if (static_cast<int>(out.tokens.size()) == max_tokens) break;
    if (decoder.position() == decoder.capacity()) {
      out.reason = stop_reason::context_full;
      return out;
    }
    logits = decoder.append(next);
  }
  out.reason = stop_reason::max_tokens;
  return out;
}

/// log P(next token = v | prompt) for every v: the log-softmax (core/log_space.hpp: x_v - m - log S, in
/// double) of the last position's logits after one batched forward. Overwrites the model's activations.
template <class Scalar>
std::vector<double> next_token_log_probs(gpt<Scalar>& model, std::span<const std::int32_t> prompt) {
  if (prompt.empty()) throw error("next_token_log_probs: the prompt is empty");
  if (prompt.size() > static_cast<std::size_t>(model.config().context_length))
    throw error("next_token_log_probs: prompt of " + std::to_string(prompt.size()) +
                " tokens exceeds the context length " + std::to_string(model.config().context_length));
  const int T = static_cast<int>(prompt.size()), V = model.config().vocab_size;
  model.forward(prompt.data(), nullptr, 1, T);
  const Scalar* last = model.logits() + static_cast<std::size_t>(T - 1) * V;
  std::vector<double> out(static_cast<std::size_t>(V));
  log_softmax(std::span<const Scalar>(last, out.size()), std::span<double>(out));
  return out;
}

}  // namespace induct::nn
