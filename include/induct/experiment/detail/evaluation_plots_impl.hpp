#pragma once
// Definitions for experiment/evaluation_plots.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "induct/experiment/evaluation_plots.hpp"
#include "induct/experiment/report.hpp"
#include "induct/experiment/svg_plot.hpp"

namespace induct::experiment {

INDUCT_DEFINE std::vector<std::size_t> rows_of(const result_table& table, const std::string& task, const std::string& format) {
  std::vector<std::size_t> rows;
  for (std::size_t r = 0; r < table.row_count(); ++r)
    if (table.text(r, "task") == task && table.text(r, "format") == format) rows.push_back(r);
  return rows;
}

INDUCT_DEFINE std::vector<std::pair<std::string, std::string>> task_formats(const result_table& table) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t r = 0; r < table.row_count(); ++r) {
    std::pair<std::string, std::string> key{table.text(r, "task"), table.text(r, "format")};
    if (std::find(out.begin(), out.end(), key) == out.end()) out.push_back(key);
  }
  return out;
}

INDUCT_DEFINE chart_series column_series(const result_table& table, const std::vector<std::size_t>& rows, const std::string& name,
                                         const std::string& column, int color, bool dashed, bool markers) {
  chart_series s;
  s.name = name;
  s.color = color;
  s.dashed = dashed;
  s.markers = markers;
  for (auto r : rows) {
    s.x.push_back(table.number(r, "examples"));
    s.y.push_back(table.number(r, column));
  }
  return s;
}

namespace evaluation_plots_detail {

/// The model's query error over `rows` with its Clopper-Pearson band.
INDUCT_DETAIL chart_series measured_series(const result_table& table, const std::vector<std::size_t>& rows,
                                           const std::string& name, int color) {
  auto series = column_series(table, rows, name, "model_query_error_rate", color);
  for (auto r : rows) {
    series.band_low.push_back(table.number(r, "model_query_ci_low"));
    series.band_high.push_back(table.number(r, "model_query_ci_high"));
  }
  return series;
}

}  // namespace evaluation_plots_detail

INDUCT_DEFINE line_chart error_chart(const result_table& table, const std::string& task, const std::string& format) {
  const auto rows = rows_of(table, task, format);
  line_chart chart;
  chart.title = task + " (" + format + "): error at the query";
  chart.x_label = "examples in the prompt (n)";
  chart.y_label = "error rate";
  chart.y_min = 0.0;
  chart.y_max = 1.0;
  // Theorem 1 bounds the mistakes per example over a prompt's answers, not the query's error: the
  // bound is drawn for reference, labelled as what it bounds.
  chart.series.push_back(
      column_series(table, rows, "(D + R_n)/n: mistakes/example", "bound_mistakes_per_example", 6, true, false));
  chart.series.push_back(column_series(table, rows, "idealized predictor", "ideal_query_error_rate", 2));
  chart.series.push_back(evaluation_plots_detail::measured_series(table, rows, "trained model (95% CI)", 1));
  return chart;
}

INDUCT_DEFINE line_chart cumulative_loss_chart(const result_table& table, const std::string& task, const std::string& format) {
  const auto rows = rows_of(table, task, format);
  line_chart chart;
  chart.title = task + " (" + format + "): cumulative answer loss";
  chart.x_label = "examples in the prompt (n)";
  chart.y_label = "bits over all answers";
  chart.log_y = true;
  chart.series.push_back(column_series(table, rows, "bound D + R_n", "bound_cum_bits", 6, true, false));
  chart.series.push_back(column_series(table, rows, "idealized predictor", "ideal_mean_cum_loss_bits", 2));
  chart.series.push_back(column_series(table, rows, "version space -log2 V", "version_space_mean_bits", 2, true, false));
  chart.series.push_back(column_series(table, rows, "trained model (= ideal + K)", "model_mean_cum_loss_bits", 1));
  return chart;
}

INDUCT_DEFINE line_chart stepwise_vs_direct_chart(const result_table& table, const std::string& task) {
  line_chart chart;
  chart.title = task;  // the figure's title says what the panels compare
  chart.x_label = "examples in the prompt (n)";
  chart.y_label = "error rate (final value)";
  chart.y_min = 0.0;
  chart.y_max = 1.0;
  const auto direct = rows_of(table, task, "direct");
  const auto stepwise = rows_of(table, task, "stepwise");
  // Every measured series with its Clopper-Pearson band.
  using evaluation_plots_detail::measured_series;
  if (!direct.empty()) {
    chart.series.push_back(measured_series(table, direct, "model, direct (95% CI)", 1));
    chart.series.push_back(column_series(table, direct, "idealized, direct", "ideal_query_error_rate", 1, true, false));
  }
  if (!stepwise.empty()) {
    chart.series.push_back(measured_series(table, stepwise, "model, stepwise (95% CI)", 0));
    chart.series.push_back(column_series(table, stepwise, "idealized, stepwise", "ideal_query_error_rate", 0, true, false));
  }
  return chart;
}

INDUCT_DEFINE line_chart seed_error_chart(const result_table& across_seeds, const std::string& task,
                                          const std::string& format) {
  const auto rows = rows_of(across_seeds, task, format);
  const std::string rate = "model_query_error_rate";
  line_chart chart;
  chart.title = task + " (" + format + "): error at the query, across seeds";
  chart.x_label = "examples in the prompt (n)";
  chart.y_label = "error rate";
  chart.y_min = 0.0;
  chart.y_max = 1.0;
  chart.series.push_back(
      column_series(across_seeds, rows, "(D + R_n)/n: mistakes/example", "bound_mistakes_per_example", 6, true, false));
  chart.series.push_back(column_series(across_seeds, rows, "idealized predictor", "ideal_query_error_rate", 2));
  // Each seed's curve from the per-seed list ("0.02 0.03 0.01"), thin and without markers.
  std::vector<chart_series> per_seed;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::istringstream values(across_seeds.text(rows[i], rate + "_seeds"));
    std::string value;
    for (std::size_t k = 0; values >> value; ++k) {
      if (k == per_seed.size()) {
        chart_series s;
        s.name = "each training seed";
        s.color = 1;
        s.dashed = true;
        s.markers = false;
        s.in_legend = k == 0;
        per_seed.push_back(std::move(s));
      }
      per_seed[k].x.push_back(across_seeds.number(rows[i], "examples"));
      per_seed[k].y.push_back(value == "-" || value.empty() ? std::nan("") : std::strtod(value.c_str(), nullptr));
    }
  }
  for (auto& s : per_seed) chart.series.push_back(std::move(s));
  const long long seeds = rows.empty() ? 0 : static_cast<long long>(across_seeds.number(rows[0], "seeds"));
  std::string name = "model, mean of ";  // appends: GCC 12 warns falsely on "a" + std::string
  name += std::to_string(seeds);
  name += " seeds (95% seeds x prompts)";
  auto mean = column_series(across_seeds, rows, name, rate + "_mean", 1);
  for (auto r : rows) {
    mean.band_low.push_back(across_seeds.number(r, rate + "_boot_low"));
    mean.band_high.push_back(across_seeds.number(r, rate + "_boot_high"));
  }
  chart.series.push_back(std::move(mean));
  return chart;
}

INDUCT_DEFINE figure seed_error_figure(const result_table& across_seeds, const std::string& title) {
  figure fig;
  fig.title = title;
  fig.columns = 2;
  for (const auto& [task, format] : task_formats(across_seeds)) fig.panels.emplace_back(seed_error_chart(across_seeds, task, format));
  return fig;
}

INDUCT_DEFINE line_chart training_loss_chart(const std::vector<double>& losses, double validation_loss,
                                             const std::string& title, std::size_t window) {
  line_chart chart;
  chart.title = title;
  chart.x_label = "training step";
  chart.y_label = "loss (nats)";
  if (window == 0) window = 1;
  // At most ~2,000 points per curve: a long run's every step would make a huge SVG for no visible gain.
  const std::size_t stride = std::max<std::size_t>(1, losses.size() / 2000);
  chart_series raw, mean;
  raw.name = "batch loss";
  raw.color = 4;
  raw.markers = false;
  mean.name = "mean of the last ";
  mean.name += std::to_string(window);
  mean.name += " steps";
  mean.color = 0;
  mean.markers = false;
  double sum = 0;
  for (std::size_t i = 0; i < losses.size(); ++i) {
    sum += losses[i];
    if (i >= window) sum -= losses[i - window];
    if (i % stride != 0 && i + 1 != losses.size()) continue;
    raw.x.push_back(static_cast<double>(i + 1));
    raw.y.push_back(losses[i]);
    mean.x.push_back(static_cast<double>(i + 1));
    mean.y.push_back(sum / static_cast<double>(std::min(window, i + 1)));
  }
  chart.series.push_back(std::move(raw));
  chart.series.push_back(std::move(mean));
  if (std::isfinite(validation_loss) && !losses.empty()) {
    chart_series validation;
    validation.name = "validation loss (end)";
    validation.color = 1;
    validation.x = {static_cast<double>(losses.size())};
    validation.y = {validation_loss};
    chart.series.push_back(std::move(validation));
  }
  return chart;
}

INDUCT_DEFINE figure evaluation_figure(const result_table& table, const std::string& title) {
  figure fig;
  fig.title = title;
  fig.columns = 2;
  for (const auto& [task, format] : task_formats(table)) {
    fig.panels.emplace_back(error_chart(table, task, format));
    fig.panels.emplace_back(cumulative_loss_chart(table, task, format));
  }
  return fig;
}

}  // namespace induct::experiment
