#pragma once
// Definitions for experiment/demo.hpp (see induct/core/linkage.hpp for the two modes).
#include <cstdio>
#include <filesystem>
#include <ostream>
#include <string>

#include <unistd.h>

#include "induct/core/error.hpp"
#include "induct/core/progress.hpp"
#include "induct/experiment/demo.hpp"
#include "induct/experiment/evaluation_outputs.hpp"
#include "induct/experiment/pipeline.hpp"
#include "induct/experiment/seeds.hpp"

namespace induct::experiment {

INDUCT_DEFINE run_result run_demo(const run_config& config, const std::filesystem::path& out, std::ostream& console,
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
  console << line << "\n" << compact_summary(result.table) << "\n" << icl_verdict(result.table);
  for (const auto& s : result.skipped) console << "not evaluated: " << s << "\n";
  console << "wrote " << (out / "results.csv").string() << ", results.json, error_vs_n.svg, stepwise_vs_direct.svg, "
          << "summary.txt and model.safetensors\n";
  return result;
}

INDUCT_DEFINE seeded_demo_result run_demo_seeds(run_config config, const std::vector<std::uint64_t>& seeds,
                                                const std::filesystem::path& out, std::ostream& console, bool progress_bars) {
  if (seeds.empty()) throw config_error("seeds", "needs at least one training seed");
  seeded_demo_result result;
  result.seeds = seeds;
  std::vector<result_table> tables;
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    config.training.seed = seeds[i];
    if (seeds.size() > 1)
      console << "== training seed " << seeds[i] << " (" << i + 1 << " of " << seeds.size() << ") ==\n";
    result.runs.push_back(run_demo(config, seeds.size() > 1 ? out / ("seed-" + std::to_string(seeds[i])) : out, console,
                                   progress_bars));
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
  write_seed_outputs(out, result.across_seeds, {{"config", config.to_json()}, {"training_seeds", seeds}}, title);
  console << "\nacross " << seeds.size() << " training seeds (" << seed_list_text(seeds) << "; corpus seed "
          << config.corpus_seed << "), " << config.evaluation.prompts << " prompts per row and seed:\n"
          << compact_seed_table(result.across_seeds).to_text(3)
          << "(* bound vacuous: D + R_n >= n + 1; the interval resamples seeds, then prompts within each seed)\n"
          << "wrote " << (out / "results_across_seeds.csv").string()
          << ", results_across_seeds.json, error_vs_n_across_seeds.svg and seed-S/ per seed\n";
  return result;
}

}  // namespace induct::experiment
