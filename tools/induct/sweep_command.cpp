// induct sweep: a scaling sweep, one independent resumable job per design point (experiment/scaling.hpp).
#include <filesystem>
#include <iostream>
#include <optional>
#include <memory>
#include <string>

#include "induct/core/atomic_file.hpp"
#include "induct/core/interrupt.hpp"
#include "induct/experiment/design.hpp"
#include "induct/experiment/presets.hpp"
#include "induct/experiment/scaling.hpp"
#include "induct/experiment/slurm.hpp"
#include "induct/nn/data_parallel.hpp"
#include "config_options.hpp"
#include "tool.hpp"

namespace induct::tool {

void add_sweep_command(CLI::App& app, invocation& chosen) {
  auto* command = add_command(
      &app, "sweep", "scaling sweep over model sizes and training tokens (resumable, shardable)",
      "Trains and evaluates one model per design point (model size x training tokens). Each point is an "
      "independent job keyed by the hash of its config; its result is written atomically to DIR/points/<key>.json "
      "(its full evaluation to DIR/evaluations/<key>.csv). Rerunning the same command skips finished points, so a "
      "killed sweep loses at most the point in flight. Writes DIR/table.csv and table.json (one row per finished "
      "point), DIR/emergence.svg (lookup error at n = 16 per model and data), DIR/stepwise_vs_direct.svg "
      "(compose2 at n = 8, both formats) and DIR/report.html (the page a person opens: facts, findings, table, plots).\n\nGrids: small (3 models x 3 token counts on the default setup, about 30 "
      "minutes on 2 cores), paper (layers 1..8, width 32..256, tokens 1e5..1e8), or a JSON file:\n"
      "  {\"models\": [{\"layers\": 2, \"width\": 64, \"heads\": 4}], \"tokens\": [1e5, 1e6],\n"
      "   \"base\": {\"context\": 96, \"batch\": 16, \"lr\": 0.002, \"prompts\": 100, \"examples\": [0, 8, 16],\n"
      "            \"seed\": 1, \"seeds\": [1, 2, 3], \"shares\": \"demo\"|\"default\",\n"
      "            \"setup\": {\"held_out_fraction\": 0.25}, \"curve\": {\"every\": 500, \"examples\": [0, 16]}}}\n"
      "\"curve\" adds each point's learning curve (DIR/evaluations/KEY_curve.csv; fields every, examples, prompts, "
      "threshold as in demo --curve-*) and its emergence steps as table columns TASK_FORMAT_nN_emergence_step.\n\"seeds\" (or --seeds) "
      "trains one point per training seed on the corpus of \"seed\" and adds DIR/table_across_seeds.csv (mean, range "
      "and seeds-and-prompts bootstrap interval of every error); the heatmaps then show the mean over seeds.\n"
      "Design grids vary any run field (experiment/design.hpp): {\"design\": \"product\"|\"one_at_a_time\", "
      "\"base\": {run fields, e.g. \"steps\": 6000, \"model\": {\"width\": 64}}, \"axes\": {\"model.layers\": [1, 2, 4], "
      "\"corpus_tokens\": [1e5, 1e6], \"setup.direct_composite_rate\": [0.25, 1], \"loss_weights.answer\": [1, 3]}, or "
      "\"points\": [{...}], \"seeds\": [1, 2, 3], \"curve\": {\"every\": 1000, \"examples\": [16]}}; unique data "
      "(corpus_tokens) and steps are separate axes (a small corpus is repeated; each point records its epochs). "
      "They write table.csv, table_across_seeds.csv, report.html and design.svg (the error at the largest n per axis, with the "
      "seed band). Presets: emergence (one factor at a time around the demo: layers 1-4, width 16-128, unique "
      "tokens 1e5-3e7, steps 1500-12000; 3 seeds; about 2 hours on 2 cores) and steps (the equal-exposure "
      "control: direct_composite_rate 1, equal direct and stepwise shares, layers 1-4, 3 seeds; about 1 hour).\n"
      "JSON: the assembled table, with \"summary\".");
  struct options {
    common_flags flags;
    std::string grid, out, shard;
    std::int64_t max_points = -1;
    std::vector<int> seeds;
    std::int64_t point = -1;
    bool assemble = false, slurm = false, submit = false;
    std::optional<config_options<experiment::slurm_config>> resources;
  };
  auto o = std::make_shared<options>();
  command->add_option("--grid", o->grid, "small, paper, emergence, steps or a grid file")->required();
  command->add_option("--out", o->out, "sweep directory (created; reused to resume)")->required();
  command->add_option("--shard", o->shard, "compute only points with index % N == I (spread a grid over N machines)")
      ->type_name("I/N");
  add_integer(command, "--max-points", o->max_points, "compute at most N new points in this run (-1: all)", -1,
              std::int64_t{1} << 40);
  add_int_list(command, "--seeds", o->seeds,
               "training seeds, one point each on the grid's corpus seed (sets the grid's base \"seeds\"); adds "
               "table_across_seeds.csv",
               0, 1 << 30);
  add_integer(command, "--point", o->point,
              "compute only the point of this grid index (idempotent; what each Slurm array task runs)", 0,
              std::int64_t{1} << 40);
  command->add_flag("--assemble", o->assemble,
                    "write the table and plots from the finished point files only (refused, naming each missing "
                    "point, until every point is done)");
  command->add_flag("--slurm", o->slurm,
                    "write DIR/sweep.sbatch (a job array of the missing points, time limits from their training "
                    "FLOPs) and DIR/assemble.sbatch instead of computing; rerun after failures: only missing points");
  command->add_flag("--submit", o->submit, "with --slurm: submit the arrays and the assembly job with sbatch");
  o->resources.emplace(command, experiment::slurm_config{}, "Slurm (with --slurm)");
  add_common_flags(command, o->flags);
  on_run(command, chosen, [o, command] {
    o->flags.apply();
    nlohmann::json grid;
    if (o->grid == "small" || o->grid == "paper" || o->grid == "emergence" || o->grid == "steps") {
      grid = experiment::preset_grid(o->grid);
    } else {
      try {
        grid = nlohmann::json::parse(read_text_file(o->grid));
      } catch (const nlohmann::json::parse_error& e) {
        throw file_error(o->grid, std::string("grid is not valid JSON: ") + e.what());
      }
    }
    const bool design = experiment::is_design_grid(grid);
    if (command->count("--seeds")) {
      if (design) grid["seeds"] = o->seeds;
      else grid["base"]["seeds"] = o->seeds;
    }
    const auto points = design ? experiment::design_points(grid) : experiment::grid_points(grid);
    std::ostream& console = o->flags.json ? std::cerr : std::cout;
    if (o->submit && !o->slurm) throw usage_error("--submit", "needs --slurm");
    if (o->resources->any_given() && !o->slurm) throw usage_error("--slurm", "the Slurm options (--partition, --account, --cpus-per-task, --max-parallel, ...) need --slurm");
    if (int(o->slurm) + int(o->assemble) + int(o->point >= 0) + int(!o->shard.empty()) > 1)
      throw usage_error("--slurm", "--slurm, --assemble, --point and --shard exclude one another");
    if (o->slurm) {
      const auto resources = o->resources->over(experiment::slurm_config{});
      resources.validate();
      const auto plan = experiment::prepare_slurm_sweep(grid, o->out, std::filesystem::canonical("/proc/self/exe"),
                                                        resources);
      console << "points: " << plan.total_points << " in the grid, " << plan.missing.size() << " missing, in "
              << plan.arrays.size() << " job array(s)\n";
      for (const auto& a : plan.arrays)
        console << "  array of " << a.indices.size() << " point(s), time limit " << experiment::slurm_time(a.limit_seconds)
                << ": " << experiment::slurm_index_list(a.indices) << "\n";
      nlohmann::json j = {{"total", plan.total_points}, {"missing", plan.missing.size()}};
      if (o->submit && !plan.arrays.empty()) {
        const auto submitted = experiment::submit_slurm_sweep(plan);
        for (const auto& id : submitted.array_jobs) console << "submitted array job " << id << "\n";
        console << "submitted assembly job " << submitted.assembly_job << "\n";
        j["array_jobs"] = submitted.array_jobs;
        j["assembly_job"] = submitted.assembly_job;
      } else if (!plan.arrays.empty()) {
        console << "wrote " << (std::filesystem::path(o->out) / "sweep.sbatch").string()
                << " and assemble.sbatch (--submit submits them)\n";
      }
      if (o->flags.json) print_json(j);
      return 0;
    }
    experiment::sweep_runner runner(o->out);
    if (o->assemble) {
      const auto table = experiment::assemble_sweep(runner, points, grid);
      console << "assembled " << points.size() << " points: wrote " << (runner.directory() / "table.csv").string()
              << " and the plots\n";
      if (o->flags.json) print_json(table.to_json());
      return 0;
    }
    if (o->point >= 0) {
      const auto& point = experiment::sweep_point_at(points, o->point);
      install_interrupt_handlers();
      nn::communicator& processes = job_processes();  // under mpirun: the ranks train the point as one
      const auto summary = experiment::run_point_in_job(runner, point, processes);
      if (processes.rank() != 0) return 0;  // rank 0 reports for the job
      console << "point " << o->point << " (" << experiment::point_key(point) << ", "
              << experiment::sweep_point_label(point) << "): " << (summary.reused ? "already done" : "computed")
              << "\n";
      if (o->flags.json) print_json({{"point", o->point}, {"key", experiment::point_key(point)},
                                     {"computed", summary.computed}});
      return 0;
    }
    experiment::sweep_options options;
    if (o->max_points >= 0) options.max_new_points = static_cast<std::size_t>(o->max_points);
    if (!o->shard.empty()) {
      const auto slash = o->shard.find('/');
      std::size_t index = 0, count = 0;
      try {
        if (slash == std::string::npos) throw std::invalid_argument("no slash");
        std::size_t used = 0;
        index = std::stoul(o->shard.substr(0, slash), &used);
        if (used != slash) throw std::invalid_argument("index");
        count = std::stoul(o->shard.substr(slash + 1), &used);
        if (used != o->shard.size() - slash - 1) throw std::invalid_argument("count");
      } catch (const std::exception&) {
        throw usage_error("--shard", "must be I/N with integers, e.g. 0/4, got '" + o->shard + "'");
      }
      if (count < 1 || index >= count) throw usage_error("--shard", "needs 0 <= I < N, got '" + o->shard + "'");
      options.shard_index = index;
      options.shard_count = count;
    }
    options.on_point_start = [&](std::size_t i, std::size_t count, const nlohmann::json& point) {
      console << "[" << i + 1 << "/" << count << "] point " << experiment::point_key(point) << ": ";
      if (design) console << experiment::design_point_label(point) << "\n";
      else
        console << experiment::model_label(point) << ", "
                << experiment::token_label(point["tokens"].get<std::uint64_t>()) << " tokens\n";
      console.flush();
    };
    install_interrupt_handlers();  // Ctrl-C: finished points kept, exit 130 (experiment/sweep.hpp)
    const auto summary = runner.run(
        points,
        [&](const nlohmann::json& point) {
          return design ? experiment::run_design_point(point, runner.directory())
                        : experiment::run_sweep_point(point, runner.directory());
        },
        options);
    const auto table = design ? experiment::write_design_outputs(runner, points, grid)
                              : experiment::write_sweep_outputs(runner, points, grid);
    console << "points: " << summary.total << " in the grid, " << summary.reused << " already done, "
            << summary.computed << " computed now, " << summary.pending << " pending\nwrote "
            << (runner.directory() / "table.csv").string() << ", table.json, ";
    if (design) console << "table_across_seeds.csv, design.svg, report.html\n";
    else
      console << (grid.contains("base") && grid["base"].contains("seeds") ? "table_across_seeds.csv, " : "")
              << "emergence.svg, stepwise_vs_direct.svg, report.html\n";
    if (o->flags.json) {
      nlohmann::json j = table.to_json();
      j["summary"] = {{"total", summary.total}, {"reused", summary.reused}, {"computed", summary.computed},
                      {"pending", summary.pending}};
      print_json(j);
    }
    return 0;
  });
}

}  // namespace induct::tool
