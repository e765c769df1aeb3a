#pragma once
// Definitions for setup/config.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

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
  if (!held_out_chains.empty()) {
    std::set<std::vector<int>> distinct;
    for (std::size_t i = 0; i < held_out_chains.size(); ++i) {
      const std::vector<int> chain = parse_chain_label(held_out_chains[i], functions, "held_out_chains");
      const std::string where = "held_out_chains[" + std::to_string(i) + "] '" + held_out_chains[i] + "'";
      require(chain.size() >= 2, "held_out_chains", where + ": only composite chains (depth >= 2) can be held out");
      require(static_cast<int>(chain.size()) <= max_depth, "held_out_chains",
              where + ": deeper than max_depth " + std::to_string(max_depth));
      require(distinct.insert(chain).second, "held_out_chains", where + ": listed twice");
    }
  } else {
    // m^k chains at depth k; the drawn set is stored, so its size is capped.
    double held = 0;
    for (int k = 2; k <= std::min(held_out_max_depth, max_depth); ++k)
      held += std::round(held_out_fraction * std::pow(static_cast<double>(functions), k));
    require(held <= static_cast<double>(max_held_out_chains), "held_out_fraction",
            "would hold out " + std::to_string(static_cast<long double>(held)) + " chains; at most " +
                std::to_string(max_held_out_chains) + " are supported (lower it or held_out_max_depth)");
  }
}

INDUCT_DEFINE std::vector<int> parse_chain_label(const std::string& label, int functions, const char* field) {
  std::vector<int> chain;
  std::size_t i = 0;
  const auto fail = [&](const std::string& why) -> void {
    throw config_error(field, "chain '" + label + "': " + why + " (expected relation names joined by '.', e.g. r2.r5)");
  };
  if (label.empty()) fail("empty");
  while (i <= label.size()) {
    if (i == label.size() || label[i] != 'r') fail("expected 'r' at character " + std::to_string(i + 1));
    std::size_t j = ++i;
    long long number = 0;
    while (j < label.size() && label[j] >= '0' && label[j] <= '9' && j - i < 9) number = number * 10 + (label[j++] - '0');
    if (j == i || (j < label.size() && label[j] != '.')) fail("bad relation number at character " + std::to_string(i + 1));
    if (number < 1 || number > functions)
      fail("relation r" + std::to_string(number) + " is outside r1..r" + std::to_string(functions));
    chain.push_back(static_cast<int>(number - 1));
    if (j == label.size()) break;
    i = j + 1;
  }
  return chain;
}

INDUCT_DEFINE nlohmann::json setup_config::to_json() const { return fields_to_json(*this); }

INDUCT_DEFINE setup_config setup_config::from_json(const nlohmann::json& j) {
  setup_config c;
  fields_from_json(c, j);
  c.validate();
  return c;
}

INDUCT_DEFINE setup_config setup_config::from_record(const nlohmann::json& j) {
  if (j.is_object() && !j.contains("held_out_fraction") && !j.contains("held_out_chains")) {
    nlohmann::json before_held_out = j;
    before_held_out["held_out_fraction"] = 0.0;
    return from_json(before_held_out);
  }
  return from_json(j);
}

}  // namespace induct::setup
