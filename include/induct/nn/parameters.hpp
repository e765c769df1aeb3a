#pragma once
// Layout of all GPT parameters in one flat buffer: nanoGPT names, PyTorch shapes (nn.Linear weight is
// [out, in] row-major), in nanoGPT's state_dict order. Gradients and AdamW moments use the same layout,
// so an optimizer step is one loop and a checkpoint one write per buffer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/nn/gpt_config.hpp"

namespace induct::nn {

/// One named tensor inside the flat buffer: elements [offset, offset + size).
struct tensor_info {
  std::string name;
  std::vector<std::int64_t> shape;
  std::size_t offset = 0;
  std::size_t size = 0;

  /// AdamW decays tensors of rank >= 2 (embeddings, Linear weights, lm_head), never biases or LayerNorm.
  [[nodiscard]] bool decays() const noexcept { return shape.size() >= 2; }
};

/// The layout, in order:
///   transformer.wte.weight [V,C], transformer.wpe.weight [T,C],
///   per block i: transformer.h.i.{ln_1.weight [C], ln_1.bias [C], attn.c_attn.weight [3C,C],
///     attn.c_attn.bias [3C], attn.c_proj.weight [C,C], attn.c_proj.bias [C], ln_2.weight [C], ln_2.bias [C],
///     mlp.c_fc.weight [4C,C], mlp.c_fc.bias [4C], mlp.c_proj.weight [C,4C], mlp.c_proj.bias [C]},
///   transformer.ln_f.weight [C], transformer.ln_f.bias [C], lm_head.weight [V,C] (untied, no bias).
/// c_attn rows are q (first C rows), then k, then v; head h uses rows [h*C/H, (h+1)*C/H) of each.
inline std::vector<tensor_info> parameter_layout(const gpt_config& config) {
  config.validate();
  const std::int64_t V = config.vocab_size, T = config.context_length, C = config.width;
  std::vector<tensor_info> layout;
  std::size_t offset = 0;
  auto add = [&](std::string name, std::vector<std::int64_t> shape) {
    std::size_t size = 1;
    for (auto d : shape) size *= static_cast<std::size_t>(d);
    layout.push_back({std::move(name), std::move(shape), offset, size});
    offset += size;
  };
  add("transformer.wte.weight", {V, C});
  add("transformer.wpe.weight", {T, C});
  for (int i = 0; i < config.layers; ++i) {
    const std::string p = "transformer.h." + std::to_string(i) + ".";
    add(p + "ln_1.weight", {C});
    add(p + "ln_1.bias", {C});
    add(p + "attn.c_attn.weight", {3 * C, C});
    add(p + "attn.c_attn.bias", {3 * C});
    add(p + "attn.c_proj.weight", {C, C});
    add(p + "attn.c_proj.bias", {C});
    add(p + "ln_2.weight", {C});
    add(p + "ln_2.bias", {C});
    add(p + "mlp.c_fc.weight", {4 * C, C});
    add(p + "mlp.c_fc.bias", {4 * C});
    add(p + "mlp.c_proj.weight", {C, 4 * C});
    add(p + "mlp.c_proj.bias", {C});
  }
  add("transformer.ln_f.weight", {C});
  add("transformer.ln_f.bias", {C});
  add("lm_head.weight", {V, C});
  return layout;
}

/// Number of scalars: V*C + T*C + L*(12*C*C + 13*C) + 2*C + V*C.
inline std::size_t parameter_count(const gpt_config& config) {
  const auto layout = parameter_layout(config);
  return layout.back().offset + layout.back().size;
}

/// The tensor called `name`; throws induct::error when there is none.
inline const tensor_info& find_tensor(const std::vector<tensor_info>& layout, std::string_view name) {
  for (const auto& t : layout)
    if (t.name == name) return t;
  throw error("no parameter tensor named '" + std::string(name) + "'");
}

}  // namespace induct::nn
