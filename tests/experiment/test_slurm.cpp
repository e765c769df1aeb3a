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
