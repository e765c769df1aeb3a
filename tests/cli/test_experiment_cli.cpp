// The experiment commands of the induct tool: demo, sweep and probe, run at toy sizes.
#include <doctest/doctest.h>

#include "run_shell.hpp"
#include "../experiment/xml_check.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"

namespace {

using induct_test::command_result;

command_result run_tool(const std::string& arguments) { return induct_test::run_tool_one_thread(arguments); }

std::filesystem::path scratch(const std::string& name) { return induct_test::fresh_scratch("induct_cli_experiment_", name); }

const std::string toy_run = "--steps 4 --tokens 20000 --prompts 4 --examples 0,1 --layers 1 --width 16 --heads 2 --context 32";

}  // namespace

TEST_CASE("experiment commands have help and reject bad invocations") {
  for (const char* command : {"demo", "sweep", "probe"}) {
    const auto help = run_tool(std::string(command) + " --help");
    CHECK(help.status == 0);
    CHECK(help.output.find("Usage: induct " + std::string(command)) != std::string::npos);
  }
  CHECK(run_tool("sweep --out x").status == 2);                       // --grid missing
  CHECK(run_tool("demo --bogus 1").status == 2);                      // unknown option
  const auto bad_setup = run_tool("demo --setup '{\"entities\":0}'");   // invalid setup field, named
  CHECK(bad_setup.status == 1);
  CHECK(bad_setup.output.find("entities") != std::string::npos);
  CHECK(run_tool("demo --setup '{not json'").status == 2);            // not JSON: a usage error
  CHECK(run_tool("demo --setup /nonexistent/setup.json").status == 1); // missing file, named
  const auto missing_grid = run_tool("sweep --grid /nonexistent/grid.json --out " + scratch("nogrid").string());
  CHECK(missing_grid.status == 1);
  CHECK(missing_grid.output.find("/nonexistent/grid.json") != std::string::npos);
  CHECK(run_tool("sweep --grid huge --out " + scratch("huge").string()).status == 1);
  const auto missing_model = run_tool("probe --model /nonexistent/model.safetensors");
  CHECK(missing_model.status == 1);
  CHECK(missing_model.output.find("/nonexistent/model.safetensors") != std::string::npos);
}

TEST_CASE("demo at toy size writes its table, plots and model; probe reads the model") {
  const auto dir = scratch("demo");
  const auto demo = run_tool("demo --json --out " + dir.string() + " " + toy_run);
  INFO(demo.output);
  REQUIRE(demo.status == 0);
  // The JSON object (keys sorted, "columns" first) is the last line of the output.
  const auto j = nlohmann::json::parse(demo.output.substr(demo.output.rfind("{\"columns\"")));
  CHECK(j["rows"].size() == 10);  // lookup direct, compose2 and novel2 direct and stepwise, n = 0 and 1
  for (const char* name : {"results.csv", "results.json", "error_vs_n.svg", "stepwise_vs_direct.svg", "model.safetensors",
                           "training_loss.svg", "report.html"})
    CHECK(std::filesystem::exists(dir / name));
  const std::string report = induct::read_text_file(dir / "report.html");
  CHECK(report.find("<h2>What it shows</h2>") != std::string::npos);
  CHECK(report.find("In-context learning on lookup is") != std::string::npos);
  CHECK(report.find("<img alt=\"training_loss.svg\" src=\"data:image/svg+xml;base64,") != std::string::npos);
  CHECK(report.find("<a href=\"results.csv\">") != std::string::npos);

  const auto probe_dir = scratch("probe");
  const auto probe = run_tool("probe --json --prompts 8 --patch-pairs 4 --examples 2 --model " + (dir / "model.safetensors").string() +
                              " --out " + probe_dir.string());
  INFO(probe.output);
  REQUIRE(probe.status == 0);
  CHECK(std::filesystem::exists(probe_dir / "probes.svg"));
  const auto json_at = probe.output.rfind("\n{\"columns\"");  // the last line (the patching table is nested in it)
  const auto p = nlohmann::json::parse(probe.output.substr(json_at == std::string::npos ? 0 : json_at + 1));
  CHECK(std::filesystem::exists(probe_dir / "patching.csv"));
  CHECK(induct_test::svg_problem(induct::read_text_file(probe_dir / "probe_controls.svg")).empty());
  REQUIRE(p.contains("patching"));
  CHECK(p["patching"]["rows"].size() % 2 == 0);  // a row per direct task with pairs and layer (0 and 1)
  for (const auto& row : p["patching"]["rows"]) CHECK(row["pairs"].get<int>() >= 1);
  std::size_t pooled = 0;
  for (const auto& row : p["rows"]) {
    if (row["task"] != "all") continue;
    ++pooled;
    CHECK(row["selectivity"].get<double>() ==
          row["test_accuracy"].get<double>() - row["control_task_accuracy"].get<double>());
    CHECK(row["random_init_accuracy"].is_number());
  }
  CHECK(pooled == 6 * 2);  // 6 features x (embeddings + 1 block), beside them the rows per task and format
  CHECK(p["rows"].size() > pooled);
  CHECK(p["metadata"]["random_init_seed"] == 1);
  CHECK(p["metadata"]["control_seed"] == 7);
}

TEST_CASE("demo --seeds: one model per training seed on one corpus, and the across-seed table") {
  const auto dir = scratch("demo_seeds");
  // With a learning curve, which must leave the runs as they are without one (compared below).
  const auto demo = run_tool("demo --json --seeds 1,2 --curve-every 2 --curve-examples 0,1 --curve-prompts 4 --out " +
                             dir.string() + " " + toy_run);
  INFO(demo.output);
  REQUIRE(demo.status == 0);
  CHECK(demo.output.find("across 2 training seeds (1 2; corpus seed 1)") != std::string::npos);
  const auto j = nlohmann::json::parse(demo.output.substr(demo.output.rfind("\n{\"columns\"") + 1));
  REQUIRE(j["rows"].size() == 10);
  CHECK(j["training_seeds"] == nlohmann::json::array({1, 2}));
  for (const auto& row : j["rows"]) {
    CHECK(row["seeds"] == 2);
    CHECK(row["training_seeds"] == "1 2");
    CHECK(row["model_query_error_rate_min"].get<double>() <= row["model_query_error_rate_mean"].get<double>());
    CHECK(row["model_query_error_rate_boot_low"].get<double>() <= row["model_query_error_rate_boot_high"].get<double>());
  }
  for (const char* name : {"results_across_seeds.csv", "results_across_seeds.json", "error_vs_n_across_seeds.svg",
                           "seed-1/results.csv", "seed-2/results.csv", "seed-2/model.safetensors"})
    CHECK(std::filesystem::exists(dir / name));
  // The learning curves: per seed and across seeds (steps 0, 2, 4; 5 tasks and formats, n = 0 and 1).
  for (const char* name : {"seed-1/learning_curve.csv", "seed-1/learning_curve.svg", "seed-2/learning_curve_emergence.csv",
                           "learning_curve_across_seeds.csv", "learning_curve_across_seeds_emergence.csv"})
    CHECK(std::filesystem::exists(dir / name));
  CHECK(induct_test::svg_problem(induct::read_text_file(dir / "learning_curve_across_seeds.svg")).empty());
  REQUIRE(j.contains("learning_curve"));
  CHECK(j["learning_curve"]["rows"].size() == 10);
  CHECK(j["learning_curve"]["rows"][0]["seeds"] == 2);
  CHECK(demo.output.find("learning curve across 2 seeds: query error <= 0.1 from") != std::string::npos);
  const std::string curve_csv = induct::read_text_file(dir / "seed-1" / "learning_curve.csv");
  CHECK(std::count(curve_csv.begin(), curve_csv.end(), '\n') == 1 + 3 * 10);
  CHECK(curve_csv.rfind("step,tokens_seen,task,format,examples,prompts,held_out_of,model_query_error_rate", 0) == 0);
  // The across-seed plot: well-formed, one panel per (task, format) with the mean of 2 seeds and its band.
  const std::string seed_svg = induct::read_text_file(dir / "error_vs_n_across_seeds.svg");
  CHECK(induct_test::svg_problem(seed_svg).empty());
  CHECK(seed_svg.find("model, mean of 2 seeds (95% seeds x prompts)") != std::string::npos);
  CHECK(seed_svg.find("each training seed") != std::string::npos);
  CHECK(seed_svg.find("lookup (direct): error at the query, across seeds") != std::string::npos);
  const std::string seed_report = induct::read_text_file(dir / "report.html");
  CHECK(seed_report.find("Means over the training seeds.") != std::string::npos);
  CHECK(seed_report.find("<a href=\"seed-2/report.html\">") != std::string::npos);
  CHECK(seed_report.find("alt=\"learning_curve_across_seeds.svg\"") != std::string::npos);
  CHECK(std::filesystem::exists(dir / "seed-2" / "report.html"));
  // Seed 1 of the pair is the single-seed demo with --seed 1 (corpus seed 1 too): deterministic per seed.
  const auto single = scratch("demo_seed1");
  REQUIRE(run_tool("demo --seed 1 --out " + single.string() + " " + toy_run).status == 0);
  CHECK(induct::read_text_file(single / "results.csv") == induct::read_text_file(dir / "seed-1" / "results.csv"));
  CHECK(induct::read_text_file(single / "results.csv") != induct::read_text_file(dir / "seed-2" / "results.csv"));
  // evaluate on the two models (their run_configs give the prompts, the seeds and the corpus to count)
  // reproduces the across-seed table.
  const auto again = scratch("evaluate_seeds");
  const auto evaluated = run_tool("evaluate --model " + (dir / "seed-1" / "model.safetensors").string() + " --model " +
                                  (dir / "seed-2" / "model.safetensors").string() + " --out " + again.string());
  INFO(evaluated.output);
  REQUIRE(evaluated.status == 0);
  CHECK(evaluated.output.find("across 2 models (training seeds 1 2)") != std::string::npos);
  CHECK(induct::read_text_file(again / "results_across_seeds.csv") ==
        induct::read_text_file(dir / "results_across_seeds.csv"));
  CHECK(std::filesystem::exists(again / "model-2" / "results.csv"));
  CHECK(induct_test::svg_problem(induct::read_text_file(again / "error_vs_n_across_seeds.svg")).empty());
}

TEST_CASE("sweep resumes: a second run reuses every finished point") {
  const auto dir = scratch("sweep");
  std::filesystem::create_directories(dir);
  const auto grid = dir / "grid.json";
  {
    std::FILE* f = std::fopen(grid.string().c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs(R"({"models": [{"layers": 1, "width": 16, "heads": 2}], "tokens": [2048, 4096],
                   "base": {"context": 32, "batch": 4, "prompts": 4, "examples": [0, 1]}})",
               f);
    std::fclose(f);
  }
  const auto first = run_tool("sweep --json --max-points 1 --grid " + grid.string() + " --out " + (dir / "out").string());
  INFO(first.output);
  REQUIRE(first.status == 0);
  CHECK(first.output.find("1 computed now, 1 pending") != std::string::npos);
  const auto second = run_tool("sweep --grid " + grid.string() + " --out " + (dir / "out").string());
  INFO(second.output);
  REQUIRE(second.status == 0);
  CHECK(second.output.find("1 already done, 1 computed now, 0 pending") != std::string::npos);
  for (const char* name : {"table.csv", "table.json", "emergence.svg", "stepwise_vs_direct.svg"})
    CHECK(std::filesystem::exists(dir / "out" / name));
  // The grid evaluated n = 0 and 1: the heatmaps show n = 1, not an all-grey n = 16 and 8.
  CHECK(induct::read_text_file(dir / "out" / "emergence.svg").find("lookup error at n = 1 (") != std::string::npos);
  CHECK(induct::read_text_file(dir / "out" / "stepwise_vs_direct.svg").find("compose2 at n = 1:") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "out" / "table_across_seeds.csv"));

  // --seeds: one point per training seed on one corpus, the finished points above are not reused (they are
  // other runs), a rerun reuses all, and table_across_seeds has one row per model and token count.
  const auto seeded = run_tool("sweep --json --seeds 1,2,3 --grid " + grid.string() + " --out " + (dir / "out").string());
  INFO(seeded.output);
  REQUIRE(seeded.status == 0);
  CHECK(seeded.output.find("6 in the grid, 0 already done, 6 computed now") != std::string::npos);
  const auto rerun = run_tool("sweep --seeds 1,2,3 --grid " + grid.string() + " --out " + (dir / "out").string());
  CHECK(rerun.output.find("6 already done, 0 computed now") != std::string::npos);
  const auto across = induct::read_text_file(dir / "out" / "table_across_seeds.csv");
  std::size_t lines = 0;
  for (char c : across) lines += c == '\n';
  CHECK(lines == 3);  // header and 2 rows (2048 and 4096 tokens)
  CHECK(across.find("\n3,1 2 3,1,16,2,2048,") != std::string::npos);
  CHECK(across.find("novel2_stepwise_n1_error_boot_high") != std::string::npos);

  // base "curve": each point writes its learning curve and the emergence steps become table columns.
  {
    std::FILE* f = std::fopen(grid.string().c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs(R"({"models": [{"layers": 1, "width": 16, "heads": 2}], "tokens": [2048],
                   "base": {"context": 32, "batch": 4, "prompts": 4, "examples": [0, 1],
                            "curve": {"every": 8, "examples": [0, 1], "prompts": 3, "threshold": 1}}})",
               f);
    std::fclose(f);
  }
  const auto curved = run_tool("sweep --grid " + grid.string() + " --out " + (dir / "curve").string());
  INFO(curved.output);
  REQUIRE(curved.status == 0);
  const auto table = induct::read_text_file(dir / "curve" / "table.csv");
  CHECK(table.find("lookup_direct_n0_emergence_step") != std::string::npos);
  std::size_t curves = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "curve" / "evaluations"))
    if (entry.path().filename().string().ends_with("_curve.csv")) {
      ++curves;
      const auto curve = induct::read_text_file(entry.path());
      CHECK(curve.find("\n16,2048,lookup,direct,0,3,") != std::string::npos);  // 2048 / (4 x 32) = 16 steps
    }
  CHECK(curves == 1);
  // At threshold 1 every curve has emerged at step 0.
  CHECK(table.find(",0,") != std::string::npos);
  std::FILE* bad = std::fopen(grid.string().c_str(), "w");
  REQUIRE(bad != nullptr);
  std::fputs(R"({"models": [{"layers": 1, "width": 16}], "tokens": [2048], "base": {"curve": {"evry": 8}}})", bad);
  std::fclose(bad);
  const auto refused = run_tool("sweep --grid " + grid.string() + " --out " + (dir / "bad").string());
  CHECK(refused.status == 1);  // a bad grid file is bad input (1), as for every other grid field
  CHECK(refused.output.find("grid.base.curve.evry") != std::string::npos);
}

TEST_CASE("sweep over a design grid: any run field as an axis, --seeds, table_across_seeds and design.svg") {
  const auto dir = scratch("design");
  std::filesystem::create_directories(dir);
  const auto grid = dir / "grid.json";
  induct::write_text_atomically(grid, R"({"design": "one_at_a_time",
    "base": {"corpus_tokens": 20000, "steps": 4, "model": {"layers": 1, "width": 16, "heads": 2, "context_length": 32},
             "training": {"batch": 4, "warmup_steps": 1}, "evaluation": {"examples": [0, 1], "prompts": 4}},
    "axes": {"model.width": [16, 32], "setup.direct_composite_rate": [0.25, 1.0]}})");
  const auto first = run_tool("sweep --seeds 1,2 --grid " + grid.string() + " --out " + (dir / "out").string());
  INFO(first.output);
  REQUIRE(first.status == 0);
  CHECK(first.output.find("point ") != std::string::npos);
  CHECK(first.output.find("model.width=32 training.seed=2") != std::string::npos);
  CHECK(first.output.find("6 in the grid, 0 already done, 6 computed now") != std::string::npos);
  const auto across = induct::read_text_file(dir / "out" / "table_across_seeds.csv");
  CHECK(across.rfind("seeds,training_seeds,axis,model.width,setup.direct_composite_rate,", 0) == 0);
  CHECK(across.find("\n2,1 2,setup.direct_composite_rate,16,1,") != std::string::npos);
  CHECK(induct_test::svg_problem(induct::read_text_file(dir / "out" / "design.svg")).empty());
  // The default tasks pose compose2 and novel2 in both formats: the gap table and its plot.
  const auto gaps = induct::read_text_file(dir / "out" / "stepwise_gap.csv");
  CHECK(gaps.find(",compose2,1,") != std::string::npos);
  CHECK(gaps.find(",novel2,0,") != std::string::npos);
  CHECK(induct_test::svg_problem(induct::read_text_file(dir / "out" / "stepwise_gap.svg")).empty());
  const std::string report = induct::read_text_file(dir / "out" / "report.html");
  CHECK(report.find("6 finished of 6") != std::string::npos);
  CHECK(report.find("alt=\"design.svg\"") != std::string::npos);
  CHECK(report.find("at any model.width") != std::string::npos);  // a toy: lookup never reaches 0.1
  const auto again = run_tool("sweep --seeds 1,2 --grid " + grid.string() + " --out " + (dir / "out").string());
  CHECK(again.output.find("6 already done, 0 computed now") != std::string::npos);
  const auto unknown = run_tool("sweep --grid " + (dir / "bad.json").string() + " --out " + (dir / "bad").string());
  CHECK(unknown.status == 1);
  induct::write_text_atomically(dir / "bad.json", R"({"axes": {"model.wdth": [16]}})");
  const auto refused = run_tool("sweep --grid " + (dir / "bad.json").string() + " --out " + (dir / "bad").string());
  CHECK(refused.status == 1);
  CHECK(refused.output.find("grid.axes.model.wdth") != std::string::npos);
}

TEST_CASE("sweep on Slurm without a cluster: --slurm plans the missing points, --point K computes one, --assemble") {
  const auto dir = scratch("slurm");
  std::filesystem::create_directories(dir);
  const auto grid = dir / "grid.json";
  induct::write_text_atomically(grid, R"({"models": [{"layers": 1, "width": 16, "heads": 2}], "tokens": [2048, 4096],
                   "base": {"context": 32, "batch": 4, "prompts": 4, "examples": [0, 1]}})");
  const std::string sweep = "sweep --grid " + grid.string() + " --out " + (dir / "out").string();
  const auto plan = run_tool(sweep + " --slurm --cpus-per-task 1");
  INFO(plan.output);
  REQUIRE(plan.status == 0);
  CHECK(plan.output.find("2 in the grid, 2 missing") != std::string::npos);
  const auto script = induct::read_text_file(dir / "out" / "sweep.sbatch");
  CHECK(script.find("--point \"$SLURM_ARRAY_TASK_ID\"") != std::string::npos);
  CHECK(std::filesystem::exists(dir / "out" / "assemble.sbatch"));

  const auto early = run_tool(sweep + " --assemble");  // nothing finished: refused, naming the points
  CHECK(early.status == 1);
  CHECK(early.output.find("missing") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "out" / "table.csv"));

  const auto outside = run_tool(sweep + " --point 2");
  CHECK(outside.status == 1);
  CHECK(outside.output.find("index 2 is outside the grid") != std::string::npos);
  CHECK(run_tool(sweep + " --point 0 --slurm").status == 2);  // modes exclude one another
  CHECK(run_tool(sweep + " --submit").status == 2);           // --submit needs --slurm

  const auto first = run_tool(sweep + " --point 1");
  INFO(first.output);
  REQUIRE(first.status == 0);
  CHECK(first.output.find("computed") != std::string::npos);
  CHECK(run_tool(sweep + " --point 1").output.find("already done") != std::string::npos);
  const auto replan = run_tool(sweep + " --slurm");  // a rerun plans only what is still missing
  CHECK(replan.output.find("2 in the grid, 1 missing") != std::string::npos);
  CHECK(replan.output.find(": 0\n") != std::string::npos);

  REQUIRE(run_tool(sweep + " --point 0").status == 0);
  const auto assembled = run_tool(sweep + " --assemble");
  INFO(assembled.output);
  REQUIRE(assembled.status == 0);
  const auto table = induct::read_text_file(dir / "out" / "table.csv");
  // The assembly equals a local sweep's outputs over the same point files, byte for byte.
  REQUIRE(run_tool(sweep).status == 0);
  CHECK(induct::read_text_file(dir / "out" / "table.csv") == table);
}
