#pragma once
// Definitions for nn/parameters.hpp (see induct/core/linkage.hpp for the two modes).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "induct/nn/gpt_config.hpp"
#include "induct/nn/parameters.hpp"

namespace induct::nn {

INDUCT_DEFINE parameter_map map_parameters(const gpt_config& config) {
  config.validate();
  const std::int64_t V = config.vocab_size, T = config.context_length, C = config.width;
  parameter_map map;
  auto& layout = map.layout;
  auto& o = map.offsets;
  std::size_t offset = 0;
  // Appends the tensor at the current end of the buffer and returns its offset.
  auto add = [&](std::string name, std::vector<std::int64_t> shape) {
    std::size_t size = 1;
    for (auto d : shape) size *= static_cast<std::size_t>(d);
    layout.push_back({std::move(name), std::move(shape), offset, size});
    offset += size;
    return layout.back().offset;
  };
  o.wte = add("transformer.wte.weight", {V, C});
  o.wpe = add("transformer.wpe.weight", {T, C});
  o.blocks.resize(static_cast<std::size_t>(config.layers));
  for (int i = 0; i < config.layers; ++i) {
    const std::string p = "transformer.h." + std::to_string(i) + ".";
    auto& b = o.blocks[static_cast<std::size_t>(i)];
    b.ln1_weight = add(p + "ln_1.weight", {C});
    b.ln1_bias = add(p + "ln_1.bias", {C});
    b.attn_weight = add(p + "attn.c_attn.weight", {3 * C, C});
    b.attn_bias = add(p + "attn.c_attn.bias", {3 * C});
    b.attn_proj_weight = add(p + "attn.c_proj.weight", {C, C});
    b.attn_proj_bias = add(p + "attn.c_proj.bias", {C});
    b.ln2_weight = add(p + "ln_2.weight", {C});
    b.ln2_bias = add(p + "ln_2.bias", {C});
    b.fc_weight = add(p + "mlp.c_fc.weight", {4 * C, C});
    b.fc_bias = add(p + "mlp.c_fc.bias", {4 * C});
    b.fc_proj_weight = add(p + "mlp.c_proj.weight", {C, 4 * C});
    b.fc_proj_bias = add(p + "mlp.c_proj.bias", {C});
  }
  o.lnf_weight = add("transformer.ln_f.weight", {C});
  o.lnf_bias = add("transformer.ln_f.bias", {C});
  o.lm_head = add("lm_head.weight", {V, C});
  o.count = offset;
  return map;
}

INDUCT_DEFINE std::vector<tensor_info> parameter_layout(const gpt_config& config) {
  return map_parameters(config).layout;
}

INDUCT_DEFINE std::size_t parameter_count(const gpt_config& config) {
  return map_parameters(config).offsets.count;
}

}  // namespace induct::nn
