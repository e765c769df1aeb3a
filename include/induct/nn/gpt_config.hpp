#pragma once
// Shape of the GPT-2 style decoder of SPEC section 5 (MLP hidden width 4 * width, no dropout).
#include <string>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"

namespace induct::nn {

struct gpt_config {
  int vocab_size = 128;      // V: token ids 0..V-1
  int context_length = 128;  // T_max: learned position embeddings
  int layers = 4;            // L: transformer blocks
  int width = 128;           // C: residual stream width
  int heads = 4;             // H: attention heads, head_dim = C / H

  [[nodiscard]] int head_dim() const noexcept { return width / heads; }
  [[nodiscard]] int mlp_width() const noexcept { return 4 * width; }

  /// Throws config_error naming the first invalid field.
  void validate() const {
    auto positive = [](int value, const char* field) {
      if (value < 1) throw config_error(field, "must be >= 1, got " + std::to_string(value));
    };
    positive(vocab_size, "vocab_size");
    positive(context_length, "context_length");
    positive(layers, "layers");
    positive(width, "width");
    positive(heads, "heads");
    if (width % heads != 0)
      throw config_error("heads", "width " + std::to_string(width) + " must be divisible by heads " +
                                      std::to_string(heads));
    // Buffers are indexed with std::size_t but Eigen maps take int-sized dimensions per tensor.
    if (static_cast<long long>(vocab_size) * width > 0x7fffffffLL)
      throw config_error("vocab_size", "vocab_size * width exceeds 2^31");
  }

  [[nodiscard]] nlohmann::json to_json() const {
    return {{"vocab_size", vocab_size},
            {"context_length", context_length},
            {"layers", layers},
            {"width", width},
            {"heads", heads}};
  }

  /// Reads the fields present in `j` over the defaults; unknown fields and wrong types are errors.
  static gpt_config from_json(const nlohmann::json& j) {
    gpt_config c;
    if (!j.is_object()) throw config_error("<root>", "gpt config must be a JSON object");
    for (const auto& [key, value] : j.items()) {
      try {
        if (key == "vocab_size") c.vocab_size = value.get<int>();
        else if (key == "context_length") c.context_length = value.get<int>();
        else if (key == "layers") c.layers = value.get<int>();
        else if (key == "width") c.width = value.get<int>();
        else if (key == "heads") c.heads = value.get<int>();
        else throw config_error(key, "unknown field");
      } catch (const nlohmann::json::exception& e) {
        throw config_error(key, std::string("wrong type: ") + e.what());
      }
    }
    c.validate();
    return c;
  }

  friend bool operator==(const gpt_config&, const gpt_config&) = default;
};

}  // namespace induct::nn
