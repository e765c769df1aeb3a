#pragma once
// Definitions for setup/held_out.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/core/error.hpp"
#include "induct/core/random.hpp"
#include "induct/setup/config.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/setup/held_out.hpp"

namespace induct::setup {

INDUCT_DEFINE held_out_set::held_out_set(const setup_config& config) {
  config.validate();
  functions_ = config.functions;
  formats_ = config.held_out_in;
  const auto m = static_cast<std::uint64_t>(config.functions);
  by_depth_.assign(static_cast<std::size_t>(config.max_depth) + 1, {});
  if (!config.held_out_chains.empty()) {
    for (const auto& label : config.held_out_chains) {
      const std::vector<int> chain = parse_chain_label(label, config.functions, "held_out_chains");
      std::uint64_t within = 0;
      for (int f : chain) within = within * m + static_cast<std::uint64_t>(f);
      by_depth_[chain.size()].push_back(within);
    }
  } else if (config.held_out_fraction > 0) {
    for (int k = 2; k <= std::min(config.held_out_max_depth, config.max_depth); ++k) {
      // N = m^k chains of depth k; count <= max_held_out_chains by validate(), so N is only overflow-checked.
      std::uint64_t chains_of_depth = 1;
      for (int j = 0; j < k; ++j) {
        if (chains_of_depth > std::numeric_limits<std::uint64_t>::max() / m)
          throw config_error("held_out_max_depth", "m^" + std::to_string(k) + " chains of depth " + std::to_string(k) +
                                                       " overflow 64 bits; lower held_out_max_depth");
        chains_of_depth *= m;
      }
      const auto count = static_cast<std::uint64_t>(
          std::llround(config.held_out_fraction * static_cast<double>(chains_of_depth)));
      // Floyd's algorithm: a uniform `count`-subset of [0, N) in `count` draws.
      random_engine rng = random_engine::for_stream(config.held_out_seed, held_out_stream + static_cast<std::uint64_t>(k));
      std::unordered_set<std::uint64_t> chosen;
      auto& held = by_depth_[static_cast<std::size_t>(k)];
      for (std::uint64_t j = chains_of_depth - std::min(count, chains_of_depth); j < chains_of_depth; ++j) {
        const std::uint64_t t = rng.below(j + 1);
        const std::uint64_t pick = chosen.count(t) ? j : t;
        chosen.insert(pick);
        held.push_back(pick);
      }
    }
  }
  for (auto& held : by_depth_) {
    std::sort(held.begin(), held.end());
    size_ += held.size();
  }
}

INDUCT_DEFINE std::vector<function_chain> held_out_set::chains(int depth) const {
  std::vector<function_chain> out;
  const auto m = static_cast<std::uint64_t>(functions_);
  for (std::uint64_t within : within_depth(depth)) {
    function_chain chain(static_cast<std::size_t>(depth));
    for (int j = depth; j-- > 0; within /= m) chain[static_cast<std::size_t>(j)] = static_cast<int>(within % m);
    out.push_back(std::move(chain));
  }
  return out;
}

INDUCT_DEFINE std::vector<function_chain> held_out_set::chains() const {
  std::vector<function_chain> out;
  for (std::size_t k = 0; k < by_depth_.size(); ++k)
    for (auto& chain : chains(static_cast<int>(k))) out.push_back(std::move(chain));
  return out;
}

INDUCT_DEFINE double held_out_set::prior_mass(const document_model& model, list_format format) const {
  if (!applies_to(format)) return 0.0;
  long double mass = 0;
  for (std::size_t k = 0; k < by_depth_.size(); ++k)
    if (!by_depth_[k].empty())
      mass += static_cast<long double>(by_depth_[k].size()) * model.depth_probability(static_cast<int>(k), format) /
              std::pow(static_cast<long double>(functions_), static_cast<long double>(k));
  return static_cast<double>(mass);
}

INDUCT_DEFINE nlohmann::json held_out_set::to_json(const document_model& model) const {
  nlohmann::json labels = nlohmann::json::array();
  for (const auto& chain : chains()) labels.push_back(chain_label(chain));
  return {{"formats", induct::to_string(formats_)},
          {"chains", labels},
          {"prior_mass",
           {{"direct", prior_mass(model, list_format::direct)}, {"stepwise", prior_mass(model, list_format::stepwise)}}}};
}

INDUCT_DEFINE std::vector<std::string> read_held_out_file(const std::filesystem::path& path) {
  const std::string text = read_text_file(path);
  std::vector<std::string> labels;
  std::size_t line_number = 0, begin = 0;
  while (begin <= text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    ++line_number;
    std::string line = text.substr(begin, end - begin);
    if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    const auto first = line.find_first_not_of(" \t\r");
    if (first != std::string::npos) {
      line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
      try {
        parse_chain_label(line, std::numeric_limits<int>::max(), "held-out chain");
      } catch (const config_error& e) {
        throw file_error(path.string(), "line " + std::to_string(line_number) + ": " + e.what());
      }
      labels.push_back(line);
    }
    begin = end + 1;
  }
  if (labels.empty()) throw file_error(path.string(), "lists no held-out chain (one label such as r2.r5 per line)");
  return labels;
}

}  // namespace induct::setup
