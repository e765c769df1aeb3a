// Learning curves (experiment/learning_curve.hpp): emergence steps by hand, across seeds, the config's
// strict JSON, the figure, and a run with a curve trains exactly as one without.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/experiment/learning_curve.hpp"
#include "induct/experiment/pipeline.hpp"
#include "induct/experiment/seeds.hpp"

namespace ex = induct::experiment;

namespace {

// A curve of one (task, format, n) per entry of `errors`, at steps 0, 100, 200, ...
ex::result_table hand_curve(const std::vector<std::vector<double>>& errors) {
  ex::result_table curve(ex::learning_curve_columns());
  const std::size_t checkpoints = errors.front().size();
  for (std::size_t k = 0; k < checkpoints; ++k)
    for (std::size_t e = 0; e < errors.size(); ++e) {
      const double x = errors[e][k], nan = std::nan("");
      // In learning_curve_columns() order (whole rows: GCC 12 warns falsely on cells set one by one here).
      curve.add_row({static_cast<long long>(100 * k), static_cast<long long>(100 * k * 64), std::string("lookup"),
                     std::string("direct"), static_cast<long long>(4 * e), 100LL, std::string(), x,
                     std::max(0.0, x - 0.05), std::min(1.0, x + 0.05), nan, nan, nan, nan});
    }
  return curve;
}

}  // namespace

TEST_CASE("emergence: the first step from which the error stays at or below the threshold") {
  // n = 0 never falls; n = 4 dips to 0.05 at step 100, rises to 0.2, then stays below from step 300;
  // n = 8 ends above the threshold after being below; NaN counts as not emerged.
  const auto curve = hand_curve({{0.9, 0.8, 0.85, 0.8, 0.9},
                                 {0.9, 0.05, 0.2, 0.08, 0.02},
                                 {0.9, 0.05, 0.04, 0.03, 0.2},
                                 {0.5, 0.1, std::nan(""), 0.0, 0.0}});
  const auto e = ex::emergence_table(curve, 0.1);
  REQUIRE(e.row_count() == 4);
  CHECK(e.number(0, "examples") == 0);
  CHECK(std::isnan(e.number(0, "emergence_step")));
  CHECK(e.number(1, "emergence_step") == 300);
  CHECK(std::isnan(e.number(2, "emergence_step")));
  CHECK(e.number(3, "emergence_step") == 300);
  CHECK(e.number(1, "first_error") == 0.9);
  CHECK(e.number(1, "final_error") == 0.02);
  CHECK(e.number(1, "checkpoints") == 5);
  // The threshold is inclusive: 0.1 at step 100 counts for n = 12 at threshold 0.1 only.
  CHECK(ex::emergence_table(hand_curve({{0.5, 0.1, 0.1}}), 0.1).number(0, "emergence_step") == 100);
  CHECK(std::isnan(ex::emergence_table(hand_curve({{0.5, 0.1, 0.1}}), 0.09).number(0, "emergence_step")));
}

TEST_CASE("emergence across seeds: each seed's step, how many emerged, min, max and median of those") {
  const auto a = hand_curve({{0.9, 0.05, 0.0}, {0.9, 0.9, 0.9}});  // n = 0 from 100, n = 4 never
  const auto b = hand_curve({{0.9, 0.5, 0.0}, {0.9, 0.9, 0.0}});   // from 200, from 200
  const auto c = hand_curve({{0.0, 0.0, 0.0}, {0.9, 0.9, 0.9}});   // from 0, never
  const auto across = ex::emergence_across_seeds({1, 2, 3}, {a, b, c}, 0.1);
  REQUIRE(across.row_count() == 2);
  CHECK(across.text(0, "emergence_step_seeds") == "100 200 0");
  CHECK(across.number(0, "emerged") == 3);
  CHECK(across.number(0, "emergence_step_min") == 0);
  CHECK(across.number(0, "emergence_step_max") == 200);
  CHECK(across.number(0, "emergence_step_median") == 100);
  CHECK(across.text(1, "emergence_step_seeds") == "- 200 -");
  CHECK(across.number(1, "emerged") == 1);
  CHECK(across.number(1, "emergence_step_median") == 200);
  const auto none = ex::emergence_across_seeds({1}, {hand_curve({{0.9, 0.9}})}, 0.1);
  CHECK(std::isnan(none.number(0, "emergence_step_median")));
  CHECK_THROWS_AS(ex::emergence_across_seeds({1, 2}, {a, hand_curve({{0.9, 0.9, 0.9}})}, 0.1), induct::error);
  CHECK_THROWS_AS(ex::emergence_across_seeds({1, 2}, {a}, 0.1), induct::error);
  CHECK(ex::emergence_text(across).find("lookup direct n=0        emerged in 3 of 3 seeds, steps 100 200 0 (median 100)") !=
        std::string::npos);
}

TEST_CASE("learning_curve_config: strict JSON, bounds, and an enabled curve needs n values") {
  ex::learning_curve_config c;
  CHECK_FALSE(c.enabled());
  c.every = 500;
  c.examples = {0, 16};
  const auto back = ex::learning_curve_config::from_json(c.to_json());
  CHECK(back.every == 500);
  CHECK(back.examples == std::vector<int>{0, 16});
  CHECK(back.prompts == 200);
  CHECK_THROWS_WITH_AS(ex::learning_curve_config::from_json({{"evry", 5}}), doctest::Contains("evry"), induct::config_error);
  CHECK_THROWS_WITH_AS(ex::learning_curve_config::from_json({{"every", -1}}), doctest::Contains("every"), induct::config_error);
  CHECK_THROWS_WITH_AS(ex::learning_curve_config::from_json({{"threshold", 1.5}}), doctest::Contains("threshold"),
                       induct::config_error);
  CHECK_THROWS_WITH_AS(ex::learning_curve_config::from_json({{"every", 5}, {"examples", nlohmann::json::array()}}),
                       doctest::Contains("examples"), induct::config_error);
}

TEST_CASE("learning_curve_figure: a panel per task and format, a curve per n with its band, the threshold") {
  const auto curve = hand_curve({{0.9, 0.05, 0.0}, {0.9, 0.5, 0.2}});
  const auto fig = ex::learning_curve_figure(curve, 0.1, "t");
  REQUIRE(fig.panels.size() == 1);
  const auto& chart = std::get<ex::line_chart>(fig.panels[0]);
  REQUIRE(chart.series.size() == 3);
  CHECK(chart.series[0].name == "n = 0");
  CHECK(chart.series[1].x == std::vector<double>{0, 100, 200});
  CHECK(chart.series[1].y == std::vector<double>{0.9, 0.5, 0.2});
  CHECK(chart.series[1].band_high[1] == doctest::Approx(0.55));
  CHECK(chart.series[2].y == std::vector<double>{0.1, 0.1});
  // Across seeds: the mean and the seeds-and-prompts band.
  const auto combined = ex::combine_seed_tables({1, 2}, {curve, hand_curve({{0.7, 0.15, 0.0}, {0.9, 0.3, 0.0}})});
  const auto combined_figure = ex::learning_curve_figure(combined, 0.1, "t");
  const auto& mean = std::get<ex::line_chart>(combined_figure.panels[0]);
  CHECK(mean.series[1].y[2] == doctest::Approx(0.1));
  CHECK(mean.y_label.find("mean over seeds") != std::string::npos);
  CHECK(mean.series[1].band_low[2] == combined.number(5, "model_query_error_rate_boot_low"));
}

TEST_CASE("a run with a learning curve trains exactly as one without, and the curve's last checkpoint is its evaluation") {
  ex::run_config config;
  config.setup.entities = 16;
  config.setup.functions = 4;
  config.setup.max_depth = 2;
  config.corpus_tokens = 20000;
  config.model.layers = 1;
  config.model.width = 16;
  config.model.heads = 2;
  config.model.context_length = 32;
  config.training.batch = 4;
  config.training.steps = 5;
  config.training.warmup_steps = 1;
  config.evaluation.examples = {0, 2};
  config.evaluation.prompts = 6;
  config.tasks = {{"lookup", induct::setup::list_format::direct}, {"novel2", induct::setup::list_format::stepwise}};
  const auto plain = ex::run_experiment(config);
  ex::learning_curve_config curve;
  curve.every = 2;
  curve.examples = {0, 2, 24};  // 24 does not fit the context of 32
  curve.prompts = 6;
  const auto with = ex::run_experiment(config, {}, curve);
  CHECK(with.table.to_csv() == plain.table.to_csv());
  CHECK(with.training.final_loss == plain.training.final_loss);
  CHECK(with.training.validation_loss == plain.training.validation_loss);
  CHECK(plain.curve.row_count() == 0);
  // Checkpoints 0, 2, 4 and the last step 5; two tasks, n = 0 and 2.
  REQUIRE(with.curve.row_count() == 4 * 2 * 2);
  CHECK(with.curve.number(0, "step") == 0);
  CHECK(std::isnan(with.curve.number(0, "model_training_loss")));
  CHECK(with.curve.number(4, "step") == 2);
  CHECK(with.curve.number(4, "tokens_seen") == 2 * 4 * 32);
  CHECK(with.curve.number(4, "model_training_loss") > 0);
  CHECK(with.curve.number(15, "step") == 5);
  CHECK(with.curve.text(2, "held_out_of") == "both");  // novel2: the held-out chains
  REQUIRE(with.curve_skipped.size() == 2);
  CHECK(with.curve_skipped[0].find("n=24") != std::string::npos);
  // Same model, prompts and seed at the last checkpoint as the final evaluation: the same figures.
  for (std::size_t r = 0; r < 4; ++r)
    for (const char* c : {"model_query_error_rate", "model_mean_cum_loss_bits", "ideal_query_error_rate"})
      CHECK(with.curve.number(12 + r, c) == with.table.number(r, c));
  CHECK(with.curve_seconds > 0);
}
