#pragma once
// Iteration complexity R: the excess log-loss that a single list derivation tau = (format, chain)
// pays over the idealized predictor on a list sequence's NON-answer tokens (inputs, `:`, and the
// continue/stop decisions `;` `]` of the iteration):
//
//   R(s; tau) = sum_{t in s, t not an answer token of tau} [ -log2 p(t | tau, prefix) + log2 p_ideal(t | prefix) ].
//
// Answer tokens of tau: direct, the value after each `:`; stepwise, all k step values after it.
// Everything is conditioned on the list's opening `<d> [`. Inputs are uniform and `:` certain under
// every hypothesis, so they contribute exactly 0; each `;` after item i contributes
//   log2 p_ideal(; | prefix) - log2 c_tau(i),   p_ideal(; | prefix) = sum_h post(h) 1{h may end the item} c_{F_h}(i),
// which can be negative (the `;` is evidence against hypotheses that would have gone on).
//
// Closed-form bound over n (a prompt of n examples has n continue tokens): since p_ideal(; | .) is
// a mixture of the c_F(i) (times indicators <= 1),
//   R_n <= Rbar_n(tau) = sum_{i=1..n} log2( max_F c_F(i) / c_{F_tau}(i) ),   max over formats with positive share.
//   * geometric law shared by both formats (the default): Rbar_n = 0 for every n;
//   * separate laws: when one format's continue probability dominates at every i, the sum
//     telescopes to Rbar_n = log2( S_max(n) / S_tau(n) ) with S(n) = P(N > n); for Zipf laws with
//     exponents s_tau > s_other, S(n) ~ n^(1-s), so Rbar_n = (s_tau - s_other) log2 n + O(1) = O(log n).
// The bound is attained in the limit by a task that both formats explain equally well for ever
// (a lookup task: its direct map and its depth-1 stepwise chain emit the same items).
#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "induct/core/linkage.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/theory/idealized_predictor.hpp"

namespace induct::theory {

/// Rbar_n: the prompt-independent bound on R for n continue tokens under tau's format; +inf when
/// a list of format `format` cannot have n + 1 items (the prompt is impossible).
INDUCT_DECLARE double iteration_complexity_bound_bits(const setup::document_model& model, list_format format, int examples);

/// Whether a prompt with `examples` examples (examples + 1 items) has positive probability in tau's format.
inline bool prompt_possible(const setup::document_model& model, list_format format, int examples) {
  return examples >= 0 && model.format_probability(format) > 0.0 && model.list_length_law(format).survival(examples) > 0.0;
}

/// The values tau emits for input x: {phi(x)} (direct) or the k step values (stepwise).
inline std::vector<int> task_item_values(const setup::world& world, const list_task& task, int x) {
  std::vector<int> values = world.steps(task.chain, x);
  if (task.format == list_format::direct) values = {values.back()};
  return values;
}

/// p(token | tau, prefix) for the prefix the predictor state has read (tau's own, single derivation).
INDUCT_DECLARE long double task_token_probability(const idealized_list_model& model, const list_task& task,
                                                  const idealized_predictor& state, token_id token);

/// Whether the next token is one of tau's answer tokens (a value of the current item under tau).
inline bool is_task_answer_position(const list_task& task, const idealized_predictor& state) {
  if (state.current_phase() != idealized_predictor::phase::in_answer) return false;
  const std::size_t length = task.format == list_format::direct ? 1 : task.chain.size();
  return state.current_answer().size() < length;
}

/// Exact R(s; tau) of a list sequence starting `<d> [` (a prompt, with or without its answers).
/// Error if tau cannot emit the sequence (it is not an iteration of tau) or the sequence is impossible.
INDUCT_DECLARE double iteration_complexity_bits(const idealized_list_model& model, const list_task& task,
                                                std::span<const token_id> sequence);

}  // namespace induct::theory

#if INDUCT_HEADER_ONLY
#include "induct/theory/detail/iteration_complexity_impl.hpp"
#endif
