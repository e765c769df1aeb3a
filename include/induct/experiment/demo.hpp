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
#include <iosfwd>

#include "induct/core/linkage.hpp"
#include "induct/experiment/evaluation_outputs.hpp"
#include "induct/experiment/pipeline.hpp"
#include "induct/experiment/presets.hpp"

namespace induct::experiment {

/// Runs the demo into `out`, printing phases, the compact table and the ICL verdict to `console`.
INDUCT_DECLARE run_result run_demo(const run_config& config, const std::filesystem::path& out, std::ostream& console,
                                   bool progress_bars);

}  // namespace induct::experiment

#if INDUCT_HEADER_ONLY
#include "induct/experiment/detail/demo_impl.hpp"
#endif
