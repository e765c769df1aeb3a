#pragma once
// The world of the default setup: entities, m primitive functions f_i : E -> E (seeded random
// tables, a configured share bijections, the rest many-to-one), relation and filler words.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/linkage.hpp"
#include "induct/setup/config.hpp"
#include "induct/setup/vocabulary.hpp"

namespace induct::setup {

/// A chain of primitive functions, applied first to last: chain {a, b} denotes f_b(f_a(x)).
using function_chain = std::vector<int>;

class world {
 public:
  /// Generates the world of `config` (validated first) from config.world_seed.
  INDUCT_DECLARE explicit world(const setup_config& config);

  INDUCT_DETAIL world() : world(setup_config{}) {}  // a template in header-only mode: see core/linkage.hpp

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
  INDUCT_DECLARE [[nodiscard]] nlohmann::json to_json() const;

 private:
  static bool is_permutation(const std::vector<int>& table) {
    std::vector<char> seen(table.size(), 0);
    for (int y : table) {
      if (seen[static_cast<std::size_t>(y)]) return false;
      seen[static_cast<std::size_t>(y)] = 1;
    }
    return true;
  }

  INDUCT_DECLARE [[nodiscard]] std::string compute_fingerprint() const;

  setup_config config_;
  vocabulary vocabulary_;
  std::vector<std::vector<int>> tables_;
  std::vector<bool> is_bijection_;
  std::string fingerprint_;
};

}  // namespace induct::setup

#if INDUCT_HEADER_ONLY
#include "induct/setup/detail/world_impl.hpp"
#endif
