#pragma once
// Definitions for setup/world.hpp (see induct/core/linkage.hpp for the two modes).
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/hash.hpp"
#include "induct/core/random.hpp"
#include "induct/setup/config.hpp"
#include "induct/setup/vocabulary.hpp"
#include "induct/setup/world.hpp"

namespace induct::setup {

INDUCT_DEFINE world::world(const setup_config& config) : config_(config) {
  config_.validate();
  vocabulary_ = vocabulary(config_.entities, config_.functions, config_.filler_words);
  random_engine rng = random_engine::for_stream(config_.world_seed, 0x776f726c64ULL /* "world" */);
  const int m = config_.functions;
  const int e = config_.entities;
  const int bijections = static_cast<int>(std::lround(config_.bijection_fraction * m));
  std::vector<char> bijective(static_cast<std::size_t>(m), 0);
  for (int i = 0; i < bijections; ++i) bijective[static_cast<std::size_t>(i)] = 1;
  rng.shuffle(bijective);  // which relation words name bijections is part of the seeded world
  tables_.assign(static_cast<std::size_t>(m), std::vector<int>(static_cast<std::size_t>(e)));
  is_bijection_.assign(static_cast<std::size_t>(m), false);
  for (int f = 0; f < m; ++f) {
    auto& table = tables_[static_cast<std::size_t>(f)];
    if (bijective[static_cast<std::size_t>(f)] || e == 1) {
      std::iota(table.begin(), table.end(), 0);
      rng.shuffle(table);
    } else {
      do {  // a uniform random map, redrawn in the rare case it happens to be a bijection
        for (auto& y : table) y = static_cast<int>(rng.below(static_cast<std::uint64_t>(e)));
      } while (is_permutation(table));
    }
    is_bijection_[static_cast<std::size_t>(f)] = is_permutation(table);
  }
  fingerprint_ = compute_fingerprint();
}

INDUCT_DEFINE nlohmann::json world::to_json() const {
  nlohmann::json j;
  nlohmann::json entities = nlohmann::json::array();
  for (int x = 0; x < config_.entities; ++x) entities.push_back(vocabulary_.name(vocabulary_.entity(x)));
  j["entities"] = entities;
  nlohmann::json functions = nlohmann::json::array();
  for (int f = 0; f < config_.functions; ++f)
    functions.push_back({{"name", vocabulary_.name(vocabulary_.relation(f))},
                         {"table", tables_[static_cast<std::size_t>(f)]},
                         {"bijection", static_cast<bool>(is_bijection_[static_cast<std::size_t>(f)])}});
  j["functions"] = functions;
  nlohmann::json vocab = nlohmann::json::object();
  for (std::size_t t = 0; t < vocabulary_.size(); ++t) vocab[vocabulary_.names()[t]] = t;
  j["vocabulary"] = vocab;
  j["config"] = config_.to_json();
  j["fingerprint"] = fingerprint_;
  return j;
}

INDUCT_DEFINE std::string world::compute_fingerprint() const {
  std::uint64_t h = fnv1a64(config_.to_json().dump());
  for (const auto& table : tables_)
    for (int y : table) h = fnv1a64(std::to_string(y) + ",", h);
  return to_hex(h);
}

}  // namespace induct::setup
