#pragma once
// Definitions for experiment/evaluation_outputs.hpp (see induct/core/linkage.hpp for the two modes).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/experiment/evaluation_outputs.hpp"
#include "induct/experiment/evaluation_plots.hpp"
#include "induct/experiment/pipeline.hpp"
#include "induct/experiment/report.hpp"
#include "induct/experiment/svg_plot.hpp"

namespace induct::experiment {

namespace evaluation_outputs_detail {

/// "ideal / model" with the slash at a fixed column (the numbers to 3 significant digits).
INDUCT_DETAIL std::string pair_text(double ideal, double model) {
  char text[64];
  std::snprintf(text, sizeof text, "%5.3g / %-5.3g", ideal, model);
  return text;
}

inline constexpr const char* vacuous_mark = "*";

}  // namespace evaluation_outputs_detail

INDUCT_DEFINE result_table compact_table(const result_table& table) {
  using evaluation_outputs_detail::pair_text;
  result_table out({"task", "format", "n", "D+R_n", "bits ideal/model", "mistakes ideal/model",
                    "query err ideal/model [95% CI]", "K bits"});
  for (std::size_t r = 0; r < table.row_count(); ++r) {
    char bound[32], query[96];
    // A trailing blank where the bound is not vacuous keeps the digits aligned with the marked rows.
    std::snprintf(bound, sizeof bound, "%.3g%s", table.number(r, "bound_cum_bits"),
                  table.number(r, "bound_vacuous") != 0.0 ? evaluation_outputs_detail::vacuous_mark : " ");
    std::snprintf(query, sizeof query, "%4.2g / %-4.2g [%.3f, %.3f]", table.number(r, "ideal_query_error_rate"),
                  table.number(r, "model_query_error_rate"), table.number(r, "model_query_ci_low"),
                  table.number(r, "model_query_ci_high"));
    out.add_row({table.text(r, "task"), table.text(r, "format"), static_cast<long long>(table.number(r, "examples")),
                 std::string(bound),
                 pair_text(table.number(r, "ideal_mean_cum_loss_bits"), table.number(r, "model_mean_cum_loss_bits")),
                 pair_text(table.number(r, "ideal_mean_cum_mistakes"), table.number(r, "model_mean_cum_mistakes")),
                 std::string(query), table.number(r, "K_bits")});
  }
  return out;
}

INDUCT_DEFINE std::string compact_summary(const result_table& table) {
  std::string text = compact_table(table).to_text(3);
  text +=
      "bits, mistakes: cumulative over the n + 1 answers (teacher-forced, mean over prompts); Theorem 1 bounds\n"
      "  both by D + R_n. query err: the error at the query alone; 95% CI: the model's. K = model bits - ideal bits.\n";
  bool vacuous = false;
  for (std::size_t r = 0; r < table.row_count(); ++r) vacuous = vacuous || table.number(r, "bound_vacuous") != 0.0;
  if (vacuous) text += "* bound vacuous: D + R_n >= n + 1, it allows every one of the n + 1 answers to be wrong.\n";
  return text;
}

INDUCT_DEFINE double error_at(const result_table& table, const std::string& task, const std::string& format, int n,
                              const std::string& column) {
  for (auto r : rows_of(table, task, format))
    if (static_cast<int>(table.number(r, "examples")) == n) return table.number(r, column);
  return std::nan("");
}

INDUCT_DEFINE void write_evaluation_outputs(const std::filesystem::path& out, const result_table& table,
                                            const nlohmann::json& metadata, const std::string& title) {
  std::filesystem::create_directories(out);
  write_csv(out / "results.csv", table);
  write_json(out / "results.json", table, metadata);
  // The (task, format, n) the context could not hold are named, so no row silently stops.
  std::string not_evaluated;
  std::vector<std::string> skipped;
  if (metadata.is_object() && metadata.contains("skipped") && metadata["skipped"].is_array())
    for (const auto& s : metadata["skipped"]) {
      if (!not_evaluated.empty()) not_evaluated += "; ";  // appends: GCC 12 warns falsely on "a" + std::string
      not_evaluated += s.get<std::string>();
      skipped.push_back(s.get<std::string>());
    }
  write_text_atomically(out / "error_vs_n.svg",
                        render_svg(evaluation_figure(table, not_evaluated.empty() ? title
                                                                                  : title + " (not evaluated: " +
                                                                                        not_evaluated + ")")));
  for (const auto& [task, format] : task_formats(table)) {
    // The per-task chart names its own (task, format)'s skipped n ("lookup direct n=32 (longer than the context)").
    auto chart = error_chart(table, task, format);
    const std::string prefix = task + " " + format + " ";
    std::string caps;
    for (const auto& s : skipped)
      if (s.rfind(prefix, 0) == 0) {
        caps += caps.empty() ? " (not evaluated: " : ", ";
        caps += s.substr(prefix.size());
      }
    if (!caps.empty()) chart.title += caps + ")";
    write_text_atomically(out / (task + "_" + format + ".svg"), render_svg(chart));
  }
  figure steps;
  steps.title = "Intermediate steps against direct answers";
  for (const auto& [task, format] : task_formats(table))
    if (format == "stepwise") steps.panels.emplace_back(stepwise_vs_direct_chart(table, task));
  if (!steps.panels.empty()) write_text_atomically(out / "stepwise_vs_direct.svg", render_svg(steps));
  write_text_atomically(out / "summary.txt",
                        compact_summary(table) + (not_evaluated.empty() ? "" : "not evaluated: " + not_evaluated + "\n"));
}

INDUCT_DEFINE void write_seed_outputs(const std::filesystem::path& out, const result_table& across_seeds,
                                      const nlohmann::json& metadata, const std::string& title) {
  std::filesystem::create_directories(out);
  write_csv(out / "results_across_seeds.csv", across_seeds);
  write_json(out / "results_across_seeds.json", across_seeds, metadata);
  write_text_atomically(out / "error_vs_n_across_seeds.svg", render_svg(seed_error_figure(across_seeds, title)));
}

INDUCT_DEFINE void write_run_outputs(const std::filesystem::path& out, const run_config& config, const run_result& result,
                                     const std::string& title) {
  const nlohmann::json metadata = {{"config", config.to_json()},
                                   {"training", result.training.to_json()},
                                   {"parameters", result.parameters},
                                   {"skipped", result.skipped},
                                   {"seconds", {{"corpus", result.corpus_seconds},
                                                {"training", result.training_seconds},
                                                {"evaluation", result.evaluation_seconds}}}};
  write_evaluation_outputs(out, result.table, metadata, title);
  if (!result.loss_history.empty())
    write_text_atomically(out / "training_loss.svg",
                          render_svg(training_loss_chart(result.loss_history, result.training.validation_loss,
                                                         "Training loss (validation loss after the last step)")));
}

INDUCT_DEFINE std::string icl_verdict(const result_table& table) {
  const double at0 = error_at(table, "lookup", "direct", 0), at8 = error_at(table, "lookup", "direct", 8);
  if (!std::isfinite(at0) || !std::isfinite(at8)) return {};
  char line[256];
  std::snprintf(line, sizeof line, "in-context learning on lookup: measured error %.3f at n = 0, %.3f at n = 8 (%s)\n", at0, at8,
                at8 <= 0.5 * at0 ? "shown: the error falls with examples" : "NOT shown at this size");
  return line;
}

}  // namespace induct::experiment
