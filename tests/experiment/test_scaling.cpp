// Sweep grids (experiment/scaling.hpp): a grid file of any content expands to points or is refused
// with a config_error naming the grid key; the inputs that broke the fuzz target are in
// tests/fuzz/regressions/fuzz_grid/.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/experiment/scaling.hpp"

namespace ex = induct::experiment;
using nlohmann::json;

namespace {

std::string grid_error_of(const std::string& text) {
  try {
    (void)ex::grid_points(json::parse(text));
  } catch (const induct::config_error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("grid points: numbers that do not fit their field are config_errors, not casts out of range (fuzz)") {
  // Each was a cast of a double out of its integer type's range (undefined behaviour) or, for batch 0, a
  // division by zero while sizing the run.
  CHECK(grid_error_of(R"({"models": [{"layers": 1, "width": 16}], "tokens": [1e30]})").find("2^53") != std::string::npos);
  CHECK(grid_error_of(R"({"models": [{"layers": 1e30, "width": 16}], "tokens": [2000]})").find("grid.models.layers") !=
        std::string::npos);
  CHECK(grid_error_of(R"({"models": [{"layers": 1, "width": 16, "heads": 2.5}], "tokens": [2000]})")
            .find("grid.models.heads") != std::string::npos);
  CHECK(grid_error_of(R"({"models": [{"layers": 1, "width": 16}], "tokens": [2000], "base": {"batch": 0}})")
            .find("batch") != std::string::npos);
  CHECK(grid_error_of(R"({"models": [{"layers": 1, "width": 16}], "tokens": [2000], "base": {"context": 0}})")
            .find("context_length") != std::string::npos);
  CHECK(grid_error_of(R"({"models": [{"layers": 1, "width": 16}], "tokens": [2000], "base": {"seeds": [1e30]}})")
            .find("grid.base.seeds") != std::string::npos);
  CHECK(grid_error_of(R"({"models": [{"layers": 1, "width": 16}], "tokens": [2000], "base": {"examples": [1e30]}})")
            .find("grid.base.examples") != std::string::npos);
  // A float without a fraction is still an integer, as in every config file.
  const auto points = ex::grid_points(json::parse(R"({"models": [{"layers": 2.0, "width": 16}], "tokens": [2000]})"));
  REQUIRE(points.size() == 1);
  CHECK(points[0]["layers"] == 2);
  CHECK(ex::point_run_config(points[0]).model.layers == 2);
}

TEST_CASE("grid points: a grid of more than max_sweep_points points is refused before it is expanded") {
  json grid = {{"models", json::array()}, {"tokens", json::array()}};
  for (int i = 0; i < 41; ++i) grid["models"].push_back({{"layers", 1}, {"width", 16}});
  for (int i = 0; i < 25; ++i) grid["tokens"].push_back(1000 + i);
  CHECK_THROWS_WITH_AS(ex::grid_points(grid), doctest::Contains("more than 1000 points"), induct::config_error);
}

TEST_CASE("scaling report: per model the fewest tokens reaching the threshold, stepwise against direct, the heatmaps") {
  // Two models x three token counts; lookup at n = 4 reaches 0.1 from 20k tokens for L1 W16 (10k: 0.3;
  // 20k: exactly 0.1, at the threshold counts), never for L2 W32; stepwise beats direct at 2 of the 5
  // points with both (one point has no compose2 numbers: a missing cell is not compared).
  ex::result_table table({"key", "layers", "width", "tokens", "seed", "final_loss", "lookup_direct_n4_error",
                          "compose2_direct_n2_error", "compose2_stepwise_n2_error"});
  const auto row = [&](long long layers, long long width, long long tokens, double lookup, ex::table_cell direct,
                       ex::table_cell stepwise) {
    table.add_row({std::string("k"), layers, width, tokens, 1LL, 2.5, lookup, direct, stepwise});
  };
  row(1, 16, 10000, 0.3, 0.9, 0.5);
  row(1, 16, 20000, 0.1, 0.8, 0.9);
  row(1, 16, 40000, 0.0, 0.7, 0.2);
  row(2, 32, 10000, 0.9, 0.9, 0.95);
  row(2, 32, 20000, 0.5, ex::table_cell{}, ex::table_cell{});
  row(2, 32, 40000, 0.2, 0.6, 0.6);  // a tie is not lower
  const json grid = json::parse(R"({"models": [{"layers": 1, "width": 16}, {"layers": 2, "width": 32}],
                                     "tokens": [10000, 20000, 40000], "base": {"seeds": [1]}})");
  const auto page = ex::scaling_report(table, grid, 9, 4, 2, 0.1);
  CHECK(page.findings ==
        "L1 W16: lookup at n = 4 reaches an error <= 0.1 from 20k tokens. L2 W32: lookup at n = 4 does not reach an "
        "error <= 0.1. compose2 at n = 2: intermediate steps have a lower error than direct answers at 2 of 5 points.");
  REQUIRE(page.facts.size() == 4);
  CHECK(page.facts[0].second == "6 finished of 9");
  CHECK(page.facts[1].second == "L1 W16, L2 W32");
  CHECK(page.facts[2].second == "10k, 20k, 40k");
  CHECK(page.facts[3] == std::pair<std::string, std::string>{"training seeds", "[1]"});
  CHECK(page.table_text.find("lookup_direct_n4_error  compose2_direct_n2_error  compose2_stepwise_n2_error") !=
        std::string::npos);
  CHECK(page.table_text.find("key") == std::string::npos);  // the point key is not a figure a person reads
  CHECK(page.plots == std::vector<std::string>{"emergence.svg", "stepwise_vs_direct.svg"});
}
