// scaling_sweep: a resumable sweep over model sizes and training tokens with the sweep API.
// Each design point is a job keyed by the hash of its config; rerunning skips finished points.
//
//   ./scaling_sweep DIR        (a 2 x 2 grid of tiny models; rerun to see every point reused)
#include <iostream>

#include "induct/experiment/scaling.hpp"
#include "induct/experiment/sweep.hpp"

int main(int argc, char** argv) {
  using namespace induct::experiment;
  if (argc != 2) {
    std::cerr << "usage: scaling_sweep DIR\n";
    return 2;
  }
  // A grid: models x training tokens, plus the settings every point shares.
  const auto grid = nlohmann::json::parse(R"({
    "models": [{"layers": 1, "width": 32, "heads": 2}, {"layers": 2, "width": 64, "heads": 4}],
    "tokens": [100000, 300000],
    "base": {"context": 64, "batch": 16, "prompts": 50, "examples": [0, 4, 8, 16], "seed": 1}
  })");
  const std::vector<nlohmann::json> points = grid_points(grid);

  // The runner stores each finished point as DIR/points/<key>.json (atomically).
  sweep_runner runner(argv[1]);
  sweep_options options;
  options.on_point_start = [](std::size_t i, std::size_t n, const nlohmann::json& point) {
    std::cout << "point " << i + 1 << "/" << n << ": " << model_label(point) << ", " << point["tokens"] << " tokens\n";
  };
  const sweep_summary summary =
      runner.run(points, [&](const nlohmann::json& point) { return run_sweep_point(point, runner.directory()); }, options);
  std::cout << summary.computed << " computed, " << summary.reused << " reused\n";

  // One row per point; the heatmap of lookup error at n = 16 shows where ICL emerges.
  const result_table table = write_sweep_outputs(runner, points, grid);
  std::cout << table.to_text(3);
  return 0;
}
