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
#include "induct/core/linkage.hpp"
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
  friend bool operator==(const tensor_info&, const tensor_info&) = default;
};

/// Offsets (in scalars, into the flat buffer) of one block's tensors; named after llm.c's
/// ParameterTensors, each comment gives the nanoGPT tensor transformer.h.<l>.<name> and its shape.
struct block_parameter_offsets {
  std::size_t ln1_weight;        // ln_1.weight [C]
  std::size_t ln1_bias;          // ln_1.bias [C]
  std::size_t attn_weight;       // attn.c_attn.weight [3C, C]  (q, k, v rows)
  std::size_t attn_bias;         // attn.c_attn.bias [3C]
  std::size_t attn_proj_weight;  // attn.c_proj.weight [C, C]
  std::size_t attn_proj_bias;    // attn.c_proj.bias [C]
  std::size_t ln2_weight;        // ln_2.weight [C]
  std::size_t ln2_bias;          // ln_2.bias [C]
  std::size_t fc_weight;         // mlp.c_fc.weight [4C, C]
  std::size_t fc_bias;           // mlp.c_fc.bias [4C]
  std::size_t fc_proj_weight;    // mlp.c_proj.weight [C, 4C]
  std::size_t fc_proj_bias;      // mlp.c_proj.bias [C]
  friend bool operator==(const block_parameter_offsets&, const block_parameter_offsets&) = default;
};

/// Offsets of every parameter tensor, by name: what forward, backward and the KV-cache decoder index
/// the flat buffer with (parameters + offsets.blocks[l].attn_weight is block l's c_attn weight).
struct parameter_offsets {
  std::size_t wte = 0;  // transformer.wte.weight [V, C]
  std::size_t wpe = 0;  // transformer.wpe.weight [T, C]
  std::vector<block_parameter_offsets> blocks;  // one per layer
  std::size_t lnf_weight = 0;  // transformer.ln_f.weight [C]
  std::size_t lnf_bias = 0;    // transformer.ln_f.bias [C]
  std::size_t lm_head = 0;     // lm_head.weight [V, C]
  std::size_t count = 0;       // scalars in the buffer (one past the last tensor)
  friend bool operator==(const parameter_offsets&, const parameter_offsets&) = default;
};

/// The layout and its named offsets, built together by the one function that knows the order.
struct parameter_map {
  std::vector<tensor_info> layout;
  parameter_offsets offsets;
};

/// The layout, in order:
///   transformer.wte.weight [V,C], transformer.wpe.weight [T,C],
///   per block i: transformer.h.i.{ln_1.weight [C], ln_1.bias [C], attn.c_attn.weight [3C,C],
///     attn.c_attn.bias [3C], attn.c_proj.weight [C,C], attn.c_proj.bias [C], ln_2.weight [C], ln_2.bias [C],
///     mlp.c_fc.weight [4C,C], mlp.c_fc.bias [4C], mlp.c_proj.weight [C,4C], mlp.c_proj.bias [C]},
///   transformer.ln_f.weight [C], transformer.ln_f.bias [C], lm_head.weight [V,C] (untied, no bias).
/// c_attn rows are q (first C rows), then k, then v; head h uses rows [h*C/H, (h+1)*C/H) of each.
/// Each tensor's offset is the sum of the sizes before it; offsets names each one's offset.
INDUCT_DECLARE parameter_map map_parameters(const gpt_config& config);

/// The layout of map_parameters: one tensor_info per tensor, in buffer order.
INDUCT_DECLARE std::vector<tensor_info> parameter_layout(const gpt_config& config);

/// Number of scalars: V*C + T*C + L*(12*C*C + 13*C) + 2*C + V*C.
INDUCT_DECLARE std::size_t parameter_count(const gpt_config& config);

/// The tensor called `name`; throws induct::error when there is none.
inline const tensor_info& find_tensor(const std::vector<tensor_info>& layout, std::string_view name) {
  for (const auto& t : layout)
    if (t.name == name) return t;
  throw error("no parameter tensor named '" + std::string(name) + "'");
}

}  // namespace induct::nn

#if INDUCT_HEADER_ONLY
#include "induct/nn/detail/parameters_impl.hpp"
#endif
