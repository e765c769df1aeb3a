#pragma once
// Predicted against measured (SPEC section 4): a trained model and the idealized predictor on the
// same ICL prompts, joined with the bounds of Theorems 1 and 2.
//
// Per task, format and number of examples n, over the same prompts (setup::generate_prompts with
// one seed), with "answer tokens" the values of every item (direct: y_i; stepwise: z_i1..z_ik),
// the n examples' and the query's, all teacher-forced. What Theorem 1 bounds comes first:
//   cumulative loss    sum over all answer tokens of the prompt and the query of -log2 p, bits
//   cumulative mistakes  answer tokens whose argmax is wrong (teacher-forced)
//   within bound       share of prompts whose cumulative loss (mistakes) is at most the bound: for
//                      the idealized predictor the prompt's own D + R(s) (theory: all of them, to
//                      1e-9), for the model D + Rbar_n, the table's bound_cum_bits
//   version space      VS = -log2 prior mass of the tasks that can emit the prompt and its answer,
//                      and C = the idealized cumulative loss - VS from separators and length laws
//                      (theory/version_space.hpp; exact, computed by enumeration), means over prompts
//   K                  model cumulative loss - idealized cumulative loss (mean over prompts), so the
//                      model's cumulative loss is D + R + K at most where the idealized one is D + R
//   KL per token       mean over answer tokens of KL(p_ideal || p_model), bits; the summed KL is the
//                      expectation of K over the answers
// Then the query alone (which Theorem 1 does not bound: docs/theory.md, "The query's error"):
//   query error rate   query answered wrongly: direct, argmax at the query's ':' differs from phi(q);
//                      stepwise, greedy generation (KV cache) until ';' or ']', scored as
//                      theory::prompt_scorer scores the idealized predictor: the last entity
//                      value before the first non-entity token differs from phi(q)
//   query step error rate  stepwise: those generated values differ from (f_1(q), ..., phi(q))
//   query loss         -log2 p(answer values of the query | prompt), bits
// The idealized predictor's columns are theory::prompt_scorer's on the same prompts. The query
// error rate has an exact Clopper-Pearson interval. Bounds from theory::theorem1_bound: D, Rbar_n,
// D + Rbar_n, its floor on mistakes, (D + Rbar_n)/n on the mistakes per example, bound_vacuous
// (1 where D + Rbar_n >= n + 1: every one of the n + 1 answers may be wrong), and the model's bound
// D + Rbar_n + K.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/fields.hpp"
#include "induct/core/linkage.hpp"
#include "induct/experiment/report.hpp"

namespace induct::nn {
template <class Scalar>
class gpt;
}  // namespace induct::nn
namespace induct::setup {
class task;
}  // namespace induct::setup
namespace induct::theory {
class idealized_list_model;
}  // namespace induct::theory

namespace induct::experiment {

struct evaluation_options {
  std::vector<int> examples = {0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32};  // n values (those that fit the context)
  int prompts = 1000;                 // per task, format and n
  std::uint64_t prompt_seed = 2024;   // seeds generate_prompts (the same prompts for every model)
  int batch = 64;                     // prompts per forward pass
  double alpha = 0.05;                // 1 - confidence of the Clopper-Pearson interval
  /// Called after each batch: (prompts done, prompts in total). Not a field (not in the JSON).
  std::function<void(std::size_t, std::size_t)> progress;

  /// Every field once, in declaration order (core/fields.hpp).
  template <class Self, class Visit>
  static void for_each_field(Self& self, Visit&& visit) {
    visit(field_info{"examples", "examples", "numbers n of in-context examples to evaluate", 0, 1 << 20}, self.examples);
    visit(field_info{"prompts", "prompts", "prompts per task, format and n", 1}, self.prompts);
    visit(field_info{"prompt_seed", "prompt-seed", "seed of the evaluation prompts"}, self.prompt_seed);
    visit(field_info{"batch", "eval-batch", "prompts per forward pass", 1, 1 << 20}, self.batch);
    visit(field_info{"alpha", "alpha", "1 - confidence of the Clopper-Pearson interval, < 1", above_zero, 1}, self.alpha);
  }

  /// Throws config_error naming the first invalid field.
  INDUCT_DECLARE void validate() const;

  INDUCT_DECLARE [[nodiscard]] nlohmann::json to_json() const;

  /// Reads the fields present in `j` over the defaults, then validates (strict; progress stays empty).
  INDUCT_DECLARE static evaluation_options from_json(const nlohmann::json& j);
};

/// Columns of the evaluation table, in order (the one list: rows are built by these names).
inline const std::vector<std::string>& evaluation_columns() {
  static const std::vector<std::string> columns = {
      "task", "format", "depth", "examples", "prompts",
      // Theory (theory::theorem1_bound): D + R_n bounds the cumulative bits and mistakes over the n + 1 answers.
      "D_bits", "R_n_bits", "bound_cum_bits", "bound_mistakes", "bound_mistakes_per_example", "bound_vacuous",
      // The idealized predictor on these prompts: cumulative over the n + 1 answers, its version-space account.
      "ideal_mean_cum_loss_bits", "ideal_mean_cum_mistakes", "R_exact_mean_bits", "version_space_mean_bits",
      "version_space_correction_mean_bits", "ideal_share_cum_bits_within_D_R", "ideal_share_cum_mistakes_within_D_R",
      // ... and at the query alone.
      "ideal_query_error_rate", "ideal_query_step_error_rate", "ideal_mean_query_loss_bits",
      // The trained model: cumulative, K, then the query.
      "model_mean_cum_loss_bits", "model_mean_cum_mistakes", "K_bits", "model_bound_cum_bits",
      "model_share_cum_bits_within_D_R_n", "model_share_cum_mistakes_within_D_R_n", "model_query_error_rate",
      "model_query_ci_low", "model_query_ci_high", "model_query_step_error_rate", "model_mean_query_loss_bits",
      "kl_bits_per_token", "kl_cum_bits"};
  return columns;
}

/// Tokens a prompt needs in the context: the prompt plus the query's values (the last of which is
/// the input that predicts the closing ';' in greedy generation).
INDUCT_DECLARE int evaluation_length(const setup::task& task, int examples);

/// Evaluates `model` against the idealized predictor on `tasks` (each with its format). n values
/// whose prompt plus answer exceed the context are left out (listed in `skipped`, if given).
template <class Scalar>
result_table evaluate_model(nn::gpt<Scalar>& model, const theory::idealized_list_model& ideal,
                            const std::vector<setup::task>& tasks, const evaluation_options& options = {},
                            std::vector<std::string>* skipped = nullptr);
// Compiled mode (INDUCT_COMPILED_LIB): defined for Scalar = float only, in src/experiment_evaluation.cpp.
INDUCT_EXTERN_TEMPLATE(result_table evaluate_model<float>(nn::gpt<float>&, const theory::idealized_list_model&,
                                                          const std::vector<setup::task>&, const evaluation_options&,
                                                          std::vector<std::string>*))

}  // namespace induct::experiment

#if INDUCT_HEADER_ONLY
#include "induct/experiment/detail/evaluate_impl.hpp"
#endif
