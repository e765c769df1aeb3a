#pragma once
// The world of the default setup: entities, m primitive functions f_i : E -> E (seeded random
// tables, a configured share bijections, the rest many-to-one), relation and filler words.
#include <cstdint>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/hash.hpp"
#include "induct/core/random.hpp"
#include "induct/setup/config.hpp"
#include "induct/setup/vocabulary.hpp"

namespace induct::setup {

/// A chain of primitive functions, applied first to last: chain {a, b} denotes f_b(f_a(x)).
using function_chain = std::vector<int>;

class world {
 public:
  /// Generates the world of `config` (validated first) from config.world_seed.
  explicit world(const setup_config& config) : config_(config) {
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

  world() : world(setup_config{}) {}

  [[nodiscard]] const setup_config& config() const noexcept { return config_; }
  [[nodiscard]] const vocabulary& vocab() const noexcept { return vocabulary_; }
  [[nodiscard]] int entity_count() const noexcept { return config_.entities; }
  [[nodiscard]] int function_count() const noexcept { return config_.functions; }

  /// f_i(x) for function index i (0-based, relation word r{i+1}) and entity index x.
  [[nodiscard]] int apply(int function_index, int entity) const {
    return tables_.at(static_cast<std::size_t>(function_index)).at(static_cast<std::size_t>(entity));
  }
  /// phi(x) for a chain applied first to last.
  [[nodiscard]] int apply(std::span<const int> chain, int entity) const {
    for (int f : chain) entity = apply(f, entity);
    return entity;
  }
  /// The intermediate values f_1(x), f_2(f_1(x)), ..., phi(x) (the last is the answer).
  [[nodiscard]] std::vector<int> steps(std::span<const int> chain, int entity) const {
    std::vector<int> values;
    values.reserve(chain.size());
    for (int f : chain) values.push_back(entity = apply(f, entity));
    return values;
  }

  [[nodiscard]] const std::vector<int>& table(int function_index) const {
    return tables_.at(static_cast<std::size_t>(function_index));
  }
  [[nodiscard]] bool is_bijection(int function_index) const {
    return is_bijection_.at(static_cast<std::size_t>(function_index));
  }

  /// 16 hex digits identifying config and tables: a changed config gives a different fingerprint.
  [[nodiscard]] const std::string& fingerprint() const noexcept { return fingerprint_; }

  /// {"entities":[...],"functions":[{"name","table","bijection"}],"vocabulary":{...},"config":{...},"fingerprint"}
  [[nodiscard]] nlohmann::json to_json() const {
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

 private:
  static bool is_permutation(const std::vector<int>& table) {
    std::vector<char> seen(table.size(), 0);
    for (int y : table) {
      if (seen[static_cast<std::size_t>(y)]) return false;
      seen[static_cast<std::size_t>(y)] = 1;
    }
    return true;
  }

  [[nodiscard]] std::string compute_fingerprint() const {
    std::uint64_t h = fnv1a64(config_.to_json().dump());
    for (const auto& table : tables_)
      for (int y : table) h = fnv1a64(std::to_string(y) + ",", h);
    return to_hex(h);
  }

  setup_config config_;
  vocabulary vocabulary_;
  std::vector<std::vector<int>> tables_;
  std::vector<bool> is_bijection_;
  std::string fingerprint_;
};

}  // namespace induct::setup
