#pragma once
// The scaling sweep (SPEC section 4): a grid of model sizes and training token counts, each point
// one run (pipeline.hpp) and one resumable sweep job (sweep.hpp). Where does ICL emerge (error at
// n = 16 below a threshold), and where do intermediate steps help?
//
// A grid is JSON: {"models": [{"layers": L, "width": C, "heads": H}, ...], "tokens": [N, ...],
// "base": {...}} with optional base fields context, batch, lr (or lr per width via
// lr_by_width), prompts (default 1000, the SPEC's), examples, seed, seeds, shares ("demo" or "default"),
// setup (setup_config fields over the shares, e.g. {"held_out_fraction": 0.5}). With "seeds" (training
// seeds) each model and token count is one point per seed, all on the corpus of "seed"; the outputs add
// table_across_seeds (mean, range and seeds-and-prompts bootstrap of every error column) and the heatmaps
// show the mean over seeds. A point's config holds everything that defines its run, and its "run_key"
// hashes the run_config it expands to, so its key (sweep.hpp) changes whenever the run would.
// The preset grids (preset_grid: small, paper) are in presets.hpp.
#include <cstddef>
#include <cstdint>
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

/// Peak learning rate by width when the grid gives none: smaller models tolerate larger steps.
inline double default_learning_rate(int width) { return width <= 64 ? 5e-3 : (width <= 128 ? 3e-3 : 1e-3); }

/// The points of a grid, models outer and tokens inner; each a complete run description.
INDUCT_DECLARE std::vector<nlohmann::json> grid_points(const nlohmann::json& grid);

/// The run of one point: tokens are both the corpus size and the training tokens (one pass).
INDUCT_DECLARE run_config point_run_config(const nlohmann::json& point);

/// Flat result of a point: training figures and, per task, format and n, the model's error.
/// The full evaluation table goes to DIR/evaluations/<key>.csv.
/// With `processes`, the ranks of an MPI job train the point as one (nn/data_parallel.hpp); each rank
/// writes its evaluation to its own `directory`.
INDUCT_DECLARE nlohmann::json run_sweep_point(const nlohmann::json& point, const std::filesystem::path& directory,
                                             nn::communicator* processes = nullptr);

/// The flat result of a finished run (run_sweep_point's and run_design_point's): parameters, steps, losses,
/// seconds, and per task, format and n TASK_FORMAT_nN_error, _ideal_error, _K_bits, _bound_bits (and _emergence_step
/// with a curve). Writes the evaluation table to DIR/evaluations/KEY.csv and the curve to KEY_curve.csv.
INDUCT_DECLARE nlohmann::json flat_point_result(const run_result& run, const learning_curve_config& curve,
                                                const std::filesystem::path& directory, const std::string& key);

INDUCT_DECLARE std::string model_label(const nlohmann::json& point);
INDUCT_DECLARE std::string token_label(std::uint64_t tokens);

/// A heatmap of one result field over models (rows) and tokens (columns); missing points are NaN.
INDUCT_DECLARE heatmap_chart sweep_heatmap(const sweep_runner& runner, const std::vector<nlohmann::json>& points,
                                           const std::string& field, const std::string& title);

/// The rows of `table` grouped by equal text in `columns` (a column the table lacks counts as empty), the
/// groups in order of their first row: the points that differ only by training seed.
INDUCT_DECLARE std::vector<std::vector<std::size_t>> rows_grouped_by(const result_table& table,
                                                                      const std::vector<std::string>& columns);

/// The five cells mean, min, max, boot_low, boot_high of `column` over `rows` (its finite values), the
/// bootstrap (theory::seed_bootstrap_interval, seeded `bootstrap_seed`) over the rows' "prompts"; missing
/// cells where there is no finite value, or no prompt count for the bootstrap.
INDUCT_DECLARE std::vector<table_cell> seed_error_summary(const result_table& table, const std::vector<std::size_t>& rows,
                                                          const std::string& column, std::uint64_t bootstrap_seed);

/// The sweep table's points grouped by everything but the training seed: per group "seeds",
/// "training_seeds", the config columns, and per error column c (not the *_ideal_error ones) c_mean,
/// c_min, c_max, c_boot_low, c_boot_high (theory::seed_bootstrap_interval over the group's points).
INDUCT_DECLARE result_table sweep_across_seeds(const result_table& table);

/// The report page of a models x tokens sweep (report_page.hpp): points finished, models, token counts and
/// training seeds; per finished point its training loss and the errors the heatmaps show (lookup at n_icl,
/// compose2 direct and stepwise at n_steps); the findings name, per model, the fewest tokens at which lookup's
/// error at n_icl is <= threshold, and at how many points stepwise beats direct; the heatmaps and files.
INDUCT_DECLARE report_page scaling_report(const result_table& table, const nlohmann::json& grid, std::size_t points,
                                          int n_icl, int n_steps, double threshold);

/// Writes table.csv/json (and table_across_seeds.csv/json when the grid has "seeds"), emergence.svg (lookup
/// error at n = 16), stepwise_vs_direct.svg (compose2 at n = 8, both formats) and report.html from the
/// finished points; the heatmaps show the largest evaluated n up to 16 and 8 when those were not evaluated.
INDUCT_DECLARE result_table write_sweep_outputs(const sweep_runner& runner, const std::vector<nlohmann::json>& points,
                                                const nlohmann::json& grid);

}  // namespace induct::experiment

#if INDUCT_HEADER_ONLY
#include "induct/experiment/detail/scaling_impl.hpp"
#endif
