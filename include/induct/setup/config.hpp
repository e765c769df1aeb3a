#pragma once
// The default controlled setup of SPEC section 3: every number is a field with the spec's default, listed
// once in for_each_field (core/fields.hpp), which drives to_json, from_json and the range checks.
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/core/fields.hpp"
#include "induct/core/linkage.hpp"

namespace induct::setup {

/// Law of the number of items n >= 1 of a list (the iteration node's length law).
enum class length_law_kind { geometric, power_law };

/// The list formats a held-out chain is kept out of: both, or direct only (it still occurs in stepwise
/// lists, which tests transfer from spelled-out to direct use).
enum class held_out_formats { both, direct };

}  // namespace induct::setup

template <>
struct induct::enum_names<induct::setup::length_law_kind> {
  static constexpr std::array<std::pair<setup::length_law_kind, const char*>, 2> values = {
      {{setup::length_law_kind::geometric, "geometric"}, {setup::length_law_kind::power_law, "power_law"}}};
};

template <>
struct induct::enum_names<induct::setup::held_out_formats> {
  static constexpr std::array<std::pair<setup::held_out_formats, const char*>, 2> values = {
      {{setup::held_out_formats::both, "both"}, {setup::held_out_formats::direct, "direct"}}};
};

namespace induct::setup {

/// Most chains a seeded held-out fraction may hold out (the set is stored and searched per list).
inline constexpr std::size_t max_held_out_chains = 1'000'000;

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

  // Held-out compositions (setup/held_out.hpp): composite chains a sampled corpus never uses in a list of
  // the held-out formats. Either the explicit labels held_out_chains ("r2.r5", depth >= 2), or, when that is
  // empty, round(held_out_fraction * m^k) chains of each depth k = 2..held_out_max_depth drawn with
  // held_out_seed. The population grammar (idealized predictor, D, bounds) does not change.
  double held_out_fraction = 0.25;
  int held_out_max_depth = 3;
  std::uint64_t held_out_seed = 1;
  held_out_formats held_out_in = held_out_formats::both;
  std::vector<std::string> held_out_chains;

  /// Every field once, in declaration order (core/fields.hpp): JSON key, command-line option, help, bounds.
  template <class Self, class Visit>
  static void for_each_field(Self& self, Visit&& visit) {
    visit(field_info{"entities", "entities", "E: entity tokens e0..e{E-1}", 1, 65535}, self.entities);
    visit(field_info{"functions", "functions", "m: primitive functions (relation words r1..rm)", 1, 65535}, self.functions);
    visit(field_info{"bijection_fraction", "bijection-fraction", "share of the functions that are bijections", 0, 1},
          self.bijection_fraction);
    visit(field_info{"filler_words", "filler-words", "filler words w0..w{F-1}", 1, 65535}, self.filler_words);
    visit(field_info{"world_seed", "world-seed", "seed of the function tables"}, self.world_seed);
    visit(field_info{"depth_continue", "depth-continue", "c: P(chain depth k) proportional to (1-c) c^(k-1), c < 1", 0, 1},
          self.depth_continue);
    visit(field_info{"max_depth", "max-depth", "longest function chain", 1}, self.max_depth);
    visit(field_info{"share_fact", "share-fact", "share of fact segments (the four shares sum to 1)", 0, 1}, self.share_fact);
    visit(field_info{"share_direct_list", "share-direct-list", "share of direct list segments", 0, 1}, self.share_direct_list);
    visit(field_info{"share_stepwise_list", "share-stepwise-list", "share of stepwise list segments", 0, 1},
          self.share_stepwise_list);
    visit(field_info{"share_filler", "share-filler", "share of filler segments", 0, 1}, self.share_filler);
    visit(field_info{"direct_composite_rate", "direct-composite-rate",
                     "relative weight of composite (depth >= 2) chains in direct lists", 0, 1},
          self.direct_composite_rate);
    visit(field_info{"list_length_law", "list-length-law", "law of list lengths: geometric or power_law"}, self.list_length_law);
    visit(field_info{"list_length_mean", "list-length-mean", "mean of the geometric list length law", 1, finite_max},
          self.list_length_mean);
    visit(field_info{"list_length_max", "list-length-max", "longest list (both laws truncate to it)", 1}, self.list_length_max);
    visit(field_info{"direct_zipf_exponent", "direct-zipf-exponent", "power_law exponent s of direct list lengths",
                     above_zero, finite_max},
          self.direct_zipf_exponent);
    visit(field_info{"stepwise_zipf_exponent", "stepwise-zipf-exponent", "power_law exponent s of stepwise list lengths",
                     above_zero, finite_max},
          self.stepwise_zipf_exponent);
    visit(field_info{"filler_length_min", "filler-length-min", "shortest filler segment, in words", 1}, self.filler_length_min);
    visit(field_info{"filler_length_max", "filler-length-max", "longest filler segment, in words (>= the minimum)", 1},
          self.filler_length_max);
    visit(field_info{"segments_per_document_mean", "segments-per-document-mean", "mean number of segments per document",
                     1, finite_max},
          self.segments_per_document_mean);
    visit(field_info{"held_out_fraction", "held-out-fraction",
                     "share of the chains of each depth 2..held_out_max_depth never used in a training list", 0, 1},
          self.held_out_fraction);
    visit(field_info{"held_out_max_depth", "held-out-max-depth", "deepest held-out chains (held out from depth 2 on)", 2},
          self.held_out_max_depth);
    visit(field_info{"held_out_seed", "held-out-seed", "seed of the held-out chains"}, self.held_out_seed);
    visit(field_info{"held_out_formats", "held-out-formats",
                     "list formats held-out chains are kept out of: both, or direct (still in stepwise lists)"},
          self.held_out_in);
    visit(field_info{"held_out_chains", nullptr, "explicit held-out chains (labels r2.r5), replacing the fraction"},
          self.held_out_chains);
  }

  /// Throws config_error naming the first invalid field: the field bounds, then the cross-field rules.
  INDUCT_DECLARE void validate() const;

  INDUCT_DECLARE [[nodiscard]] nlohmann::json to_json() const;

  /// Reads the fields present in `j` over the defaults, then validates; unknown fields, wrong types and
  /// values outside a field's range are config_errors naming the field.
  INDUCT_DECLARE static setup_config from_json(const nlohmann::json& j);

  /// from_json for a configuration recorded by a corpus sidecar or a model file: a record made before
  /// held-out compositions existed (no "held_out_fraction" key) had none, so it reads as fraction 0.
  INDUCT_DECLARE static setup_config from_record(const nlohmann::json& j);
};

/// The chain of a label "r2.r5" (1-based relation numbers, applied first to last) for `functions`
/// functions: config_error naming `field` for a malformed label or a relation outside r1..r{functions}.
INDUCT_DECLARE std::vector<int> parse_chain_label(const std::string& label, int functions, const char* field = "chain");

}  // namespace induct::setup

#if INDUCT_HEADER_ONLY
#include "induct/setup/detail/config_impl.hpp"
#endif
