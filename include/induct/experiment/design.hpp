#pragma once
// Design grids: sweeps whose axes are any fields of the run (setup, model, training, corpus, loss,
// seed), so that each factor of the seed's findings is varied on its own (issue 12). A design grid is
// JSON:
//   {"design": "product" | "one_at_a_time",          default "product"
//    "base":   {run_config fields},                   over the sweep's base run (below), merged as
//                                                     JSON merge patch: {"model": {"layers": 2}, "steps": 3000}
//    "axes":   {"model.layers": [1, 2, 4], "corpus_tokens": [1e5, 1e6], ...}   dotted run_config keys
//    "points": [{"model.layers": 2, "steps": 500}, ...]  instead of "axes": an explicit list
//    "seeds":  [1, 2, 3],                               training seeds: every point once per seed
//                                                     (training.seed), all on the base's corpus seed
//    "curve":  {learning_curve_config fields}}          each point's learning curve (learning_curve.hpp)
// product takes every combination of the axes' values; one_at_a_time is the base point plus each axis
// varied alone (a value equal to the base's is the base point). The base run is the demo's
// (presets.hpp: default world, plain loss, its model and schedule) with decay_steps following
// steps, so a "steps" axis moves the cosine horizon with it.
// Unique data and steps are separate axes: "corpus_tokens" is the corpus size, "steps" the optimizer
// steps; training windows are drawn from the corpus with replacement, so a corpus smaller than
// steps x batch x context is repeated, and each point records its epochs = steps x batch x context /
// training tokens.
// A point is {"axis": the varied axis (one_at_a_time; "base" for the base point, "" for product),
// "axes": {axis: value, ...} (seed included), "run": the full run_config JSON, "curve": ...}; its
// key (sweep.hpp) hashes all of it, so a point is reused only for the same run. Errors name the grid
// key ("grid.axes.model.layrs: unknown field").
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/linkage.hpp"
#include "induct/experiment/pipeline.hpp"
#include "induct/experiment/report.hpp"
#include "induct/experiment/report_page.hpp"
#include "induct/experiment/svg_plot.hpp"
#include "induct/experiment/sweep.hpp"

namespace induct::experiment {

/// True for a design grid (it has "axes" or "points"); false for a models x tokens grid (scaling.hpp).
inline bool is_design_grid(const nlohmann::json& grid) {
  return grid.is_object() && (grid.contains("axes") || grid.contains("points"));
}

/// The points of a design grid, in order: product with the axes in name order (JSON objects keep no
/// order), the first outermost; one_at_a_time the base point then axis by axis; seeds innermost. config_error naming the grid key for a bad grid or a point
/// whose run is invalid.
INDUCT_DECLARE std::vector<nlohmann::json> design_points(const nlohmann::json& grid);

/// The names of the grid's axes in order ("training.seed" last when the grid has "seeds").
INDUCT_DECLARE std::vector<std::string> design_axes(const nlohmann::json& grid);

/// "model.layers=2 steps=3000 seed=1": the point's axis values.
INDUCT_DECLARE std::string design_point_label(const nlohmann::json& point);

/// Runs one point (its learning curve too): the evaluation table to DIR/evaluations/KEY.csv (and the
/// curve to KEY_curve.csv); returns the flat result of run_sweep_point's form plus "epochs", the axis
/// values under their dotted names and "axis".
/// `processes`: as run_sweep_point's.
INDUCT_DECLARE nlohmann::json run_design_point(const nlohmann::json& point, const std::filesystem::path& directory,
                                              nn::communicator* processes = nullptr);

/// The finished points' table: "key", "axis", one column per axis (a value the point does not vary read
/// from its run), then the results.
INDUCT_DECLARE result_table design_table(const sweep_runner& runner, const std::vector<nlohmann::json>& points,
                                         const nlohmann::json& grid);

/// The design table grouped by every axis but training.seed: per group "seeds", "training_seeds", the
/// axis columns, per error column c (not the *_ideal_error ones) c_mean, c_min, c_max, c_boot_low,
/// c_boot_high (the seeds-and-prompts bootstrap, theory::seed_bootstrap_interval), and the theory columns
/// (*_ideal_error, *_bound_bits: the same prompts for every seed) copied from the group's first point.
INDUCT_DECLARE result_table design_across_seeds(const result_table& table, const std::vector<std::string>& axes);

/// Intermediate steps against direct answers (Theorem 2), from the design table: per group of points that
/// differ only by training seed, per composite task with both formats and per n, the model's query error
/// in each format (mean over seeds), its gap direct - stepwise ("model_gap_mean", "_min", "_max" and
/// "model_gap_seeds", each seed's gap), the idealized predictor's errors and gap (the same prompts), the
/// bounds D + Rbar_n of each format and whether the stepwise one is tighter (1/0). Columns: "seeds",
/// the group's axis columns, "task", "examples", then those.
INDUCT_DECLARE result_table stepwise_gap_table(const result_table& table, const std::vector<std::string>& axes);

/// One panel per axis (training.seed excluded): the model's gap direct - stepwise against the axis value
/// at each n (mean over seeds with the seed range as the band) beside the idealized predictor's gap.
INDUCT_DECLARE figure stepwise_gap_figure(const result_table& gaps, const std::vector<std::string>& axes,
                                          const std::string& task = "compose2");

/// One panel per axis (training.seed excluded): the query error at the largest evaluated n for lookup
/// direct, compose2 stepwise and novel2 stepwise against the axis value (the mean over seeds with its
/// bootstrap band; for a product design also the mean over the other axes), and the emergence threshold.
INDUCT_DECLARE figure design_figure(const result_table& across_seeds, const std::vector<std::string>& axes,
                                    const nlohmann::json& grid, double threshold = 0.1);

/// The report page of a design sweep (report_page.hpp): points finished, axes, the mean error at the largest n
/// per group, per axis the smallest value at which lookup's mean error is <= threshold, the plots and files.
INDUCT_DECLARE report_page design_report(const result_table& across_seeds, const std::vector<std::string>& axes,
                                         const nlohmann::json& grid, std::size_t points, std::size_t finished,
                                         double threshold);

/// Writes table.csv/json, table_across_seeds.csv/json, design.svg, report.html and, when the points evaluate a composite
/// task in both formats, stepwise_gap.csv and stepwise_gap.svg, from the finished points.
INDUCT_DECLARE result_table write_design_outputs(const sweep_runner& runner, const std::vector<nlohmann::json>& points,
                                                 const nlohmann::json& grid);

}  // namespace induct::experiment

#if INDUCT_HEADER_ONLY
#include "induct/experiment/detail/design_impl.hpp"
#endif
