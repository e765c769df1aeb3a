#pragma once
// Definitions for experiment/evaluation_outputs.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/experiment/corpus_training.hpp"
#include "induct/experiment/evaluation_outputs.hpp"
#include "induct/experiment/evaluation_plots.hpp"
#include "induct/experiment/pipeline.hpp"
#include "induct/experiment/report_page.hpp"
#include "induct/experiment/seeds.hpp"
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
  write_evaluation_report(out, table, metadata, title);
}

INDUCT_DEFINE void write_seed_outputs(const std::filesystem::path& out, const result_table& across_seeds,
                                      const nlohmann::json& metadata, const std::string& title,
                                      const std::vector<std::string>& subfolders) {
  std::filesystem::create_directories(out);
  write_csv(out / "results_across_seeds.csv", across_seeds);
  write_json(out / "results_across_seeds.json", across_seeds, metadata);
  write_text_atomically(out / "error_vs_n_across_seeds.svg", render_svg(seed_error_figure(across_seeds, title)));
  write_seed_report(out, across_seeds, metadata, title, subfolders);
}

INDUCT_DEFINE std::string evaluation_findings(const result_table& table, const std::string& column) {
  std::string text;
  char line[512];
  const auto largest_n = [&](const std::string& task, const std::string& format) {
    int n = -1;
    for (auto r : rows_of(table, task, format)) n = std::max(n, static_cast<int>(table.number(r, "examples")));
    return n;
  };
  const int lookup_n = largest_n("lookup", "direct");
  if (lookup_n > 0) {
    const double at0 = error_at(table, "lookup", "direct", 0, column), atn = error_at(table, "lookup", "direct", lookup_n, column);
    if (std::isfinite(at0) && std::isfinite(atn)) {
      std::snprintf(line, sizeof line,
                    "In-context learning on lookup is %s: the error is %.2f at n = 0 and %.2f at n = %d "
                    "(the idealized predictor: %.2f and %.2f). ",
                    atn <= 0.5 * at0 ? "shown" : "not shown at this size", at0, atn, lookup_n,
                    error_at(table, "lookup", "direct", 0, "ideal_query_error_rate"),
                    error_at(table, "lookup", "direct", lookup_n, "ideal_query_error_rate"));
      text += line;
    }
  }
  for (const auto& [task, format] : task_formats(table)) {
    if (format != "stepwise") continue;
    const int n = std::min(largest_n(task, "direct"), largest_n(task, "stepwise"));
    if (n < 1) continue;
    const double direct = error_at(table, task, "direct", n, column), stepwise = error_at(table, task, "stepwise", n, column);
    if (!std::isfinite(direct) || !std::isfinite(stepwise)) continue;
    std::snprintf(line, sizeof line, "%s at n = %d: %.2f with intermediate steps against %.2f direct (%s). ", task.c_str(), n,
                  stepwise, direct,
                  stepwise + 0.05 < direct   ? "steps help"
                  : direct + 0.05 < stepwise ? "steps hurt"
                                             : "no difference beyond 0.05");
    text += line;
  }
  // Held out against seen, at the same depth and format: novelK against composeK at n = 1.
  for (const auto& [task, format] : task_formats(table)) {
    if (task.rfind("novel", 0) != 0) continue;
    std::string seen = "compose";  // appends: GCC 12 warns falsely on "a" + std::string
    seen += task.substr(5);
    const double novel_error = error_at(table, task, format, 1, column), seen_error = error_at(table, seen, format, 1, column);
    if (!std::isfinite(novel_error) || !std::isfinite(seen_error)) continue;
    std::snprintf(line, sizeof line, "Held-out %s (%s) at n = 1: %.2f against %.2f for the seen %s. ", task.c_str(),
                  format.c_str(), novel_error, seen_error, seen.c_str());
    text += line;
  }
  int vacuous_up_to = -1;
  for (std::size_t r = 0; r < table.row_count(); ++r)
    if (table.number(r, "bound_vacuous") != 0.0)
      vacuous_up_to = std::max(vacuous_up_to, static_cast<int>(table.number(r, "examples")));
  if (vacuous_up_to >= 0) {
    std::snprintf(line, sizeof line,
                  "Theorem 1's bound D + R_n is vacuous (at least n + 1 mistakes allowed) for some task up to n = %d.",
                  vacuous_up_to);
    text += line;
  }
  return text;
}

INDUCT_DEFINE void write_evaluation_report(const std::filesystem::path& out, const result_table& table,
                                           const nlohmann::json& metadata, const std::string& title) {
  report_page page;
  page.title = title;
  const auto fact = [&](const char* label, const nlohmann::json* value) {
    if (value == nullptr || value->is_null()) return;
    page.facts.emplace_back(label, value->is_string() ? value->get<std::string>() : value->dump());
  };
  const auto find = [&](std::initializer_list<const char*> path) -> const nlohmann::json* {
    const nlohmann::json* at = &metadata;
    for (const char* key : path) {
      if (!at->is_object() || !at->contains(key)) return nullptr;
      at = &(*at)[key];
    }
    return at;
  };
  fact("model file", find({"model"}));
  fact("training step", find({"step"}));
  fact("training seed", find({"config", "training", "seed"}));
  if (const auto* tokens = find({"config", "corpus_tokens"}))
    page.facts.emplace_back("corpus", tokens->dump() + " tokens, seed " +
                                          (find({"config", "corpus_seed"}) ? find({"config", "corpus_seed"})->dump() : "?"));
  const nlohmann::json* shape = find({"config", "model"}) ? find({"config", "model"}) : find({"model_config"});
  if (shape && shape->is_object()) {
    char text[160];
    std::snprintf(text, sizeof text, "%d layers, width %d, %d heads, context %d, vocabulary %d",
                  shape->value("layers", 0), shape->value("width", 0), shape->value("heads", 0),
                  shape->value("context_length", 0), shape->value("vocab_size", 0));
    page.facts.emplace_back("model", text);
  }
  if (const auto* training = find({"training"}); training && training->is_object()) {
    nn::training_summary summary;  // nn::training_summary::to_json's fields
    summary.steps = training->value("steps", std::int64_t{0});
    summary.final_loss = training->value("final_loss", std::nan(""));
    const auto& validation = training->value("validation_loss", nlohmann::json());
    summary.validation_loss = validation.is_number() ? validation.template get<double>() : std::nan("");
    summary.validation_tokens = training->value("validation_tokens", std::size_t{0});
    summary.tokens_per_second = training->value("tokens_per_s", 0.0);
    summary.seconds = training->value("seconds", 0.0);
    page.facts.emplace_back("training", std::to_string(summary.steps) + " steps; " + training_figures_text(summary));
  }
  const nlohmann::json* evaluation = find({"config", "evaluation"}) ? find({"config", "evaluation"}) : find({"evaluation"});
  if (evaluation && evaluation->is_object())
    page.facts.emplace_back("evaluation", evaluation->value("prompts", nlohmann::json()).dump() + " prompts per row, n = " +
                                              evaluation->value("examples", nlohmann::json()).dump() + ", prompt seed " +
                                              evaluation->value("prompt_seed", nlohmann::json()).dump());
  if (const auto* skipped = find({"skipped"}); skipped && skipped->is_array() && !skipped->empty())
    fact("not evaluated", skipped);
  page.findings = evaluation_findings(table);
  page.table_text = compact_summary(table);
  page.plots = {"error_vs_n.svg", "stepwise_vs_direct.svg", "training_loss.svg", "learning_curve.svg",
                "error_vs_n_across_seeds.svg", "learning_curve_across_seeds.svg"};
  for (const auto& [task, format] : task_formats(table)) page.plots.push_back(task + "_" + format + ".svg");
  page.files = {"results.csv", "results.json", "summary.txt", "learning_curve.csv", "learning_curve_emergence.csv",
                "results_across_seeds.csv", "model.safetensors"};
  page.config = find({"config"}) ? *find({"config"}) : nlohmann::json(nullptr);
  write_report_page(page, out);
}

INDUCT_DEFINE nlohmann::json run_metadata(const run_config& config, const run_result& result) {
  return {{"config", config.to_json()},
          {"training", result.training.to_json()},
          {"parameters", result.parameters},
          {"skipped", result.skipped},
          {"seconds", {{"corpus", result.corpus_seconds},
                       {"training", result.training_seconds},
                       {"evaluation", result.evaluation_seconds},
                       {"learning_curve", result.curve_seconds}}}};
}

INDUCT_DEFINE void write_seed_report(const std::filesystem::path& out, const result_table& across_seeds,
                                     const nlohmann::json& metadata, const std::string& title,
                                     const std::vector<std::string>& subfolders) {
  report_page page;
  page.title = title;
  if (across_seeds.row_count() > 0) {
    page.facts.emplace_back("training seeds", across_seeds.text(0, "training_seeds"));
    page.facts.emplace_back("prompts per row and seed", across_seeds.text(0, "prompts"));
  }
  page.findings = "Means over the training seeds. ";
  page.findings += evaluation_findings(across_seeds, "model_query_error_rate_mean");
  page.table_text = compact_seed_table(across_seeds).to_text(3);
  page.plots = {"error_vs_n_across_seeds.svg", "learning_curve_across_seeds.svg"};
  page.files = {"results_across_seeds.csv", "results_across_seeds.json", "learning_curve_across_seeds.csv",
                "learning_curve_across_seeds_emergence.csv"};
  for (const auto& folder : subfolders) page.files.push_back(folder + "/report.html");
  page.config = metadata.is_object() && metadata.contains("config") ? metadata["config"] : nlohmann::json(nullptr);
  write_report_page(page, out);
}

INDUCT_DEFINE void write_run_outputs(const std::filesystem::path& out, const run_config& config, const run_result& result,
                                     const std::string& title) {
  const nlohmann::json metadata = run_metadata(config, result);
  if (!result.loss_history.empty())  // before the report, which embeds it
    write_text_atomically(out / "training_loss.svg",
                          render_svg(training_loss_chart(result.loss_history, result.training.validation_loss,
                                                         "Training loss (validation loss after the last step)")));
  write_evaluation_outputs(out, result.table, metadata, title);
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
