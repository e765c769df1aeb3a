// The named parameter offsets (parameter_offsets) against the layout's nanoGPT names: every field is the
// offset of the tensor it names, and together they cover the layout once, in order.
#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "induct/nn/gpt.hpp"
#include "induct/nn/parameters.hpp"

namespace {

using induct::nn::find_tensor;
using induct::nn::gpt_config;

gpt_config three_layers() {
  gpt_config c;
  c.vocab_size = 13;
  c.context_length = 7;
  c.layers = 3;
  c.width = 8;
  c.heads = 2;
  return c;
}

}  // namespace

TEST_CASE("parameter offsets: each named field is the offset of the nanoGPT tensor it names") {
  const auto config = three_layers();
  const auto map = induct::nn::map_parameters(config);
  const auto& layout = map.layout;
  const auto& o = map.offsets;
  CHECK(layout.size() == 2 + 12 * static_cast<std::size_t>(config.layers) + 3);
  CHECK(layout == induct::nn::parameter_layout(config));

  // (offset, name) for every field, in the order the layout lists the tensors.
  std::vector<std::pair<std::size_t, std::string>> named = {{o.wte, "transformer.wte.weight"},
                                                            {o.wpe, "transformer.wpe.weight"}};
  REQUIRE(o.blocks.size() == static_cast<std::size_t>(config.layers));
  for (int l = 0; l < config.layers; ++l) {
    const auto& b = o.blocks[static_cast<std::size_t>(l)];
    const std::string p = "transformer.h." + std::to_string(l) + ".";
    named.insert(named.end(), {{b.ln1_weight, p + "ln_1.weight"},
                               {b.ln1_bias, p + "ln_1.bias"},
                               {b.attn_weight, p + "attn.c_attn.weight"},
                               {b.attn_bias, p + "attn.c_attn.bias"},
                               {b.attn_proj_weight, p + "attn.c_proj.weight"},
                               {b.attn_proj_bias, p + "attn.c_proj.bias"},
                               {b.ln2_weight, p + "ln_2.weight"},
                               {b.ln2_bias, p + "ln_2.bias"},
                               {b.fc_weight, p + "mlp.c_fc.weight"},
                               {b.fc_bias, p + "mlp.c_fc.bias"},
                               {b.fc_proj_weight, p + "mlp.c_proj.weight"},
                               {b.fc_proj_bias, p + "mlp.c_proj.bias"}});
  }
  named.insert(named.end(), {{o.lnf_weight, "transformer.ln_f.weight"},
                             {o.lnf_bias, "transformer.ln_f.bias"},
                             {o.lm_head, "lm_head.weight"}});
  REQUIRE(named.size() == layout.size());
  for (std::size_t i = 0; i < named.size(); ++i) {
    INFO(named[i].second);
    CHECK(find_tensor(layout, named[i].second).offset == named[i].first);
    CHECK(layout[i].name == named[i].second);  // and in layout order: each field names a distinct tensor
  }
  CHECK(o.blocks[1].attn_weight == find_tensor(layout, "transformer.h.1.attn.c_attn.weight").offset);
  CHECK(o.count == layout.back().offset + layout.back().size);
  CHECK(o.count == induct::nn::parameter_count(config));

  // The model indexes its buffer with the same offsets.
  const induct::nn::gpt<float> model(config);
  CHECK(model.offsets() == o);
  CHECK(model.parameters().size() == o.count);
}
