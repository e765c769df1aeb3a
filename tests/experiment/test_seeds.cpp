// combine_seed_tables (experiment/seeds.hpp): per-seed evaluation tables joined into mean, range, per-seed
// values and the seeds-and-prompts bootstrap, with theory columns checked equal across seeds.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/experiment/evaluation_plots.hpp"
#include "induct/experiment/seeds.hpp"
#include "induct/theory/statistics.hpp"

namespace ex = induct::experiment;

namespace {

ex::result_table seed_table(double model_error, double k_bits) {
  ex::result_table t({"task", "format", "examples", "prompts", "bound_cum_bits", "ideal_error_rate", "model_error_rate",
                      "model_ci_low", "model_ci_high", "K_bits"});
  t.add_row({std::string("lookup"), std::string("direct"), 0LL, 100LL, 3.0, 0.8, model_error, model_error - 0.05,
             model_error + 0.05, k_bits});
  t.add_row({std::string("lookup"), std::string("direct"), 8LL, 100LL, 3.0, 0.0, model_error / 2, 0.0, 0.1, k_bits * 2});
  return t;
}

}  // namespace

TEST_CASE("combine_seed_tables: mean, range and per-seed values of model columns; theory columns copied") {
  const std::vector<std::uint64_t> seeds{1, 2, 3};
  const std::vector<ex::result_table> tables{seed_table(0.30, 1.0), seed_table(0.10, 2.0), seed_table(0.20, 6.0)};
  const auto combined = ex::combine_seed_tables(seeds, tables);
  REQUIRE(combined.row_count() == 2);
  CHECK(combined.number(0, "seeds") == 3);
  CHECK(combined.text(0, "training_seeds") == "1 2 3");
  CHECK(combined.text(0, "task") == "lookup");
  CHECK(combined.number(0, "bound_cum_bits") == 3.0);
  CHECK(combined.number(0, "ideal_error_rate") == 0.8);
  CHECK(combined.number(0, "model_error_rate_mean") == doctest::Approx(0.2));
  CHECK(combined.number(0, "model_error_rate_min") == 0.10);
  CHECK(combined.number(0, "model_error_rate_max") == 0.30);
  CHECK(combined.text(0, "model_error_rate_seeds") == "0.3 0.1 0.2");
  CHECK(combined.text(0, "model_ci_low_seeds").rfind("0.25 0.05 0.15", 0) == 0);  // 0.2 - 0.05 prints as 0.15000000000000002
  CHECK_FALSE(combined.has_column("model_ci_low_mean"));
  CHECK(combined.number(1, "K_bits_mean") == doctest::Approx(6.0));
  CHECK(combined.number(1, "K_bits_max") == 12.0);
  CHECK_FALSE(combined.has_column("K_bits_boot_low"));
  // The bootstrap interval is the library's on the per-seed counts (30, 10, 20 of 100), row 0 seeded 1.
  const std::vector<std::uint64_t> errors{30, 10, 20}, prompts{100, 100, 100};
  const auto interval = induct::theory::seed_bootstrap_interval(errors, prompts, 0.05, 2000, 1);
  CHECK(combined.number(0, "model_error_rate_boot_low") == interval.low);
  CHECK(combined.number(0, "model_error_rate_boot_high") == interval.high);
  CHECK(interval.low < 0.15);
  CHECK(interval.high > 0.25);
  // One seed: a degenerate range, and the bootstrap over its prompts alone.
  const auto single = ex::combine_seed_tables({7}, {seed_table(0.2, 1.0)});
  CHECK(single.number(0, "model_error_rate_min") == single.number(0, "model_error_rate_max"));
  CHECK(single.text(0, "training_seeds") == "7");
}

TEST_CASE("combine_seed_tables refuses tables that are not the same prompts") {
  auto other = seed_table(0.2, 1.0);
  ex::result_table shifted({"task", "format", "examples", "prompts", "bound_cum_bits", "ideal_error_rate",
                            "model_error_rate", "model_ci_low", "model_ci_high", "K_bits"});
  shifted.add_row({std::string("lookup"), std::string("direct"), 0LL, 100LL, 3.0, 0.7, 0.2, 0.1, 0.3, 1.0});
  shifted.add_row({std::string("lookup"), std::string("direct"), 8LL, 100LL, 3.0, 0.0, 0.1, 0.0, 0.1, 1.0});
  CHECK_THROWS_WITH_AS(ex::combine_seed_tables({1, 2}, {other, shifted}),
                       doctest::Contains("column 'ideal_error_rate' is 0.8 for seed 1 but 0.7 for seed 2"), induct::error);
  ex::result_table short_table(other.columns());
  short_table.add_row(std::vector<ex::table_cell>(other.rows()[0]));
  CHECK_THROWS_WITH_AS(ex::combine_seed_tables({1, 2}, {other, short_table}), doctest::Contains("has 1 rows"), induct::error);
  CHECK_THROWS_AS(ex::combine_seed_tables({1}, {}), induct::error);
}

TEST_CASE("seed_error_chart: each seed's curve, the mean with the bootstrap band, the idealized predictor") {
  const auto table = [](double model_error) {
    ex::result_table t({"task", "format", "examples", "prompts", "bound_mistakes_per_example", "ideal_query_error_rate",
                        "model_query_error_rate", "model_query_ci_low", "model_query_ci_high"});
    t.add_row({std::string("lookup"), std::string("direct"), 1LL, 100LL, 5.0, 0.5, model_error, 0.0, 1.0});
    t.add_row({std::string("lookup"), std::string("direct"), 4LL, 100LL, 1.5, 0.1, model_error / 4, 0.0, 1.0});
    t.add_row({std::string("novel2"), std::string("stepwise"), 1LL, 100LL, 9.0, 0.6, 0.9, 0.8, 1.0});
    return t;
  };
  const auto across = ex::combine_seed_tables({1, 2, 3}, {table(0.40), table(0.20), table(0.60)});
  const auto chart = ex::seed_error_chart(across, "lookup", "direct");
  // bound, idealized, three seeds, the mean
  REQUIRE(chart.series.size() == 6);
  CHECK(chart.series[1].y == std::vector<double>{0.5, 0.1});
  for (int k = 0; k < 3; ++k) {
    CHECK(chart.series[2 + k].x == std::vector<double>{1.0, 4.0});
    CHECK(chart.series[2 + k].in_legend == (k == 0));
  }
  CHECK(chart.series[2].y == std::vector<double>{0.40, 0.10});
  CHECK(chart.series[4].y == std::vector<double>{0.60, 0.15});
  const auto& mean = chart.series[5];
  CHECK(mean.y[0] == doctest::Approx(0.40));
  CHECK(mean.y[1] == doctest::Approx(0.10));
  REQUIRE(mean.band_low.size() == 2);
  CHECK(mean.band_low[0] == across.number(0, "model_query_error_rate_boot_low"));
  CHECK(mean.band_high[0] == across.number(0, "model_query_error_rate_boot_high"));
  CHECK(mean.band_low[0] < 0.3);
  CHECK(mean.band_high[0] > 0.5);
  CHECK(mean.name.find("mean of 3 seeds") != std::string::npos);
  CHECK(ex::seed_error_figure(across, "t").panels.size() == 2);  // lookup direct, novel2 stepwise
}
