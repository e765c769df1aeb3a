#pragma once
// Shape of the GPT-2 style decoder of SPEC section 5 (MLP hidden width 4 * width, no dropout); the fields
// are listed once in for_each_field (core/fields.hpp).
#include <string>

#include <nlohmann/json.hpp>

#include "induct/core/fields.hpp"
#include "induct/core/linkage.hpp"

namespace induct::nn {

struct gpt_config {
  int vocab_size = 128;      // V: token ids 0..V-1
  int context_length = 128;  // T_max: learned position embeddings
  int layers = 4;            // L: transformer blocks
  int width = 128;           // C: residual stream width
  int heads = 4;             // H: attention heads, head_dim = C / H

  [[nodiscard]] int head_dim() const noexcept { return width / heads; }
  [[nodiscard]] int mlp_width() const noexcept { return 4 * width; }

  /// Every field once, in declaration order (core/fields.hpp). vocab_size comes from the data, so it is no
  /// command-line option.
  template <class Self, class Visit>
  static void for_each_field(Self& self, Visit&& visit) {
    visit(field_info{"vocab_size", nullptr, "V: token ids 0..V-1", 1, 1 << 24}, self.vocab_size);
    visit(field_info{"context_length", "context", "T_max: longest input (learned position embeddings)", 1, 1 << 20},
          self.context_length);
    visit(field_info{"layers", "layers", "L: transformer blocks", 1, 1024}, self.layers);
    visit(field_info{"width", "width", "C: residual stream width (a multiple of heads)", 1, 65536}, self.width);
    visit(field_info{"heads", "heads", "H: attention heads, head_dim = width / heads", 1, 65536}, self.heads);
  }

  /// Throws config_error naming the first invalid field: the field bounds, then width % heads and the
  /// size of the embedding matrix.
  INDUCT_DECLARE void validate() const;

  INDUCT_DECLARE [[nodiscard]] nlohmann::json to_json() const;

  /// Reads the fields present in `j` over the defaults, then validates; unknown fields, wrong types and
  /// out-of-range values are config_errors naming the field.
  INDUCT_DECLARE static gpt_config from_json(const nlohmann::json& j);

  friend bool operator==(const gpt_config&, const gpt_config&) = default;
};

/// Training FLOPs per token at full context T = context_length:
///   6 (12 L C^2 + V C) + 12 L T C,
/// 6 per weight of every matrix product (forward 2, backward 4: the Linear layers and lm_head; embeddings
/// are lookups) plus attention's 2 products of T x C per layer forward (scores, weighted values), times 3
/// for forward and backward. The figure behind model FLOP/s (bench_nn) and Slurm time limits.
[[nodiscard]] inline double training_flops_per_token(const gpt_config& c) noexcept {
  const double C = c.width, L = c.layers, T = c.context_length, V = c.vocab_size;
  return 6.0 * (L * 12.0 * C * C + V * C) + 12.0 * L * T * C;
}

}  // namespace induct::nn

#if INDUCT_HEADER_ONLY
#include "induct/nn/detail/gpt_config_impl.hpp"
#endif
