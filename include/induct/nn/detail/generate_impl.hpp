#pragma once
// Definitions for nn/generate.hpp (see induct/core/linkage.hpp for the two modes).
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
#include "induct/nn/generate.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/nn/layers.hpp"

namespace induct::nn {

template <class Scalar>
std::span<const Scalar> kv_cache_decoder<Scalar>::append(std::int32_t token) {
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

template <class Scalar>
generation generate_greedy(const gpt<Scalar>& model, std::span<const std::int32_t> prompt, int max_tokens,
                           std::span<const std::int32_t> stop_tokens) {
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
