#pragma once
// Definitions for experiment/design.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/core/error.hpp"
#include "induct/core/fields.hpp"
#include "induct/experiment/design.hpp"
#include "induct/experiment/learning_curve.hpp"
#include "induct/experiment/pipeline.hpp"
#include "induct/experiment/presets.hpp"
#include "induct/experiment/report.hpp"
#include "induct/experiment/report_page.hpp"
#include "induct/experiment/scaling.hpp"
#include "induct/experiment/svg_plot.hpp"
#include "induct/experiment/sweep.hpp"

namespace induct::experiment {

namespace design_detail {

/// A config_error's message without its "invalid config field 'F': " prefix, re-raised under `prefix`.
[[noreturn]] inline void rethrow_under(const config_error& e, const std::string& prefix) {
  const std::string what = e.what(), own = "invalid config field '" + e.field() + "': ";
  std::string field = prefix;
  if (!e.field().empty() && e.field() != "<root>") {
    field += '.';
    field += e.field();
  }
  throw config_error(field, what.rfind(own, 0) == 0 ? what.substr(own.size()) : what);
}

/// Sets j[a][b][c] = value for the dotted name "a.b.c", creating objects on the way.
INDUCT_DETAIL void set_dotted(nlohmann::json& j, const std::string& name, const nlohmann::json& value, const std::string& where) {
  nlohmann::json* at = &j;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    const std::string part = name.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) throw config_error(where, "\"" + name + "\" is not a dotted field name such as model.layers");
    if (at->is_null()) *at = nlohmann::json::object();  // e.g. "loss_weights" of a plain-loss run
    if (!at->is_object()) throw config_error(where, "\"" + name + "\" goes inside a field that is not an object");
    at = &(*at)[part];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  *at = value;
}

/// The sweep's base run as JSON: the demo's run, decay following steps, the grid's "base" merged over it.
INDUCT_DETAIL nlohmann::json base_run_json(const nlohmann::json& grid) {
  run_config demo = default_demo_config();
  nlohmann::json j = demo.to_json();
  j["training"]["decay_steps"] = 0;  // 0 = steps: a steps axis moves the horizon
  if (grid.contains("base")) {
    if (!grid["base"].is_object()) throw config_error("grid.base", "must be an object of run fields");
    j.merge_patch(grid["base"]);
  }
  try {
    (void)run_config::from_json(j);
  } catch (const config_error& e) {
    rethrow_under(e, "grid.base");
  }
  return j;
}

/// The canonical run JSON of `base` with `overrides` (dotted name -> value) applied; errors under `where`.
INDUCT_DETAIL nlohmann::json run_with(const nlohmann::json& base, const std::vector<std::pair<std::string, nlohmann::json>>& overrides,
                               const std::string& where) {
  nlohmann::json j = base;
  for (const auto& [name, value] : overrides) set_dotted(j, name, value, where + "." + name);
  try {
    return run_config::from_json(j).to_json();
  } catch (const config_error& e) {
    rethrow_under(e, where);
  }
}

/// j at the dotted name "a.b.c", or nullptr when a part is missing.
INDUCT_DETAIL const nlohmann::json* get_dotted(const nlohmann::json& j, const std::string& name) {
  const nlohmann::json* at = &j;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    const std::string part = name.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!at->is_object() || !at->contains(part)) return nullptr;
    at = &(*at)[part];
    if (dot == std::string::npos) return at;
    start = dot + 1;
  }
}

/// The columns that tell the groups of points apart: every axis but the training seed, and the varied axis.
INDUCT_DETAIL std::vector<std::string> group_columns(const std::vector<std::string>& axes) {
  std::vector<std::string> columns{"axis"};
  for (const auto& a : axes)
    if (a != "training.seed") columns.push_back(a);
  return columns;
}

INDUCT_DETAIL bool is_error_column(const std::string& c) {
  return c.size() > 6 && c.compare(c.size() - 6, 6, "_error") == 0 && c.find("_ideal_error") == std::string::npos;
}

}  // namespace design_detail

INDUCT_DEFINE std::vector<std::string> design_axes(const nlohmann::json& grid) {
  std::vector<std::string> axes;
  if (grid.contains("axes") && grid["axes"].is_object())
    for (const auto& [name, values] : grid["axes"].items()) axes.push_back(name);
  if (grid.contains("points") && grid["points"].is_array())
    for (const auto& p : grid["points"])
      if (p.is_object())
        for (const auto& [name, value] : p.items())
          if (std::find(axes.begin(), axes.end(), name) == axes.end()) axes.push_back(name);
  if (grid.contains("seeds") && std::find(axes.begin(), axes.end(), "training.seed") == axes.end())
    axes.emplace_back("training.seed");
  return axes;
}

INDUCT_DEFINE std::vector<nlohmann::json> design_points(const nlohmann::json& grid) {
  using nlohmann::json;
  if (!is_design_grid(grid)) throw config_error("grid", "a design grid needs \"axes\" or \"points\"");
  for (const auto& [key, value] : grid.items())
    if (key != "design" && key != "base" && key != "axes" && key != "points" && key != "seeds" && key != "curve")
      throw config_error("grid." + key, "unknown field (a design grid has design, base, axes, points, seeds, curve)");
  if (grid.contains("axes") && grid.contains("points"))
    throw config_error("grid", "give \"axes\" or \"points\", not both");
  if (grid.contains("design") && !grid["design"].is_string())
    throw config_error("grid.design", "must be \"product\" or \"one_at_a_time\", got " + grid["design"].dump());
  const std::string design = grid.value("design", std::string("product"));
  if (design != "product" && design != "one_at_a_time")
    throw config_error("grid.design", "must be \"product\" or \"one_at_a_time\", got \"" + design + "\"");
  if (grid.contains("points") && grid.contains("design"))
    throw config_error("grid.design", "applies to \"axes\"; \"points\" lists the points themselves");
  if (grid.contains("curve")) {
    try {
      (void)learning_curve_config::from_json(grid["curve"]);
    } catch (const config_error& e) {
      design_detail::rethrow_under(e, "grid.curve");
    }
  }
  std::vector<std::uint64_t> seeds;
  if (grid.contains("seeds")) {
    if (!grid["seeds"].is_array() || grid["seeds"].empty())
      throw config_error("grid.seeds", "must be a non-empty array of training seeds");
    for (const auto& s : grid["seeds"]) {
      if (!s.is_number_integer() || s.get<long long>() < 0)
        throw config_error("grid.seeds", "must hold integers >= 0, got " + s.dump());
      seeds.push_back(s.get<std::uint64_t>());
    }
  }
  const json base = design_detail::base_run_json(grid);

  // The points as lists of (axis, value) and the axis each varies ("" for product, "base" for the base).
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, json>>>> settings;
  if (grid.contains("axes")) {
    if (!grid["axes"].is_object() || grid["axes"].empty())
      throw config_error("grid.axes", "must be a non-empty object of dotted field names and value lists");
    std::vector<std::pair<std::string, std::vector<json>>> axes;
    for (const auto& [name, values] : grid["axes"].items()) {
      if (!values.is_array() || values.empty()) throw config_error("grid.axes." + name, "must be a non-empty array of values");
      if (name == "training.seed" && !seeds.empty())
        throw config_error("grid.axes.training.seed", "is set by \"seeds\" too: give one of them");
      axes.emplace_back(name, std::vector<json>(values.begin(), values.end()));
    }
    // Counted before expanding: a few short lists multiply to more points than any machine could run.
    std::size_t count = 1;  // settings: the product of the axes' sizes, or the base plus their sum
    for (const auto& [name, values] : axes) {
      if (design == "product" && count > max_sweep_points / values.size())
        throw config_error("grid.axes", "expands to more than " + std::to_string(max_sweep_points) + " points");
      count = design == "product" ? count * values.size() : count + values.size();
    }
    if (count > max_sweep_points / (seeds.empty() ? 1 : seeds.size()))
      throw config_error("grid.axes", "expands to more than " + std::to_string(max_sweep_points) + " points");
    if (design == "product") {
      std::vector<std::size_t> index(axes.size(), 0);
      while (true) {
        std::vector<std::pair<std::string, json>> point;
        for (std::size_t a = 0; a < axes.size(); ++a) point.emplace_back(axes[a].first, axes[a].second[index[a]]);
        settings.emplace_back("", std::move(point));
        std::size_t a = axes.size();
        while (a > 0 && ++index[a - 1] == axes[a - 1].second.size()) index[--a] = 0;
        if (a == 0) break;
      }
    } else {
      settings.emplace_back("base", std::vector<std::pair<std::string, json>>{});
      const json base_canonical = design_detail::run_with(base, {}, "grid.base");
      for (const auto& [name, values] : axes)
        for (std::size_t v = 0; v < values.size(); ++v) {
          // A value that gives the base's run is the base point.
          const json run = design_detail::run_with(base, {{name, values[v]}}, "grid.axes");
          if (run == base_canonical) continue;
          settings.emplace_back(name, std::vector<std::pair<std::string, json>>{{name, values[v]}});
        }
    }
  } else {
    if (!grid["points"].is_array() || grid["points"].empty())
      throw config_error("grid.points", "must be a non-empty array of objects of dotted field names and values");
    if (grid["points"].size() > max_sweep_points / (seeds.empty() ? 1 : seeds.size()))
      throw config_error("grid.points", "expands to more than " + std::to_string(max_sweep_points) + " points");
    for (std::size_t i = 0; i < grid["points"].size(); ++i) {
      const json& p = grid["points"][i];
      if (!p.is_object()) throw config_error("grid.points[" + std::to_string(i) + "]", "must be an object");
      std::vector<std::pair<std::string, json>> point;
      for (const auto& [name, value] : p.items()) {
        if (name == "training.seed" && !seeds.empty())
          throw config_error("grid.points[" + std::to_string(i) + "].training.seed", "is set by \"seeds\" too: give one of them");
        point.emplace_back(name, value);
      }
      settings.emplace_back("", std::move(point));
    }
  }

  std::vector<json> points;
  for (std::size_t i = 0; i < settings.size(); ++i) {
    const auto& [axis, values] = settings[i];
    const std::string where = grid.contains("points") ? "grid.points[" + std::to_string(i) + "]" : "grid.axes";
    const std::size_t replicas = seeds.empty() ? 1 : seeds.size();
    for (std::size_t s = 0; s < replicas; ++s) {
      auto overrides = values;
      if (!seeds.empty()) overrides.emplace_back("training.seed", seeds[s]);
      json axes = json::object();
      for (const auto& [name, value] : overrides) axes[name] = value;
      json point = {{"axis", axis}, {"axes", axes}, {"run", design_detail::run_with(base, overrides, where)}};
      if (grid.contains("curve")) point["curve"] = grid["curve"];
      points.push_back(std::move(point));
    }
  }
  return points;
}

INDUCT_DEFINE std::string design_point_label(const nlohmann::json& point) {
  std::string label;
  if (point.contains("axes"))
    for (const auto& [name, value] : point["axes"].items()) {
      if (!label.empty()) label += ' ';
      label += name;
      label += '=';
      label += value.is_string() ? value.template get<std::string>() : value.dump();  // GCC takes a binding as dependent
    }
  return label.empty() ? std::string("base") : label;
}

INDUCT_DEFINE nlohmann::json run_design_point(const nlohmann::json& point, const std::filesystem::path& directory,
                                             nn::communicator* processes) {
  const run_config config = run_config::from_json(point.at("run"));
  const learning_curve_config curve =
      point.contains("curve") ? learning_curve_config::from_json(point.at("curve")) : learning_curve_config{};
  run_hooks hooks;
  hooks.processes = processes;
  const run_result run = run_experiment(config, hooks, curve);
  nlohmann::json result = flat_point_result(run, curve, directory, point_key(point));
  const double training_tokens = static_cast<double>(config.corpus_tokens) * (1.0 - config.validation_fraction);
  result["epochs"] = static_cast<double>(config.training.steps) * config.training.batch * config.model.context_length /
                     std::max(1.0, training_tokens);
  result["axis"] = point.at("axis");
  for (const auto& [name, value] : point.at("axes").items()) result[name] = value;
  return result;
}

INDUCT_DEFINE result_table design_table(const sweep_runner& runner, const std::vector<nlohmann::json>& points,
                                        const nlohmann::json& grid) {
  const result_table assembled = runner.assemble(points);
  const auto axes = design_axes(grid);
  std::vector<std::string> columns{"key", "axis"};
  for (const auto& a : axes) columns.push_back(a);
  for (const auto& c : assembled.columns())
    if (c != "axes" && c != "run" && c != "curve" && std::find(columns.begin(), columns.end(), c) == columns.end())
      columns.push_back(c);
  result_table table(columns);
  for (std::size_t r = 0; r < assembled.row_count(); ++r) {
    // Axes a point does not vary (one_at_a_time) hold their value in its run: every row reads fully.
    const nlohmann::json run = assembled.has_column("run") ? nlohmann::json::parse(assembled.text(r, "run"), nullptr, false)
                                                           : nlohmann::json();
    std::vector<table_cell> row;
    for (const auto& c : columns) {
      table_cell cell = assembled.has_column(c) ? assembled.at(r, c) : table_cell{};
      if (std::holds_alternative<std::monostate>(cell) && std::find(axes.begin(), axes.end(), c) != axes.end())
        if (const nlohmann::json* value = design_detail::get_dotted(run, c)) cell = sweep_runner::to_cell(*value);
      row.push_back(std::move(cell));
    }
    table.add_row(std::move(row));
  }
  return table;
}

INDUCT_DEFINE result_table design_across_seeds(const result_table& table, const std::vector<std::string>& axes) {
  const auto group_columns = design_detail::group_columns(axes);
  std::vector<std::string> columns{"seeds", "training_seeds"};
  for (const auto& c : group_columns) columns.push_back(c);
  std::vector<std::string> errors;
  for (const auto& c : table.columns())
    if (design_detail::is_error_column(c)) {
      errors.push_back(c);
      for (const char* suffix : {"_mean", "_min", "_max", "_boot_low", "_boot_high"}) columns.push_back(c + suffix);
    }
  std::vector<std::string> theory_columns;
  for (const auto& c : table.columns())
    if (c.find("_ideal_error") != std::string::npos || (c.size() > 11 && c.compare(c.size() - 11, 11, "_bound_bits") == 0))
      theory_columns.push_back(c);
  for (const auto& c : theory_columns) columns.push_back(c);
  if (table.has_column("epochs")) columns.emplace_back("epochs");
  result_table across(columns);
  const auto groups = rows_grouped_by(table, group_columns);
  const bool has_seed = table.has_column("training.seed");
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const auto& rows = groups[g];
    std::vector<table_cell> row;
    std::string seeds;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (i) seeds += ' ';
      seeds += has_seed ? table.text(rows[i], "training.seed") : std::string("-");
    }
    row.emplace_back(static_cast<long long>(rows.size()));
    row.emplace_back(seeds);
    for (const auto& c : group_columns) row.push_back(table.has_column(c) ? table.at(rows.front(), c) : table_cell{});
    for (const auto& c : errors)
      for (auto& cell : seed_error_summary(table, rows, c, 1 + g)) row.push_back(std::move(cell));
    for (const auto& c : theory_columns) row.push_back(table.at(rows.front(), c));
    if (table.has_column("epochs")) row.push_back(table.at(rows.front(), "epochs"));
    across.add_row(std::move(row));
  }
  return across;
}

INDUCT_DEFINE result_table stepwise_gap_table(const result_table& table, const std::vector<std::string>& axes) {
  const auto group_columns = design_detail::group_columns(axes);
  // (task, n) pairs evaluated in both formats, from the column names TASK_direct_nN_error.
  std::vector<std::pair<std::string, int>> pairs;
  for (const auto& c : table.columns()) {
    const auto at = c.find("_direct_n");
    if (at == std::string::npos || c.size() < 6 || c.compare(c.size() - 6, 6, "_error") != 0 ||
        c.find("_ideal_error") != std::string::npos)
      continue;
    const std::string task = c.substr(0, at), digits = c.substr(at + 9, c.size() - 6 - at - 9);
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) continue;
    const int n = std::stoi(digits);
    if (table.has_column(task + "_stepwise_n" + digits + "_error")) pairs.emplace_back(task, n);
  }
  std::vector<std::string> columns{"seeds"};
  for (const auto& c : group_columns) columns.push_back(c);
  for (const char* c : {"task", "examples", "model_direct_error_mean", "model_stepwise_error_mean", "model_gap_mean",
                        "model_gap_min", "model_gap_max", "model_gap_seeds", "ideal_direct_error", "ideal_stepwise_error",
                        "ideal_gap", "bound_direct_bits", "bound_stepwise_bits", "stepwise_bound_tighter"})
    columns.emplace_back(c);
  result_table gaps(columns);
  const auto groups = rows_grouped_by(table, group_columns);
  for (const auto& rows : groups)
    for (const auto& [task, n] : pairs) {
      const std::string d = task + "_direct_n" + std::to_string(n), s = task + "_stepwise_n" + std::to_string(n);
      std::vector<double> direct, stepwise, gap;
      std::string listed;
      for (auto r : rows) {
        const double a = table.number(r, d + "_error"), b = table.number(r, s + "_error");
        if (!std::isfinite(a) || !std::isfinite(b)) continue;
        direct.push_back(a);
        stepwise.push_back(b);
        gap.push_back(a - b);
        if (!listed.empty()) listed += ' ';
        listed += format_number(a - b);
      }
      if (gap.empty()) continue;
      const auto mean = [](const std::vector<double>& v) {
        double sum = 0;
        for (double x : v) sum += x;
        return sum / static_cast<double>(v.size());
      };
      std::vector<table_cell> row;
      row.emplace_back(static_cast<long long>(gap.size()));
      for (const auto& c : group_columns) row.push_back(table.has_column(c) ? table.at(rows.front(), c) : table_cell{});
      row.emplace_back(task);
      row.emplace_back(static_cast<long long>(n));
      row.emplace_back(mean(direct));
      row.emplace_back(mean(stepwise));
      row.emplace_back(mean(gap));
      row.emplace_back(*std::min_element(gap.begin(), gap.end()));
      row.emplace_back(*std::max_element(gap.begin(), gap.end()));
      row.emplace_back(listed);
      const auto cell = [&](const std::string& c) {
        return table.has_column(c) ? table.at(rows.front(), c) : table_cell{};
      };
      const double ideal_direct = table.has_column(d + "_ideal_error") ? table.number(rows.front(), d + "_ideal_error") : std::nan("");
      const double ideal_stepwise =
          table.has_column(s + "_ideal_error") ? table.number(rows.front(), s + "_ideal_error") : std::nan("");
      row.emplace_back(ideal_direct);
      row.emplace_back(ideal_stepwise);
      row.emplace_back(ideal_direct - ideal_stepwise);
      row.push_back(cell(d + "_bound_bits"));
      row.push_back(cell(s + "_bound_bits"));
      const double bd = table.has_column(d + "_bound_bits") ? table.number(rows.front(), d + "_bound_bits") : std::nan("");
      const double bs = table.has_column(s + "_bound_bits") ? table.number(rows.front(), s + "_bound_bits") : std::nan("");
      row.push_back(std::isfinite(bd) && std::isfinite(bs) ? table_cell{static_cast<long long>(bs < bd)} : table_cell{});
      gaps.add_row(std::move(row));
    }
  return gaps;
}

INDUCT_DEFINE figure stepwise_gap_figure(const result_table& gaps, const std::vector<std::string>& axes,
                                         const std::string& task) {
  figure fig;
  fig.title = task;
  fig.title += ": error direct - stepwise (> 0: steps help)";  // short: one panel is the figure's width
  fig.columns = 2;
  std::vector<long long> ns;
  for (std::size_t r = 0; r < gaps.row_count(); ++r)
    if (gaps.text(r, "task") == task) {
      const auto n = static_cast<long long>(gaps.number(r, "examples"));
      if (std::find(ns.begin(), ns.end(), n) == ns.end()) ns.push_back(n);
    }
  std::sort(ns.begin(), ns.end());
  for (const auto& axis : axes) {
    if (axis == "training.seed" || !gaps.has_column(axis)) continue;
    line_chart chart;
    chart.title = axis;
    chart.x_label = axis;
    chart.y_label = "error gap (direct - stepwise)";
    chart.y_min = -1.0;
    chart.y_max = 1.0;
    int color = 0;
    bool numeric = true;
    for (long long n : ns) {
      chart_series model, ideal;
      model.name = "model, n = ";
      model.name += std::to_string(n);
      ideal.name = "idealized, n = ";
      ideal.name += std::to_string(n);
      model.color = ideal.color = color++;
      ideal.dashed = true;
      ideal.markers = false;
      std::vector<std::pair<double, std::size_t>> points;
      for (std::size_t r = 0; r < gaps.row_count(); ++r) {
        if (gaps.text(r, "task") != task || static_cast<long long>(gaps.number(r, "examples")) != n) continue;
        const auto& cell = gaps.at(r, axis);
        if (std::holds_alternative<double>(cell)) points.emplace_back(std::get<double>(cell), r);
        else if (std::holds_alternative<long long>(cell)) points.emplace_back(static_cast<double>(std::get<long long>(cell)), r);
        else numeric = false;
      }
      std::sort(points.begin(), points.end());
      for (const auto& [x, r] : points) {
        model.x.push_back(x);
        model.y.push_back(gaps.number(r, "model_gap_mean"));
        model.band_low.push_back(gaps.number(r, "model_gap_min"));
        model.band_high.push_back(gaps.number(r, "model_gap_max"));
        ideal.x.push_back(x);
        ideal.y.push_back(gaps.number(r, "ideal_gap"));
      }
      chart.series.push_back(std::move(model));
      chart.series.push_back(std::move(ideal));
    }
    if (!numeric || chart.series.empty() || chart.series.front().x.empty()) continue;
    const auto& xs = chart.series.front().x;
    chart.integer_x = std::all_of(xs.begin(), xs.end(), [](double x) { return x == std::floor(x); });
    chart.log_x = xs.front() > 0 && xs.back() / xs.front() >= 10;
    fig.panels.emplace_back(std::move(chart));
  }
  return fig;
}

INDUCT_DEFINE figure design_figure(const result_table& across, const std::vector<std::string>& axes,
                                   const nlohmann::json& grid, double threshold) {
  // The largest n with an error column for lookup direct: the figure's n.
  int n = -1;
  for (const auto& c : across.columns()) {
    const std::string prefix = "lookup_direct_n", suffix = "_error_mean";
    if (c.rfind(prefix, 0) == 0 && c.size() > prefix.size() + suffix.size() &&
        c.compare(c.size() - suffix.size(), suffix.size(), suffix) == 0) {
      const std::string digits = c.substr(prefix.size(), c.size() - prefix.size() - suffix.size());
      if (!digits.empty() && std::all_of(digits.begin(), digits.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
        n = std::max(n, std::stoi(digits));
    }
  }
  const bool one_at_a_time = grid.value("design", std::string("product")) == "one_at_a_time";
  figure fig;
  fig.title = "Where in-context learning emerges: the query's error at n = ";  // appends: GCC 12's false -Wrestrict
  fig.title += std::to_string(n);
  fig.title += one_at_a_time ? ", one factor at a time" : ", mean over the other axes";
  fig.columns = 2;
  const std::vector<std::pair<std::string, std::string>> tasks = {
      {"lookup", "direct"}, {"compose2", "stepwise"}, {"novel2", "stepwise"}};
  // The base run, where the base point sits on every axis (one_at_a_time).
  const nlohmann::json base_run =
      one_at_a_time ? run_config::from_json(design_detail::base_run_json(grid)).to_json() : nlohmann::json();
  for (const auto& axis : axes) {
    if (axis == "training.seed" || !across.has_column(axis)) continue;
    // The rows of this panel and their x values (numeric axes only).
    std::vector<std::size_t> rows;
    for (std::size_t r = 0; r < across.row_count(); ++r) {
      const std::string varied = across.text(r, "axis");
      if (one_at_a_time && varied != axis && varied != "base") continue;
      rows.push_back(r);
    }
    std::vector<double> xs;
    bool numeric = true;
    for (auto r : rows) {
      const auto& cell = across.at(r, axis);
      double x = std::nan("");
      if (std::holds_alternative<double>(cell)) x = std::get<double>(cell);
      else if (std::holds_alternative<long long>(cell)) x = static_cast<double>(std::get<long long>(cell));
      else if (one_at_a_time && across.text(r, "axis") == "base") x = std::nan("");  // filled below
      else numeric = false;
      xs.push_back(x);
    }
    if (!numeric || rows.empty()) continue;
    if (one_at_a_time) {  // the base point sits at the base's value of this axis
      const nlohmann::json* at = design_detail::get_dotted(base_run, axis);
      for (std::size_t i = 0; i < rows.size(); ++i)
        if (std::isnan(xs[i])) xs[i] = at && at->is_number() ? at->get<double>() : std::nan("");
    }
    std::vector<double> distinct;
    for (double x : xs)
      if (std::isfinite(x) && std::find(distinct.begin(), distinct.end(), x) == distinct.end()) distinct.push_back(x);
    std::sort(distinct.begin(), distinct.end());
    if (distinct.empty()) continue;
    line_chart chart;
    chart.title = axis;
    chart.x_label = axis;
    chart.y_label = "error rate at n = ";
    chart.y_label += std::to_string(n);
    chart.y_min = 0.0;
    chart.y_max = 1.0;
    chart.log_x = distinct.front() > 0 && distinct.back() / distinct.front() >= 10;
    chart.integer_x = std::all_of(distinct.begin(), distinct.end(), [](double x) { return x == std::floor(x); });
    int color = 0;
    for (const auto& [task, format] : tasks) {
      const std::string column = task + "_" + format + "_n" + std::to_string(n) + "_error";
      if (!across.has_column(column + "_mean")) continue;
      chart_series s;
      s.name = task + " " + format;
      s.color = color++;
      for (double x : distinct) {
        // One row per x (one_at_a_time), or the mean over the rows at x (product): the band is then
        // the range of those means, else the seeds-and-prompts bootstrap.
        double sum = 0, low = 1, high = 0;
        int count = 0;
        for (std::size_t i = 0; i < rows.size(); ++i) {
          if (xs[i] != x) continue;
          const double v = across.number(rows[i], column + "_mean");
          if (!std::isfinite(v)) continue;
          sum += v;
          ++count;
          low = std::min(low, one_at_a_time ? across.number(rows[i], column + "_boot_low") : v);
          high = std::max(high, one_at_a_time ? across.number(rows[i], column + "_boot_high") : v);
        }
        s.x.push_back(x);
        s.y.push_back(count ? sum / count : std::nan(""));
        s.band_low.push_back(count ? low : std::nan(""));
        s.band_high.push_back(count ? high : std::nan(""));
      }
      chart.series.push_back(std::move(s));
    }
    chart_series line;
    line.name = "ICL threshold ";
    line.name += format_number(threshold);
    line.x = {distinct.front(), distinct.back()};
    line.y = {threshold, threshold};
    line.color = 6;
    line.dashed = true;
    line.markers = false;
    chart.series.push_back(std::move(line));
    fig.panels.emplace_back(std::move(chart));
  }
  return fig;
}

INDUCT_DEFINE report_page design_report(const result_table& across, const std::vector<std::string>& axes,
                                        const nlohmann::json& grid, std::size_t points, std::size_t finished,
                                        double threshold) {
  report_page page;
  page.title = "Design sweep: ";
  page.title += grid.value("design", std::string("product"));
  page.facts.emplace_back("points", std::to_string(finished) + " finished of " + std::to_string(points));
  std::string axis_list;
  for (const auto& a : axes) {
    if (!axis_list.empty()) axis_list += ", ";
    axis_list += a;
  }
  page.facts.emplace_back("axes", axis_list);
  // The compact table: the group columns and the mean error at the largest n of the headline tasks.
  int n = -1;
  for (const auto& c : across.columns())
    if (c.rfind("lookup_direct_n", 0) == 0 && c.size() > 26 && c.compare(c.size() - 11, 11, "_error_mean") == 0) {
      const std::string digits = c.substr(15, c.size() - 26);
      if (!digits.empty() && std::all_of(digits.begin(), digits.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
        n = std::max(n, std::stoi(digits));
    }
  std::vector<std::string> shown{"seeds", "axis"};
  for (const auto& a : axes)
    if (a != "training.seed" && across.has_column(a)) shown.push_back(a);
  const std::string suffix = "_n" + std::to_string(n) + "_error_mean";
  for (const char* task : {"lookup_direct", "compose2_direct", "compose2_stepwise", "novel2_direct", "novel2_stepwise"})
    if (across.has_column(task + suffix)) shown.push_back(task + suffix);
  page.table_text = across.select(shown).to_text(3);
  // Per axis, where lookup reaches the threshold (the smallest such value among the points of that axis).
  if (across.has_column("lookup_direct" + suffix)) {
    for (const auto& a : axes) {
      if (a == "training.seed" || !across.has_column(a)) continue;
      double best = std::nan("");
      for (std::size_t r = 0; r < across.row_count(); ++r) {
        const std::string varied = across.text(r, "axis");
        if (varied != a && varied != "base" && varied != "") continue;
        const double error = across.number(r, "lookup_direct" + suffix);
        const auto& cell = across.at(r, a);
        const double x = std::holds_alternative<double>(cell)      ? std::get<double>(cell)
                         : std::holds_alternative<long long>(cell) ? static_cast<double>(std::get<long long>(cell))
                                                                   : std::nan("");
        if (error <= threshold && std::isfinite(x) && !(x >= best)) best = x;
      }
      // Appends: GCC 12 warns falsely on "a" + std::string.
      page.findings += "Lookup at n = ";
      page.findings += std::to_string(n);
      page.findings += std::isfinite(best) ? " reaches a mean error <= " : " does not reach a mean error <= ";
      page.findings += format_number(threshold);
      page.findings += std::isfinite(best) ? " from " : " at any ";
      page.findings += a;
      if (std::isfinite(best)) {
        page.findings += " = ";
        page.findings += format_number(best);
      }
      page.findings += ". ";
    }
  }
  page.plots = {"design.svg", "stepwise_gap.svg"};
  page.files = {"table.csv", "table.json", "table_across_seeds.csv", "table_across_seeds.json", "stepwise_gap.csv"};
  page.config = grid;
  return page;
}

INDUCT_DEFINE result_table write_design_outputs(const sweep_runner& runner, const std::vector<nlohmann::json>& points,
                                                const nlohmann::json& grid) {
  const auto table = design_table(runner, points, grid);
  write_csv(runner.directory() / "table.csv", table);
  write_json(runner.directory() / "table.json", table, {{"grid", grid}});
  const auto axes = design_axes(grid);
  const auto across = design_across_seeds(table, axes);
  write_csv(runner.directory() / "table_across_seeds.csv", across);
  write_json(runner.directory() / "table_across_seeds.json", across, {{"grid", grid}});
  const double threshold = grid.contains("curve") ? grid["curve"].value("threshold", 0.1) : 0.1;
  write_text_atomically(runner.directory() / "design.svg", render_svg(design_figure(across, axes, grid, threshold)));
  const auto gaps = stepwise_gap_table(table, axes);
  if (gaps.row_count() > 0) {
    write_csv(runner.directory() / "stepwise_gap.csv", gaps);
    write_text_atomically(runner.directory() / "stepwise_gap.svg", render_svg(stepwise_gap_figure(gaps, axes)));
  }
  write_report_page(design_report(across, axes, grid, points.size(), table.row_count(), threshold), runner.directory());
  return table;
}

}  // namespace induct::experiment
