#pragma once
// Definitions for nn/gpt_config.hpp (see induct/core/linkage.hpp for the two modes).
#include <string>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/core/fields.hpp"
#include "induct/nn/gpt_config.hpp"

namespace induct::nn {

INDUCT_DEFINE void gpt_config::validate() const {
  check_field_bounds(*this);
  if (width % heads != 0)
    throw config_error("heads", "width " + std::to_string(width) + " must be divisible by heads " +
                                    std::to_string(heads));
  // Buffers are indexed with std::size_t but Eigen maps take int-sized dimensions per tensor.
  if (static_cast<long long>(vocab_size) * width > 0x7fffffffLL)
    throw config_error("vocab_size", "vocab_size * width exceeds 2^31");
}

INDUCT_DEFINE nlohmann::json gpt_config::to_json() const { return fields_to_json(*this); }

INDUCT_DEFINE gpt_config gpt_config::from_json(const nlohmann::json& j) {
  gpt_config c;
  fields_from_json(c, j);
  c.validate();
  return c;
}

}  // namespace induct::nn
