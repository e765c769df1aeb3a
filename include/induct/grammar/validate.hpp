#pragma once
// Validation of a PCFG: it must be a proper, clean, consistent grammar before the exact algorithms run.
//
//   proper:      |sum_{A -> alpha} p(A -> alpha) - 1| <= tolerance for every left side A
//                (with normalise = true, p is rescaled to p / sum instead, with a warning)
//   defined:     every nonterminal used on a right side has rules
//   productive:  every nonterminal derives some terminal string (least fixed point)
//   reachable:   every nonterminal is reachable from the start symbol
//   within limits: no rule has more than max_nullable_occurrences_per_rule nullable symbols (epsilon_free.hpp)
//                and viterbi_key_count(g) < max_viterbi_keys (viterbi.hpp), so later commands accept it
//   consistent:  rho(M) < 1, M the mean-count matrix (grammar/mean_count.hpp, by strongly connected block)
// Each violation is a grammar_error "FILE: what:" (FILE = g.source(), omitted when empty) listing the
// symbols and the lines of their rules: at most max_listed_problems of them, then "... and N more".
#include <string>
#include <vector>

#include "induct/core/linkage.hpp"
#include "induct/grammar/pcfg.hpp"

namespace induct::grammar {

struct validation_options {
  bool normalise = false;    // rescale improper left sides (with a warning) instead of rejecting them
  double tolerance = 1e-9;   // allowed |sum - 1| per left side
};

struct validation_report {
  std::vector<std::string> warnings;
  double spectral_radius = 0.0;
};

/// Checks (and with options.normalise repairs the sums of) `g`; throws grammar_error on the first failing class.
INDUCT_DECLARE validation_report validate(pcfg& g, const validation_options& options = {});

}  // namespace induct::grammar

#if INDUCT_HEADER_ONLY
#include "induct/grammar/detail/validate_impl.hpp"
#endif
