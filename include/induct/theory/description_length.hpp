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

#include "induct/core/linkage.hpp"
#include "induct/grammar/cag.hpp"
#include "induct/grammar/derivation.hpp"
#include "induct/grammar/pcfg.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/setup/world.hpp"

namespace induct::theory {

using setup::list_format;
using setup::list_task;

/// -sum log2 p(r) over the rules (indices into g.rules()) of a derivation; +inf if a rule has p = 0.
INDUCT_DECLARE double derivation_description_length_bits(const grammar::pcfg& g, std::span<const std::size_t> rule_indices);

INDUCT_DECLARE double derivation_description_length_bits(const grammar::pcfg& g, const grammar::derivation& d);

/// D of any CAG derivation, given by the grounded steps its sampler recorded (grammar/cag.hpp):
/// the derivation's rules in the grounded PCFG, whose probability equals the CAG derivation's.
INDUCT_DECLARE double derivation_description_length_bits(const grammar::grounded_cag& grounded,
                                                         const std::vector<grammar::grounded_step>& steps);

/// D(format, chain) = -log2 P(format, chain | list) bits; error for an invalid chain.
inline double description_length_bits(const setup::document_model& model, const list_task& task) {
  model.check_chain(task.chain);
  return model.description_length_bits(task);
}

/// D_equiv: -log2 of the summed prior of all chains of the task's format that behave like its chain
/// in that format (same map for direct lists; same step maps for stepwise lists). Enumerates the
/// m + ... + m^K chains, so it is meant for reporting, not for hot loops.
INDUCT_DECLARE double equivalent_description_length_bits(const setup::world& world, const list_task& task);

}  // namespace induct::theory

#if INDUCT_HEADER_ONLY
#include "induct/theory/detail/description_length_impl.hpp"
#endif
