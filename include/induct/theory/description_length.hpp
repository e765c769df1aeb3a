#pragma once
// Description length of a task derivation: D(tau) = -log2 P(tau), in bits.
//
// Generic: for any derivation of a PCFG (a grounded CAG included) given by the rules it uses,
//   D(tau) = -sum_{r in tau} log2 p(r).
// The list tasks of the default setup: the derivation below the list node is (format, chain
// f_1..f_k), with the prior of setup::document_model (SPEC section 3),
//   D(format, chain) = -log2 P(format | list) - log2 P(k | format) + k log2 m.
// Several chains can behave identically on every prompt (the same map in direct lists, the same
// sequence of step maps f_1, f_2 o f_1, ... in stepwise lists); the idealized predictor sums over
// them, so the *behavioural* description length
//   D_equiv(format, chain) = -log2 sum_{chains c' equivalent to chain} P(format, c' | list) <= D
// bounds its loss as well (Theorem 1 applied to the merged hypothesis).
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

namespace induct::theory {

using setup::list_format;
using setup::list_task;

/// -sum log2 p(r) over the rules (indices into g.rules()) of a derivation; +inf if a rule has p = 0.
inline double derivation_description_length_bits(const grammar::pcfg& g, std::span<const std::size_t> rule_indices) {
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

inline double derivation_description_length_bits(const grammar::pcfg& g, const grammar::derivation& d) {
  std::vector<std::size_t> rules(d.rules.begin(), d.rules.end());
  return derivation_description_length_bits(g, rules);
}

/// D of any CAG derivation, given by the grounded steps its sampler recorded (grammar/cag.hpp):
/// the derivation's rules in the grounded PCFG, whose probability equals the CAG derivation's.
inline double derivation_description_length_bits(const grammar::grounded_cag& grounded,
                                                 const std::vector<grammar::grounded_step>& steps) {
  return derivation_description_length_bits(grounded.grammar, grounded.to_derivation(steps));
}

/// D(format, chain) = -log2 P(format, chain | list) bits; error for an invalid chain.
inline double description_length_bits(const setup::document_model& model, const list_task& task) {
  model.check_chain(task.chain);
  return model.description_length_bits(task);
}

/// D_equiv: -log2 of the summed prior of all chains of the task's format that behave like its chain
/// in that format (same map for direct lists; same step maps for stepwise lists). Enumerates the
/// m + ... + m^K chains, so it is meant for reporting, not for hot loops.
inline double equivalent_description_length_bits(const setup::world& world, const list_task& task) {
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
