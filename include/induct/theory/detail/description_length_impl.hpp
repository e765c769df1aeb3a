#pragma once
// Definitions for theory/description_length.hpp (see induct/core/linkage.hpp for the two modes).
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/grammar/cag.hpp"
#include "induct/grammar/derivation.hpp"
#include "induct/grammar/pcfg.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/setup/world.hpp"
#include "induct/theory/description_length.hpp"

namespace induct::theory {

INDUCT_DEFINE double derivation_description_length_bits(const grammar::pcfg& g, std::span<const std::size_t> rule_indices) {
  long double bits = 0.0L;
  for (std::size_t r : rule_indices) {
    if (r >= g.rule_count())
      throw error("derivation_description_length_bits: rule index " + std::to_string(r) + " is out of range (" +
                  std::to_string(g.rule_count()) + " rules)");
    const double p = g.rules()[r].probability;
    if (!(p > 0.0)) return std::numeric_limits<double>::infinity();
    bits -= std::log2(static_cast<long double>(p));
  }
  return static_cast<double>(bits);
}

INDUCT_DEFINE double derivation_description_length_bits(const grammar::pcfg& g, const grammar::derivation& d) {
  std::vector<std::size_t> rules(d.rules.begin(), d.rules.end());
  return derivation_description_length_bits(g, rules);
}

INDUCT_DEFINE double derivation_description_length_bits(const grammar::grounded_cag& grounded,
                                                        const std::vector<grammar::grounded_step>& steps) {
  return derivation_description_length_bits(grounded.grammar, grounded.to_derivation(steps));
}

INDUCT_DEFINE double equivalent_description_length_bits(const setup::world& world, const list_task& task) {
  const setup::document_model model(world.config());
  model.check_chain(task.chain);
  const int entities = world.entity_count();
  auto behaviour = [&](std::span<const int> chain) {
    // Direct lists show only phi(x); stepwise lists show every step value.
    std::vector<int> values;
    for (int x = 0; x < entities; ++x) {
      if (task.format == list_format::direct) {
        values.push_back(world.apply(chain, x));
      } else {
        int v = x;
        for (int f : chain) values.push_back(v = world.apply(f, v));
      }
    }
    return values;
  };
  const std::vector<int> target = behaviour(task.chain);
  long double total = 0.0L;
  for (std::size_t i = 0; i < model.chain_count(); ++i) {
    const setup::function_chain chain = model.chain_at(i);
    if (task.format == list_format::stepwise && chain.size() != task.chain.size()) continue;
    if (behaviour(chain) == target) total += std::exp2(static_cast<long double>(model.log2_task_prior(task.format, chain)));
  }
  return static_cast<double>(-std::log2(total));
}

}  // namespace induct::theory
