#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/experiment/slurm.hpp"
#include "induct/experiment/sweep.hpp"

namespace ex = induct::experiment;
using nlohmann::json;

TEST_CASE("slurm index lists join consecutive runs") {
  CHECK(ex::slurm_index_list({0, 2, 3, 4, 7}) == "0,2-4,7");
  CHECK(ex::slurm_index_list({5}) == "5");
  CHECK(ex::slurm_index_list({}) == "");
}

TEST_CASE("time classes double from 15 minutes; Slurm's time format") {
  CHECK(ex::time_class_seconds(1) == 900);
  CHECK(ex::time_class_seconds(900) == 900);
  CHECK(ex::time_class_seconds(901) == 1800);
  CHECK(ex::time_class_seconds(3 * 3600 + 1) == 4 * 3600);
  CHECK_THROWS_AS(ex::time_class_seconds(1e12), induct::config_error);
  CHECK(ex::slurm_time(900) == "00:15:00");
  CHECK(ex::slurm_time(2 * 86400 + 3600 + 61) == "2-01:01:01");
}

TEST_CASE("shell quoting leaves plain words and single-quotes the rest") {
  CHECK(ex::shell_quote("/usr/bin/induct") == "/usr/bin/induct");
  CHECK(ex::shell_quote("a b") == "'a b'");
  CHECK(ex::shell_quote("it's") == "'it'\\''s'");
}

TEST_CASE("a point index out of range is refused, naming the grid's size") {
  const std::vector<json> points = {json{{"a", 1}}, json{{"a", 2}}};
  CHECK(ex::sweep_point_at(points, 1) == points[1]);
  CHECK_THROWS_WITH_AS(ex::sweep_point_at(points, 2),
                       "invalid config field 'point': index 2 is outside the grid, whose 2 points are 0 to 1",
                       induct::config_error);
  CHECK_THROWS_AS(ex::sweep_point_at(points, -1), induct::config_error);
}

TEST_CASE("the missing list shrinks as point files are written") {
  const auto dir = std::filesystem::temp_directory_path() / "induct_test_slurm_missing";
  std::filesystem::remove_all(dir);
  const std::vector<json> points = {json{{"a", 1}}, json{{"a", 2}}, json{{"a", 3}}};
  ex::sweep_runner runner(dir);
  CHECK(ex::missing_points(runner, points) == std::vector<std::size_t>{0, 1, 2});
  ex::sweep_options one;
  one.max_new_points = 1;
  runner.run(points, [](const json& c) { return json{{"x", c["a"]}}; }, one);
  CHECK(ex::missing_points(runner, points) == std::vector<std::size_t>{1, 2});
  runner.run(points, [](const json& c) { return json{{"x", c["a"]}}; });
  CHECK(ex::missing_points(runner, points).empty());
}

TEST_CASE("assembly of an incomplete sweep names each missing point and writes nothing") {
  const auto dir = std::filesystem::temp_directory_path() / "induct_test_slurm_assemble";
  std::filesystem::remove_all(dir);
  const json grid = json::parse(R"({"models": [{"layers": 1, "width": 32, "heads": 2}], "tokens": [100000, 200000],
                                    "base": {"context": 88, "batch": 16, "prompts": 10, "examples": [0, 4]}})");
  const auto points = ex::sweep_grid_points(grid);
  REQUIRE(points.size() == 2);
  ex::sweep_runner runner(dir);
  ex::sweep_options one;
  one.max_new_points = 1;
  runner.run(points, [](const json&) { return json{{"x", 1}}; }, one);
  const std::string expected = "cannot assemble " + dir.string() + ": 1 of 2 points are missing:\n  point 1 (" +
                               ex::point_key(points[1]) + "): L1 W32, 200k tokens, seed 1\n" +
                               "run them (induct sweep --point K, or --slurm --submit again), then --assemble";
  CHECK_THROWS_WITH(ex::assemble_sweep(runner, points, grid), expected.c_str());
  CHECK_FALSE(std::filesystem::exists(dir / "table.csv"));
}

TEST_CASE("a plan's time limit is safety x FLOPs / throughput + overhead, rounded to its class") {
  const json grid = json::parse(R"({"models": [{"layers": 1, "width": 32, "heads": 2}], "tokens": [100000],
                                    "base": {"context": 88, "batch": 16, "prompts": 10, "examples": [0, 4]}})");
  const auto points = ex::sweep_grid_points(grid);
  ex::slurm_config resources;
  resources.flops_per_second = 1e6;  // slow enough that the FLOPs, not the overhead, set the class
  resources.overhead_seconds = 0;
  const auto plan = ex::plan_slurm_sweep(points, {0}, resources, {"/bin/induct", "/s", "/s/slurm/g.json"});
  REQUIRE(plan.missing.size() == 1);
  const auto& e = plan.missing[0];
  // steps = 1e5 / (16 x 88) = 71 of 16 x 88 tokens; 5 tasks x 2 n x 10 prompts x 88 tokens of forward.
  const double per_token = e.work.training_flops / (71.0 * 16 * 88);
  CHECK(e.work.evaluation_flops == doctest::Approx(5.0 * 2 * 10 * 88 * per_token / 3));
  CHECK(e.estimate_seconds == doctest::Approx(3 * (e.work.training_flops + e.work.evaluation_flops) / 1e6));
  CHECK(e.limit_seconds == ex::time_class_seconds(e.estimate_seconds));
  const std::string text = ex::sweep_sbatch_text(plan);
  CHECK(text.find("#SBATCH --array=0\n") != std::string::npos);
  CHECK(text.find("#SBATCH --time=" + ex::slurm_time(e.limit_seconds) + "\n") != std::string::npos);
  CHECK(text.find("exec /bin/induct sweep --grid /s/slurm/g.json --out /s --point \"$SLURM_ARRAY_TASK_ID\"") !=
        std::string::npos);
}

TEST_CASE("run_command returns standard output while the command fills standard error past a pipe's buffer") {
  // 200 KB on stderr before anything on stdout: reading stdout to its end first would never return.
  const std::string printed = induct::experiment::run_command(
      {"sh", "-c", "head -c 200000 /dev/zero | tr '\\000' e >&2; printf 'job 42\\n'"});
  CHECK(printed == "job 42\n");
  try {
    (void)induct::experiment::run_command({"sh", "-c", "printf 'no such partition' >&2; exit 3"});
    FAIL("a failing command returned");
  } catch (const induct::error& e) {
    const std::string message = e.what();
    CHECK(message.find("exited with status 3") != std::string::npos);
    CHECK(message.find("no such partition") != std::string::npos);
  }
  CHECK_THROWS_AS((void)induct::experiment::run_command({"induct-no-such-command-here"}), induct::error);
}
