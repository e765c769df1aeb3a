// Design grids (experiment/design.hpp): points of product and one-at-a-time designs over any run field,
// strict errors naming the grid key, epochs for a repeated corpus, the across-seed table and the figure.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/experiment/design.hpp"
#include "induct/experiment/pipeline.hpp"
#include "induct/experiment/presets.hpp"

namespace ex = induct::experiment;
using nlohmann::json;

namespace {

// A toy base run: 20,000 tokens, a width-16 model, 6 steps.
json toy_base() {
  return json::parse(R"({"corpus_tokens": 20000, "steps": 6,
                         "model": {"layers": 1, "width": 16, "heads": 2, "context_length": 32},
                         "training": {"batch": 4, "warmup_steps": 1},
                         "evaluation": {"examples": [0, 1], "prompts": 4},
                         "tasks": [{"task": "lookup", "format": "direct"}, {"task": "novel2", "format": "stepwise"}]})");
}

std::string config_error_of(const json& grid) {
  try {
    (void)ex::design_points(grid);
  } catch (const induct::config_error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("design points: a product of the axes times the seeds, each a valid run with its values") {
  const json grid = {{"base", toy_base()},
                     {"axes", {{"model.layers", {1, 2}}, {"setup.direct_composite_rate", {0.25, 1.0}}, {"steps", {4, 8, 12}}}},
                     {"seeds", {1, 2}}};
  const auto points = ex::design_points(grid);
  REQUIRE(points.size() == 2 * 2 * 3 * 2);
  std::set<std::string> runs;
  for (const auto& p : points) {
    const auto run = ex::run_config::from_json(p["run"]);
    CHECK(run.model.layers == p["axes"]["model.layers"].get<int>());
    CHECK(run.setup.direct_composite_rate == p["axes"]["setup.direct_composite_rate"].get<double>());
    CHECK(run.training.steps == p["axes"]["steps"].get<long long>());
    CHECK(p["run"]["training"]["decay_steps"] == p["axes"]["steps"]);  // the horizon follows steps
    CHECK(run.training.seed == p["axes"]["training.seed"].get<std::uint64_t>());
    CHECK(run.corpus_seed == 1);  // one corpus for all seeds
    CHECK(run.model.width == 16);
    CHECK(p["axis"] == "");
    runs.insert(p["run"].dump());
  }
  CHECK(runs.size() == points.size());
  // Seeds innermost, then the last axis (name order): steps.
  CHECK(points[0]["axes"]["training.seed"] == 1);
  CHECK(points[1]["axes"]["training.seed"] == 2);
  CHECK(points[2]["axes"]["steps"] == 8);
  CHECK(ex::design_axes(grid) == std::vector<std::string>{"model.layers", "setup.direct_composite_rate", "steps", "training.seed"});
  CHECK(ex::design_point_label(points[3]) == "model.layers=1 setup.direct_composite_rate=0.25 steps=8 training.seed=2");
}

TEST_CASE("one at a time: the base point, then each axis alone; a value equal to the base's is the base") {
  const json grid = {{"design", "one_at_a_time"},
                     {"base", toy_base()},
                     {"axes", {{"model.layers", {1, 2, 3}}, {"loss_weights.answer", {1.0, 3.0}}}}};
  const auto points = ex::design_points(grid);
  REQUIRE(points.size() == 1 + 1 + 2);  // base; answer 3; layers 2 and 3 (1 and answer 1 are the base)
  CHECK(points[0]["axis"] == "base");
  CHECK(points[0]["axes"].empty());
  CHECK(points[1]["axis"] == "loss_weights.answer");
  CHECK(ex::run_config::from_json(points[1]["run"]).answer_loss_weight == 3.0);
  CHECK(ex::run_config::from_json(points[1]["run"]).model.layers == 1);
  CHECK(points[2]["axis"] == "model.layers");
  CHECK(ex::run_config::from_json(points[3]["run"]).model.layers == 3);
  CHECK(ex::run_config::from_json(points[3]["run"]).answer_loss_weight == 1.0);
}

TEST_CASE("explicit points, and bad grids refused naming the key") {
  const json explicit_grid = {{"base", toy_base()}, {"points", {{{"model.width", 32}}, {{"model.width", 16}, {"steps", 3}}}}};
  const auto points = ex::design_points(explicit_grid);
  REQUIRE(points.size() == 2);
  CHECK(ex::run_config::from_json(points[1]["run"]).training.steps == 3);
  CHECK(config_error_of({{"base", toy_base()}, {"axes", {{"model.layrs", {1, 2}}}}}).find("grid.axes.model.layrs") !=
        std::string::npos);
  CHECK(config_error_of({{"base", toy_base()}, {"axes", {{"model.layers", {0}}}}}).find("layers") != std::string::npos);
  CHECK(config_error_of({{"axes", {{"model.layers", json::array()}}}}).find("grid.axes.model.layers") != std::string::npos);
  CHECK(config_error_of({{"axes", {{"model.layers", {1}}}}, {"points", {json::object()}}}).find("not both") != std::string::npos);
  CHECK(config_error_of({{"axes", {{"model.layers", {1}}}}, {"desing", "product"}}).find("grid.desing") != std::string::npos);
  CHECK(config_error_of({{"axes", {{"model.layers", {1}}}}, {"design", "latin"}}).find("grid.design") != std::string::npos);
  CHECK(config_error_of({{"axes", {{"training.seed", {1}}}}, {"seeds", {1, 2}}}).find("training.seed") != std::string::npos);
  CHECK(config_error_of({{"axes", {{"model.layers", {1}}}}, {"seeds", {-1}}}).find("grid.seeds") != std::string::npos);
  CHECK(config_error_of({{"axes", {{"model.layers", {1}}}}, {"curve", {{"evry", 1}}}}).find("grid.curve.evry") !=
        std::string::npos);
  CHECK(config_error_of({{"axes", {{"model.layers", {1}}}}, {"base", {{"modle", 1}}}}).find("grid.base.modle") !=
        std::string::npos);
  CHECK(config_error_of({{"axes", {{"model..layers", {1}}}}}).find("dotted") != std::string::npos);
  CHECK_FALSE(ex::is_design_grid(ex::preset_grid("small")));
  for (const char* preset : {"emergence", "steps"}) {
    INFO(preset);
    const auto grid = ex::preset_grid(preset);
    CHECK(ex::is_design_grid(grid));
    CHECK(ex::design_points(grid).size() >= 12);
  }
  CHECK(ex::design_points(ex::preset_grid("emergence")).size() == (1 + 3 + 3 + 3 + 3) * 3);
}

TEST_CASE("a design point runs: epochs of a repeated corpus, the axis values, the table and the figure") {
  const auto dir = std::filesystem::temp_directory_path() / "induct_test_design";
  std::filesystem::remove_all(dir);
  const json grid = {{"design", "one_at_a_time"},
                     {"base", toy_base()},
                     {"axes", {{"corpus_tokens", {2000, 20000}}, {"model.layers", {1, 2}}}},
                     {"seeds", {1, 2}},
                     {"curve", {{"every", 3}, {"examples", {1}}, {"prompts", 3}}}};
  const auto points = ex::design_points(grid);
  REQUIRE(points.size() == 3 * 2);
  ex::sweep_runner runner(dir);
  const auto summary =
      runner.run(points, [&](const json& p) { return ex::run_design_point(p, runner.directory()); });
  CHECK(summary.computed == 6);
  const auto table = ex::design_table(runner, points, grid);
  REQUIRE(table.row_count() == 6);
  // 6 steps of 4 x 32 tokens on 2,000 x (1 - 0.02) training tokens: 0.39 epochs; on 20,000: 0.039.
  const std::size_t small = 2;  // corpus_tokens 2000, seed 1 (base, base, then the corpus axis)
  CHECK(table.text(small, "axis") == "corpus_tokens");
  CHECK(table.number(small, "corpus_tokens") == 2000);
  CHECK(table.number(small, "model.layers") == 1);  // not varied: read from the run
  CHECK(table.number(small, "epochs") == doctest::Approx(6.0 * 4 * 32 / (2000 * 0.98)));
  CHECK(table.number(0, "epochs") == doctest::Approx(6.0 * 4 * 32 / (20000 * 0.98)));
  CHECK(table.has_column("lookup_direct_n1_emergence_step"));
  CHECK_FALSE(table.has_column("run"));
  CHECK(std::filesystem::exists(dir / "evaluations" / (ex::point_key(points[0]) + "_curve.csv")));
  const auto across = ex::design_across_seeds(table, ex::design_axes(grid));
  REQUIRE(across.row_count() == 3);
  CHECK(across.text(0, "training_seeds") == "1 2");
  CHECK(across.number(0, "lookup_direct_n1_error_mean") ==
        doctest::Approx((table.number(0, "lookup_direct_n1_error") + table.number(1, "lookup_direct_n1_error")) / 2));
  CHECK(across.number(1, "lookup_direct_n1_error_min") <= across.number(1, "lookup_direct_n1_error_max"));
  const auto fig = ex::design_figure(across, ex::design_axes(grid), grid);
  REQUIRE(fig.panels.size() == 2);  // corpus_tokens and model.layers
  const auto& tokens = std::get<ex::line_chart>(fig.panels[0]);
  CHECK(tokens.log_x);
  REQUIRE(tokens.series.size() == 3);  // lookup direct, novel2 stepwise, the threshold
  CHECK(tokens.series[0].x == std::vector<double>{2000, 20000});
  const auto& layers = std::get<ex::line_chart>(fig.panels[1]);
  CHECK(layers.series[0].x == std::vector<double>{1, 2});
  CHECK(layers.integer_x);
  // Rerunning reuses every point.
  CHECK(runner.run(points, [](const json&) -> json { throw induct::error("recomputed"); }).reused == 6);
  std::filesystem::remove_all(dir);
}

TEST_CASE("stepwise gap: direct minus stepwise error per seed group, beside the idealized gap and Theorem 2's bounds") {
  ex::result_table table({"axis", "model.layers", "training.seed", "compose2_direct_n4_error", "compose2_stepwise_n4_error",
                          "compose2_direct_n4_ideal_error", "compose2_stepwise_n4_ideal_error",
                          "compose2_direct_n4_bound_bits", "compose2_stepwise_n4_bound_bits", "lookup_direct_n4_error"});
  // layers 1: gaps 0.6 and 0.4; layers 2: gaps 0.1 and -0.1.
  table.add_row({std::string(""), 1LL, 1LL, 0.9, 0.3, 0.0, 0.0, 10.8, 8.8, 0.1});
  table.add_row({std::string(""), 1LL, 2LL, 0.8, 0.4, 0.0, 0.0, 10.8, 8.8, 0.1});
  table.add_row({std::string(""), 2LL, 1LL, 0.2, 0.1, 0.0, 0.0, 10.8, 8.8, 0.0});
  table.add_row({std::string(""), 2LL, 2LL, 0.1, 0.2, 0.0, 0.0, 10.8, 8.8, 0.0});
  const auto gaps = ex::stepwise_gap_table(table, {"model.layers", "training.seed"});
  REQUIRE(gaps.row_count() == 2);  // compose2 at n = 4 per layer count; lookup has no stepwise format
  CHECK(gaps.text(0, "task") == "compose2");
  CHECK(gaps.number(0, "examples") == 4);
  CHECK(gaps.number(0, "seeds") == 2);
  CHECK(gaps.number(0, "model.layers") == 1);
  CHECK(gaps.number(0, "model_gap_mean") == doctest::Approx(0.5));
  CHECK(gaps.number(0, "model_gap_min") == doctest::Approx(0.4));
  CHECK(gaps.number(0, "model_gap_max") == doctest::Approx(0.6));
  CHECK(gaps.number(1, "model_gap_mean") == doctest::Approx(0.0));
  CHECK(gaps.number(1, "model_direct_error_mean") == doctest::Approx(0.15));
  CHECK(gaps.number(1, "ideal_gap") == 0.0);
  CHECK(gaps.number(1, "bound_stepwise_bits") == 8.8);
  CHECK(gaps.number(1, "stepwise_bound_tighter") == 1);
  const auto fig = ex::stepwise_gap_figure(gaps, {"model.layers", "training.seed"});
  REQUIRE(fig.panels.size() == 1);
  const auto& chart = std::get<ex::line_chart>(fig.panels[0]);
  REQUIRE(chart.series.size() == 2);  // the model and the idealized predictor at n = 4
  CHECK(chart.series[0].x == std::vector<double>{1, 2});
  CHECK(chart.series[0].y[0] == doctest::Approx(0.5));
  CHECK(chart.series[0].band_high[0] == doctest::Approx(0.6));
  CHECK(chart.series[1].y == std::vector<double>{0.0, 0.0});
}

TEST_CASE("design grids that broke the fuzz target are config_errors (tests/fuzz/regressions/fuzz_grid/)") {
  // A non-string "design" escaped as nlohmann's type_error.
  CHECK(config_error_of({{"axes", {{"model.layers", {1}}}}, {"design", 5}}).find("grid.design") != std::string::npos);
  // 11 x 11 x 11 points were expanded (and validated) one by one before anything refused them; 5,120 took
  // over 10 s under ASan (regressions/fuzz_grid/product_5120_points.json).
  json axes = json::object();
  for (const char* axis : {"training.seed", "corpus_seed", "evaluation.prompt_seed"}) {
    axes[axis] = json::array();
    for (int v = 0; v < 11; ++v) axes[axis].push_back(v);
  }
  CHECK(config_error_of({{"base", toy_base()}, {"axes", axes}}).find("more than 1000 points") != std::string::npos);
  json many = json::array();
  for (int v = 0; v < 501; ++v) many.push_back({{"steps", v + 1}});
  CHECK(config_error_of({{"base", toy_base()}, {"points", many}, {"seeds", {1, 2}}}).find("more than 1000 points") !=
        std::string::npos);
}
