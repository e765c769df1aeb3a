#pragma once
// The GPT-2 style decoder of SPEC section 5 with hand-written backward passes (after llm.c's train_gpt2.c):
//   x_0 = wte[tokens] + wpe[0..T)
//   per block l:  x' = x_l + c_proj(attn(ln_1(x_l))),  x_{l+1} = x' + mlp.c_proj(gelu(mlp.c_fc(ln_2(x'))))
//   logits = lm_head(ln_f(x_L)),  loss = sum_i w_i CE_i / sum_i w_i  (nats; positions with w_i = 0 or
//   target < 0 ignored).
// forward_patched overwrites chosen rows of some x_l with given vectors (activation patching) and goes on
// from there.
// All parameters live in one flat buffer (layout: parameters.hpp), gradients in a second one of the same
// layout. Activations live in one buffer sized for the largest (batch, time) seen and reused, so forward
// and backward allocate nothing after the first call of a given size. To save memory the LayerNorm
// outputs, GELU outputs and attention probabilities (B H T^2 per layer) are not stored: backward recomputes
// them (the attention output, N C per layer, is kept), and its input gradients overwrite activations that
// are no longer needed (so backward runs once per forward).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "induct/core/error.hpp"
#include "induct/core/linkage.hpp"
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
  void initialize(std::uint64_t seed);

  [[nodiscard]] std::span<Scalar> parameters() noexcept { return parameters_; }
  [[nodiscard]] std::span<const Scalar> parameters() const noexcept { return parameters_; }
  [[nodiscard]] std::span<Scalar> gradients() noexcept { return gradients_; }
  [[nodiscard]] std::span<const Scalar> gradients() const noexcept { return gradients_; }

  /// The parameter tensor `name` as a row-major matrix (1-D tensors as one row). Throws if unknown.
  [[nodiscard]] tensor_view parameter(std::string_view name) { return view(parameters_.data(), name); }
  [[nodiscard]] tensor_view gradient(std::string_view name) { return view(gradients_.data(), name); }

  /// Makes room for batch * time rows now, so that later calls up to that size never allocate.
  void reserve(int batch, int time);

  /// Forward pass over tokens [batch, time] (row-major). With targets (same shape) returns the weighted
  /// mean cross-entropy sum(w * CE) / sum(w) in nats (w = loss_weights or 1; 0 when every weight is 0);
  /// without targets returns 0 and only computes logits. time <= context_length.
  Scalar forward(const std::int32_t* tokens, const std::int32_t* targets, int batch, int time,
                 const Scalar* loss_weights = nullptr);

  /// Forward over rows that are one part of a larger batch whose loss weights sum to `batch_weight_total`
  /// W (targets required): the loss coefficients become w_i / W, so backward() accumulates this part's
  /// share d/dtheta sum_{i in part} w_i CE_i / W of the batch's mean-loss gradient (all 0 when W <= 0).
  /// Returns sum_{i in part} w_i CE_i in double, summed in row order (the part's loss numerator).
  /// With W = this part's own weight sum, backward gives the same bits as after forward().
  double forward_share(const std::int32_t* tokens, const std::int32_t* targets, int batch, int time,
                       const Scalar* loss_weights, double batch_weight_total);

  /// Exchanges the gradient buffer with `other` (same size, else error) without copying: a block's gradient
  /// leaves the model and the model gets `other`'s storage (its contents unchanged; zero it before backward).
  void swap_gradients(std::vector<Scalar>& other);

  /// One residual-stream vector to overwrite in forward_patched (activation patching): the stream x_layer
  /// (0 = after the embeddings, l = after block l) at row `row` = b * time + t becomes `value` (width
  /// entries) before anything reads it, so every later layer, and the logits, see the patched vector.
  struct residual_patch {
    int layer = 0;
    int row = 0;
    std::span<const Scalar> value;
  };

  /// Forward without targets (logits only) with `patches` applied, for causal tests. Patching a row with the
  /// vector an unpatched forward computes there leaves the logits bit-identical. Hidden states (when
  /// recorded) hold the patched stream; backward is refused after it, as after any forward without targets.
  /// Error for a patch outside [0, layers] x [0, batch * time) or of the wrong width.
  void forward_patched(const std::int32_t* tokens, int batch, int time, std::span<const residual_patch> patches);

  /// Sets every gradient to 0.
  void zero_gradients() { layers::set_zero(gradients_.data(), gradients_.size()); }

  /// Accumulates d loss / d parameters into gradients() for the last forward (which must have had targets).
  void backward();

  /// Logits [batch * time, vocab_size] (row-major) of the last forward.
  [[nodiscard]] const Scalar* logits() const noexcept { return activations(batch_, time_).logits; }
  [[nodiscard]] int last_batch() const noexcept { return batch_; }
  [[nodiscard]] int last_time() const noexcept { return time_; }

  /// Hidden states for probes: with recording on, hidden_state(0) is the residual stream after the
  /// embeddings and hidden_state(l) the residual stream after block l (l = 1..layers), each [B*T, C]
  /// from the last forward. They are the activations backward uses, so recording costs no extra memory.
  void set_record_hidden(bool record) noexcept { record_hidden_ = record; }
  [[nodiscard]] bool record_hidden() const noexcept { return record_hidden_; }
  [[nodiscard]] const_tensor_view hidden_state(int index) const;

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
  [[nodiscard]] static activation_sizes fill_in_activation_sizes(const gpt_config& config, int B, int T);
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
  [[nodiscard]] act activations(int B, int T) const;

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
  [[nodiscard]] static grad_tensors<std::size_t> fill_in_scratch_sizes(const gpt_config& config, int B, int T);
  [[nodiscard]] grad_tensors<std::size_t> fill_in_scratch_sizes(int B, int T) const { return fill_in_scratch_sizes(config_, B, T); }

  [[nodiscard]] static std::size_t scratch_size(const gpt_config& config, int B, int T);
  [[nodiscard]] std::size_t scratch_size(int B, int T) const { return scratch_size(config_, B, T); }
  /// The chunk sums of the Linear and LayerNorm backward (one at a time): the largest any layer needs.
  [[nodiscard]] static std::size_t partial_sums_size(const gpt_config& config, int B, int T);
  [[nodiscard]] grad_scratch scratch(int B, int T);

  void check_shape(int batch, int time) const;
  // forward's body; forward passes no patches. Returns sum_i w_i CE_i (double, row order) and sets the
  // loss coefficients w_i / W with W = *weight_total, or this batch's own weight sum when null; that sum
  // goes to *own_weight_sum when given.
  double run_forward(const std::int32_t* tokens, const std::int32_t* targets, int batch, int time,
                     const Scalar* loss_weights, std::span<const residual_patch> patches,
                     const double* weight_total = nullptr, double* own_weight_sum = nullptr);

  tensor_view view(Scalar* base, std::string_view name);

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
INDUCT_EXTERN_TEMPLATE(class gpt<float>)
INDUCT_EXTERN_TEMPLATE(class gpt<double>)

}  // namespace induct::nn

#if INDUCT_HEADER_ONLY
#include "induct/nn/detail/gpt_impl.hpp"
#endif
