#pragma once
// Definitions for grammar/sample.hpp (see induct/core/linkage.hpp for the two modes).
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "induct/grammar/pcfg.hpp"
#include "induct/grammar/sample.hpp"

namespace induct::grammar {

INDUCT_DEFINE sampler::sampler(const pcfg& g, sample_options options)
    : options_(options), source_(g.source()), start_(g.start()) {
  const std::size_t n = g.symbol_count();
  is_terminal_.resize(n);
  table_offset_.assign(n + 1, 0);
  for (symbol_id s = 0; s < n; ++s) is_terminal_[s] = g.is_terminal(s) ? 1 : 0;
  for (symbol_id s = 0; s < n; ++s) {
    table_offset_[s + 1] = table_offset_[s];
    if (g.is_terminal(s)) continue;
    const auto rules = g.rules_of(s);
    if (rules.empty()) continue;
    std::vector<double> weights;
    for (std::size_t r : rules) weights.push_back(g.rules()[r].probability);
    append_alias(weights, rules);
    table_offset_[s + 1] = static_cast<std::uint32_t>(threshold_.size());
  }
  rhs_offset_.assign(g.rule_count() + 1, 0);
  for (std::size_t r = 0; r < g.rule_count(); ++r) {
    const auto& rhs = g.rules()[r].rhs;
    for (auto it = rhs.rbegin(); it != rhs.rend(); ++it) reversed_rhs_.push_back(*it);
    rhs_offset_[r + 1] = static_cast<std::uint32_t>(reversed_rhs_.size());
  }
}

INDUCT_DEFINE void sampler::append_alias(const std::vector<double>& weights, std::span<const std::size_t> rules) {
  const std::size_t k = weights.size();
  const auto base = static_cast<std::uint32_t>(threshold_.size());
  double total = 0.0;
  for (double w : weights) total += w;
  std::vector<double> scaled(k);
  std::vector<std::uint32_t> small, large;
  std::vector<std::uint64_t> threshold(k, std::numeric_limits<std::uint64_t>::max());
  std::vector<std::uint32_t> alias(k);
  for (std::size_t i = 0; i < k; ++i) {
    alias[i] = static_cast<std::uint32_t>(i);
    scaled[i] = weights[i] * static_cast<double>(k) / total;
    (scaled[i] < 1.0 ? small : large).push_back(static_cast<std::uint32_t>(i));
  }
  while (!small.empty() && !large.empty()) {
    const auto s = small.back();
    small.pop_back();
    const auto l = large.back();
    threshold[s] = static_cast<std::uint64_t>(std::ldexp(scaled[s], 64));  // scaled < 1: fits
    alias[s] = l;
    scaled[l] = (scaled[l] + scaled[s]) - 1.0;
    if (scaled[l] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }
  // Columns left in either list hold (up to rounding) exactly 1: always keep themselves.
  for (std::size_t i = 0; i < k; ++i) {
    threshold_.push_back(threshold[i]);
    alias_.push_back(base + alias[i]);
    rule_of_.push_back(static_cast<std::uint32_t>(rules[i]));
  }
}

}  // namespace induct::grammar
