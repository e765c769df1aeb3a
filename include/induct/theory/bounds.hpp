#pragma once
// Bound calculators for Theorems 1 and 2 (docs/theory.md) and the trained-model extension.
//
// Theorem 1. For a list sequence s that iterates tau = (format, chain) over the n examples of a
// prompt and its query (n + 1 answered items), the idealized predictor's cumulative log-loss on
// tau's answer tokens, and the number of its argmax mistakes on them, are at most
//   B_n(tau) = D(tau) + R(s; tau) <= D(tau) + Rbar_n(tau),
// so the mistakes per example are at most B_n / n (the form SPEC section 1 states; the
// `bound_mistakes_per_example` columns, +inf at n = 0), and at most B_n / (n + 1) per answer.
// Vacuous: where D + Rbar_n >= n + 1 the bound allows every one of the n + 1 answers to be wrong
// (floor(D + Rbar_n) >= n + 1 mistakes), so it says nothing about the prompt; the tables flag it.
// (A stepwise item counts as wrong if any of its steps is; its wrong items <= its step mistakes.)
// The bound on the query alone is not Theorem 1's: see docs/theory.md, "The query's error".
// The exact value of the idealized loss behind the bound is theory/version_space.hpp.
// Theorem 2. For a composite chain the stepwise bound is tighter than the direct one exactly when
//   D_cot + Rbar_n(stepwise) < D_direct + Rbar_n(direct),
// and the final value of greedy stepwise generation is wrong only if some step's argmax is, so
// final-answer errors <= step mistakes <= D_cot + R.
// Extension. A trained model q with excess loss K = sum over answer tokens of
// [-log2 q(t | prefix) + log2 p_ideal(t | prefix)] (in expectation: the summed KL from the
// idealized predictor) has cumulative answer log-loss <= D + R + K.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "induct/core/linkage.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/theory/description_length.hpp"
#include "induct/theory/iteration_complexity.hpp"

namespace induct::theory {

/// D of any chain of `depth` functions in `format` (the prior depends on the chain only through k).
INDUCT_DECLARE double description_length_bits(const setup::document_model& model, list_format format, int depth);

/// One row of the Theorem 1 bound for a task format and a number of examples.
struct bound_row {
  list_format format = list_format::direct;
  int depth = 1;
  int examples = 0;
  bool possible = true;                     // false: n + 1 items exceed the length law's support
  double description_length_bits = 0.0;     // D(tau)
  double iteration_complexity_bits = 0.0;   // Rbar_n(tau), the closed-form bound on R
  double bound_cumulative_bits = 0.0;       // D + Rbar_n: cumulative answer log-loss and mistakes
  double bound_mistakes = 0.0;              // floor(D + Rbar_n): mistakes are integers
  double bound_mistakes_per_example = 0.0;  // (D + Rbar_n) / n, +inf at n = 0
  bool vacuous = false;                     // D + Rbar_n >= n + 1: every answer may be wrong (true when impossible)
};

/// Whether a bound B on the cumulative mistakes over the n + 1 answers of a prompt with n examples
/// is vacuous: B >= n + 1, i.e. it does not rule out that every answer is wrong.
inline bool bound_vacuous(double bound_cumulative_bits, int examples) noexcept {
  return !(bound_cumulative_bits < static_cast<double>(examples) + 1.0);
}

INDUCT_DECLARE bound_row theorem1_bound(const setup::document_model& model, list_format format, int depth, int examples);

/// Theorem 2 at one n: the direct and stepwise bounds of a chain depth and which is tighter.
struct stepwise_comparison {
  int depth = 2;
  int examples = 0;
  bound_row direct;
  bound_row stepwise;
  /// D_cot + Rbar_n(stepwise) < D_direct + Rbar_n(direct).
  [[nodiscard]] bool stepwise_tighter() const noexcept {
    return stepwise.bound_cumulative_bits < direct.bound_cumulative_bits;
  }
  /// D_direct - D_cot: how many bits the stepwise prior saves.
  [[nodiscard]] double description_length_gap_bits() const noexcept {
    return direct.description_length_bits - stepwise.description_length_bits;
  }
};

INDUCT_DECLARE stepwise_comparison theorem2_comparison(const setup::document_model& model, int depth, int examples);

/// The trained-model extension: D + R + K, with K the model's excess answer loss over the idealized predictor.
inline double trained_model_bound_bits(double description_length_bits, double iteration_complexity_bits,
                                       double excess_loss_bits) {
  return description_length_bits + iteration_complexity_bits + excess_loss_bits;
}

}  // namespace induct::theory

#if INDUCT_HEADER_ONLY
#include "induct/theory/detail/bounds_impl.hpp"
#endif
