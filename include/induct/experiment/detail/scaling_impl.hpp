#pragma once
// Definitions for experiment/scaling.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/core/error.hpp"
#include "induct/experiment/pipeline.hpp"
#include "induct/experiment/presets.hpp"
#include "induct/experiment/report.hpp"
#include "induct/experiment/scaling.hpp"
#include "induct/experiment/svg_plot.hpp"
#include "induct/experiment/sweep.hpp"
#include "induct/setup/config.hpp"

namespace induct::experiment {

INDUCT_DEFINE std::vector<nlohmann::json> grid_points(const nlohmann::json& grid) {
  if (!grid.is_object() || !grid.contains("models") || !grid.contains("tokens") || !grid["models"].is_array() ||
      !grid["tokens"].is_array() || grid["models"].empty() || grid["tokens"].empty())
    throw config_error("grid", "a grid needs non-empty arrays \"models\" and \"tokens\"");
  const nlohmann::json base = grid.value("base", nlohmann::json::object());
  for (const auto& [key, value] : base.items())
    if (key != "context" && key != "batch" && key != "lr" && key != "prompts" && key != "examples" && key != "seed" &&
        key != "shares")
      throw config_error("grid.base." + key, "unknown field");
  std::vector<nlohmann::json> points;
  try {
    for (const auto& model : grid["models"]) {
      for (const auto& [key, value] : model.items())
        if (key != "layers" && key != "width" && key != "heads") throw config_error("grid.models." + key, "unknown field");
      const int width = model.at("width").get<int>();
      for (const auto& tokens : grid["tokens"]) {
        const double count = tokens.get<double>();
        if (!(count >= 1000 && count == std::floor(count))) throw config_error("grid.tokens", "must be integers >= 1000");
        points.push_back({{"layers", model.at("layers").get<int>()},
                          {"width", width},
                          {"heads", model.value("heads", 4)},
                          {"tokens", static_cast<std::uint64_t>(count)},
                          {"context", base.value("context", 96)},
                          {"batch", base.value("batch", 16)},
                          {"lr", base.value("lr", default_learning_rate(width))},
                          {"prompts", base.value("prompts", 100)},
                          {"examples", base.value("examples", std::vector<int>{0, 1, 2, 4, 8, 16})},
                          {"seed", base.value("seed", 1)},
                          {"shares", base.value("shares", std::string("demo"))}});
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw config_error("grid", std::string("wrong type or missing field: ") + e.what());
  }
  return points;
}

INDUCT_DEFINE run_config point_run_config(const nlohmann::json& point) {
  // The demo's run (default world and setup, its loss weights and schedule), resized by the point.
  run_config c = default_demo_config();
  c.evaluation.prompt_seed = 2024;
  const std::string shares = point.at("shares").get<std::string>();
  if (shares == "demo") {  // the list-heavy shares of the reduced demo (facts .40, lists .35 + .20, filler .05)
    const setup::setup_config lists = reduced_demo_config().setup;
    c.setup.share_fact = lists.share_fact;
    c.setup.share_direct_list = lists.share_direct_list;
    c.setup.share_stepwise_list = lists.share_stepwise_list;
    c.setup.share_filler = lists.share_filler;
  } else if (shares != "default") {
    throw config_error("shares", "must be \"demo\" or \"default\", got \"" + shares + "\"");
  }
  c.model.layers = point.at("layers").get<int>();
  c.model.width = point.at("width").get<int>();
  c.model.heads = point.at("heads").get<int>();
  c.model.context_length = point.at("context").get<int>();
  c.training.batch = point.at("batch").get<int>();
  c.training.learning_rate = point.at("lr").get<double>();
  c.training.min_learning_rate = c.training.learning_rate / 20;
  const auto tokens = point.at("tokens").get<std::uint64_t>();
  const auto per_step = static_cast<std::uint64_t>(c.training.batch) * static_cast<std::uint64_t>(c.model.context_length);
  c.corpus_tokens = std::max<std::uint64_t>(tokens, per_step * 2);
  c.training.steps = static_cast<std::int64_t>(std::max<std::uint64_t>(1, tokens / per_step));
  c.training.warmup_steps = std::min<std::int64_t>(200, std::max<std::int64_t>(1, c.training.steps / 10));
  c.training.seed = c.corpus_seed = point.at("seed").get<std::uint64_t>();
  c.evaluation.prompts = point.at("prompts").get<int>();
  c.evaluation.examples = point.at("examples").get<std::vector<int>>();
  c.model.validate();
  c.training.validate();
  return c;
}

INDUCT_DEFINE nlohmann::json run_sweep_point(const nlohmann::json& point, const std::filesystem::path& directory) {
  const run_config config = point_run_config(point);
  const run_result run = run_experiment(config);
  std::filesystem::create_directories(directory / "evaluations");
  write_csv(directory / "evaluations" / (point_key(point) + ".csv"), run.table);
  nlohmann::json result = {{"parameters", run.parameters},
                           {"steps", run.training.steps},
                           {"final_loss", run.training.final_loss},
                           {"validation_loss", std::isfinite(run.training.validation_loss)
                                                   ? nlohmann::json(run.training.validation_loss)
                                                   : nlohmann::json(nullptr)},
                           {"train_seconds", run.training_seconds},
                           {"evaluation_seconds", run.evaluation_seconds}};
  for (std::size_t r = 0; r < run.table.row_count(); ++r) {
    const std::string prefix = run.table.text(r, "task") + "_" + run.table.text(r, "format") + "_n" +
                               run.table.text(r, "examples");
    result[prefix + "_error"] = run.table.number(r, "model_query_error_rate");
    result[prefix + "_ideal_error"] = run.table.number(r, "ideal_query_error_rate");
    result[prefix + "_K_bits"] = run.table.number(r, "K_bits");
  }
  return result;
}

INDUCT_DEFINE std::string model_label(const nlohmann::json& point) {
  // snprintf, not string concatenation: GCC 12 warns falsely (-Wrestrict) on every concatenated form.
  char label[48];
  std::snprintf(label, sizeof label, "L%d W%d", point.at("layers").get<int>(), point.at("width").get<int>());
  return label;
}
INDUCT_DEFINE std::string token_label(std::uint64_t tokens) {
  char buffer[32];
  const double v = static_cast<double>(tokens);
  if (v >= 1e6) std::snprintf(buffer, sizeof buffer, "%gM", v / 1e6);
  else std::snprintf(buffer, sizeof buffer, "%gk", v / 1e3);
  return buffer;
}

INDUCT_DEFINE heatmap_chart sweep_heatmap(const sweep_runner& runner, const std::vector<nlohmann::json>& points,
                                          const std::string& field, const std::string& title) {
  heatmap_chart chart;
  chart.title = title;
  chart.x_label = "training tokens";
  chart.y_label = "model (layers, width)";
  chart.value_label = "error rate";
  chart.value_min = 0.0;
  chart.value_max = 1.0;
  for (const auto& p : points) {
    const std::string row = model_label(p), column = token_label(p.at("tokens").get<std::uint64_t>());
    if (std::find(chart.row_labels.begin(), chart.row_labels.end(), row) == chart.row_labels.end()) chart.row_labels.push_back(row);
    if (std::find(chart.column_labels.begin(), chart.column_labels.end(), column) == chart.column_labels.end())
      chart.column_labels.push_back(column);
  }
  chart.values.assign(chart.row_labels.size(), std::vector<double>(chart.column_labels.size(), std::nan("")));
  for (const auto& p : points) {
    const auto result = runner.finished_result(p);
    if (!result || !result->contains(field) || !(*result)[field].is_number()) continue;
    const auto r = static_cast<std::size_t>(
        std::find(chart.row_labels.begin(), chart.row_labels.end(), model_label(p)) - chart.row_labels.begin());
    const auto c = static_cast<std::size_t>(std::find(chart.column_labels.begin(), chart.column_labels.end(),
                                                      token_label(p.at("tokens").get<std::uint64_t>())) -
                                            chart.column_labels.begin());
    chart.values[r][c] = (*result)[field].get<double>();
  }
  return chart;
}

INDUCT_DEFINE result_table write_sweep_outputs(const sweep_runner& runner, const std::vector<nlohmann::json>& points,
                                               const nlohmann::json& grid) {
  const auto table = runner.assemble(points);
  write_csv(runner.directory() / "table.csv", table);
  write_json(runner.directory() / "table.json", table, {{"grid", grid}});
  write_text_atomically(runner.directory() / "emergence.svg",
                        render_svg(sweep_heatmap(runner, points, "lookup_direct_n16_error",
                                                 "ICL emergence: lookup error at n = 16")));
  figure cot;
  cot.title = "compose2 at n = 8: intermediate steps against direct answers";
  cot.columns = 2;
  cot.panels.emplace_back(sweep_heatmap(runner, points, "compose2_direct_n8_error", "direct: error at n = 8"));
  cot.panels.emplace_back(sweep_heatmap(runner, points, "compose2_stepwise_n8_error", "stepwise: final-value error at n = 8"));
  write_text_atomically(runner.directory() / "stepwise_vs_direct.svg", render_svg(cot));
  return table;
}

}  // namespace induct::experiment
