#pragma once
// Definitions for grammar/length_law.hpp (see induct/core/linkage.hpp for the two modes).
#include <nlohmann/json.hpp>

#include "induct/grammar/length_law.hpp"

namespace induct::grammar {

INDUCT_DEFINE nlohmann::json length_law::to_json() const {
  nlohmann::json j;
  switch (kind_) {
    case kind::geometric:
      j = {{"law", "geometric"}, {"mean", parameter_}};
      break;
    case kind::zipf:
      j = {{"law", "zipf"}, {"exponent", parameter_}};
      break;
    case kind::table: {
      nlohmann::json p = nlohmann::json::array();
      for (long double x : probability_) p.push_back(static_cast<double>(x));
      j = {{"law", "table"}, {"probabilities", p}};
      break;
    }
  }
  if (bounded()) j["max"] = max_;
  else j["max"] = nullptr;
  return j;
}

}  // namespace induct::grammar
