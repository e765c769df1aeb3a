#pragma once
// The demo: one run on the default setup (pipeline.hpp), its compact table on the console, and
// the directory induct-demo/ with results.csv, results.json, the SVG plots and the trained model.
//
// The question it answers by measurement: does the trained model learn in context? On lookup,
// the measured error at n = 8 must be far below its error at n = 0; the table shows both beside
// the bound (D + R_n)/n and the idealized predictor's exact error.
// The run's configuration is in presets.hpp (default_demo_config, reduced_demo_config), what it
// writes and prints in evaluation_outputs.hpp; both are included here.
#include <filesystem>
#include <cstdint>
#include <iosfwd>
#include <vector>

#include "induct/core/linkage.hpp"
#include "induct/experiment/evaluation_outputs.hpp"
#include "induct/experiment/learning_curve.hpp"
#include "induct/experiment/pipeline.hpp"
#include "induct/experiment/presets.hpp"
#include "induct/experiment/report.hpp"

namespace induct::experiment {

/// Runs the demo into `out`, printing phases, the compact table and the ICL verdict to `console`.
/// With an enabled `curve` also the learning curve (learning_curve.csv, .json, .svg and
/// learning_curve_emergence.csv; experiment/learning_curve.hpp) and its emergence steps on the console.
INDUCT_DECLARE run_result run_demo(const run_config& config, const std::filesystem::path& out, std::ostream& console,
                                   bool progress_bars, const learning_curve_config& curve = {});

/// The demo over several training seeds (the corpus, config.corpus_seed, is the same for all).
struct seeded_demo_result {
  std::vector<std::uint64_t> seeds;
  std::vector<run_result> runs;  // one per seed
  result_table across_seeds;     // combine_seed_tables of the runs' tables (experiment/seeds.hpp)
  result_table curve_across_seeds;      // combine_seed_tables of the runs' curves (no rows without a curve)
  result_table emergence_across_seeds;  // emergence_across_seeds of the runs' curves
};

/// run_demo once per training seed. One seed: into `out`, as run_demo. Several: each into out/seed-S, then
/// out/results_across_seeds.csv and .json (with the config and seeds as metadata) and the across-seed
/// compact table on `console`. The console says how many seeds the figures rest on.
/// With an enabled `curve`, several seeds also give learning_curve_across_seeds.csv, .json, .svg (mean
/// and seeds-and-prompts band per step) and learning_curve_across_seeds_emergence.csv (each seed's step).
INDUCT_DECLARE seeded_demo_result run_demo_seeds(run_config config, const std::vector<std::uint64_t>& seeds,
                                                 const std::filesystem::path& out, std::ostream& console, bool progress_bars,
                                                 const learning_curve_config& curve = {});

}  // namespace induct::experiment

#if INDUCT_HEADER_ONLY
#include "induct/experiment/detail/demo_impl.hpp"
#endif
