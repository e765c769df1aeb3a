#pragma once
// The GPT-2 style decoder of SPEC section 5 with hand-written backward passes (after llm.c's train_gpt2.c):
//   x_0 = wte[tokens] + wpe[0..T)
//   per block l:  x' = x_l + c_proj(attn(ln_1(x_l))),  x_{l+1} = x' + mlp.c_proj(gelu(mlp.c_fc(ln_2(x'))))
//   logits = lm_head(ln_f(x_L)),  loss = sum_i w_i CE_i / sum_i w_i  (nats; positions with w_i = 0 or
//   target < 0 ignored).
// All parameters live in one flat buffer (layout: parameters.hpp), gradients in a second one of the same
// layout. Activations live in one buffer sized for the largest (batch, time) seen and reused, so forward
// and backward allocate nothing after the first call of a given size. To save memory the LayerNorm
// outputs, GELU outputs and attention probabilities (B H T^2 per layer) are not stored: backward recomputes
// them (the attention output, N C per layer, is kept), and its input gradients overwrite activations that
// are no longer needed (so backward runs once per forward).
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
#include "induct/nn/gpt_config.hpp"
#include "induct/nn/layers.hpp"
#include "induct/nn/parameters.hpp"

namespace induct::nn {

template <class Scalar>
class gpt {
 public:
  using scalar_type = Scalar;
  using matrix = row_matrix<Scalar>;
  using tensor_view = Eigen::Map<matrix>;
  using const_tensor_view = Eigen::Map<const matrix>;

  explicit gpt(const gpt_config& config)
      : config_(config), layout_(parameter_layout(config)) {
    const std::size_t count = layout_.back().offset + layout_.back().size;
    parameters_.assign(count, Scalar(0));
    gradients_.assign(count, Scalar(0));
    // Offsets of each block's tensors, in layout order (12 per block after wte and wpe).
    blocks_.resize(static_cast<std::size_t>(config_.layers));
    for (int l = 0; l < config_.layers; ++l) {
      const auto* t = &layout_[2 + 12 * static_cast<std::size_t>(l)];
      auto& o = blocks_[static_cast<std::size_t>(l)];
      o = {t[0].offset, t[1].offset, t[2].offset, t[3].offset,  t[4].offset,  t[5].offset,
           t[6].offset, t[7].offset, t[8].offset, t[9].offset, t[10].offset, t[11].offset};
    }
    const std::size_t tail = 2 + 12 * static_cast<std::size_t>(config_.layers);
    lnf_weight_ = layout_[tail].offset;
    lnf_bias_ = layout_[tail + 1].offset;
    lm_head_ = layout_[tail + 2].offset;
  }

  [[nodiscard]] const gpt_config& config() const noexcept { return config_; }
  [[nodiscard]] const std::vector<tensor_info>& layout() const noexcept { return layout_; }

  /// GPT-2 initialisation, drawing from one random_engine(seed) in layout order: wte, wpe, every Linear
  /// weight and lm_head ~ normal(0, 0.02), residual projections (attn.c_proj, mlp.c_proj weights)
  /// ~ normal(0, 0.02 / sqrt(2 * layers)); biases 0; LayerNorm weight 1, bias 0.
  void initialize(std::uint64_t seed) {
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

  [[nodiscard]] std::span<Scalar> parameters() noexcept { return parameters_; }
  [[nodiscard]] std::span<const Scalar> parameters() const noexcept { return parameters_; }
  [[nodiscard]] std::span<Scalar> gradients() noexcept { return gradients_; }
  [[nodiscard]] std::span<const Scalar> gradients() const noexcept { return gradients_; }

  /// The parameter tensor `name` as a row-major matrix (1-D tensors as one row). Throws if unknown.
  [[nodiscard]] tensor_view parameter(std::string_view name) { return view(parameters_.data(), name); }
  [[nodiscard]] tensor_view gradient(std::string_view name) { return view(gradients_.data(), name); }

  /// Makes room for batch * time rows now, so that later calls up to that size never allocate.
  void reserve(int batch, int time) {
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

  /// Forward pass over tokens [batch, time] (row-major). With targets (same shape) returns the weighted
  /// mean cross-entropy sum(w * CE) / sum(w) in nats (w = loss_weights or 1; 0 when every weight is 0);
  /// without targets returns 0 and only computes logits. time <= context_length.
  Scalar forward(const std::int32_t* tokens, const std::int32_t* targets, int batch, int time,
                 const Scalar* loss_weights = nullptr) {
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

    layers::embedding_forward(a.residual(0), tokens, P + layout_[0].offset, P + layout_[1].offset, B, T, C);
    // Each LayerNorm after the first runs in the epilogue of the Linear layer that writes its input rows.
    Scalar* ln = a.ln_scratch;
    const auto& first = blocks_.front();
    const auto x0 = a.layer(0);
    layers::layernorm_forward(ln, x0.ln1_mean, x0.ln1_rstd, a.residual(0), P + first.ln1_weight, P + first.ln1_bias, N,
                              C);
    for (int l = 0; l < config_.layers; ++l) {
      const auto& o = blocks_[static_cast<std::size_t>(l)];
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
      const Scalar* next_weight = P + (last ? lnf_weight_ : blocks_[static_cast<std::size_t>(l) + 1].ln1_weight);
      const Scalar* next_bias = P + (last ? lnf_bias_ : blocks_[static_cast<std::size_t>(l) + 1].ln1_bias);
      layers::linear_forward(a.residual(l + 1), a.gelu_scratch, P + o.fc_proj_weight, P + o.fc_proj_bias, N, 4 * C, C,
                             false, static_cast<const Scalar*>(x.residual2), [&](int r0, int r1) {
                               // ln_1 of the next block (or ln_f) on the rows of the residual stream just written
                               layers::layernorm_rows(next_out, next_mean, next_rstd, a.residual(l + 1), next_weight,
                                                      next_bias, r0, r1, C);
                             });
    }
    layers::linear_forward(a.logits, a.lnf, P + lm_head_, static_cast<const Scalar*>(nullptr), N, C, V);
    if (!has_targets_) return Scalar(0);

    // Loss coefficients w_i / sum(w): summed in double, in order, so the mean does not depend on threads.
    double weight_sum = 0;
    for (int i = 0; i < N; ++i) {
      targets_[static_cast<std::size_t>(i)] = targets[i];
      const double w = targets[i] < 0 ? 0.0 : (loss_weights ? static_cast<double>(loss_weights[i]) : 1.0);
      coefficients_[static_cast<std::size_t>(i)] = static_cast<Scalar>(w);
      weight_sum += w;
    }
    layers::cross_entropy_forward(a.lse, a.losses, a.logits, targets_.data(), N, V);
    if (weight_sum <= 0) {
      std::fill(coefficients_.begin(), coefficients_.begin() + N, Scalar(0));
      return Scalar(0);
    }
    double loss = 0;
    for (int i = 0; i < N; ++i) {
      auto& c = coefficients_[static_cast<std::size_t>(i)];
      loss += static_cast<double>(c) * static_cast<double>(a.losses[i]);
      c = static_cast<Scalar>(static_cast<double>(c) / weight_sum);
    }
    return static_cast<Scalar>(loss / weight_sum);
  }

  /// Sets every gradient to 0.
  void zero_gradients() { layers::set_zero(gradients_.data(), gradients_.size()); }

  /// Accumulates d loss / d parameters into gradients() for the last forward (which must have had targets).
  void backward() {
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
    layers::linear_backward(dlnf, G + lm_head_, static_cast<Scalar*>(nullptr), g.dlogits, a.lnf, P + lm_head_, N, C,
                            V, g.partial_sums);
    layers::set_zero(g.dresidual, NC);  // layernorm_backward accumulates
    layers::layernorm_backward(g.dresidual, G + lnf_weight_, G + lnf_bias_, dlnf, a.residual(config_.layers),
                               a.lnf_mean, a.lnf_rstd, P + lnf_weight_, N, C, g.partial_sums);
    for (int l = config_.layers - 1; l >= 0; --l) {
      const auto& o = blocks_[static_cast<std::size_t>(l)];
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
    layers::embedding_backward(G + layout_[0].offset, G + layout_[1].offset, g.dresidual, tokens_.data(), B, T, C);
  }

  /// Logits [batch * time, vocab_size] (row-major) of the last forward.
  [[nodiscard]] const Scalar* logits() const noexcept { return activations(batch_, time_).logits; }
  [[nodiscard]] int last_batch() const noexcept { return batch_; }
  [[nodiscard]] int last_time() const noexcept { return time_; }

  /// Hidden states for probes: with recording on, hidden_state(0) is the residual stream after the
  /// embeddings and hidden_state(l) the residual stream after block l (l = 1..layers), each [B*T, C]
  /// from the last forward. They are the activations backward uses, so recording costs no extra memory.
  void set_record_hidden(bool record) noexcept { record_hidden_ = record; }
  [[nodiscard]] bool record_hidden() const noexcept { return record_hidden_; }
  [[nodiscard]] const_tensor_view hidden_state(int index) const {
    if (!record_hidden_) throw error("gpt hidden_state: call set_record_hidden(true) before forward");
    if (batch_ == 0) throw error("gpt hidden_state: no forward pass yet");
    if (index < 0 || index > config_.layers)
      throw error("gpt hidden_state: index " + std::to_string(index) + " outside [0, " +
                  std::to_string(config_.layers) + "]");
    return const_tensor_view(activations(batch_, time_).residual(index), batch_ * time_, config_.width);
  }

 private:
  struct block_offsets {
    std::size_t ln1_weight, ln1_bias, attn_weight, attn_bias, attn_proj_weight, attn_proj_bias, ln2_weight, ln2_bias,
        fc_weight, fc_bias, fc_proj_weight, fc_proj_bias;
  };

  // Pointers into the activation buffer for the current (B, T); recomputed per call (cheap).
  struct act {
    struct layer_acts {
      Scalar *ln1_mean, *ln1_rstd, *qkv, *atty, *residual2, *ln2_mean, *ln2_rstd, *fch;
    };
    Scalar* base;
    std::size_t NC, per_layer, layer0;
    int N, C;
    Scalar *ln_scratch, *gelu_scratch, *lnf, *lnf_mean, *lnf_rstd, *logits, *lse, *losses;
    // residual(0) = embeddings; residual(l + 1) = output of block l.
    [[nodiscard]] Scalar* residual(int l) const {
      return l == 0 ? base : base + layer0 + static_cast<std::size_t>(l - 1) * per_layer;
    }
    [[nodiscard]] layer_acts layer(int l) const {
      Scalar* p = residual(l + 1) + NC;
      layer_acts x{};
      x.ln1_mean = p;
      x.ln1_rstd = p + N;
      x.ln2_mean = p + 2 * N;
      x.ln2_rstd = p + 3 * N;
      p += 4 * static_cast<std::size_t>(N);
      x.qkv = p;
      p += 3 * NC;
      x.atty = p;
      p += NC;
      x.residual2 = p;
      p += NC;
      x.fch = p;
      return x;
    }
  };

  struct grad_scratch {
    Scalar *dresidual, *dlogits, *attention, *partial_sums;
  };

  [[nodiscard]] std::size_t per_layer_size(int B, int T) const {
    const std::size_t N = static_cast<std::size_t>(B) * T, C = static_cast<std::size_t>(config_.width);
    // residual out, 4 LayerNorm stats, qkv, attention output, residual2, fch
    return N * C + 4 * N + 3 * N * C + N * C + N * C + 4 * N * C;
  }
  [[nodiscard]] std::size_t activation_size(int B, int T) const {
    const std::size_t N = static_cast<std::size_t>(B) * T, C = static_cast<std::size_t>(config_.width),
                      V = static_cast<std::size_t>(config_.vocab_size);
    // embeddings, layers, ln scratch (also ln_f output), gelu scratch, ln_f stats, logits, lse, losses
    return N * C + static_cast<std::size_t>(config_.layers) * per_layer_size(B, T) + N * C + 4 * N * C + 2 * N + N * V +
           2 * N;
  }
  [[nodiscard]] act activations(int B, int T) const {
    act a{};
    const std::size_t N = static_cast<std::size_t>(B) * T, C = static_cast<std::size_t>(config_.width);
    a.base = const_cast<Scalar*>(activations_.data());
    a.NC = N * C;
    a.N = B * T;
    a.C = config_.width;
    a.layer0 = N * C;
    a.per_layer = per_layer_size(B, T);
    Scalar* p = a.base + a.layer0 + static_cast<std::size_t>(config_.layers) * a.per_layer;
    a.ln_scratch = p;
    p += N * C;
    a.gelu_scratch = p;
    p += 4 * N * C;
    a.lnf = a.ln_scratch;  // ln_f output: the per-layer scratch is free after the last block
    a.lnf_mean = p;
    a.lnf_rstd = p + N;
    p += 2 * N;
    a.logits = p;
    p += N * static_cast<std::size_t>(config_.vocab_size);
    a.lse = p;
    a.losses = p + N;
    return a;
  }

  [[nodiscard]] std::size_t scratch_size(int B, int T) const {
    const std::size_t N = static_cast<std::size_t>(B) * T, C = static_cast<std::size_t>(config_.width),
                      V = static_cast<std::size_t>(config_.vocab_size);
    return N * C + N * V + layers::attention_scratch_size(T, config_.width / config_.heads) + partial_sums_size(B, T);
  }
  /// The chunk sums of the Linear and LayerNorm backward (one at a time): the largest any layer needs.
  [[nodiscard]] std::size_t partial_sums_size(int B, int T) const {
    const int N = B * T, C = config_.width;
    return std::max({layers::linear_backward_scratch_size(N, C, std::max(4 * C, config_.vocab_size)),
                     layers::linear_backward_scratch_size(N, 4 * C, C), layers::layernorm_backward_scratch_size(N, C)});
  }
  [[nodiscard]] grad_scratch scratch(int B, int T) {
    // The thread count may have grown since reserve(): the attention scratch needs T*T blocks per thread.
    const auto need = scratch_size(B, T);
    if (need > scratch_.size()) scratch_.resize(need);
    const std::size_t N = static_cast<std::size_t>(B) * T, C = static_cast<std::size_t>(config_.width);
    grad_scratch g{};
    Scalar* p = scratch_.data();
    g.dresidual = p;
    p += N * C;
    g.dlogits = p;
    p += N * static_cast<std::size_t>(config_.vocab_size);
    g.attention = p;
    p += layers::attention_scratch_size(T, config_.width / config_.heads);
    g.partial_sums = p;
    return g;
  }

  void check_shape(int batch, int time) const {
    if (batch < 1) throw error("gpt: batch must be >= 1, got " + std::to_string(batch));
    if (time < 1 || time > config_.context_length)
      throw error("gpt: time " + std::to_string(time) + " outside [1, context_length = " +
                  std::to_string(config_.context_length) + "]");
  }

  tensor_view view(Scalar* base, std::string_view name) {
    const auto& t = find_tensor(layout_, name);
    const auto rows = t.shape.size() >= 2 ? static_cast<Eigen::Index>(t.shape[0]) : 1;
    return tensor_view(base + t.offset, rows, static_cast<Eigen::Index>(t.size) / rows);
  }

  gpt_config config_;
  std::vector<tensor_info> layout_;
  std::vector<block_offsets> blocks_;
  std::size_t lnf_weight_ = 0, lnf_bias_ = 0, lm_head_ = 0;
  std::vector<Scalar> parameters_, gradients_, activations_, scratch_;
  std::vector<std::int32_t> tokens_, targets_;
  std::vector<Scalar> coefficients_;
  int batch_ = 0, time_ = 0;
  bool has_targets_ = false;
  bool backward_done_ = false;
  bool record_hidden_ = false;
};

}  // namespace induct::nn
