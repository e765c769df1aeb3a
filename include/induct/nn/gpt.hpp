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
#include <utility>
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
  /// Floats a training step at batch B and context T needs beside the parameters and their gradients: the
  /// activation table and backward's scratch (the same tables the allocation reads), for memory estimates.
  [[nodiscard]] static std::size_t step_memory_floats(const gpt_config& config, int B, int T) {
    return fill_in_activation_sizes(config, B, T).total + scratch_size(config, B, T);
  }

  using scalar_type = Scalar;
  using matrix = row_matrix<Scalar>;
  using tensor_view = Eigen::Map<matrix>;
  using const_tensor_view = Eigen::Map<const matrix>;

  explicit gpt(const gpt_config& config) : gpt(config, map_parameters(config)) {}

  [[nodiscard]] const gpt_config& config() const noexcept { return config_; }
  [[nodiscard]] const std::vector<tensor_info>& layout() const noexcept { return layout_; }
  /// Each parameter tensor's offset by name (the same offsets as layout(); parameters.hpp).
  [[nodiscard]] const parameter_offsets& offsets() const noexcept { return offsets_; }

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

    layers::embedding_forward(a.residual(0), tokens, P + offsets_.wte, P + offsets_.wpe, B, T, C);
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
    }
    layers::linear_forward(a.logits, a.lnf, P + offsets_.lm_head, static_cast<const Scalar*>(nullptr), N, C, V);
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
  gpt(const gpt_config& config, parameter_map map)
      : config_(config), layout_(std::move(map.layout)), offsets_(std::move(map.offsets)) {
    parameters_.assign(offsets_.count, Scalar(0));
    gradients_.assign(offsets_.count, Scalar(0));
  }

  // Activations: one table of tensor sizes (llm.c's fill_in_activation_sizes), read both by the allocation
  // (activation_size) and by the pointer carving (activations). Buffer order, for N = B*T rows:
  //   embedded; per block l = 0..L-1: block_tensors; then tail_tensors.
  // A tensor is a member of one of these structs: of std::size_t in the table, of Scalar* once carved.
  template <class Field>
  struct block_tensors {
    Field residual;   // x_{l+1}, the block's output: N C
    Field ln1_mean;   // ln_1 statistics: N
    Field ln1_rstd;   // N
    Field ln2_mean;   // ln_2 statistics: N
    Field ln2_rstd;   // N
    Field qkv;        // c_attn output, q | k | v per row: N 3C (backward: d qkv)
    Field atty;       // attention output, c_proj's input: N C
    Field residual2;  // x' = x_l + c_proj(atty): N C
    Field fch;        // mlp.c_fc output before GELU: N 4C (backward: gelu'(fch))
  };
  template <class Field>
  struct tail_tensors {
    Field ln_scratch;    // the current LayerNorm output (recomputed in backward), then ln_f's: N C
    Field gelu_scratch;  // the current GELU output (recomputed in backward): N 4C
    Field lnf_mean;      // ln_f statistics: N
    Field lnf_rstd;      // N
    Field logits;        // N V
    Field lse;           // log-sum-exp of each logits row: N
    Field losses;        // cross-entropy per position: N
  };
  /// Calls f(member, ...) on the same member of each argument, for every tensor in buffer order: the one
  /// list of a struct's members.
  template <class F, class... Tensors>
  static void for_each_block_tensor(F&& f, Tensors&&... t) {
    f(t.residual...), f(t.ln1_mean...), f(t.ln1_rstd...), f(t.ln2_mean...), f(t.ln2_rstd...);
    f(t.qkv...), f(t.atty...), f(t.residual2...), f(t.fch...);
  }
  template <class F, class... Tensors>
  static void for_each_tail_tensor(F&& f, Tensors&&... t) {
    f(t.ln_scratch...), f(t.gelu_scratch...), f(t.lnf_mean...), f(t.lnf_rstd...), f(t.logits...);
    f(t.lse...), f(t.losses...);
  }

  struct activation_sizes {
    std::size_t embedded;                // x_0 = wte[tokens] + wpe: N C
    block_tensors<std::size_t> block;    // each of the L blocks
    std::size_t block_total;             // sum of block's sizes
    tail_tensors<std::size_t> tail;
    std::size_t total;                   // embedded + L block_total + sum of tail's sizes
  };
  [[nodiscard]] static activation_sizes fill_in_activation_sizes(const gpt_config& config, int B, int T) {
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
  [[nodiscard]] activation_sizes fill_in_activation_sizes(int B, int T) const { return fill_in_activation_sizes(config_, B, T); }

  [[nodiscard]] std::size_t activation_size(int B, int T) const { return fill_in_activation_sizes(B, T).total; }

  // Pointers into the activation buffer for the current (B, T); recomputed per call (cheap, allocates nothing).
  struct act : tail_tensors<Scalar*> {
    Scalar* base;
    activation_sizes sizes;
    Scalar* lnf;  // ln_f output: the ln scratch, free after the last block
    // residual(0) = embeddings; residual(l + 1) = output of block l.
    [[nodiscard]] Scalar* residual(int l) const { return l == 0 ? base : layer(l - 1).residual; }
    [[nodiscard]] block_tensors<Scalar*> layer(int l) const {
      Scalar* p = base + sizes.embedded + static_cast<std::size_t>(l) * sizes.block_total;
      block_tensors<Scalar*> x{};
      for_each_block_tensor([&](std::size_t n, Scalar*& tensor) { tensor = p, p += n; }, sizes.block, x);
      return x;
    }
  };
  [[nodiscard]] act activations(int B, int T) const {
    act a{};
    a.base = const_cast<Scalar*>(activations_.data());
    a.sizes = fill_in_activation_sizes(B, T);
    Scalar* p = a.base + a.sizes.embedded + static_cast<std::size_t>(config_.layers) * a.sizes.block_total;
    for_each_tail_tensor([&](std::size_t n, Scalar*& tensor) { tensor = p, p += n; }, a.sizes.tail,
                         static_cast<tail_tensors<Scalar*>&>(a));
    a.lnf = a.ln_scratch;
    return a;
  }

  // Backward's scratch, likewise one size table carved once per call: dresidual, dlogits, attention,
  // partial_sums.
  template <class Field>
  struct grad_tensors {
    Field dresidual;     // d loss / d residual stream: N C
    Field dlogits;       // N V
    Field attention;     // attention backward's per-thread blocks (layers::attention_scratch_size)
    Field partial_sums;  // the Linear and LayerNorm backward's chunk sums (partial_sums_size)
  };
  template <class F, class... Tensors>
  static void for_each_grad_tensor(F&& f, Tensors&&... t) {
    f(t.dresidual...), f(t.dlogits...), f(t.attention...), f(t.partial_sums...);
  }
  using grad_scratch = grad_tensors<Scalar*>;
  [[nodiscard]] static grad_tensors<std::size_t> fill_in_scratch_sizes(const gpt_config& config, int B, int T) {
    const std::size_t N = static_cast<std::size_t>(B) * T, C = static_cast<std::size_t>(config.width),
                      V = static_cast<std::size_t>(config.vocab_size);
    return {.dresidual = N * C, .dlogits = N * V,
            .attention = layers::attention_scratch_size(T, config.width / config.heads),
            .partial_sums = partial_sums_size(config, B, T)};
  }
  [[nodiscard]] grad_tensors<std::size_t> fill_in_scratch_sizes(int B, int T) const { return fill_in_scratch_sizes(config_, B, T); }

  [[nodiscard]] static std::size_t scratch_size(const gpt_config& config, int B, int T) {
    std::size_t total = 0;
    for_each_grad_tensor([&](std::size_t n) { total += n; }, fill_in_scratch_sizes(config, B, T));
    return total;
  }
  [[nodiscard]] std::size_t scratch_size(int B, int T) const { return scratch_size(config_, B, T); }
  /// The chunk sums of the Linear and LayerNorm backward (one at a time): the largest any layer needs.
  [[nodiscard]] static std::size_t partial_sums_size(const gpt_config& config, int B, int T) {
    const int N = B * T, C = config.width;
    return std::max({layers::linear_backward_scratch_size(N, C, std::max(4 * C, config.vocab_size)),
                     layers::linear_backward_scratch_size(N, 4 * C, C), layers::layernorm_backward_scratch_size(N, C)});
  }
  [[nodiscard]] grad_scratch scratch(int B, int T) {
    // The thread count may have grown since reserve(): the attention scratch needs T*T blocks per thread.
    const auto need = scratch_size(B, T);
    if (need > scratch_.size()) scratch_.resize(need);
    grad_scratch g{};
    Scalar* p = scratch_.data();
    for_each_grad_tensor([&](std::size_t n, Scalar*& tensor) { tensor = p, p += n; }, fill_in_scratch_sizes(B, T), g);
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
  parameter_offsets offsets_;
  std::vector<Scalar> parameters_, gradients_, activations_, scratch_;
  std::vector<std::int32_t> tokens_, targets_;
  std::vector<Scalar> coefficients_;
  int batch_ = 0, time_ = 0;
  bool has_targets_ = false;
  bool backward_done_ = false;
  bool record_hidden_ = false;
};

}  // namespace induct::nn
