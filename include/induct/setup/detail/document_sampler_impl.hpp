#pragma once
// Definitions for setup/document_sampler.hpp (see induct/core/linkage.hpp for the two modes).
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "induct/core/random.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/setup/document_sampler.hpp"
#include "induct/setup/world.hpp"

namespace induct::setup {

INDUCT_DEFINE document_sampler::document_sampler(const world& w)
    : world_(&w), model_(w.config()), held_out_(w.config()) {
  const auto& c = w.config();
  for (int f = 0; f < 2; ++f) {
    const auto format = f == 0 ? list_format::direct : list_format::stepwise;
    const double mass = held_out_.prior_mass(model_, format);
    holds_out_[f] = mass > 0.0;
    log2_kept_correction_[f] = -std::log2(1.0 - mass);
  }
  entities_ = static_cast<std::uint64_t>(c.entities);
  functions_ = static_cast<std::uint64_t>(c.functions);
  filler_words_ = static_cast<std::uint64_t>(c.filler_words);
  filler_min_ = c.filler_length_min;
  filler_range_ = static_cast<std::uint64_t>(c.filler_length_max - c.filler_length_min + 1);
  const double shares[segment_kind_count] = {c.share_fact, c.share_direct_list, c.share_stepwise_list, c.share_filler};
  segment_alias_ = positive_alias_table(std::span<const double>(shares, segment_kind_count));
  for (int k = 0; k < segment_kind_count; ++k) log2_share_[k] = std::log2(shares[k]);
  for (int f = 0; f < 2; ++f) {
    const auto format = f == 0 ? list_format::direct : list_format::stepwise;
    std::vector<double> depth(static_cast<std::size_t>(c.max_depth));
    auto& log2_depth = log2_depth_[f];
    log2_depth.assign(static_cast<std::size_t>(c.max_depth) + 1, 0.0);
    for (int k = 1; k <= c.max_depth; ++k) {
      depth[static_cast<std::size_t>(k - 1)] = model_.depth_probability(k, format);
      log2_depth[static_cast<std::size_t>(k)] = std::log2(model_.depth_probability(k, format));
    }
    depth_alias_[f] = positive_alias_table(depth);
    const auto& law = model_.list_length_law(format);
    std::vector<double> lengths(static_cast<std::size_t>(law.max_length()));
    auto& log2_length = log2_length_[f];
    log2_length.assign(lengths.size() + 1, 0.0);
    for (int n = 1; n <= law.max_length(); ++n) {
      lengths[static_cast<std::size_t>(n - 1)] = law.pmf(n);
      log2_length[static_cast<std::size_t>(n)] = law.log2_pmf(n);
    }
    length_alias_[f] = positive_alias_table(lengths);
  }
  log2_entities_ = std::log2(static_cast<double>(c.entities));
  log2_functions_ = std::log2(static_cast<double>(c.functions));
  log2_filler_words_ = std::log2(static_cast<double>(c.filler_words));
  log2_filler_range_ = std::log2(static_cast<double>(filler_range_));
  continue_segments_ = 1.0 - 1.0 / c.segments_per_document_mean;
  log2_continue_ = std::log2(continue_segments_);
  log2_stop_ = std::log2(1.0 - continue_segments_);
  chain_.reserve(static_cast<std::size_t>(c.max_depth));
  // Chain-index offsets of each depth (m + m^2 + ... + m^(k-1)).
  depth_offset_.assign(static_cast<std::size_t>(c.max_depth) + 1, 0);
  std::uint64_t power = 1, offset = 0;
  for (int k = 1; k <= c.max_depth; ++k) {
    depth_offset_[static_cast<std::size_t>(k)] = offset;
    power *= functions_;
    offset += power;
  }
}

INDUCT_DEFINE sampled_document document_sampler::sample(random_engine& rng, choice_record* record) {
  sampled_document document;
  document.log2_probability = sample_document(
      rng, document.tokens,
      [&](const segment_event& e) {
        document.segments.push_back({e.kind, function_chain(e.chain.begin(), e.chain.end()), e.length, e.begin});
      },
      record);
  return document;
}

}  // namespace induct::setup
