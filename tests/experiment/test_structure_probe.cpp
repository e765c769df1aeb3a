// The q-only control of the hidden_f1 probe (structure_probe.hpp): the held-out accuracy of the best
// classifier that sees only the query q, checked against hand counts and on a whole probe run.
#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <vector>

#include "induct/core/random.hpp"
#include "induct/experiment/structure_probe.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/setup/world.hpp"
#include "xml_check.hpp"

namespace ex = induct::experiment;

TEST_CASE("control accuracy equals the hand count on both possible splits of two groups") {
  // Two groups; the split holds out exactly one of them. Rows are (q, label).
  // Group 0: (0,1) (0,1) (0,2) (1,3) (1,3) (2,0) (2,1)
  // Group 1: (0,1) (0,2) (1,3) (2,1) (3,2)
  const std::vector<int> control = {0, 0, 0, 1, 1, 2, 2, /**/ 0, 0, 1, 2, 3};
  const std::vector<int> labels = {1, 1, 2, 3, 3, 0, 1, /**/ 1, 2, 3, 1, 2};
  const std::vector<int> groups = {0, 0, 0, 0, 0, 0, 0, /**/ 1, 1, 1, 1, 1};
  // Group 0 trains: q0 -> 1 (2 of 3), q1 -> 3, q2 -> 0 (tie 0/1, lowest), q3 unseen -> majority 1 (3 of 7).
  // On group 1: (0,1) hit, (0,2) miss, (1,3) hit, (2,1) miss, (3,2) miss: 2 / 5.
  const double group0_trains = 2.0 / 5.0;
  // Group 1 trains: q0 -> 1 (tie 1/2, lowest), q1 -> 3, q2 -> 1, q3 -> 2.
  // On group 0: hits (0,1) (0,1) (1,3) (1,3) (2,1), misses (0,2) (2,0): 5 / 7.
  const double group1_trains = 5.0 / 7.0;
  std::set<int> held_out_groups;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    ex::probe_options options;
    options.seed = seed;
    const auto split = ex::split_probe_rows(labels.size(), groups, options);
    REQUIRE(!split.test_rows.empty());
    const int held = groups[static_cast<std::size_t>(split.test_rows.front())];
    held_out_groups.insert(held);
    const double expected = held == 1 ? group0_trains : group1_trains;
    CHECK(ex::control_accuracy(labels, control, groups, options) == doctest::Approx(expected).epsilon(1e-15));
  }
  CHECK(held_out_groups.size() == 2);  // both cases were exercised
}

TEST_CASE("labels that are a function of q give control 1; labels independent of q fall to about the baseline") {
  induct::random_engine rng(17);
  const int rows = 800;
  std::vector<int> q(rows), function_of_q(rows), independent(rows), groups(rows);
  for (int i = 0; i < rows; ++i) {
    q[static_cast<std::size_t>(i)] = static_cast<int>(rng.below(10));
    function_of_q[static_cast<std::size_t>(i)] = (3 * q[static_cast<std::size_t>(i)] + 1) % 7;
    independent[static_cast<std::size_t>(i)] = static_cast<int>(rng.below(4));
    groups[static_cast<std::size_t>(i)] = i / 4;
  }
  CHECK(ex::control_accuracy(function_of_q, q, groups) == 1.0);
  // Independent labels: q carries nothing, so the control is near chance (1/4) on 200 held-out rows.
  const double chance = ex::control_accuracy(independent, q, groups);
  CHECK(chance > 0.12);
  CHECK(chance < 0.40);
  // Bad input is rejected.
  const std::vector<int> short_control(3, 0);
  CHECK_THROWS_AS(ex::control_accuracy(function_of_q, short_control, groups), induct::error);
  std::vector<int> negative = q;
  negative[0] = -1;
  CHECK_THROWS_AS(ex::control_accuracy(function_of_q, negative, groups), induct::error);
}

TEST_CASE("probe_structure reports the q-only control beside hidden_f1 only, and draws it") {
  // One function: f_1 is always the same map, so f_1(q) is a function of q and the control is exactly 1.
  induct::setup::setup_config config;
  config.entities = 8;
  config.functions = 1;
  config.filler_words = 2;
  config.max_depth = 3;
  const induct::setup::world world(config);
  induct::nn::gpt_config shape;
  shape.vocab_size = static_cast<int>(world.vocab().size());
  shape.context_length = 32;
  shape.layers = 1;
  shape.width = 16;
  shape.heads = 2;
  induct::nn::gpt<float> model(shape);
  model.initialize(5);
  ex::structure_probe_options options;
  options.prompts_per_task = 40;
  options.examples = 2;
  options.probe.max_iterations = 50;
  const auto result = ex::probe_structure(model, world, options);
  REQUIRE(result.table.has_column("q_only_control"));
  std::size_t hidden_rows = 0;
  for (std::size_t r = 0; r < result.table.row_count(); ++r) {
    const double control = result.table.number(r, "q_only_control");
    if (result.table.text(r, "feature") == "hidden_f1") {
      ++hidden_rows;
      CHECK(control == 1.0);
    } else {
      CHECK(std::isnan(control));  // no control for the other features (missing cell)
    }
  }
  CHECK(hidden_rows == 2);  // embeddings + 1 block
  const auto chart = ex::probe_chart(result.table, "probes");
  bool drawn = false;
  for (const auto& s : chart.series)
    if (s.name == "hidden_f1 control: q only (dashed, dots)") {
      drawn = true;
      CHECK(s.dashed);
      CHECK(s.markers);
      CHECK(s.y == std::vector<double>{1.0, 1.0});
    }
  CHECK(drawn);
  CHECK(induct_test::svg_problem(ex::render_svg(ex::probe_chart(result.table, "probes"))).empty());
  // A table without the column (written before it existed) still charts.
  ex::result_table old({"feature", "layer", "test_accuracy", "majority_baseline"});
  old.add_row({std::string("depth"), 0LL, 0.5, 0.25});
  CHECK(ex::probe_chart(old, "old").series.size() == 2);
}
