// Sweep grids (experiment/scaling.hpp): a grid file of any content expands to points or is refused
// with a config_error naming the grid key; the inputs that broke the fuzz target are in
// tests/fuzz/regressions/fuzz_grid/.
#include <doctest/doctest.h>

#include <string>

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
