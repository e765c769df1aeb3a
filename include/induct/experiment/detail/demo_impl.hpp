#pragma once
// Definitions for experiment/demo.hpp (see induct/core/linkage.hpp for the two modes).
#include <cstdio>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

#include "induct/core/error.hpp"
#include "induct/core/fields.hpp"
#include "induct/core/progress.hpp"
#include "induct/experiment/corpus_training.hpp"
#include "induct/experiment/demo.hpp"
#include "induct/experiment/evaluation_outputs.hpp"
#include "induct/experiment/pipeline.hpp"
#include "induct/experiment/seeds.hpp"

namespace induct::experiment {

INDUCT_DEFINE run_result run_demo(const run_config& config, const std::filesystem::path& out, std::ostream& console,
                                  bool progress_bars, const learning_curve_config& curve) {
  std::filesystem::create_directories(out);
  run_hooks hooks;
  hooks.training_progress_bar = progress_bars;
  hooks.checkpoint = out / "model.safetensors";
  std::optional<progress_bar> evaluation_bar;  // made when evaluation starts: its clock is the evaluation's
  hooks.on_phase = [&](const std::string& phase) {
    if (phase == "corpus")
      console << "[1/3] sampling a corpus of " << config.corpus_tokens << " tokens (seed " << config.corpus_seed << ")\n";
    else if (phase == "train")
      console << "[2/3] training a GPT: " << config.model.layers << " layers, width " << config.model.width << ", context "
              << config.model.context_length << ", " << config.training.steps << " steps of " << config.training.batch
              << " x " << config.model.context_length << " tokens, peak lr " << config.training.learning_rate << "\n";
    else
      console << "[3/3] evaluating on " << config.evaluation.prompts << " prompts per task, format and n\n";
    console.flush();
    if (phase == "evaluate") evaluation_bar.emplace("evaluate", 1.0, progress_bars);
  };
  hooks.on_evaluation_progress = [&](std::size_t done, std::size_t total) {
    if (evaluation_bar) evaluation_bar->update(static_cast<double>(done) / static_cast<double>(total));
  };
  if (curve.enabled()) {
    const std::vector<std::uint64_t> curve_n(curve.examples.begin(), curve.examples.end());
    console << "learning curve: every " << curve.every << " steps, " << curve.prompts
            << " prompts per task, format and n at n = " << seed_list_text(curve_n) << "\n";
  }
  run_result result = run_experiment(config, hooks, curve);
  if (evaluation_bar) evaluation_bar->finish();
  write_run_outputs(out, config, result, "Predicted (bound, idealized) against measured (trained model)");
  char line[512];
  std::snprintf(line, sizeof line, "trained %llu parameters: %s\n", static_cast<unsigned long long>(result.parameters),
                training_figures_text(result.training).c_str());
  console << line << "\n" << compact_summary(result.table) << "\n" << icl_verdict(result.table);
  for (const auto& s : result.skipped) console << "not evaluated: " << s << "\n";
  if (curve.enabled()) {
    const auto emergence = emergence_table(result.curve, curve.threshold);
    write_learning_curve(out, "learning_curve", result.curve, emergence, curve.threshold,
                         {{"config", config.to_json()}, {"curve", curve.to_json()}, {"skipped", result.curve_skipped}},
                         "Learning curve: the query's error during training");
    char head[160];
    std::snprintf(head, sizeof head, "learning curve (%zu checkpoints, %.0f s of evaluation): query error <= %s from\n",
                  emergence.row_count() ? static_cast<std::size_t>(emergence.number(0, "checkpoints")) : std::size_t{0},
                  result.curve_seconds, format_number(curve.threshold).c_str());
    console << head << emergence_text(emergence);
    for (const auto& s : result.curve_skipped) console << "  not in the curve: " << s << "\n";
    // Again, now that the curve's plot is there to embed.
    write_evaluation_report(out, result.table, run_metadata(config, result),
                            "Predicted (bound, idealized) against measured (trained model)");
  }
  console << "wrote " << (out / "results.csv").string() << ", results.json, report.html, error_vs_n.svg, "
          << "stepwise_vs_direct.svg, training_loss.svg, the per-task plots, summary.txt"
          << (curve.enabled() ? ", learning_curve.csv, learning_curve.svg" : "") << " and model.safetensors\n";
  return result;
}

INDUCT_DEFINE seeded_demo_result run_demo_seeds(run_config config, const std::vector<std::uint64_t>& seeds,
                                                const std::filesystem::path& out, std::ostream& console, bool progress_bars,
                                                const learning_curve_config& curve) {
  if (seeds.empty()) throw config_error("seeds", "needs at least one training seed");
  seeded_demo_result result;
  result.seeds = seeds;
  std::vector<result_table> tables;
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    config.training.seed = seeds[i];
    if (seeds.size() > 1)
      console << "== training seed " << seeds[i] << " (" << i + 1 << " of " << seeds.size() << ") ==\n";
    result.runs.push_back(run_demo(config, seeds.size() > 1 ? out / ("seed-" + std::to_string(seeds[i])) : out, console,
                                   progress_bars, curve));
    tables.push_back(result.runs.back().table);
  }
  result.across_seeds = combine_seed_tables(seeds, tables, config.evaluation.alpha);
  if (seeds.size() == 1) {
    console << "1 training seed (" << seeds[0] << "): the interval is over prompts only; --seeds 1,2,3 gives the "
            << "across-seed table\n";
    return result;
  }
  std::string title = "Predicted against measured, ";  // appends: GCC 12 warns falsely on "a" + std::string
  title += std::to_string(seeds.size());
  title += " training seeds (";
  title += seed_list_text(seeds);
  title += ")";
  std::vector<std::string> subfolders;
  for (auto seed : seeds) subfolders.push_back("seed-" + std::to_string(seed));
  write_seed_outputs(out, result.across_seeds, {{"config", config.to_json()}, {"training_seeds", seeds}}, title,
                     subfolders);
  console << "\nacross " << seeds.size() << " training seeds (" << seed_list_text(seeds) << "; corpus seed "
          << config.corpus_seed << "), " << config.evaluation.prompts << " prompts per row and seed:\n"
          << compact_seed_table(result.across_seeds).to_text(3)
          << "(* bound vacuous: D + R_n >= n + 1; the interval resamples seeds, then prompts within each seed)\n"
          << "wrote " << (out / "results_across_seeds.csv").string()
          << ", results_across_seeds.json, error_vs_n_across_seeds.svg and seed-S/ per seed\n";
  if (curve.enabled()) {
    std::vector<result_table> curves;
    for (const auto& run : result.runs) curves.push_back(run.curve);
    result.curve_across_seeds = combine_seed_tables(seeds, curves, config.evaluation.alpha);
    result.emergence_across_seeds = experiment::emergence_across_seeds(seeds, curves, curve.threshold);
    write_learning_curve(out, "learning_curve_across_seeds", result.curve_across_seeds, result.emergence_across_seeds,
                         curve.threshold, {{"config", config.to_json()}, {"curve", curve.to_json()}, {"training_seeds", seeds}},
                         "Learning curve across training seeds");
    console << "learning curve across " << seeds.size() << " seeds: query error <= " << format_number(curve.threshold)
            << " from\n" << emergence_text(result.emergence_across_seeds) << "wrote "
            << (out / "learning_curve_across_seeds.csv").string() << ", learning_curve_across_seeds.svg\n";
  }
  if (curve.enabled())  // again, now that the curve's plot is there to embed
    write_seed_report(out, result.across_seeds, {{"config", config.to_json()}, {"training_seeds", seeds}}, title,
                      subfolders);
  return result;
}

}  // namespace induct::experiment
