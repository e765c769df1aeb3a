#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/setup/document_model.hpp"
#include "induct/setup/world.hpp"

using namespace induct::setup;

TEST_CASE("every invalid config field is rejected by the world, naming the field") {
  const std::vector<std::pair<std::string, nlohmann::json>> bad = {
      {"entities", 0},
      {"functions", -1},
      {"bijection_fraction", 1.5},
      {"filler_words", 0},
      {"depth_continue", -0.1},
      {"depth_continue", 1.0},
      {"max_depth", 0},
      {"share_fact", 2.0},
      {"share_direct_list", -0.5},
      {"direct_composite_rate", 1.01},
      {"list_length_mean", 0.5},
      {"list_length_max", 0},
      {"direct_zipf_exponent", 0.0},
      {"stepwise_zipf_exponent", -1.0},
      {"filler_length_min", 0},
      {"segments_per_document_mean", 0.9},
      {"list_length_law", "uniform"},
      {"entities", "many"},
  };
  for (const auto& [field, value] : bad) {
    INFO(field, " = ", value.dump());
    CHECK_THROWS_WITH_AS(world(setup_config::from_json({{field, value}})), doctest::Contains(("'" + field + "'").c_str()),
                         induct::config_error);
  }
  // Shares that do not sum to 1 name a share field; filler_length_max below the minimum names it.
  CHECK_THROWS_WITH_AS(setup_config::from_json({{"share_fact", 0.4}}), doctest::Contains("sum to 1"), induct::config_error);
  CHECK_THROWS_WITH_AS(setup_config::from_json({{"filler_length_min", 5}, {"filler_length_max", 3}}),
                       doctest::Contains("'filler_length_max'"), induct::config_error);
  // The document model validates too (it may be built from a config without a world).
  setup_config c;
  c.max_depth = 0;
  CHECK_THROWS_WITH_AS(document_model{c}, doctest::Contains("'max_depth'"), induct::config_error);
  // A config round-trips through JSON and a changed field changes the fingerprint.
  setup_config d;
  d.list_length_law = length_law_kind::power_law;
  d.max_depth = 3;
  const auto back = setup_config::from_json(d.to_json());
  CHECK(back.to_json() == d.to_json());
  CHECK(world(back).fingerprint() == world(d).fingerprint());
  CHECK(world(d).fingerprint() != world(setup_config{}).fingerprint());
}
