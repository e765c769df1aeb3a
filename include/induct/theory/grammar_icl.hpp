#pragma once
// Theorem 1 on a user's grammar (issue 16): the exact idealized predictor on the ICL prompts of a
// setup::grammar_list_task, its errors per n, and the bound D + R for each prompt.
//
// Idealized predictor: the grammar with start L (the list as a document of its own, as the built-in
// predictor conditions on the list's opening), teacher forced on s = prompt ++ answer, exact by Earley
// (grammar/earley.hpp):  p_ideal(t | s_<i) = P_L(s_<i t ...) / P_L(s_<i ...).
// The task's own law p(. | tau): the same grammar with a new start S_tau -> rhs(r_tau) [1], so
//   P_L(s ...) >= P(tau | L) P_tau(s ...),   D = -log2 P(tau | L) = -log2 p(r_tau)   (the mixture dominates tau).
// Per scored sequence s (answer tokens: every item's answer span, the query's included):
//   L(s) = sum_{answer t} -log2 p_ideal(t | .)                  cumulative answer bits
//   A(s) = sum_{answer t} -log2 p(t | tau, .)                    0 when tau's answers are certain (Theorem 1's premise)
//   R(s) = sum_{other t} [-log2 p(t | tau, .) + log2 p_ideal(t | .)]
//        = -log2 P_tau(s ...) + log2 P_L(s ...) - A(s) + L(s)    (the chain rule on both sides)
// Theorem 1 (the domination above, split into answer and other tokens):  L(s) <= D + R(s) + A(s).
// A mistake is an answer token that is not the strict argmax of p_ideal (the end of the string competes, ties
// count as mistakes), so it has p <= 1/2 and costs >= 1 bit: mistakes M(s) <= L(s) <= D + R + A. The query is
// wrong when any of its answer tokens is a mistake (greedy generation goes wrong at the first one).
// R is 0 when every task of L shares the item inputs' law and the length law (the default setup's case), and
// can be negative (the separators are evidence against tasks that would have stopped).
// Measured side: any next-terminal predictor q (a trained model through its token ids, experiment/
// grammar_icl_measured.hpp) is scored on the same prompts by the same rules: its L_q(s), M_q(s) and query.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <vector>

#include "induct/core/linkage.hpp"
#include "induct/grammar/earley.hpp"
#include "induct/grammar/pcfg.hpp"
#include "induct/setup/grammar_prompts.hpp"

namespace induct::theory {

/// The exact account of one scored sequence (header comment).
struct grammar_prompt_score {
  int examples = 0;
  double cumulative_answer_bits = 0.0;     // L(s)
  int cumulative_mistakes = 0;             // M(s), answer tokens over the n + 1 items
  bool query_wrong = false;                // a mistake on the query's answer
  double query_answer_bits = 0.0;          // the query's share of L(s)
  double task_answer_bits = 0.0;           // A(s)
  double iteration_complexity_bits = 0.0;  // R(s; tau)
  double bound_bits = 0.0;                 // D + R + A
};

/// A predictor of the next terminal: sets `out` to q(. | prefix) over the task grammar's terminals (sorted by
/// id, as grammar::next_token_distribution) and the end, for a prefix of the task grammar's terminals.
using next_terminal_predictor =
    std::function<void(std::span<const grammar::symbol_id> prefix, grammar::next_token_distribution& out)>;

/// What a predictor's answers score on one prompt: sets examples, cumulative_answer_bits, cumulative_mistakes,
/// query_wrong and query_answer_bits by the rules of the header comment (the bound fields stay 0).
INDUCT_DECLARE [[nodiscard]] grammar_prompt_score score_predictor(const setup::grammar_prompt& prompt,
                                                                  const next_terminal_predictor& predictor);

/// One row of the curve: n, the prompts' means, the query error rate (and the measured predictor's, if any).
struct grammar_icl_row {
  int examples = 0;
  int prompts = 0;
  double description_length_bits = 0.0;      // D
  double mean_iteration_complexity_bits = 0.0;
  double mean_bound_bits = 0.0;              // mean of D + R + A
  double bound_per_answer = 0.0;             // mean_bound_bits / (n + 1)
  double ideal_mean_cum_bits = 0.0;          // mean L(s)
  double ideal_mean_cum_mistakes = 0.0;      // mean M(s)
  double ideal_query_error_rate = 0.0;       // fraction of prompts whose query is wrong
  double max_bound_excess_bits = 0.0;        // max over prompts of L - (D + R + A): <= 0 by Theorem 1 (rounding aside)
  bool vacuous = false;                      // mean bound >= n + 1 (theory/bounds.hpp's bound_vacuous)
  // The measured predictor's (NaN without one):
  double measured_mean_cum_bits = std::numeric_limits<double>::quiet_NaN();
  double measured_mean_cum_mistakes = std::numeric_limits<double>::quiet_NaN();
  double measured_query_error_rate = std::numeric_limits<double>::quiet_NaN();
};

/// Which prompts a curve scores.
struct grammar_icl_options {
  std::vector<int> examples{0, 1, 2, 4, 8, 16};
  int prompts = 100;        // per n: prompts 0 .. prompts-1 of `seed`
  std::uint64_t seed = 1;
  /// config_error naming the field for a negative n, an empty list or prompts < 1.
  INDUCT_DECLARE void validate() const;
};

/// The idealized predictor and tau's own law for one task; `task` must outlive it. Immutable, so it may be
/// shared by threads (one score() per call builds its own Earley states).
class grammar_icl_model {
 public:
  INDUCT_DECLARE explicit grammar_icl_model(const setup::grammar_list_task& task);

  [[nodiscard]] const setup::grammar_list_task& task() const noexcept { return *task_; }
  /// D = -log2 p(r_tau).
  [[nodiscard]] double description_length_bits() const noexcept { return description_length_bits_; }

  /// The account of `prompt` (sets every field); error naming the token if s is impossible under L or tau.
  INDUCT_DECLARE [[nodiscard]] grammar_prompt_score score(const setup::grammar_prompt& prompt) const;

  /// p_ideal(. | prefix) over the grammar's terminals and the end, for the first `length` tokens of `s`.
  INDUCT_DECLARE [[nodiscard]] grammar::next_token_distribution ideal_next_tokens(
      const std::vector<grammar::symbol_id>& s, std::size_t length) const;

 private:
  const setup::grammar_list_task* task_;
  grammar::earley_grammar ideal_, own_;
  double description_length_bits_ = 0.0;
};

/// Scores prompts 0 .. prompts-1 at every n of `options` (options validated first) with the idealized
/// predictor and, if given, `measured` on the same prompts.
INDUCT_DECLARE std::vector<grammar_icl_row> grammar_icl_curve(const grammar_icl_model& model,
                                                              const grammar_icl_options& options,
                                                              const next_terminal_predictor* measured = nullptr);

}  // namespace induct::theory

#if INDUCT_HEADER_ONLY
#include "induct/theory/detail/grammar_icl_impl.hpp"
#endif
