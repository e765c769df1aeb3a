#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
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

TEST_CASE("setup_config's JSON is the one the hand-written to_json gave (the world fingerprint hashes it)") {
  // Captured from setup_config{}.to_json().dump() before the field list replaced the hand-written to_json,
  // with the held-out fields of issue 11 added (which moved every world fingerprint once).
  CHECK(setup_config{}.to_json().dump() ==
        R"({"bijection_fraction":0.5,"depth_continue":0.4,"direct_composite_rate":0.25,"direct_zipf_exponent":2.0,)"
        R"("entities":64,"filler_length_max":8,"filler_length_min":1,"filler_words":32,"functions":8,)"
        R"("held_out_chains":[],"held_out_formats":"both","held_out_fraction":0.25,"held_out_max_depth":3,)"
        R"("held_out_seed":1,)"
        R"("list_length_law":"geometric","list_length_max":32,"list_length_mean":6.0,"max_depth":4,)"
        R"("segments_per_document_mean":8.0,"share_direct_list":0.15,"share_fact":0.5,"share_filler":0.15,)"
        R"("share_stepwise_list":0.2,"stepwise_zipf_exponent":1.5,"world_seed":1})");
  CHECK(setup_config{}.to_json()["world_seed"].is_number_unsigned());
  setup_config power;
  power.list_length_law = length_law_kind::power_law;
  CHECK(power.to_json()["list_length_law"] == "power_law");
}

TEST_CASE("setup_config lists every field once, with the option spelled with dashes") {
  const setup_config defaults;
  const auto j = defaults.to_json();
  std::set<std::string> names, options;
  int fields = 0;
  setup_config::for_each_field(defaults, [&](const induct::field_info& info, const auto&) {
    ++fields;
    names.insert(info.name);
    if (info.option == nullptr) {  // the explicit held-out list comes from a file (the tool's --held-out FILE)
      CHECK(std::string(info.name) == "held_out_chains");
      return;
    }
    options.insert(info.option);
    std::string dashed = info.name;
    std::replace(dashed.begin(), dashed.end(), '_', '-');
    CHECK(std::string(info.option) == dashed);
    CHECK(j.contains(info.name));
    CHECK(std::string(info.help).size() > 0);
  });
  CHECK(fields == 25);
  CHECK(static_cast<int>(j.size()) == fields);
  CHECK(names.size() == j.size());
  CHECK(options.size() + 1 == j.size());
  CHECK(std::string(induct::find_field<setup_config>("world_seed")->option) == "world-seed");
  CHECK(std::string(induct::find_field<setup_config>("bijection_fraction")->option) == "bijection-fraction");
  CHECK(induct::find_field<setup_config>("no_such_field") == nullptr);
}

TEST_CASE("setup_config::from_json refuses values that do not fit, naming the field") {
  const std::vector<std::pair<std::string, nlohmann::json>> bad = {
      {"entities", 5e9},          {"entities", 5'000'000'000LL}, {"entities", 1.5},  {"world_seed", -1},
      {"world_seed", "1"},        {"entities", 70000},           {"max_depth", true}, {"share_filler", nullptr},
      {"list_length_mean", "6"}, {"nonsense", 1},
  };
  for (const auto& [field, value] : bad) {
    INFO(field, " = ", value.dump());
    CHECK_THROWS_WITH_AS(setup_config::from_json({{field, value}}), doctest::Contains(("'" + field + "'").c_str()),
                         induct::config_error);
  }
  // Validation of a hand-built config (not from JSON): non-finite values are outside.
  setup_config c;
  c.list_length_mean = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH_AS(c.validate(), doctest::Contains("'list_length_mean'"), induct::config_error);
  c = setup_config{};
  c.bijection_fraction = std::nan("");
  CHECK_THROWS_WITH_AS(c.validate(), doctest::Contains("'bijection_fraction'"), induct::config_error);
  c = setup_config{};
  c.entities = 60000;
  c.functions = 6000;
  CHECK_THROWS_WITH_AS(c.validate(), doctest::Contains("uint16"), induct::config_error);
  // An integer-valued float is an integer.
  CHECK(setup_config::from_json({{"entities", 16.0}}).entities == 16);
}
