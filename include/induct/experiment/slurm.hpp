#pragma once
// Sweeps on Slurm: one job-array task per missing design point, then one assembly job.
//
// A point's time limit is estimated from its work and a recorded throughput:
//   flops(point)   = S B T f(model)                              training: S steps of B windows of T tokens
//                  + E P T f(model) / 3                          evaluation forwards (E rows, P prompts each,
//                                                                at most T tokens; forward = 1/3 of a step)
//                  + (S / every + 2) E_c P_c T f(model) / 3      the learning curve's evaluations, if any
//   f(model)       = 6 (12 L C^2 + V C) + 12 L T C               training FLOPs per token (bench/bench_nn.cpp)
//   estimate(point)= safety x flops(point) / F + overhead        F: one task's FLOP/s (slurm_config)
//   limit(point)   = the smallest 15 min x 2^k >= estimate       its time class
// Each time class is one `sbatch --array=IDS --time=LIMIT DIR/sweep.sbatch` (options on the command line
// override the script's directives), whose task SLURM_ARRAY_TASK_ID = K runs
// `induct sweep --grid DIR/slurm/grid-KEY.json --out DIR --point K`: idempotent (a finished point is
// reused) and atomic (sweep.hpp), so a failed, cancelled or timed-out task is recovered by planning again,
// which lists only the points still missing. DIR/assemble.sbatch runs `--assemble` after every array
// (afterany): it writes the table and plots from the point files only, refusing while points are missing.
// With max_parallel K the classes run one after another (afterany), each at most K tasks at once, so no
// more than K tasks of the sweep run at any moment.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/fields.hpp"
#include "induct/core/linkage.hpp"
#include "induct/experiment/pipeline.hpp"
#include "induct/experiment/report.hpp"
#include "induct/experiment/sweep.hpp"

namespace induct::experiment {

/// The training throughput the default time limits assume, FLOP/s of a task with 2 CPUs: bench/RESULTS.md,
/// "nn: GPT training-step throughput", config S (width 64, 2 layers) at 2 threads, session 3 run A: 91.3
/// GFLOP/s, the lowest of the runs on the current kernels (session 8: 157.4). Sweep models at width 32 ran
/// near 45 GFLOP/s (docs/results.md, the small grid), which the safety factor and the overhead cover.
inline constexpr double recorded_training_flops_per_second = 91.3e9;
inline constexpr int recorded_throughput_cpus = 2;

/// Shortest time class (Slurm's --time granularity for the arrays); classes double from it.
inline constexpr std::int64_t shortest_time_class_seconds = 15 * 60;
/// Longest time limit an estimate may round to (a year): beyond it the estimate is refused as nonsense.
inline constexpr std::int64_t longest_time_limit_seconds = 365LL * 24 * 3600;

/// Resources and the time model of a Slurm sweep.
struct slurm_config {
  std::string partition;            // "" = the cluster's default
  std::string account;              // "" = the user's default
  int cpus_per_task = 2;
  int max_parallel = 0;             // at most this many tasks at once (0: no limit)
  double flops_per_second = 0;      // one task's training FLOP/s (0: the recorded figure, scaled to the CPUs)
  double safety_factor = 3;         // estimate = safety x FLOPs / throughput + overhead
  double overhead_seconds = 600;    // start-up, corpus sampling, the idealized predictor, file writes

  /// Every field once, in declaration order (core/fields.hpp).
  template <class Self, class Visit>
  static void for_each_field(Self& self, Visit&& visit) {
    visit(field_info{"partition", "partition", "Slurm partition of every job (empty: the cluster's default)"},
          self.partition);
    visit(field_info{"account", "account", "Slurm account charged (empty: the user's default)"}, self.account);
    visit(field_info{"cpus_per_task", "cpus-per-task", "CPUs (training threads) of each point's task", 1, 4096},
          self.cpus_per_task);
    visit(field_info{"max_parallel", "max-parallel", "at most K point tasks at once (0: no limit)", 0, 1 << 20},
          self.max_parallel);
    visit(field_info{"flops_per_second", "flops-per-second",
                     "training FLOP/s of one task for the time limits (0: bench/RESULTS.md's 91.3e9 at 2 CPUs, "
                     "scaled to --cpus-per-task up to 2)",
                     0, finite_max},
          self.flops_per_second);
    visit(field_info{"safety_factor", "safety-factor", "time limit = safety x FLOPs / throughput + overhead", 1, 1000},
          self.safety_factor);
    visit(field_info{"overhead_seconds", "overhead-seconds", "seconds added to every point's time limit", 0, 1e7},
          self.overhead_seconds);
  }

  /// The FLOP/s a task is assumed to sustain: flops_per_second, or the recorded figure x min(cpus, 2) / 2
  /// (measured at 2 threads; one CPU taken as half, more than 2 as no faster, which lengthens the limit).
  [[nodiscard]] double task_flops_per_second() const noexcept {
    if (flops_per_second > 0) return flops_per_second;
    const int cpus = cpus_per_task < recorded_throughput_cpus ? cpus_per_task : recorded_throughput_cpus;
    return recorded_training_flops_per_second * cpus / recorded_throughput_cpus;
  }

  /// Throws config_error naming the first invalid field: the bounds, then a partition or account that is not
  /// one word of [A-Za-z0-9_.-] (it goes into an #SBATCH line).
  INDUCT_DECLARE void validate() const;
  INDUCT_DECLARE [[nodiscard]] nlohmann::json to_json() const;
  /// Strict: unknown keys, wrong types and out-of-range values are config_errors naming the key.
  INDUCT_DECLARE static slurm_config from_json(const nlohmann::json& j);
};

/// The points of either kind of grid: design_points for a design grid, else grid_points.
INDUCT_DECLARE std::vector<nlohmann::json> sweep_grid_points(const nlohmann::json& grid);

/// The run of a point of either kind (a design point carries it under "run"; a scaling point expands to it).
INDUCT_DECLARE run_config sweep_point_run(const nlohmann::json& point);

/// A point's label: design_point_label, or "L2 W64, 1M tokens" for a scaling point.
INDUCT_DECLARE std::string sweep_point_label(const nlohmann::json& point);

/// Runs one point of either kind (run_design_point or run_sweep_point), writing its evaluation files.
INDUCT_DECLARE nlohmann::json run_grid_point(const nlohmann::json& point, const std::filesystem::path& directory,
                                            nn::communicator* processes = nullptr);

/// `sweep --point` (idempotent): computes `point` into runner's directory unless it is finished there.
/// Inside an MPI job (`processes` of several ranks) every rank calls it: they train the point as one
/// (same bits as one process), rank 0 writes the point and its evaluation files, the others evaluate into a
/// private temporary folder they remove. A finished point is "already done" on every rank (rank 0 cannot
/// write it before every rank has joined the training).
INDUCT_DECLARE sweep_summary run_point_in_job(sweep_runner& runner, const nlohmann::json& point,
                                              nn::communicator& processes);

/// Writes the outputs of either kind (write_design_outputs or write_sweep_outputs) from the finished points.
INDUCT_DECLARE result_table write_grid_outputs(const sweep_runner& runner, const std::vector<nlohmann::json>& points,
                                               const nlohmann::json& grid);

/// points[index]; config_error("point") naming the index and the grid's size when it is out of range.
INDUCT_DECLARE const nlohmann::json& sweep_point_at(const std::vector<nlohmann::json>& points, std::int64_t index);

/// The indices (ascending) of the points without a point file in the runner's directory.
INDUCT_DECLARE std::vector<std::size_t> missing_points(const sweep_runner& runner,
                                                       const std::vector<nlohmann::json>& points);

/// The assembly: write_grid_outputs once every point is finished; otherwise an error listing each
/// missing point (index, key, label) and writing nothing.
INDUCT_DECLARE result_table assemble_sweep(const sweep_runner& runner, const std::vector<nlohmann::json>& points,
                                           const nlohmann::json& grid);

/// The FLOPs of one point (the formula above), from its run and learning curve; the vocabulary size comes
/// from the point's world (setup::world), as in run_experiment.
struct point_work {
  double training_flops = 0;    // S B T f(model)
  double evaluation_flops = 0;  // the evaluation and the learning curve's evaluations
};
INDUCT_DECLARE point_work estimate_point_work(const nlohmann::json& point);

/// One missing point's estimate and time class.
struct point_estimate {
  std::size_t index = 0;  // in the grid: the array task id
  std::string key;        // point_key
  std::string label;      // sweep_point_label
  point_work work;
  double estimate_seconds = 0;     // safety x FLOPs / throughput + overhead
  std::int64_t limit_seconds = 0;  // time_class_seconds(estimate_seconds)
};

/// The smallest shortest_time_class_seconds x 2^k >= seconds; config_error("time limit") beyond
/// longest_time_limit_seconds (or for a non-finite estimate).
INDUCT_DECLARE std::int64_t time_class_seconds(double seconds);

/// Slurm's time format: "HH:MM:SS", or "D-HH:MM:SS" from a day on.
INDUCT_DECLARE std::string slurm_time(std::int64_t seconds);

/// Slurm's index list of ascending indices: runs of consecutive ones as "a-b", joined by commas ("0,2-5").
INDUCT_DECLARE std::string slurm_index_list(const std::vector<std::size_t>& indices);

/// The files a plan refers to (absolute paths; the jobs run on other machines and in other directories).
struct slurm_paths {
  std::filesystem::path tool;       // the induct binary the jobs run
  std::filesystem::path directory;  // the sweep directory DIR
  std::filesystem::path grid_file;  // the frozen grid, DIR/slurm/grid-KEY.json
};

/// One job array: the points of one time class.
struct slurm_array {
  std::int64_t limit_seconds = 0;
  std::vector<std::size_t> indices;  // ascending
};

struct slurm_plan {
  slurm_config resources;
  slurm_paths paths;
  std::size_t total_points = 0;
  std::vector<point_estimate> missing;  // grid order
  std::vector<slurm_array> arrays;      // one per time class, the longest first; empty when nothing is missing
};

/// The plan of a sweep (pure: no files read): the estimates of the points listed in `missing` and their
/// arrays. config_error for an invalid `resources` or a missing index outside `points`.
INDUCT_DECLARE slurm_plan plan_slurm_sweep(const std::vector<nlohmann::json>& points,
                                           const std::vector<std::size_t>& missing, const slurm_config& resources,
                                           const slurm_paths& paths);

/// DIR/sweep.sbatch (pure function of the plan): directives for every missing point (the longest limit, so
/// `sbatch DIR/sweep.sbatch` alone also works), a comment line per point (index, key, time class, FLOPs,
/// label), and the task's command. Needs a non-empty plan.
INDUCT_DECLARE std::string sweep_sbatch_text(const slurm_plan& plan);

/// DIR/assemble.sbatch: one CPU, 15 minutes, `induct sweep --grid G --out DIR --assemble`.
INDUCT_DECLARE std::string assemble_sbatch_text(const slurm_plan& plan);

/// The sbatch arguments (without "sbatch") of array `a` of the plan: --parsable, --array=IDS[%K],
/// --time, after `previous_job` (afterany) when max_parallel chains the arrays, the script.
INDUCT_DECLARE std::vector<std::string> array_submission(const slurm_plan& plan, std::size_t a,
                                                         const std::string& previous_job);

/// The sbatch arguments of the assembly job, after every job of `array_jobs` (afterany) if any.
INDUCT_DECLARE std::vector<std::string> assembly_submission(const slurm_plan& plan,
                                                            const std::vector<std::string>& array_jobs);

/// `word` quoted for bash: itself when it is only [A-Za-z0-9_./=:%+-], else in single quotes.
INDUCT_DECLARE std::string shell_quote(const std::string& word);

/// Plans the sweep of `grid` in `directory` and writes DIR/slurm/grid-KEY.json (the grid as given,
/// KEY = point_key(grid), so a resubmission after the grid changed never renumbers queued tasks),
/// DIR/sweep.sbatch (only when points are missing; a stale one is removed), DIR/assemble.sbatch and the
/// log folder DIR/slurm/logs. The paths in the plan are absolute.
INDUCT_DECLARE slurm_plan prepare_slurm_sweep(const nlohmann::json& grid, const std::filesystem::path& directory,
                                              const std::filesystem::path& tool, const slurm_config& resources);

/// Runs a command (argv[0] looked up on PATH) and returns its standard output; an error naming the
/// command, its exit status and its standard error when it fails.
using command_runner = std::function<std::string(const std::vector<std::string>& argv)>;
INDUCT_DECLARE std::string run_command(const std::vector<std::string>& argv);

/// The job ids of a submission: one per array, then the assembly's (last).
struct slurm_submission {
  std::vector<std::string> array_jobs;
  std::string assembly_job;
};

/// Submits the plan: each array (array_submission, chained when max_parallel is set), then the assembly
/// job after them, each with `run({"sbatch", args...})`; sbatch --parsable prints "ID" or "ID;cluster".
INDUCT_DECLARE slurm_submission submit_slurm_sweep(const slurm_plan& plan, const command_runner& run = run_command);

}  // namespace induct::experiment

#if INDUCT_HEADER_ONLY
#include "induct/experiment/detail/slurm_impl.hpp"
#endif
