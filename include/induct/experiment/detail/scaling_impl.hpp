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
#include "induct/core/fields.hpp"
#include "induct/experiment/pipeline.hpp"
#include "induct/experiment/presets.hpp"
#include "induct/experiment/report.hpp"
#include "induct/experiment/report_page.hpp"
#include "induct/experiment/scaling.hpp"
#include "induct/experiment/svg_plot.hpp"
#include "induct/experiment/learning_curve.hpp"
#include "induct/experiment/sweep.hpp"
#include "induct/theory/statistics.hpp"
#include "induct/setup/config.hpp"

namespace induct::experiment {

namespace scaling_detail {

/// A grid value read with the rules of a config field (fields.hpp): a number that does not fit T (1e30 or
/// 2.5 as an int) or the wrong JSON type is a config_error naming `key`, never a cast out of range.
template <class T>
T grid_value(const nlohmann::json& value, const std::string& key) {
  T x{};
  read_field(field_info{key.c_str(), nullptr, ""}, x, value, key);
  return x;
}

/// The base field `key` of a grid, or `fallback` when absent.
template <class T>
T base_value(const nlohmann::json& base, const char* key, T fallback) {
  return base.contains(key) ? grid_value<T>(base.at(key), std::string("grid.base.") + key) : fallback;
}

}  // namespace scaling_detail

INDUCT_DEFINE std::vector<nlohmann::json> grid_points(const nlohmann::json& grid) {
  using scaling_detail::base_value;
  using scaling_detail::grid_value;
  if (!grid.is_object() || !grid.contains("models") || !grid.contains("tokens") || !grid["models"].is_array() ||
      !grid["tokens"].is_array() || grid["models"].empty() || grid["tokens"].empty())
    throw config_error("grid", "a grid needs non-empty arrays \"models\" and \"tokens\"");
  const nlohmann::json base = grid.value("base", nlohmann::json::object());
  for (const auto& [key, value] : base.items())
    if (key != "context" && key != "batch" && key != "lr" && key != "prompts" && key != "examples" && key != "seed" &&
        key != "seeds" && key != "shares" && key != "setup" && key != "curve")
      throw config_error("grid.base." + key, "unknown field");
  if (base.contains("curve")) {  // validated once, before any point runs
    try {
      (void)learning_curve_config::from_json(base.at("curve"));
    } catch (const config_error& e) {
      const std::string what = e.what(), prefix = "invalid config field '" + e.field() + "': ";
      throw config_error("grid.base.curve." + e.field(), what.rfind(prefix, 0) == 0 ? what.substr(prefix.size()) : what);
    }
  }
  // Training seeds: base "seeds" (one point each, all on the corpus of base "seed"), else base "seed"
  // for both the corpus and the training.
  std::vector<std::uint64_t> seeds;
  if (base.contains("seeds")) {
    if (!base.at("seeds").is_array() || base.at("seeds").empty())
      throw config_error("grid.base.seeds", "must list at least one training seed");
    for (const auto& s : base.at("seeds")) seeds.push_back(grid_value<std::uint64_t>(s, "grid.base.seeds"));
  }
  const std::size_t runs = seeds.empty() ? 1 : seeds.size();
  if (grid["models"].size() * grid["tokens"].size() > max_sweep_points / runs)
    throw config_error("grid", std::to_string(grid["models"].size()) + " models x " +
                                   std::to_string(grid["tokens"].size()) + " token counts x " + std::to_string(runs) +
                                   " seeds is more than " + std::to_string(max_sweep_points) + " points");
  std::vector<nlohmann::json> points;
  try {
    for (const auto& model : grid["models"]) {
      for (const auto& [key, value] : model.items())
        if (key != "layers" && key != "width" && key != "heads") throw config_error("grid.models." + key, "unknown field");
      const int layers = grid_value<int>(model.at("layers"), "grid.models.layers");
      const int width = grid_value<int>(model.at("width"), "grid.models.width");
      const int heads = model.contains("heads") ? grid_value<int>(model.at("heads"), "grid.models.heads") : 4;
      for (const auto& tokens : grid["tokens"]) {
        // 2^53: the largest count a JSON number holds exactly (and far inside std::uint64_t).
        const double count = grid_value<double>(tokens, "grid.tokens");
        if (!(count >= 1000 && count <= 9007199254740992.0 && count == std::floor(count)))
          throw config_error("grid.tokens", "must be integers in [1000, 2^53]");
        for (std::size_t s = 0; s < runs; ++s) {
          nlohmann::json point = {{"layers", layers},
                                  {"width", width},
                                  {"heads", heads},
                                  {"tokens", static_cast<std::uint64_t>(count)},
                                  {"context", base_value(base, "context", 96)},
                                  {"batch", base_value(base, "batch", 16)},
                                  {"lr", base_value(base, "lr", default_learning_rate(width))},
                                  {"prompts", base_value(base, "prompts", 1000)},
                                  {"examples", base_value(base, "examples", std::vector<int>{0, 1, 2, 4, 8, 16})},
                                  {"seed", seeds.empty() ? base_value(base, "seed", std::uint64_t{1}) : seeds[s]},
                                  {"shares", base_value(base, "shares", std::string("demo"))}};
          if (!seeds.empty()) point["corpus_seed"] = base_value(base, "seed", std::uint64_t{1});
          if (base.contains("setup")) point["setup"] = base.at("setup");  // setup fields, e.g. held_out_fraction
          // The learning curve is part of what a point writes (not of its run): in the point, not in run_key.
          if (base.contains("curve")) point["curve"] = base.at("curve");
          // The key covers the whole run (setup, loss, tasks), so a point of an older recipe is never reused.
          point["run_key"] = point_key(point_run_config(point).to_json());
          points.push_back(std::move(point));
        }
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
  if (point.contains("setup")) {  // setup fields over the shares (strict: an unknown field is an error)
    nlohmann::json merged = c.setup.to_json();
    if (!point.at("setup").is_object()) throw config_error("grid.base.setup", "must be an object of setup fields");
    for (const auto& [key, value] : point.at("setup").items()) merged[key] = value;
    c.setup = setup::setup_config::from_json(merged);
  }
  using scaling_detail::grid_value;
  c.model.layers = grid_value<int>(point.at("layers"), "layers");
  c.model.width = grid_value<int>(point.at("width"), "width");
  c.model.heads = grid_value<int>(point.at("heads"), "heads");
  c.model.context_length = grid_value<int>(point.at("context"), "context");
  c.training.batch = grid_value<int>(point.at("batch"), "batch");
  c.training.learning_rate = grid_value<double>(point.at("lr"), "lr");
  c.training.min_learning_rate = c.training.learning_rate / 20;
  // Before the division below: a batch or context of 0 would divide by zero.
  c.model.validate();
  check_field_bounds(c.training);
  const auto tokens = grid_value<std::uint64_t>(point.at("tokens"), "tokens");
  const auto per_step = static_cast<std::uint64_t>(c.training.batch) * static_cast<std::uint64_t>(c.model.context_length);
  c.corpus_tokens = std::max<std::uint64_t>(tokens, per_step * 2);
  c.training.steps = static_cast<std::int64_t>(std::max<std::uint64_t>(1, tokens / per_step));
  c.training.warmup_steps = std::min<std::int64_t>(200, std::max<std::int64_t>(1, c.training.steps / 10));
  c.training.seed = grid_value<std::uint64_t>(point.at("seed"), "seed");
  c.corpus_seed = point.contains("corpus_seed") ? grid_value<std::uint64_t>(point.at("corpus_seed"), "corpus_seed")
                                                : c.training.seed;
  c.evaluation.prompts = grid_value<int>(point.at("prompts"), "prompts");
  c.evaluation.examples = grid_value<std::vector<int>>(point.at("examples"), "examples");
  c.model.validate();
  c.training.validate();
  return c;
}

INDUCT_DEFINE nlohmann::json run_sweep_point(const nlohmann::json& point, const std::filesystem::path& directory,
                                            nn::communicator* processes) {
  const run_config config = point_run_config(point);
  const learning_curve_config curve =
      point.contains("curve") ? learning_curve_config::from_json(point.at("curve")) : learning_curve_config{};
  run_hooks hooks;
  hooks.processes = processes;
  return flat_point_result(run_experiment(config, hooks, curve), curve, directory, point_key(point));
}

INDUCT_DEFINE nlohmann::json flat_point_result(const run_result& run, const learning_curve_config& curve,
                                               const std::filesystem::path& directory, const std::string& key) {
  std::filesystem::create_directories(directory / "evaluations");
  write_csv(directory / "evaluations" / (key + ".csv"), run.table);
  result_table emergence;
  if (curve.enabled()) {
    write_csv(directory / "evaluations" / (key + "_curve.csv"), run.curve);
    emergence = emergence_table(run.curve, curve.threshold);
  }
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
    result[prefix + "_bound_bits"] = run.table.number(r, "bound_cum_bits");  // Theorem 1's D + Rbar_n
  }
  // The step from which each curve's query error stays at or below the threshold (null: not by the end).
  for (std::size_t r = 0; r < emergence.row_count(); ++r) {
    const std::string prefix = emergence.text(r, "task") + "_" + emergence.text(r, "format") + "_n" +
                               emergence.text(r, "examples");
    const double step = emergence.number(r, "emergence_step");
    result[prefix + "_emergence_step"] = std::isfinite(step) ? nlohmann::json(static_cast<long long>(step)) : nlohmann::json();
  }
  if (curve.enabled()) result["curve_seconds"] = run.curve_seconds;
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
  std::vector<std::vector<int>> counts(chart.row_labels.size(), std::vector<int>(chart.column_labels.size(), 0));
  for (const auto& p : points) {
    const auto result = runner.finished_result(p);
    if (!result || !result->contains(field) || !(*result)[field].is_number()) continue;
    const auto r = static_cast<std::size_t>(
        std::find(chart.row_labels.begin(), chart.row_labels.end(), model_label(p)) - chart.row_labels.begin());
    const auto c = static_cast<std::size_t>(std::find(chart.column_labels.begin(), chart.column_labels.end(),
                                                      token_label(p.at("tokens").get<std::uint64_t>())) -
                                            chart.column_labels.begin());
    // Points that differ only by training seed share a cell: their mean.
    const double v = (*result)[field].get<double>();
    chart.values[r][c] = counts[r][c] == 0 ? v : (chart.values[r][c] * counts[r][c] + v) / (counts[r][c] + 1);
    counts[r][c] += 1;
  }
  return chart;
}

INDUCT_DEFINE std::vector<std::vector<std::size_t>> rows_grouped_by(const result_table& table,
                                                                     const std::vector<std::string>& columns) {
  std::vector<std::string> keys;
  std::vector<std::vector<std::size_t>> groups;
  for (std::size_t r = 0; r < table.row_count(); ++r) {
    std::string key;
    for (const auto& c : columns) {
      if (table.has_column(c)) key += table.text(r, c);
      key += '|';
    }
    const auto it = std::find(keys.begin(), keys.end(), key);
    if (it == keys.end()) {
      keys.push_back(std::move(key));
      groups.push_back({r});
    } else {
      groups[static_cast<std::size_t>(it - keys.begin())].push_back(r);
    }
  }
  return groups;
}

INDUCT_DEFINE std::vector<table_cell> seed_error_summary(const result_table& table, const std::vector<std::size_t>& rows,
                                                         const std::string& column, std::uint64_t bootstrap_seed) {
  std::vector<double> values;
  std::vector<std::uint64_t> wrong, prompts;
  const bool has_prompts = table.has_column("prompts");
  for (auto r : rows) {
    const double v = table.number(r, column);
    if (!std::isfinite(v)) continue;
    values.push_back(v);
    const double n = has_prompts ? table.number(r, "prompts") : std::nan("");
    if (std::isfinite(n) && n >= 1) {
      prompts.push_back(static_cast<std::uint64_t>(n));
      wrong.push_back(static_cast<std::uint64_t>(std::llround(v * n)));
    }
  }
  std::vector<table_cell> cells(5);
  if (values.empty()) return cells;
  double sum = 0;
  for (double v : values) sum += v;
  cells[0] = sum / static_cast<double>(values.size());
  cells[1] = *std::min_element(values.begin(), values.end());
  cells[2] = *std::max_element(values.begin(), values.end());
  if (prompts.size() == values.size()) {
    const auto interval = theory::seed_bootstrap_interval(wrong, prompts, 0.05, 2000, bootstrap_seed);
    cells[3] = interval.low;
    cells[4] = interval.high;
  }
  return cells;
}

INDUCT_DEFINE result_table sweep_across_seeds(const result_table& table) {
  // Groups: rows equal in every config column (points differ by training seed, run_key and key).
  const auto is_error = [](const std::string& c) {
    return c.size() > 6 && c.compare(c.size() - 6, 6, "_error") == 0 && c.find("_ideal_error") == std::string::npos;
  };
  static const char* const suffixes[] = {"_mean", "_min", "_max", "_boot_low", "_boot_high"};
  const std::vector<std::string> config_columns = {"layers", "width", "heads", "tokens", "context", "batch", "lr",
                                                   "prompts", "examples", "corpus_seed", "shares"};
  std::vector<std::string> columns{"seeds", "training_seeds"};
  for (const auto& c : config_columns)
    if (table.has_column(c)) columns.push_back(c);
  std::vector<std::string> errors;
  for (const auto& c : table.columns())
    if (is_error(c)) {
      errors.push_back(c);
      for (const char* suffix : suffixes) columns.push_back(c + suffix);
    }
  result_table across(columns);
  const auto groups = rows_grouped_by(table, config_columns);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const auto& rows = groups[g];
    auto row = across.new_row();
    std::string seeds;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (i) seeds += ' ';
      seeds += table.text(rows[i], "seed");
    }
    row["seeds"] = static_cast<long long>(rows.size());
    row["training_seeds"] = seeds;
    for (const auto& c : config_columns)
      if (table.has_column(c)) row[c] = table.at(rows.front(), c);
    for (const auto& c : errors) {
      const auto cells = seed_error_summary(table, rows, c, 1 + g);
      for (std::size_t k = 0; k < cells.size(); ++k) row[c + suffixes[k]] = cells[k];
    }
    across.add_row(row);
  }
  return across;
}

INDUCT_DEFINE report_page scaling_report(const result_table& table, const nlohmann::json& grid, std::size_t points,
                                         int n_icl, int n_steps, double threshold) {
  report_page page;
  page.title = "Scaling sweep: models x training tokens";
  page.facts.emplace_back("points", std::to_string(table.row_count()) + " finished of " + std::to_string(points));
  std::string models, tokens;
  for (const auto& m : grid.at("models")) {
    if (!models.empty()) models += ", ";
    models += model_label(m);
  }
  for (const auto& t : grid.at("tokens")) {
    if (!tokens.empty()) tokens += ", ";
    tokens += token_label(static_cast<std::uint64_t>(t.template get<double>()));
  }
  page.facts.emplace_back("models (layers, width)", models);
  page.facts.emplace_back("training tokens (one pass over a corpus of as many)", tokens);
  const nlohmann::json base = grid.value("base", nlohmann::json::object());
  if (base.contains("seeds")) page.facts.emplace_back("training seeds", base.at("seeds").dump());
  const std::string lookup = "lookup_direct_n" + std::to_string(n_icl) + "_error";
  const std::string direct = "compose2_direct_n" + std::to_string(n_steps) + "_error";
  const std::string stepwise = "compose2_stepwise_n" + std::to_string(n_steps) + "_error";
  // The compact table: what defines each point, its training loss and the errors the heatmaps show.
  std::vector<std::string> shown;
  for (const char* c : {"layers", "width", "tokens", "seed", "final_loss"})
    if (table.has_column(c)) shown.push_back(c);
  for (const auto& c : {lookup, direct, stepwise})
    if (table.has_column(c)) shown.push_back(c);
  page.table_text = table.select(shown).to_text(3);
  page.table_text += "(final_loss: mean training loss of the last min(100, steps) steps, nats; *_error: the model's query error rate)\n";
  // Per model, the fewest tokens at which lookup reaches the threshold (a point of any seed counts).
  if (table.has_column(lookup)) {
    for (const auto& m : grid.at("models")) {
      const std::string label = model_label(m);
      double fewest = std::nan("");
      for (std::size_t r = 0; r < table.row_count(); ++r)
        if (table.number(r, "layers") == m.at("layers").template get<double>() &&
            table.number(r, "width") == m.at("width").template get<double>() &&
            table.number(r, lookup) <= threshold && !(table.number(r, "tokens") >= fewest))
          fewest = table.number(r, "tokens");
      // Appends: GCC 12 warns falsely on "a" + std::string.
      page.findings += label;
      page.findings += ": lookup at n = ";
      page.findings += std::to_string(n_icl);
      page.findings += std::isfinite(fewest) ? " reaches an error <= " : " does not reach an error <= ";
      page.findings += format_number(threshold);
      if (std::isfinite(fewest)) {
        page.findings += " from ";
        page.findings += token_label(static_cast<std::uint64_t>(fewest));
        page.findings += " tokens";
      }
      page.findings += ". ";
    }
  }
  if (table.has_column(direct) && table.has_column(stepwise)) {
    std::size_t compared = 0, better = 0;
    for (std::size_t r = 0; r < table.row_count(); ++r) {
      const double d = table.number(r, direct), s = table.number(r, stepwise);
      if (!std::isfinite(d) || !std::isfinite(s)) continue;
      ++compared;
      better += s < d;
    }
    page.findings += "compose2 at n = ";
    page.findings += std::to_string(n_steps);
    page.findings += ": intermediate steps have a lower error than direct answers at ";
    page.findings += std::to_string(better);
    page.findings += " of ";
    page.findings += std::to_string(compared);
    page.findings += " points.";
  }
  page.plots = {"emergence.svg", "stepwise_vs_direct.svg"};
  page.files = {"table.csv", "table.json", "table_across_seeds.csv", "table_across_seeds.json"};
  page.config = grid;
  return page;
}

INDUCT_DEFINE result_table write_sweep_outputs(const sweep_runner& runner, const std::vector<nlohmann::json>& points,
                                               const nlohmann::json& grid) {
  const auto table = runner.assemble(points);
  write_csv(runner.directory() / "table.csv", table);
  write_json(runner.directory() / "table.json", table, {{"grid", grid}});
  if (grid.contains("base") && grid["base"].contains("seeds")) {
    const auto across = sweep_across_seeds(table);
    write_csv(runner.directory() / "table_across_seeds.csv", across);
    write_json(runner.directory() / "table_across_seeds.json", across, {{"grid", grid}});
  }
  // The n the heatmaps show come from what the grid evaluated: 16 (ICL) and 8 (steps) when evaluated,
  // else the largest evaluated n below them, else the largest; "-" cells are points not finished.
  std::vector<int> examples = {0, 1, 2, 4, 8, 16};
  if (grid.contains("base") && grid["base"].contains("examples")) examples = grid["base"]["examples"].get<std::vector<int>>();
  const auto pick = [&](int wanted) {
    int best = -1, largest = -1;
    for (int n : examples) {
      if (n <= wanted) best = std::max(best, n);
      largest = std::max(largest, n);
    }
    return best >= 0 ? best : largest;
  };
  const std::string n_icl = std::to_string(pick(16)), n_steps = std::to_string(pick(8));
  std::string title = "ICL emergence: lookup error at n = ";  // appends: GCC 12 warns falsely on "a" + std::string
  title += n_icl;
  title += " (- : point not finished)";
  write_text_atomically(runner.directory() / "emergence.svg",
                        render_svg(sweep_heatmap(runner, points, "lookup_direct_n" + n_icl + "_error", title)));
  figure cot;
  cot.title = "compose2 at n = ";
  cot.title += n_steps;
  cot.title += ": intermediate steps against direct answers (- : point not finished)";
  cot.columns = 2;
  std::string direct_title = "direct: error at n = ", stepwise_title = "stepwise: final-value error at n = ";
  direct_title += n_steps;
  stepwise_title += n_steps;
  cot.panels.emplace_back(sweep_heatmap(runner, points, "compose2_direct_n" + n_steps + "_error", direct_title));
  cot.panels.emplace_back(sweep_heatmap(runner, points, "compose2_stepwise_n" + n_steps + "_error", stepwise_title));
  write_text_atomically(runner.directory() / "stepwise_vs_direct.svg", render_svg(cot));
  const nlohmann::json& base = grid.contains("base") ? grid["base"] : nlohmann::json::object();
  const double threshold = base.contains("curve") ? learning_curve_config::from_json(base["curve"]).threshold
                                                  : learning_curve_config{}.threshold;  // the emergence threshold
  write_report_page(scaling_report(table, grid, points.size(), std::stoi(n_icl), std::stoi(n_steps), threshold),
                    runner.directory());
  return table;
}

}  // namespace induct::experiment
