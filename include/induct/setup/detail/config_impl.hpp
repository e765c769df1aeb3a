#pragma once
// Definitions for setup/config.hpp (see induct/core/linkage.hpp for the two modes).
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/core/fields.hpp"
#include "induct/setup/config.hpp"

namespace induct::setup {

INDUCT_DEFINE void setup_config::validate() const {
  check_field_bounds(*this);
  auto require = [](bool ok, const char* field, const std::string& why) {
    if (!ok) throw config_error(field, why);
  };
  require(depth_continue < 1.0, "depth_continue", "must be < 1");
  const double total = share_fact + share_direct_list + share_stepwise_list + share_filler;
  require(std::abs(total - 1.0) < 1e-9, "share_fact", "segment shares must sum to 1, got " + std::to_string(total));
  require(share_direct_list + share_stepwise_list > 0.0, "share_direct_list", "lists must have positive share");
  require(filler_length_max >= filler_length_min, "filler_length_max", "must be >= filler_length_min");
  require(entities + functions + filler_words + 6 <= 65535, "entities", "vocabulary must fit uint16 tokens");
}

INDUCT_DEFINE nlohmann::json setup_config::to_json() const { return fields_to_json(*this); }

INDUCT_DEFINE setup_config setup_config::from_json(const nlohmann::json& j) {
  setup_config c;
  fields_from_json(c, j);
  c.validate();
  return c;
}

}  // namespace induct::setup
