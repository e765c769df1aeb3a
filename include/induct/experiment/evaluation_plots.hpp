#pragma once
// Charts of evaluation tables (evaluate.hpp): the query's error against n with the idealized
// predictor, the measured curve with its Clopper-Pearson band and, for reference, Theorem 1's bound
// on the mistakes per example; cumulative answer loss against the bound D + R_n with the
// version-space bits; stepwise against direct.
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "induct/core/linkage.hpp"
#include "induct/experiment/report.hpp"
#include "induct/experiment/svg_plot.hpp"

namespace induct::experiment {

/// Rows of `table` for one task and format, in table order.
INDUCT_DECLARE std::vector<std::size_t> rows_of(const result_table& table, const std::string& task, const std::string& format);

/// The distinct (task, format) pairs of a table, in order of first appearance.
INDUCT_DECLARE std::vector<std::pair<std::string, std::string>> task_formats(const result_table& table);

INDUCT_DECLARE chart_series column_series(const result_table& table, const std::vector<std::size_t>& rows,
                                          const std::string& name, const std::string& column, int color,
                                          bool dashed = false, bool markers = true);

/// The query's error rate against n for one task and format: idealized, measured with its 95% band,
/// and the bound (D + R_n)/n on the mistakes per example (a different quantity, labelled so).
INDUCT_DECLARE line_chart error_chart(const result_table& table, const std::string& task, const std::string& format);

/// Cumulative answer log-loss (bits over the n + 1 items) against n: the bound D + R_n, the
/// idealized predictor's, its version-space bits VS (= idealized - C) and the model's (= idealized + K).
INDUCT_DECLARE line_chart cumulative_loss_chart(const result_table& table, const std::string& task, const std::string& format);

/// Stepwise against direct for one task: the model's and the idealized predictor's error in both formats.
INDUCT_DECLARE line_chart stepwise_vs_direct_chart(const result_table& table, const std::string& task);

/// The query's error against n across training seeds, from an across-seed table (experiment/seeds.hpp):
/// the idealized predictor, each seed's curve (thin), their mean with the seeds-and-prompts bootstrap
/// band, and the bound on the mistakes per example for reference.
INDUCT_DECLARE line_chart seed_error_chart(const result_table& across_seeds, const std::string& task,
                                           const std::string& format);

/// Every (task, format) of an across-seed table as seed_error_chart panels.
INDUCT_DECLARE figure seed_error_figure(const result_table& across_seeds, const std::string& title);

/// The training loss against the step: each step's batch loss (thin), its moving mean over `window` steps,
/// and the validation loss after the last step (a marker; NaN: none). Losses in nats.
INDUCT_DECLARE line_chart training_loss_chart(const std::vector<double>& losses, double validation_loss,
                                              const std::string& title, std::size_t window = 100);

/// All panels of an evaluation: per task and format its error and cumulative-loss charts.
INDUCT_DECLARE figure evaluation_figure(const result_table& table, const std::string& title);

}  // namespace induct::experiment

#if INDUCT_HEADER_ONLY
#include "induct/experiment/detail/evaluation_plots_impl.hpp"
#endif
