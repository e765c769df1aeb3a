#pragma once
// Exact scoring of the idealized predictor on the ICL task suite (SPEC sections 3 and 4).
//
// A prompt `<d> [ x1 : a1 ; ... ; xn : an ; q :` with its task tau = (format, chain) is scored on
// the sequence s = prompt + the query's answer tokens (direct: phi(q); stepwise: the k steps):
//   query answer   direct: argmax of p_ideal(. | prompt) == phi(q);
//                  stepwise: greedy generation (argmax, fed back) until `;` or `]`, scored on its
//                  final value (and separately on every step);
//   log-loss       -log2 p_ideal(query answer tokens | prompt) (teacher forced), and the
//                  cumulative loss over the answer tokens of all n + 1 items of s;
//   mistakes       teacher-forced argmax mistakes over those answer tokens (Theorem 1 counts them);
//   R              the exact iteration complexity R(s; tau) of s (iteration_complexity.hpp).
// Per (task, format, n): the query's error rate with its Clopper-Pearson 95% interval, mean losses,
// the bound columns of Theorem 1, the mean version-space account of the cumulative loss
// (version_space.hpp: cumulative loss = VS + C), and the number of prompts whose loss or mistakes
// exceed D + R(s) (zero unless the theorem, or the code, is wrong).
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/linkage.hpp"
#include "induct/setup/prompt.hpp"
#include "induct/setup/tasks.hpp"
#include "induct/theory/idealized_predictor.hpp"
#include "induct/theory/version_space.hpp"

namespace induct::theory {

/// The idealized predictor's exact performance on one prompt.
struct prompt_score {
  int examples = 0;
  bool query_correct = false;          // direct argmax / stepwise greedy final value
  bool query_steps_correct = false;    // stepwise: every greedily generated step (direct: = query_correct)
  std::vector<int> generated;          // the greedy answer values (direct: the argmax value)
  double query_loss_bits = 0.0;        // -log2 p(query answer tokens | prompt), teacher forced
  int query_step_mistakes = 0;         // teacher-forced argmax mistakes on the query's answer tokens
  bool query_stop_mistake = false;     // stepwise: after the true k values the argmax is another value
  double cumulative_loss_bits = 0.0;   // over the answer tokens of all n + 1 items
  int answer_token_mistakes = 0;       // teacher-forced argmax mistakes on them
  int answer_tokens = 0;
  double description_length_bits = 0.0;     // D(tau)
  double iteration_complexity_bits = 0.0;   // exact R(s; tau)
};

/// Scores prompts with reusable buffers (one per thread).
class prompt_scorer {
 public:
  explicit prompt_scorer(const idealized_list_model& model) : model_(&model), state_(model), greedy_(model) {}

  INDUCT_DECLARE [[nodiscard]] prompt_score score(const setup::prompt& p);

 private:
  // Greedy generation from the state right after `q :` until the item ends.
  INDUCT_DECLARE void generate(const setup::prompt& p, prompt_score& score);

  const idealized_list_model* model_;
  idealized_predictor state_;
  idealized_predictor greedy_;
  std::vector<long double> distribution_;
  std::vector<token_id> sequence_;
};

/// Per (task, format, n) row of the idealized predictor's scores and the bounds.
struct score_row {
  std::string task;
  list_format format = list_format::direct;
  int examples = 0;
  int prompts = 0;
  bool possible = true;
  int errors = 0;                         // wrong query answers (stepwise: final value)
  double query_error_rate = 0.0;
  double query_ci_low = 0.0, query_ci_high = 1.0;  // Clopper-Pearson 95%
  double query_step_error_rate = 0.0;     // stepwise: any generated step wrong
  double mean_query_loss_bits = 0.0;      // query answer tokens
  double mean_cum_loss_bits = 0.0;        // all answer tokens of the n + 1 items
  double mean_mistakes = 0.0;             // teacher-forced mistakes on those tokens
  double mean_iteration_complexity_bits = 0.0;  // exact R(s; tau), averaged
  double max_iteration_complexity_bits = -std::numeric_limits<double>::infinity();
  double mean_version_space_bits = 0.0;   // VS = -log2 prior mass of the tasks that can emit s, averaged
  double mean_version_space_correction_bits = 0.0;  // C = cumulative loss - VS (separators, length laws)
  double description_length_bits = 0.0;   // D(tau) (equal for all chains of the task's depth)
  double iteration_complexity_bound_bits = 0.0;  // Rbar_n
  double bound_cum_bits = 0.0;            // D + Rbar_n
  double bound_mistakes_per_example = 0.0;  // (D + Rbar_n) / n
  bool bound_vacuous = false;             // D + Rbar_n >= n + 1 (theory::bound_vacuous)
  int bound_violations = 0;               // prompts with loss or mistakes > D + R(s) + 1e-9

  /// {"task","format","examples","possible","prompts","D_bits","R_n_bits","bound_cum_bits",
  /// "bound_mistakes_per_example","bound_vacuous"} and, for a possible row, the measured columns
  /// ("query_error_rate", "query_ci_low", ...); values that are not finite are null.
  INDUCT_DECLARE [[nodiscard]] nlohmann::json to_json() const;
};

/// Scores `count` prompts of `task` with `examples` examples (setup::generate_prompt, seed `seed`).
/// An n whose prompts are impossible (n + 1 items beyond the length law) gives a row with
/// possible = false and no prompts.
INDUCT_DECLARE score_row score_task(const idealized_list_model& model, const setup::task& task, int examples, int count,
                                    std::uint64_t seed);

}  // namespace induct::theory

#if INDUCT_HEADER_ONLY
#include "induct/theory/detail/scoring_impl.hpp"
#endif
