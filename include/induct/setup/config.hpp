#pragma once
// The default controlled setup of SPEC section 3: every number is a field with the spec's default.
#include <cmath>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"

namespace induct::setup {

/// Law of the number of items n >= 1 of a list (the iteration node's length law).
enum class length_law_kind { geometric, power_law };

struct setup_config {
  // World.
  int entities = 64;                  // E: tokens e0..e{E-1}
  int functions = 8;                  // m: primitive functions, named by relation words r1..rm
  double bijection_fraction = 0.5;    // share of the m functions that are bijections (rest many-to-one)
  int filler_words = 32;              // filler words w0..w{F-1}
  std::uint64_t world_seed = 1;       // seeds the function tables

  // Function prior (task grammar): P(k) proportional to (1-c) c^(k-1), k = 1..max_depth.
  double depth_continue = 0.4;        // c
  int max_depth = 4;

  // Segment shares of a document (must sum to 1).
  double share_fact = 0.50;
  double share_direct_list = 0.15;
  double share_stepwise_list = 0.20;
  double share_filler = 0.15;

  // Linguistic assumption: a direct list takes a composite (k >= 2) chain with this relative weight.
  double direct_composite_rate = 0.25;

  // Iteration length law of lists: geometric with this mean, truncated to [1, list_length_max] and
  // renormalised; or (power_law) Zipf n^-s on [1, list_length_max] with separate exponents per format.
  length_law_kind list_length_law = length_law_kind::geometric;
  double list_length_mean = 6.0;
  int list_length_max = 32;
  double direct_zipf_exponent = 2.0;
  double stepwise_zipf_exponent = 1.5;

  // Filler segments: uniform length in [filler_length_min, filler_length_max] words, then ".".
  int filler_length_min = 1;
  int filler_length_max = 8;

  // Segments per document: geometric with this mean (>= 1), so a document ends after each segment
  // with probability 1 / segments_per_document_mean.
  double segments_per_document_mean = 8.0;

  /// Throws config_error naming the first invalid field.
  void validate() const {
    auto require = [](bool ok, const char* field, const std::string& why) {
      if (!ok) throw config_error(field, why);
    };
    auto probability = [&](double p, const char* field) {
      require(std::isfinite(p) && p >= 0.0 && p <= 1.0, field, "must be a probability in [0, 1], got " + std::to_string(p));
    };
    require(entities >= 1, "entities", "must be >= 1, got " + std::to_string(entities));
    require(functions >= 1, "functions", "must be >= 1, got " + std::to_string(functions));
    probability(bijection_fraction, "bijection_fraction");
    require(filler_words >= 1, "filler_words", "must be >= 1, got " + std::to_string(filler_words));
    probability(depth_continue, "depth_continue");
    require(depth_continue < 1.0, "depth_continue", "must be < 1");
    require(max_depth >= 1, "max_depth", "must be >= 1, got " + std::to_string(max_depth));
    probability(share_fact, "share_fact");
    probability(share_direct_list, "share_direct_list");
    probability(share_stepwise_list, "share_stepwise_list");
    probability(share_filler, "share_filler");
    const double total = share_fact + share_direct_list + share_stepwise_list + share_filler;
    require(std::abs(total - 1.0) < 1e-9, "share_fact", "segment shares must sum to 1, got " + std::to_string(total));
    require(share_direct_list + share_stepwise_list > 0.0, "share_direct_list", "lists must have positive share");
    probability(direct_composite_rate, "direct_composite_rate");
    require(std::isfinite(list_length_mean) && list_length_mean >= 1.0, "list_length_mean", "must be >= 1");
    require(list_length_max >= 1, "list_length_max", "must be >= 1, got " + std::to_string(list_length_max));
    require(std::isfinite(direct_zipf_exponent) && direct_zipf_exponent > 0.0, "direct_zipf_exponent", "must be > 0");
    require(std::isfinite(stepwise_zipf_exponent) && stepwise_zipf_exponent > 0.0, "stepwise_zipf_exponent", "must be > 0");
    require(filler_length_min >= 1, "filler_length_min", "must be >= 1");
    require(filler_length_max >= filler_length_min, "filler_length_max", "must be >= filler_length_min");
    require(std::isfinite(segments_per_document_mean) && segments_per_document_mean >= 1.0,
            "segments_per_document_mean", "must be >= 1");
    require(entities + functions + filler_words + 6 <= 65535, "entities", "vocabulary must fit uint16 tokens");
  }

  [[nodiscard]] nlohmann::json to_json() const {
    return {{"entities", entities},
            {"functions", functions},
            {"bijection_fraction", bijection_fraction},
            {"filler_words", filler_words},
            {"world_seed", world_seed},
            {"depth_continue", depth_continue},
            {"max_depth", max_depth},
            {"share_fact", share_fact},
            {"share_direct_list", share_direct_list},
            {"share_stepwise_list", share_stepwise_list},
            {"share_filler", share_filler},
            {"direct_composite_rate", direct_composite_rate},
            {"list_length_law", list_length_law == length_law_kind::geometric ? "geometric" : "power_law"},
            {"list_length_mean", list_length_mean},
            {"list_length_max", list_length_max},
            {"direct_zipf_exponent", direct_zipf_exponent},
            {"stepwise_zipf_exponent", stepwise_zipf_exponent},
            {"filler_length_min", filler_length_min},
            {"filler_length_max", filler_length_max},
            {"segments_per_document_mean", segments_per_document_mean}};
  }

  /// Reads the fields present in `j` over the defaults; unknown fields and wrong types are errors.
  static setup_config from_json(const nlohmann::json& j) {
    setup_config c;
    if (!j.is_object()) throw config_error("<root>", "setup config must be a JSON object");
    for (const auto& [key, value] : j.items()) {
      try {
        if (key == "entities") c.entities = value.get<int>();
        else if (key == "functions") c.functions = value.get<int>();
        else if (key == "bijection_fraction") c.bijection_fraction = value.get<double>();
        else if (key == "filler_words") c.filler_words = value.get<int>();
        else if (key == "world_seed") c.world_seed = value.get<std::uint64_t>();
        else if (key == "depth_continue") c.depth_continue = value.get<double>();
        else if (key == "max_depth") c.max_depth = value.get<int>();
        else if (key == "share_fact") c.share_fact = value.get<double>();
        else if (key == "share_direct_list") c.share_direct_list = value.get<double>();
        else if (key == "share_stepwise_list") c.share_stepwise_list = value.get<double>();
        else if (key == "share_filler") c.share_filler = value.get<double>();
        else if (key == "direct_composite_rate") c.direct_composite_rate = value.get<double>();
        else if (key == "list_length_law") {
          const auto law = value.get<std::string>();
          if (law == "geometric") c.list_length_law = length_law_kind::geometric;
          else if (law == "power_law") c.list_length_law = length_law_kind::power_law;
          else throw config_error(key, "must be \"geometric\" or \"power_law\", got \"" + law + "\"");
        } else if (key == "list_length_mean") c.list_length_mean = value.get<double>();
        else if (key == "list_length_max") c.list_length_max = value.get<int>();
        else if (key == "direct_zipf_exponent") c.direct_zipf_exponent = value.get<double>();
        else if (key == "stepwise_zipf_exponent") c.stepwise_zipf_exponent = value.get<double>();
        else if (key == "filler_length_min") c.filler_length_min = value.get<int>();
        else if (key == "filler_length_max") c.filler_length_max = value.get<int>();
        else if (key == "segments_per_document_mean") c.segments_per_document_mean = value.get<double>();
        else throw config_error(key, "unknown field");
      } catch (const nlohmann::json::exception& e) {
        throw config_error(key, std::string("wrong type: ") + e.what());
      }
    }
    c.validate();
    return c;
  }
};

}  // namespace induct::setup
