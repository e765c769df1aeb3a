#pragma once
// The demo: one run on the default setup (pipeline.hpp), its compact table on the console, and
// the directory induct-demo/ with results.csv, results.json, the SVG plots and the trained model.
//
// The question it answers by measurement: does the trained model learn in context? On lookup,
// the measured error at n = 8 must be far below its error at n = 0; the table shows both beside
// the bound (D + R_n)/n and the idealized predictor's exact error.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/core/progress.hpp"
#include "induct/experiment/evaluation_plots.hpp"
#include "induct/experiment/pipeline.hpp"
#include "induct/experiment/report.hpp"
#include "induct/experiment/svg_plot.hpp"

namespace induct::experiment {

/// The demo's run: the SPEC's default setup (64 entities, 8 functions, chains of depth <= 4, default
/// segment shares and list lengths), a 2-layer, width-64 GPT with context 80 trained for 12,000 steps of
/// 16 windows on a 16M-token corpus at peak lr 5e-3. The training loss weighs list answers (tokens right
/// after ':') 3x and skips list inputs x (uniform random, unpredictable: weight 0), which shortens the
/// plateau before in-context learning appears. Measured (docs/results.md, seed 1, 2 threads, under
/// 3 minutes): lookup error 0.82 at n = 0, 0.08 at n = 1, 0 from n = 2; compose2 stepwise 0.99 -> 0.14
/// at n = 1 -> 0 from n = 4, while compose2 direct stays at 0.96-1.00.
inline run_config default_demo_config() {
  run_config c;  // c.setup: the SPEC defaults
  c.corpus_tokens = 16'000'000;
  c.corpus_seed = 1;
  c.model.context_length = 80;
  c.model.layers = 2;
  c.model.width = 64;
  c.model.heads = 4;
  c.training.batch = 16;
  c.training.steps = 12000;
  c.training.learning_rate = 5e-3;
  c.training.min_learning_rate = 1e-4;
  c.training.warmup_steps = 200;
  c.training.seed = 1;
  c.training.log_every = 0;
  c.training.validation_batches = 4;
  c.answer_loss_weight = 3.0;
  c.input_loss_weight = 0.0;
  c.evaluation.examples = {0, 1, 2, 4, 8};
  c.evaluation.prompts = 100;
  c.evaluation.prompt_seed = 2024;
  return c;
}

/// A reduced world for quick runs and the miniature end-to-end test (about 15 s of CPU): 16 entities,
/// 4 functions, 4 filler words, chains of depth <= 2, more lists than the default shares (facts 0.40,
/// direct lists 0.35, stepwise lists 0.20, filler 0.05), a 2-layer, width-48 GPT, 3,000 steps, plain loss.
/// Measured (seed 1, 2 threads): lookup error 0.65 at n = 0, 0.21 at n = 8.
inline run_config reduced_demo_config() {
  run_config c = default_demo_config();
  c.setup.entities = 16;
  c.setup.functions = 4;
  c.setup.filler_words = 4;
  c.setup.max_depth = 2;
  c.setup.share_fact = 0.40;
  c.setup.share_direct_list = 0.35;
  c.setup.share_stepwise_list = 0.20;
  c.setup.share_filler = 0.05;
  c.corpus_tokens = 2'000'000;
  c.model.context_length = 48;
  c.model.width = 48;
  c.training.steps = 3000;
  c.training.learning_rate = 3e-3;
  c.training.warmup_steps = 100;
  c.answer_loss_weight = 1.0;
  c.input_loss_weight = 1.0;
  return c;
}

/// The compact console table: per task, format and n the bound, the idealized error and the measured error.
inline result_table compact_table(const result_table& table) {
  result_table out({"task", "format", "n", "bound (D+R_n)/n", "idealized", "measured", "95% interval", "K bits"});
  for (std::size_t r = 0; r < table.row_count(); ++r) {
    char interval[48];
    std::snprintf(interval, sizeof interval, "[%.3f, %.3f]", table.number(r, "model_ci_low"), table.number(r, "model_ci_high"));
    out.add_row({table.text(r, "task"), table.text(r, "format"), static_cast<long long>(table.number(r, "examples")),
                 table.at(r, "bound_error_rate"), table.number(r, "ideal_error_rate"), table.number(r, "model_error_rate"),
                 std::string(interval), table.number(r, "K_bits")});
  }
  return out;
}

/// Error of `task` (direct) at n from an evaluation table; NaN if absent.
inline double error_at(const result_table& table, const std::string& task, const std::string& format, int n,
                       const std::string& column = "model_error_rate") {
  for (auto r : rows_of(table, task, format))
    if (static_cast<int>(table.number(r, "examples")) == n) return table.number(r, column);
  return std::nan("");
}

/// Writes an evaluation table (evaluation_columns()) into `out`: results.csv, results.json (with
/// `metadata`), error_vs_n.svg, <task>_<format>.svg, stepwise_vs_direct.svg (if any task is
/// stepwise) and summary.txt (the compact table).
inline void write_evaluation_outputs(const std::filesystem::path& out, const result_table& table,
                                     const nlohmann::json& metadata, const std::string& title) {
  std::filesystem::create_directories(out);
  write_csv(out / "results.csv", table);
  write_json(out / "results.json", table, metadata);
  write_text_atomically(out / "error_vs_n.svg", render_svg(evaluation_figure(table, title)));
  for (const auto& [task, format] : task_formats(table))
    write_text_atomically(out / (task + "_" + format + ".svg"), render_svg(error_chart(table, task, format)));
  figure steps;
  steps.title = "Intermediate steps against direct answers";
  for (const auto& [task, format] : task_formats(table))
    if (format == "stepwise") steps.panels.emplace_back(stepwise_vs_direct_chart(table, task));
  if (!steps.panels.empty()) write_text_atomically(out / "stepwise_vs_direct.svg", render_svg(steps));
  write_text_atomically(out / "summary.txt", compact_table(table).to_text(3));
}

/// Writes results.csv, results.json, the plots and summary.txt of a finished run into `out`.
inline void write_run_outputs(const std::filesystem::path& out, const run_config& config, const run_result& result,
                              const std::string& title) {
  const nlohmann::json metadata = {{"config", config.to_json()},
                                   {"training", result.training.to_json()},
                                   {"parameters", result.parameters},
                                   {"skipped", result.skipped},
                                   {"seconds", {{"corpus", result.corpus_seconds},
                                                {"training", result.training_seconds},
                                                {"evaluation", result.evaluation_seconds}}}};
  write_evaluation_outputs(out, result.table, metadata, title);
}

/// The in-context-learning verdict on lookup (direct): its measured error at n = 0 against n = 8,
/// shown when n = 8 is at most half of n = 0; empty if the table lacks either.
inline std::string icl_verdict(const result_table& table) {
  const double at0 = error_at(table, "lookup", "direct", 0), at8 = error_at(table, "lookup", "direct", 8);
  if (!std::isfinite(at0) || !std::isfinite(at8)) return {};
  char line[256];
  std::snprintf(line, sizeof line, "in-context learning on lookup: measured error %.3f at n = 0, %.3f at n = 8 (%s)\n", at0, at8,
                at8 <= 0.5 * at0 ? "shown: the error falls with examples" : "NOT shown at this size");
  return line;
}

/// Runs the demo into `out`, printing phases, the compact table and the ICL verdict to `console`.
inline run_result run_demo(const run_config& config, const std::filesystem::path& out, std::ostream& console,
                           bool progress_bars) {
  std::filesystem::create_directories(out);
  run_hooks hooks;
  hooks.training_progress_bar = progress_bars;
  hooks.checkpoint = out / "model.safetensors";
  hooks.on_phase = [&](const std::string& phase) {
    if (phase == "corpus")
      console << "[1/3] sampling a corpus of " << config.corpus_tokens << " tokens (seed " << config.corpus_seed << ")\n";
    else if (phase == "train")
      console << "[2/3] training a GPT: " << config.model.layers << " layers, width " << config.model.width << ", context "
              << config.model.context_length << ", " << config.training.steps << " steps of " << config.training.batch
              << " x " << config.model.context_length << " tokens, lr " << config.training.learning_rate << "\n";
    else
      console << "[3/3] evaluating on " << config.evaluation.prompts << " prompts per task, format and n\n";
    console.flush();
  };
  progress_bar evaluation_bar("evaluate", 1.0, progress_bars && ::isatty(2) != 0);
  hooks.on_evaluation_progress = [&](std::size_t done, std::size_t total) {
    evaluation_bar.update(static_cast<double>(done) / static_cast<double>(total));
  };
  run_result result = run_experiment(config, hooks);
  evaluation_bar.finish();
  write_run_outputs(out, config, result, "Predicted (bound, idealized) against measured (trained model)");
  char line[256];
  std::snprintf(line, sizeof line, "trained %llu parameters in %.0f s (%.0f tokens/s), final loss %.3f nats, validation %.3f\n",
                static_cast<unsigned long long>(result.parameters), result.training_seconds,
                result.training.tokens_per_second, result.training.final_loss, result.training.validation_loss);
  console << line << "\n" << compact_table(result.table).to_text(3) << "\n" << icl_verdict(result.table);
  console << "wrote " << (out / "results.csv").string() << ", results.json, error_vs_n.svg, stepwise_vs_direct.svg, "
          << "summary.txt and model.safetensors\n";
  return result;
}

}  // namespace induct::experiment
