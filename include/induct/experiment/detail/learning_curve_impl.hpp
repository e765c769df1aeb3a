#pragma once
// Definitions for experiment/learning_curve.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/core/error.hpp"
#include "induct/core/fields.hpp"
#include "induct/experiment/evaluation_plots.hpp"
#include "induct/experiment/learning_curve.hpp"
#include "induct/experiment/report.hpp"
#include "induct/experiment/svg_plot.hpp"

namespace induct::experiment {

INDUCT_DEFINE void learning_curve_config::validate() const {
  check_field_bounds(*this);
  if (enabled() && examples.empty()) throw config_error("examples", "a learning curve needs at least one n value");
}

INDUCT_DEFINE nlohmann::json learning_curve_config::to_json() const { return fields_to_json(*this); }

INDUCT_DEFINE learning_curve_config learning_curve_config::from_json(const nlohmann::json& j) {
  learning_curve_config c;
  fields_from_json(c, j);
  c.validate();
  return c;
}

INDUCT_DEFINE void append_curve_rows(result_table& curve, const result_table& evaluation, std::int64_t step,
                                     std::uint64_t tokens_seen, double training_loss) {
  for (std::size_t r = 0; r < evaluation.row_count(); ++r) {
    auto row = curve.new_row();
    row["step"] = static_cast<long long>(step);
    row["tokens_seen"] = static_cast<long long>(tokens_seen);
    row["model_training_loss"] = training_loss;
    for (const auto& c : learning_curve_columns())
      if (c != "step" && c != "tokens_seen" && c != "model_training_loss") row[c] = evaluation.at(r, c);
    curve.add_row(row);
  }
}

namespace learning_curve_detail {

using curve_key = std::tuple<std::string, std::string, long long>;  // task, format, examples

/// The keys of a curve in order of first appearance, and for each its rows in step order.
INDUCT_DETAIL std::vector<std::pair<curve_key, std::vector<std::size_t>>> rows_by_key(const result_table& curve) {
  std::vector<std::pair<curve_key, std::vector<std::size_t>>> keys;
  for (std::size_t r = 0; r < curve.row_count(); ++r) {
    const curve_key key{curve.text(r, "task"), curve.text(r, "format"),
                        static_cast<long long>(curve.number(r, "examples"))};
    auto it = std::find_if(keys.begin(), keys.end(), [&](const auto& k) { return k.first == key; });
    if (it == keys.end()) {
      keys.push_back({key, {}});
      it = keys.end() - 1;
    }
    it->second.push_back(r);
  }
  for (auto& [key, rows] : keys)
    std::stable_sort(rows.begin(), rows.end(),
                     [&](std::size_t a, std::size_t b) { return curve.number(a, "step") < curve.number(b, "step"); });
  return keys;
}

/// The first step from which `column` is <= threshold at every later checkpoint; -1 when none.
inline long long emergence_step(const result_table& curve, const std::vector<std::size_t>& rows, const std::string& column,
                                double threshold) {
  long long step = -1;
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    const double e = curve.number(*it, column);
    if (!(e <= threshold)) break;  // NaN counts as not emerged
    step = static_cast<long long>(curve.number(*it, "step"));
  }
  return step;
}

}  // namespace learning_curve_detail

INDUCT_DEFINE result_table emergence_table(const result_table& curve, double threshold) {
  result_table out({"task", "format", "examples", "threshold", "emergence_step", "first_error", "final_error", "checkpoints"});
  for (const auto& [key, rows] : learning_curve_detail::rows_by_key(curve)) {
    auto row = out.new_row();
    row["task"] = std::get<0>(key);
    row["format"] = std::get<1>(key);
    row["examples"] = std::get<2>(key);
    row["threshold"] = threshold;
    const long long step = learning_curve_detail::emergence_step(curve, rows, "model_query_error_rate", threshold);
    row["emergence_step"] = step < 0 ? table_cell{} : table_cell{step};
    row["first_error"] = curve.number(rows.front(), "model_query_error_rate");
    row["final_error"] = curve.number(rows.back(), "model_query_error_rate");
    row["checkpoints"] = static_cast<long long>(rows.size());
    out.add_row(row);
  }
  return out;
}

INDUCT_DEFINE result_table emergence_across_seeds(const std::vector<std::uint64_t>& seeds,
                                                  const std::vector<result_table>& curves, double threshold) {
  if (seeds.size() != curves.size() || seeds.empty())
    throw error("emergence_across_seeds: " + std::to_string(curves.size()) + " curves for " + std::to_string(seeds.size()) +
                " seeds");
  std::vector<result_table> per_seed;
  for (const auto& c : curves) per_seed.push_back(emergence_table(c, threshold));
  result_table out({"task", "format", "examples", "threshold", "seeds", "emerged", "emergence_step_seeds",
                    "emergence_step_min", "emergence_step_max", "emergence_step_median"});
  for (std::size_t r = 0; r < per_seed.front().row_count(); ++r) {
    auto row = out.new_row();
    for (const char* c : {"task", "format", "examples", "threshold"}) row[c] = per_seed.front().at(r, c);
    std::vector<double> steps;
    std::string listed;
    for (std::size_t s = 0; s < per_seed.size(); ++s) {
      if (per_seed[s].row_count() != per_seed.front().row_count() ||
          per_seed[s].text(r, "task") != per_seed.front().text(r, "task") ||
          per_seed[s].text(r, "format") != per_seed.front().text(r, "format") ||
          per_seed[s].number(r, "examples") != per_seed.front().number(r, "examples"))
        throw error("emergence_across_seeds: the curve of seed " + std::to_string(seeds[s]) + " has other rows than seed " +
                    std::to_string(seeds[0]) + "'s");
      if (s) listed += ' ';
      const double step = per_seed[s].number(r, "emergence_step");
      if (std::isfinite(step)) {
        steps.push_back(step);
        listed += std::to_string(static_cast<long long>(step));
      } else {
        listed += '-';
      }
    }
    row["seeds"] = static_cast<long long>(seeds.size());
    row["emerged"] = static_cast<long long>(steps.size());
    row["emergence_step_seeds"] = listed;
    std::sort(steps.begin(), steps.end());
    row["emergence_step_min"] = steps.empty() ? table_cell{} : table_cell{steps.front()};
    row["emergence_step_max"] = steps.empty() ? table_cell{} : table_cell{steps.back()};
    const std::size_t k = steps.size();
    row["emergence_step_median"] =
        steps.empty() ? table_cell{} : table_cell{k % 2 ? steps[k / 2] : 0.5 * (steps[k / 2 - 1] + steps[k / 2])};
    out.add_row(row);
  }
  return out;
}

INDUCT_DEFINE figure learning_curve_figure(const result_table& curve, double threshold, const std::string& title) {
  // A combined (across-seed) table has the mean and the bootstrap columns instead of the value and its CI.
  const bool combined = curve.has_column("model_query_error_rate_mean");
  const std::string value = combined ? "model_query_error_rate_mean" : "model_query_error_rate";
  const std::string low = combined ? "model_query_error_rate_boot_low" : "model_query_ci_low";
  const std::string high = combined ? "model_query_error_rate_boot_high" : "model_query_ci_high";
  figure fig;
  fig.title = title;
  fig.columns = 2;
  const auto keys = learning_curve_detail::rows_by_key(curve);
  for (const auto& [task, format] : task_formats(curve)) {
    line_chart chart;
    chart.title = task + " (" + format + "): error at the query during training";
    chart.x_label = "training step";
    // What the band is goes on the axis, so the legend stays short and the plot wide.
    chart.y_label = combined ? "error rate (mean over seeds; band: 95% seeds x prompts)" : "error rate (band: 95% CI)";
    chart.y_min = 0.0;
    chart.y_max = 1.0;
    int color = 0;
    double last_step = 0;
    for (const auto& [key, rows] : keys) {
      if (std::get<0>(key) != task || std::get<1>(key) != format) continue;
      chart_series s;
      s.name = "n = ";  // appends: GCC 12 warns falsely on "a" + std::string
      s.name += std::to_string(std::get<2>(key));
      s.color = color++;
      for (auto r : rows) {
        s.x.push_back(curve.number(r, "step"));
        s.y.push_back(curve.number(r, value));
        s.band_low.push_back(curve.number(r, low));
        s.band_high.push_back(curve.number(r, high));
        last_step = std::max(last_step, curve.number(r, "step"));
      }
      chart.series.push_back(std::move(s));
    }
    chart_series line;
    line.name = "threshold ";
    line.name += format_number(threshold);
    line.x = {0.0, last_step};
    line.y = {threshold, threshold};
    line.color = 6;
    line.dashed = true;
    line.markers = false;
    chart.series.push_back(std::move(line));
    fig.panels.emplace_back(std::move(chart));
  }
  return fig;
}

INDUCT_DEFINE void write_learning_curve(const std::filesystem::path& out, const std::string& name,
                                        const result_table& curve, const result_table& emergence, double threshold,
                                        const nlohmann::json& metadata, const std::string& title) {
  std::filesystem::create_directories(out);
  write_csv(out / (name + ".csv"), curve);
  write_json(out / (name + ".json"), curve, metadata);
  write_csv(out / (name + "_emergence.csv"), emergence);
  write_text_atomically(out / (name + ".svg"), render_svg(learning_curve_figure(curve, threshold, title)));
}

INDUCT_DEFINE std::string emergence_text(const result_table& emergence) {
  const bool across = emergence.has_column("emergence_step_seeds");
  std::string text;
  char line[256];
  for (std::size_t r = 0; r < emergence.row_count(); ++r) {
    const std::string what = emergence.text(r, "task") + " " + emergence.text(r, "format") + " n=" + emergence.text(r, "examples");
    if (across) {
      const double median = emergence.number(r, "emergence_step_median");
      std::string median_text;  // appends: GCC 12 warns falsely on "a" + std::string
      if (std::isfinite(median)) {
        median_text = " (median ";
        median_text += format_number(median);
        median_text += ")";
      }
      std::snprintf(line, sizeof line, "  %-24s emerged in %lld of %lld seeds, steps %s%s\n", what.c_str(),
                    static_cast<long long>(emergence.number(r, "emerged")), static_cast<long long>(emergence.number(r, "seeds")),
                    emergence.text(r, "emergence_step_seeds").c_str(), median_text.c_str());
    } else {
      const double step = emergence.number(r, "emergence_step");
      if (std::isfinite(step))
        std::snprintf(line, sizeof line, "  %-24s from step %lld (error %.3f at the start, %.3f at the end)\n", what.c_str(),
                      static_cast<long long>(step), emergence.number(r, "first_error"), emergence.number(r, "final_error"));
      else
        std::snprintf(line, sizeof line, "  %-24s not by the last checkpoint (error %.3f at the start, %.3f at the end)\n",
                      what.c_str(), emergence.number(r, "first_error"), emergence.number(r, "final_error"));
    }
    text += line;
  }
  return text;
}

}  // namespace induct::experiment
