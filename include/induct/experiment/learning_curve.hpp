#pragma once
// Learning curves: the evaluation of a run repeated at checkpoints along its training, so that the step
// at which in-context learning emerges is a measurement rather than the comparison of two models.
//
// At step 0 (the initialization), every `every` steps and at the last step, the model in training is
// evaluated (evaluate.hpp) on the run's tasks at the curve's n values with `prompts` prompts each, on
// the run's prompt seed (the same prompts at every checkpoint). Evaluating reads the weights only: the
// training trajectory is bit-identical with and without a curve. One row per (step, task, format, n):
//   step, tokens_seen               optimizer steps done, and steps x batch x context tokens trained on
//   task, format, examples, prompts, held_out_of      as in the evaluation table
//   model_query_error_rate, model_query_ci_low/high  the query's error and its Clopper-Pearson interval
//   model_mean_cum_loss_bits, model_mean_query_loss_bits, ideal_query_error_rate
//   model_training_loss             mean training loss (nats) of the steps since the previous checkpoint
// Emergence, for a (task, format, n) and a threshold t: the first checkpoint step from which the query
// error is <= t at that checkpoint and at every later one; none when the last checkpoint is above t.
// With several seeds the curve tables combine like evaluation tables (combine_seed_tables: mean, range,
// seeds-and-prompts bootstrap per step) and each seed's emergence step is listed.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/fields.hpp"
#include "induct/core/linkage.hpp"
#include "induct/experiment/report.hpp"
#include "induct/experiment/svg_plot.hpp"

namespace induct::experiment {

struct learning_curve_config {
  std::int64_t every = 0;                  // evaluate every `every` steps (0: no curve)
  std::vector<int> examples = {0, 1, 4, 16};  // n values (those that fit the context)
  int prompts = 200;                       // per task, format, n and checkpoint
  double threshold = 0.1;                  // query error at or below which ICL has emerged

  /// Every field once, in declaration order (core/fields.hpp).
  template <class Self, class Visit>
  static void for_each_field(Self& self, Visit&& visit) {
    visit(field_info{"every", "curve-every", "learning curve: evaluate every K training steps (0: no curve)", 0},
          self.every);
    visit(field_info{"examples", "curve-examples", "learning curve: n values", 0, 1 << 20}, self.examples);
    visit(field_info{"prompts", "curve-prompts", "learning curve: prompts per task, format, n and checkpoint", 1,
                     10'000'000},
          self.prompts);
    visit(field_info{"threshold", "curve-threshold", "learning curve: query error at or below which ICL has emerged", 0,
                     1},
          self.threshold);
  }
  [[nodiscard]] bool enabled() const noexcept { return every > 0; }
  /// Throws config_error naming the first invalid field (also an empty examples list when enabled).
  INDUCT_DECLARE void validate() const;
  INDUCT_DECLARE [[nodiscard]] nlohmann::json to_json() const;
  /// Strict: unknown keys, wrong types and out-of-range values are config_errors naming the key.
  INDUCT_DECLARE static learning_curve_config from_json(const nlohmann::json& j);
};

/// The columns of a learning-curve table, in order.
inline const std::vector<std::string>& learning_curve_columns() {
  static const std::vector<std::string> columns = {
      "step", "tokens_seen", "task", "format", "examples", "prompts", "held_out_of", "model_query_error_rate",
      "model_query_ci_low", "model_query_ci_high", "model_mean_cum_loss_bits", "model_mean_query_loss_bits",
      "ideal_query_error_rate", "model_training_loss"};
  return columns;
}

/// Appends to `curve` (learning_curve_columns()) one row per row of `evaluation` (an evaluation table with
/// the exposure columns), at `step` after `tokens_seen` tokens, with the mean training loss since the
/// previous checkpoint (NaN at step 0).
INDUCT_DECLARE void append_curve_rows(result_table& curve, const result_table& evaluation, std::int64_t step,
                                      std::uint64_t tokens_seen, double training_loss);

/// Per (task, format, examples) of a curve (of one seed), in order of first appearance: "threshold",
/// "emergence_step" (missing when ICL has not emerged by the last checkpoint), "first_error" and
/// "final_error" (the query error at the first and the last checkpoint), "checkpoints".
INDUCT_DECLARE result_table emergence_table(const result_table& curve, double threshold);

/// The emergence tables of several seeds' curves (same rows): per (task, format, examples), "seeds",
/// "emerged" (how many seeds), "emergence_step_seeds" ("800 1200 -"), and over the seeds that emerged
/// "emergence_step_min", "emergence_step_max" and "emergence_step_median" (missing when none did).
INDUCT_DECLARE result_table emergence_across_seeds(const std::vector<std::uint64_t>& seeds,
                                                   const std::vector<result_table>& curves, double threshold);

/// Per (task, format): the query error against the training step, one curve per n, with its band
/// (Clopper-Pearson for one seed; for a combined table the mean and the seeds-and-prompts bootstrap),
/// and the threshold as a dashed line.
INDUCT_DECLARE figure learning_curve_figure(const result_table& curve, double threshold, const std::string& title);

/// Writes `curve` (one seed's, or combined across seeds) into `out` as NAME.csv, NAME.json (with
/// `metadata`) and NAME.svg (learning_curve_figure), and `emergence` as NAME_emergence.csv.
INDUCT_DECLARE void write_learning_curve(const std::filesystem::path& out, const std::string& name,
                                         const result_table& curve, const result_table& emergence, double threshold,
                                         const nlohmann::json& metadata, const std::string& title);

/// The console lines of an emergence table (one seed's or across seeds): per (task, format, n) the step
/// from which the query error stays at or below the threshold, or that it did not by the last checkpoint.
INDUCT_DECLARE std::string emergence_text(const result_table& emergence);

}  // namespace induct::experiment

#if INDUCT_HEADER_ONLY
#include "induct/experiment/detail/learning_curve_impl.hpp"
#endif
