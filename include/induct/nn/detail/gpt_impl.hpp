#pragma once
// Definitions for nn/gpt.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "induct/core/error.hpp"
#include "induct/core/random.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/nn/layers.hpp"
#include "induct/nn/parameters.hpp"

namespace induct::nn {

template <class Scalar>
void gpt<Scalar>::initialize(std::uint64_t seed) {
  random_engine rng(seed);
  const double residual_std = 0.02 / std::sqrt(2.0 * config_.layers);
  for (const auto& t : layout_) {
    Scalar* p = parameters_.data() + t.offset;
    const bool is_weight = t.name.ends_with(".weight");
    if (t.name.find(".ln_") != std::string::npos) {
      std::fill(p, p + t.size, is_weight ? Scalar(1) : Scalar(0));
    } else if (!is_weight) {
      std::fill(p, p + t.size, Scalar(0));
    } else {
      const double stddev = t.name.ends_with("c_proj.weight") ? residual_std : 0.02;
      for (std::size_t i = 0; i < t.size; ++i) p[i] = static_cast<Scalar>(stddev * rng.normal());
    }
  }
}

template <class Scalar>
void gpt<Scalar>::reserve(int batch, int time) {
  check_shape(batch, time);
  const auto need = activation_size(batch, time);
  if (need > activations_.size()) activations_.resize(need);
  const auto scratch = scratch_size(batch, time);
  if (scratch > scratch_.size()) scratch_.resize(scratch);
  const auto n = static_cast<std::size_t>(batch) * time;
  if (n > tokens_.size()) {
    tokens_.resize(n);
    targets_.resize(n);
    coefficients_.resize(n);
  }
}

template <class Scalar>
Scalar gpt<Scalar>::forward(const std::int32_t* tokens, const std::int32_t* targets, int batch, int time,
                            const Scalar* loss_weights) {
  double weight_sum = 0;
  const double loss = run_forward(tokens, targets, batch, time, loss_weights, {}, nullptr, &weight_sum);
  return weight_sum > 0 ? static_cast<Scalar>(loss / weight_sum) : Scalar(0);
}

template <class Scalar>
double gpt<Scalar>::forward_share(const std::int32_t* tokens, const std::int32_t* targets, int batch, int time,
                                  const Scalar* loss_weights, double batch_weight_total) {
  if (targets == nullptr) throw error("gpt forward_share: needs targets");
  return run_forward(tokens, targets, batch, time, loss_weights, {}, &batch_weight_total);
}

template <class Scalar>
void gpt<Scalar>::swap_gradients(std::vector<Scalar>& other) {
  if (other.size() != gradients_.size())
    throw error("gpt swap_gradients: a buffer of " + std::to_string(other.size()) + " values for " +
                std::to_string(gradients_.size()) + " parameters");
  gradients_.swap(other);
}

template <class Scalar>
void gpt<Scalar>::forward_patched(const std::int32_t* tokens, int batch, int time, std::span<const residual_patch> patches) {
  check_shape(batch, time);
  const long long rows = static_cast<long long>(batch) * time;
  for (const auto& p : patches) {
    if (p.layer < 0 || p.layer > config_.layers)
      throw error("gpt forward_patched: layer " + std::to_string(p.layer) + " outside [0, " + std::to_string(config_.layers) + "]");
    if (p.row < 0 || p.row >= rows)
      throw error("gpt forward_patched: row " + std::to_string(p.row) + " outside [0, " + std::to_string(rows) + ")");
    if (p.value.size() != static_cast<std::size_t>(config_.width))
      throw error("gpt forward_patched: a patch of " + std::to_string(p.value.size()) + " values for width " +
                  std::to_string(config_.width));
  }
  run_forward(tokens, nullptr, batch, time, nullptr, patches);
}

template <class Scalar>
double gpt<Scalar>::run_forward(const std::int32_t* tokens, const std::int32_t* targets, int batch, int time,
                                const Scalar* loss_weights, std::span<const residual_patch> patches,
                                const double* weight_total, double* own_weight_sum) {
  reserve(batch, time);
  const int B = batch, T = time, C = config_.width, V = config_.vocab_size, H = config_.heads;
  const int N = B * T;
  for (int i = 0; i < N; ++i) {
    if (tokens[i] < 0 || tokens[i] >= V)
      throw error("gpt forward: token " + std::to_string(tokens[i]) + " at position " + std::to_string(i) +
                  " is outside the vocabulary [0, " + std::to_string(V) + ")");
    if (targets != nullptr && targets[i] >= V)
      throw error("gpt forward: target " + std::to_string(targets[i]) + " at position " + std::to_string(i) +
                  " is outside the vocabulary [0, " + std::to_string(V) + ")");
    if (loss_weights != nullptr && !(std::isfinite(loss_weights[i]) && loss_weights[i] >= Scalar(0)))
      throw error("gpt forward: loss weight at position " + std::to_string(i) + " must be finite and >= 0");
    tokens_[static_cast<std::size_t>(i)] = tokens[i];
  }
  batch_ = B;
  time_ = T;
  has_targets_ = targets != nullptr;
  backward_done_ = false;
  const act a = activations(B, T);
  const Scalar* P = parameters_.data();

  layers::embedding_forward(a.residual(0), tokens, P + offsets_.wte, P + offsets_.wpe, B, T, C);
  // Overwrites the patched rows of x_layer; returns the rows it touched (their LayerNorm is then recomputed).
  auto apply_patches = [&](int layer, auto&& after_row) {
    for (const auto& p : patches) {
      if (p.layer != layer) continue;
      std::copy(p.value.begin(), p.value.end(), a.residual(layer) + static_cast<std::size_t>(p.row) * C);
      after_row(p.row);
    }
  };
  apply_patches(0, [](int) {});  // before ln_1 of the first block reads x_0
  // Each LayerNorm after the first runs in the epilogue of the Linear layer that writes its input rows.
  Scalar* ln = a.ln_scratch;
  const auto& first = offsets_.blocks.front();
  const auto x0 = a.layer(0);
  layers::layernorm_forward(ln, x0.ln1_mean, x0.ln1_rstd, a.residual(0), P + first.ln1_weight, P + first.ln1_bias, N,
                            C);
  for (int l = 0; l < config_.layers; ++l) {
    const auto& o = offsets_.blocks[static_cast<std::size_t>(l)];
    const auto x = a.layer(l);
    layers::linear_forward(x.qkv, ln, P + o.attn_weight, P + o.attn_bias, N, C, 3 * C);
    layers::attention_forward(x.atty, scratch(B, T).attention, x.qkv, B, T, C, H);
    layers::linear_forward(x.residual2, x.atty, P + o.attn_proj_weight, P + o.attn_proj_bias, N, C, C, false,
                           static_cast<const Scalar*>(a.residual(l)), [&](int r0, int r1) {
                             layers::layernorm_rows(ln, x.ln2_mean, x.ln2_rstd, x.residual2, P + o.ln2_weight,
                                                    P + o.ln2_bias, r0, r1, C);
                           });
    const auto C4 = static_cast<std::size_t>(4) * C;
    layers::linear_forward(x.fch, ln, P + o.fc_weight, P + o.fc_bias, N, C, 4 * C, false,
                           static_cast<const Scalar*>(nullptr), [&](int r0, int r1) {
                             // GELU on the rows this thread just wrote, while they are in cache
                             const auto begin = static_cast<std::size_t>(r0) * C4;
                             layers::gelu_block(a.gelu_scratch + begin, static_cast<Scalar*>(nullptr), x.fch + begin,
                                                static_cast<std::size_t>(r1 - r0) * C4);
                           });
    const bool last = l + 1 == config_.layers;
    Scalar* next_out = last ? a.lnf : ln;
    Scalar* next_mean = last ? a.lnf_mean : a.layer(l + 1).ln1_mean;
    Scalar* next_rstd = last ? a.lnf_rstd : a.layer(l + 1).ln1_rstd;
    const Scalar* next_weight =
        P + (last ? offsets_.lnf_weight : offsets_.blocks[static_cast<std::size_t>(l) + 1].ln1_weight);
    const Scalar* next_bias =
        P + (last ? offsets_.lnf_bias : offsets_.blocks[static_cast<std::size_t>(l) + 1].ln1_bias);
    layers::linear_forward(a.residual(l + 1), a.gelu_scratch, P + o.fc_proj_weight, P + o.fc_proj_bias, N, 4 * C, C,
                           false, static_cast<const Scalar*>(x.residual2), [&](int r0, int r1) {
                             // ln_1 of the next block (or ln_f) on the rows of the residual stream just written
                             layers::layernorm_rows(next_out, next_mean, next_rstd, a.residual(l + 1), next_weight,
                                                    next_bias, r0, r1, C);
                           });
    apply_patches(l + 1, [&](int row) {  // the fused LayerNorm above read the unpatched row: redo it
      layers::layernorm_rows(next_out, next_mean, next_rstd, a.residual(l + 1), next_weight, next_bias, row, row + 1, C);
    });
  }
  layers::linear_forward(a.logits, a.lnf, P + offsets_.lm_head, static_cast<const Scalar*>(nullptr), N, C, V);
  if (!has_targets_) return 0.0;

  // Loss coefficients w_i / W, W = sum(w) summed in double, in order, so the mean does not depend on
  // threads (or the whole batch's W given by forward_share).
  double weight_sum = 0;
  for (int i = 0; i < N; ++i) {
    targets_[static_cast<std::size_t>(i)] = targets[i];
    const double w = targets[i] < 0 ? 0.0 : (loss_weights ? static_cast<double>(loss_weights[i]) : 1.0);
    coefficients_[static_cast<std::size_t>(i)] = static_cast<Scalar>(w);
    weight_sum += w;
  }
  layers::cross_entropy_forward(a.lse, a.losses, a.logits, targets_.data(), N, V);
  if (own_weight_sum != nullptr) *own_weight_sum = weight_sum;
  const double normaliser = weight_total != nullptr ? *weight_total : weight_sum;
  if (normaliser <= 0) {
    std::fill(coefficients_.begin(), coefficients_.begin() + N, Scalar(0));
    return 0.0;
  }
  double loss = 0;
  for (int i = 0; i < N; ++i) {
    auto& c = coefficients_[static_cast<std::size_t>(i)];
    loss += static_cast<double>(c) * static_cast<double>(a.losses[i]);
    c = static_cast<Scalar>(static_cast<double>(c) / normaliser);
  }
  return loss;
}

template <class Scalar>
void gpt<Scalar>::backward() {
  if (batch_ == 0 || !has_targets_) throw error("gpt backward: needs a preceding forward with targets");
  if (backward_done_) throw error("gpt backward: already run for this forward (it consumes activations)");
  backward_done_ = true;
  const int B = batch_, T = time_, C = config_.width, V = config_.vocab_size, H = config_.heads;
  const int N = B * T;
  const std::size_t NC = static_cast<std::size_t>(N) * C;
  const act a = activations(B, T);
  const grad_scratch g = scratch(B, T);
  const Scalar* P = parameters_.data();
  Scalar* G = gradients_.data();

  layers::cross_entropy_backward(g.dlogits, a.logits, a.lse, targets_.data(), coefficients_.data(), N, V);
  // Input gradients overwrite the inputs they belong to: d ln_f output into lnf, d gelu into the gelu
  // scratch, d ln output and d attention output into the ln scratch.
  Scalar* dlnf = a.lnf;
  layers::linear_backward(dlnf, G + offsets_.lm_head, static_cast<Scalar*>(nullptr), g.dlogits, a.lnf,
                          P + offsets_.lm_head, N, C, V, g.partial_sums);
  layers::set_zero(g.dresidual, NC);  // layernorm_backward accumulates
  layers::layernorm_backward(g.dresidual, G + offsets_.lnf_weight, G + offsets_.lnf_bias, dlnf,
                             a.residual(config_.layers), a.lnf_mean, a.lnf_rstd, P + offsets_.lnf_weight, N, C,
                             g.partial_sums);
  for (int l = config_.layers - 1; l >= 0; --l) {
    const auto& o = offsets_.blocks[static_cast<std::size_t>(l)];
    const auto x = a.layer(l);
    // MLP: recompute ln_2 output and gelu output, then back through c_proj, gelu, c_fc, ln_2.
    layers::layernorm_apply(a.ln_scratch, x.residual2, x.ln2_mean, x.ln2_rstd, P + o.ln2_weight, P + o.ln2_bias,
                            N, C);
    layers::gelu_recompute_with_derivative(a.gelu_scratch, x.fch, NC * 4);  // x.fch now holds gelu'(fch)
    const auto C4 = static_cast<std::size_t>(4) * C;
    Scalar* dfch = a.gelu_scratch;
    Scalar* dln = a.ln_scratch;
    const Scalar* derivative = x.fch;
    layers::linear_backward(dfch, G + o.fc_proj_weight, G + o.fc_proj_bias, g.dresidual, a.gelu_scratch,
                            P + o.fc_proj_weight, N, 4 * C, C, g.partial_sums, false, [&](int r0, int r1) {
                              // d gelu -> d fch on this thread's rows: times gelu'(fch)
                              const auto end = static_cast<std::size_t>(r1) * C4;
                              for (auto i = static_cast<std::size_t>(r0) * C4; i < end; ++i) dfch[i] *= derivative[i];
                            });
    layers::linear_backward(dln, G + o.fc_weight, G + o.fc_bias, dfch, a.ln_scratch, P + o.fc_weight, N, C, 4 * C,
                            g.partial_sums);
    layers::layernorm_backward(g.dresidual, G + o.ln2_weight, G + o.ln2_bias, dln, x.residual2, x.ln2_mean,
                               x.ln2_rstd, P + o.ln2_weight, N, C, g.partial_sums);
    // Attention: back through c_proj, attention, c_attn, ln_1.
    Scalar* datty = a.ln_scratch;
    layers::linear_backward(datty, G + o.attn_proj_weight, G + o.attn_proj_bias, g.dresidual, x.atty,
                            P + o.attn_proj_weight, N, C, C, g.partial_sums);
    layers::attention_backward(x.qkv, g.attention, datty, B, T, C, H);  // x.qkv becomes dqkv
    layers::layernorm_apply(a.ln_scratch, a.residual(l), x.ln1_mean, x.ln1_rstd, P + o.ln1_weight,
                            P + o.ln1_bias, N, C);
    layers::linear_backward(dln, G + o.attn_weight, G + o.attn_bias, x.qkv, a.ln_scratch, P + o.attn_weight, N, C,
                            3 * C, g.partial_sums);
    layers::layernorm_backward(g.dresidual, G + o.ln1_weight, G + o.ln1_bias, dln, a.residual(l), x.ln1_mean,
                               x.ln1_rstd, P + o.ln1_weight, N, C, g.partial_sums);
  }
  layers::embedding_backward(G + offsets_.wte, G + offsets_.wpe, g.dresidual, tokens_.data(), B, T, C);
}

template <class Scalar>
auto gpt<Scalar>::hidden_state(int index) const -> const_tensor_view {
  if (!record_hidden_) throw error("gpt hidden_state: call set_record_hidden(true) before forward");
  if (batch_ == 0) throw error("gpt hidden_state: no forward pass yet");
  if (index < 0 || index > config_.layers)
    throw error("gpt hidden_state: index " + std::to_string(index) + " outside [0, " +
                std::to_string(config_.layers) + "]");
  return const_tensor_view(activations(batch_, time_).residual(index), batch_ * time_, config_.width);
}

template <class Scalar>
auto gpt<Scalar>::fill_in_activation_sizes(const gpt_config& config, int B, int T) -> activation_sizes {
  const std::size_t N = static_cast<std::size_t>(B) * T, C = static_cast<std::size_t>(config.width),
                    V = static_cast<std::size_t>(config.vocab_size);
  activation_sizes s{};
  s.embedded = N * C;
  s.block = {.residual = N * C, .ln1_mean = N, .ln1_rstd = N, .ln2_mean = N, .ln2_rstd = N, .qkv = 3 * N * C,
             .atty = N * C, .residual2 = N * C, .fch = 4 * N * C};
  s.tail = {.ln_scratch = N * C, .gelu_scratch = 4 * N * C, .lnf_mean = N, .lnf_rstd = N, .logits = N * V,
            .lse = N, .losses = N};
  for_each_block_tensor([&](std::size_t n) { s.block_total += n; }, s.block);
  s.total = s.embedded + static_cast<std::size_t>(config.layers) * s.block_total;
  for_each_tail_tensor([&](std::size_t n) { s.total += n; }, s.tail);
  return s;
}

template <class Scalar>
auto gpt<Scalar>::activations(int B, int T) const -> act {
  act a{};
  a.base = const_cast<Scalar*>(activations_.data());
  a.sizes = fill_in_activation_sizes(B, T);
  Scalar* p = a.base + a.sizes.embedded + static_cast<std::size_t>(config_.layers) * a.sizes.block_total;
  for_each_tail_tensor([&](std::size_t n, Scalar*& tensor) { tensor = p, p += n; }, a.sizes.tail,
                       static_cast<tail_tensors<Scalar*>&>(a));
  a.lnf = a.ln_scratch;
  return a;
}

template <class Scalar>
auto gpt<Scalar>::fill_in_scratch_sizes(const gpt_config& config, int B, int T) -> grad_tensors<std::size_t> {
  const std::size_t N = static_cast<std::size_t>(B) * T, C = static_cast<std::size_t>(config.width),
                    V = static_cast<std::size_t>(config.vocab_size);
  return {.dresidual = N * C, .dlogits = N * V,
          .attention = layers::attention_scratch_size(T, config.width / config.heads),
          .partial_sums = partial_sums_size(config, B, T)};
}

template <class Scalar>
std::size_t gpt<Scalar>::scratch_size(const gpt_config& config, int B, int T) {
  std::size_t total = 0;
  for_each_grad_tensor([&](std::size_t n) { total += n; }, fill_in_scratch_sizes(config, B, T));
  return total;
}

template <class Scalar>
std::size_t gpt<Scalar>::partial_sums_size(const gpt_config& config, int B, int T) {
  const int N = B * T, C = config.width;
  return std::max({layers::linear_backward_scratch_size(N, C, std::max(4 * C, config.vocab_size)),
                   layers::linear_backward_scratch_size(N, 4 * C, C), layers::layernorm_backward_scratch_size(N, C)});
}

template <class Scalar>
auto gpt<Scalar>::scratch(int B, int T) -> grad_scratch {
  // The thread count may have grown since reserve(): the attention scratch needs T*T blocks per thread.
  const auto need = scratch_size(B, T);
  if (need > scratch_.size()) scratch_.resize(need);
  grad_scratch g{};
  Scalar* p = scratch_.data();
  for_each_grad_tensor([&](std::size_t n, Scalar*& tensor) { tensor = p, p += n; }, fill_in_scratch_sizes(B, T), g);
  return g;
}

template <class Scalar>
void gpt<Scalar>::check_shape(int batch, int time) const {
  if (batch < 1) throw error("gpt: batch must be >= 1, got " + std::to_string(batch));
  if (time < 1 || time > config_.context_length)
    throw error("gpt: time " + std::to_string(time) + " outside [1, context_length = " +
                std::to_string(config_.context_length) + "]");
}

template <class Scalar>
auto gpt<Scalar>::view(Scalar* base, std::string_view name) -> tensor_view {
  const auto& t = find_tensor(layout_, name);
  const auto rows = t.shape.size() >= 2 ? static_cast<Eigen::Index>(t.shape[0]) : 1;
  return tensor_view(base + t.offset, rows, static_cast<Eigen::Index>(t.size) / rows);
}

}  // namespace induct::nn
