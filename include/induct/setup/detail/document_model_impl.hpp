#pragma once
// Definitions for setup/document_model.hpp (see induct/core/linkage.hpp for the two modes).
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/grammar/length_law.hpp"
#include "induct/setup/document_model.hpp"

namespace induct::setup {

INDUCT_DEFINE document_model::document_model(const setup_config& config)
    : config_(validated(config)),
      segments_(grammar::length_law::geometric(config_.segments_per_document_mean)),
      direct_length_(make_length_law(config_, list_format::direct)),
      stepwise_length_(make_length_law(config_, list_format::stepwise)) {
  const int max_depth = config_.max_depth;
  const long double c = config_.depth_continue;
  std::vector<long double> depth(static_cast<std::size_t>(max_depth) + 1, 0.0L);
  long double total = 0, direct_total = 0;
  for (int k = 1; k <= max_depth; ++k) {
    depth[static_cast<std::size_t>(k)] = (1 - c) * std::pow(c, static_cast<long double>(k - 1));
    total += depth[static_cast<std::size_t>(k)];
    direct_total += depth[static_cast<std::size_t>(k)] * (k == 1 ? 1.0L : static_cast<long double>(config_.direct_composite_rate));
  }
  depth_stepwise_.assign(static_cast<std::size_t>(max_depth) + 1, 0.0);
  depth_direct_.assign(static_cast<std::size_t>(max_depth) + 1, 0.0);
  for (int k = 1; k <= max_depth; ++k) {
    const long double p = depth[static_cast<std::size_t>(k)];
    depth_stepwise_[static_cast<std::size_t>(k)] = static_cast<double>(p / total);
    depth_direct_[static_cast<std::size_t>(k)] =
        static_cast<double>(p * (k == 1 ? 1.0L : static_cast<long double>(config_.direct_composite_rate)) / direct_total);
  }
}

INDUCT_DEFINE function_chain document_model::chain_at(std::size_t index) const {
  const auto m = static_cast<std::size_t>(config_.functions);
  std::size_t power = m;
  int k = 1;
  while (index >= power) {
    index -= power;
    power *= m;
    ++k;
    if (k > config_.max_depth) throw error("chain index out of range");
  }
  function_chain chain(static_cast<std::size_t>(k));
  for (int j = k; j-- > 0;) {
    chain[static_cast<std::size_t>(j)] = static_cast<int>(index % m);
    index /= m;
  }
  return chain;
}

INDUCT_DEFINE void document_model::check_chain(std::span<const int> chain) const {
  if (chain.empty() || static_cast<int>(chain.size()) > config_.max_depth)
    throw error("chain depth " + std::to_string(chain.size()) + " is outside 1.." + std::to_string(config_.max_depth));
  for (int f : chain)
    if (f < 0 || f >= config_.functions)
      throw error("function index " + std::to_string(f) + " is outside 0.." + std::to_string(config_.functions - 1));
}

INDUCT_DEFINE std::string chain_label(std::span<const int> chain) {
  std::string text;
  for (std::size_t j = 0; j < chain.size(); ++j) {
    if (j) text += '.';
    text += 'r';
    text += std::to_string(chain[j] + 1);
  }
  return text;
}

}  // namespace induct::setup
