// The controls of structure_probe.hpp: the q-only control of the hidden_f1 probe (the held-out accuracy
// of the best classifier that sees only the query q, against hand counts), the control task's labels
// (a fixed random function of the input type), and on whole probe runs of a tiny model: the rows per task
// and format, selectivity, the random-init baseline and the compose2-vs-compose3 probe.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <string>
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

namespace {

const induct::setup::world& tiny_world() {
  static const induct::setup::world world = [] {
    induct::setup::setup_config config;
    config.entities = 8;
    config.functions = 1;  // f_1 is always the same map: f_1(q) is a function of q
    config.filler_words = 2;
    config.max_depth = 3;
    return induct::setup::world(config);
  }();
  return world;
}

induct::nn::gpt<float> tiny_model(const induct::setup::world& world, std::uint64_t seed) {
  induct::nn::gpt_config shape;
  shape.vocab_size = static_cast<int>(world.vocab().size());
  shape.context_length = 32;
  shape.layers = 1;
  shape.width = 16;
  shape.heads = 2;
  induct::nn::gpt<float> model(shape);
  model.initialize(seed);
  return model;
}

ex::structure_probe_options tiny_options() {
  ex::structure_probe_options options;
  options.prompts_per_task = 40;
  options.examples = 2;
  options.probe.max_iterations = 50;
  return options;
}

// The run the tests below read: model initialised with seed 5, random-init baseline with seed 1.
const ex::structure_probe_result& tiny_run() {
  static const ex::structure_probe_result result = [] {
    auto model = tiny_model(tiny_world(), 5);
    return ex::probe_structure(model, tiny_world(), tiny_options());
  }();
  return result;
}

}  // namespace

TEST_CASE("control task labels are a fixed random function of the type, drawn from the label distribution") {
  induct::random_engine rng(3);
  const int rows = 4000;
  std::vector<int> labels(rows), types(rows);
  for (int i = 0; i < rows; ++i) {
    labels[static_cast<std::size_t>(i)] = rng.uniform() < 0.75 ? 0 : 2;  // label 1 never occurs
    types[static_cast<std::size_t>(i)] = static_cast<int>(rng.below(1000));
  }
  const auto control = ex::control_task_labels(labels, types, 11);
  REQUIRE(control.size() == labels.size());
  std::map<int, int> by_type;
  for (std::size_t i = 0; i < control.size(); ++i) {
    // The formula of the header: c(v) = labels[j_v], j_v from stream v of the seed.
    auto stream = induct::random_engine::for_stream(11, static_cast<std::uint64_t>(types[i]));
    CHECK(control[i] == labels[static_cast<std::size_t>(stream.below(labels.size()))]);
    const auto [it, fresh] = by_type.emplace(types[i], control[i]);
    CHECK(it->second == control[i]);  // one label per type
    CHECK(control[i] != 1);           // only labels that occur
  }
  // Over the ~1000 types, about 3/4 get label 0 (the empirical distribution).
  int zeros = 0;
  for (const auto& [type, label] : by_type) zeros += label == 0;
  const double share = static_cast<double>(zeros) / static_cast<double>(by_type.size());
  CHECK(share > 0.70);
  CHECK(share < 0.80);
  // Fixed by the seed: the same seed repeats, another seed changes some types' labels.
  CHECK(ex::control_task_labels(labels, types, 11) == control);
  CHECK(ex::control_task_labels(labels, types, 12) != control);
  // Bad input is rejected.
  CHECK_THROWS_AS(ex::control_task_labels(labels, std::vector<int>(3, 0), 1), induct::error);
  std::vector<int> negative = types;
  negative[5] = -1;
  CHECK_THROWS_AS(ex::control_task_labels(labels, negative, 1), induct::error);
  CHECK(ex::control_task_labels(std::vector<int>{}, std::vector<int>{}, 1).empty());
}

TEST_CASE("probe_structure reports the q-only control beside hidden_f1 only, and draws the pooled rows") {
  const auto& result = tiny_run();
  REQUIRE(result.table.has_column("q_only_control"));
  std::size_t hidden_rows = 0;
  for (std::size_t r = 0; r < result.table.row_count(); ++r) {
    const double control = result.table.number(r, "q_only_control");
    if (result.table.text(r, "feature") == "hidden_f1") {
      ++hidden_rows;
      CHECK(control == 1.0);  // one function: f_1(q) is a function of q
    } else {
      CHECK(std::isnan(control));  // no control for the other features (missing cell)
    }
  }
  CHECK(hidden_rows == 2 * 3);  // (embeddings + 1 block) x (pooled, compose2 direct, compose3 direct)
  const auto chart = ex::probe_chart(result.table, "probes");
  bool drawn = false;
  for (const auto& s : chart.series) {
    CHECK(s.x.size() == 2);  // pooled rows only: one point per layer
    if (s.name == "hidden_f1 control: q only (dashed, dots)") {
      drawn = true;
      CHECK(s.dashed);
      CHECK(s.markers);
      CHECK(s.y == std::vector<double>{1.0, 1.0});
    }
  }
  CHECK(drawn);
  CHECK(induct_test::svg_problem(ex::render_svg(ex::probe_chart(result.table, "probes"))).empty());
  // A table without the columns (written before they existed) still charts.
  ex::result_table old({"feature", "layer", "test_accuracy", "majority_baseline"});
  old.add_row({std::string("depth"), 0LL, 0.5, 0.25});
  CHECK(ex::probe_chart(old, "old").series.size() == 2);
}

TEST_CASE("probe_structure breaks every probe down by task and format beside the pooled row") {
  const auto& t = tiny_run().table;
  // (feature, layer) -> pooled (test size, hits) and the sums over the task-format rows.
  struct sums {
    double pooled_size = -1, pooled_hits = 0, size = 0, hits = 0;
    std::set<std::string> subsets;
  };
  std::map<std::pair<std::string, double>, sums> by_probe;
  for (std::size_t r = 0; r < t.row_count(); ++r) {
    auto& s = by_probe[{t.text(r, "feature"), t.number(r, "layer")}];
    const double size = t.number(r, "test_size"), hits = size * t.number(r, "test_accuracy");
    if (t.text(r, "task") == "all") {
      CHECK(t.text(r, "format") == "all");
      CHECK(std::isnan(t.number(r, "icl_accuracy")));
      s.pooled_size = size;
      s.pooled_hits = hits;
    } else {
      s.subsets.insert(t.text(r, "task") + " " + t.text(r, "format"));
      s.size += size;
      s.hits += hits;
      const double icl = t.number(r, "icl_accuracy");
      CHECK(icl >= 0.0);
      CHECK(icl <= 1.0);
    }
  }
  // 5 features x 2 layers: with one function, first_function has a single label and no rows.
  REQUIRE(by_probe.size() == 5 * 2);
  for (const auto& [key, s] : by_probe) CHECK(key.first != "first_function");
  for (const auto& [key, s] : by_probe) {
    INFO(key.first << " layer " << key.second);
    CHECK(s.pooled_size > 0);
    CHECK(s.size == s.pooled_size);  // the task-format rows partition the pooled held-out rows
    CHECK(s.hits == doctest::Approx(s.pooled_hits).epsilon(1e-9));
    const std::string& f = key.first;
    if (f == "token_role" || f == "item_index")
      CHECK(s.subsets == std::set<std::string>{"lookup direct", "compose2 direct", "compose3 direct", "compose2 stepwise"});
    else if (f == "depth")
      CHECK(s.subsets == std::set<std::string>{"lookup direct", "compose2 direct", "compose3 direct"});
    else
      CHECK(s.subsets == std::set<std::string>{"compose2 direct", "compose3 direct"});
  }
}

TEST_CASE("selectivity is the probe's accuracy minus its accuracy on the control task") {
  const auto& t = tiny_run().table;
  bool below_one = false;
  for (std::size_t r = 0; r < t.row_count(); ++r) {
    const double accuracy = t.number(r, "test_accuracy"), control = t.number(r, "control_task_accuracy");
    REQUIRE(std::isfinite(control));
    CHECK(control >= 0.0);
    CHECK(control <= 1.0);
    CHECK(t.number(r, "selectivity") == accuracy - control);
    below_one = below_one || control < 1.0;
  }
  CHECK(below_one);  // random labels per type are not all recoverable
  // The controls chart: per feature, selectivity and the gain over the random-init model, one point per layer.
  const auto chart = ex::probe_controls_chart(t, "controls");
  CHECK(chart.series.size() == 5 * 2);
  for (const auto& s : chart.series) CHECK(s.x == std::vector<double>{0.0, 1.0});
  CHECK(induct_test::svg_problem(ex::render_svg(chart)).empty());
  CHECK(ex::probe_controls_chart(ex::result_table({"feature", "layer"}), "old").series.empty());
}

TEST_CASE("the random-init baseline is an untrained model of the same shape, initialised with its seed") {
  const auto& trained = tiny_run().table;
  // With the model's own initialisation seed the baseline is the same model: every accuracy repeats.
  auto model = tiny_model(tiny_world(), 5);
  auto options = tiny_options();
  options.random_init_seed = 5;
  const auto same = ex::probe_structure(model, tiny_world(), options).table;
  REQUIRE(same.row_count() == trained.row_count());
  bool differs = false;
  for (std::size_t r = 0; r < same.row_count(); ++r) {
    CHECK(same.number(r, "random_init_accuracy") == same.number(r, "test_accuracy"));
    CHECK(same.number(r, "test_accuracy") == trained.number(r, "test_accuracy"));  // the model's own probes unchanged
    differs = differs || trained.number(r, "random_init_accuracy") != trained.number(r, "test_accuracy");
  }
  CHECK(differs);  // another seed gives other probes
  // Without the baseline the column is missing.
  options.random_init_baseline = false;
  const auto without = ex::probe_structure(model, tiny_world(), options).table;
  for (std::size_t r = 0; r < without.row_count(); ++r) CHECK(std::isnan(without.number(r, "random_init_accuracy")));
}

TEST_CASE("composite_depth separates compose2 from compose3 on balanced prompts") {
  const auto& t = tiny_run().table;
  std::size_t pooled = 0;
  for (std::size_t r = 0; r < t.row_count(); ++r) {
    if (t.text(r, "feature") != "composite_depth") continue;
    CHECK(t.number(r, "classes") == 2);
    if (t.text(r, "task") != "all") {
      // Within one task the depth is constant, so the pooled majority is right on all or none of it.
      const double baseline = t.number(r, "majority_baseline");
      CHECK((baseline == 0.0 || baseline == 1.0));
      continue;
    }
    ++pooled;
    CHECK(t.number(r, "train_size") + t.number(r, "test_size") == 2 * 40);  // the compose2 and compose3 prompts
    const double baseline = t.number(r, "majority_baseline");
    CHECK(baseline > 0.3);  // 40 + 40 prompts: near 0.5 on the 20 held out
    CHECK(baseline < 0.7);
  }
  CHECK(pooled == 2);
}

TEST_CASE("structure_probe_options::validate names the field") {
  ex::structure_probe_options options;
  CHECK_NOTHROW(options.validate());
  options.examples = 0;
  CHECK_THROWS_AS(options.validate(), induct::config_error);
  options = {};
  options.prompts_per_task = 0;
  CHECK_THROWS_AS(options.validate(), induct::config_error);
  options = {};
  options.max_token_rows = 0;
  CHECK_THROWS_AS(options.validate(), induct::config_error);
}

TEST_CASE("query patching: identity at the embeddings, the donor's answer after the last block, a row per task and layer") {
  induct::setup::setup_config config;
  config.entities = 8;
  config.functions = 3;
  config.filler_words = 2;
  config.max_depth = 3;
  const induct::setup::world world(config);
  induct::nn::gpt_config shape;
  shape.vocab_size = static_cast<int>(world.vocab().size());
  shape.context_length = 32;
  shape.layers = 2;
  shape.width = 16;
  shape.heads = 2;
  induct::nn::gpt<float> model(shape);
  model.initialize(8);
  // Scaled weights: sharp attention, so that the output at ':' depends on the examples (at the GPT-2 scale
  // an untrained model gives the same argmax on every prompt, and every patch would look like a success).
  for (auto& w : model.parameters()) w *= 30.0f;
  ex::query_patching_options options;
  options.pairs_per_task = 20;
  options.examples = 2;
  const auto t = ex::patch_query_residual(model, world, options).table;
  REQUIRE(t.row_count() == 3 * 3);  // lookup, compose2, compose3 x layers 0, 1, 2
  for (std::size_t r = 0; r < t.row_count(); ++r) {
    INFO(t.text(r, "task") << " layer " << t.number(r, "layer"));
    CHECK(t.number(r, "pairs") == 20);
    for (const char* c : {"clean_a_accuracy", "clean_b_accuracy", "patched_to_b", "patched_keeps_a", "control_keeps_a"}) {
      CHECK(t.number(r, c) >= 0.0);
      CHECK(t.number(r, c) <= 1.0);
    }
    // A's answer and B's differ, so no argmax is both.
    CHECK(t.number(r, "patched_to_b") + t.number(r, "patched_keeps_a") <= 1.0);
    const double layer = t.number(r, "layer");
    if (layer == 0) {  // the same ':' at the same position: the patch changes nothing
      CHECK(t.number(r, "patched_keeps_a") == t.number(r, "clean_a_accuracy"));
      CHECK(t.number(r, "control_keeps_a") == t.number(r, "clean_a_accuracy"));
      CHECK(t.number(r, "control_argmax_is_a") == 1.0);
      CHECK(t.number(r, "patched_argmax_is_b") < 0.9);  // B's own output differs from A's on some pairs
    }
    if (layer == 2) {  // after the last block the position's logits are the donor's
      CHECK(t.number(r, "patched_argmax_is_b") == 1.0);
      CHECK(t.number(r, "patched_to_b") == t.number(r, "clean_b_accuracy"));
    }
  }
  // One function: every chain agrees on every q, so no pair exists and there are no rows.
  auto one = tiny_model(tiny_world(), 5);
  CHECK(ex::patch_query_residual(one, tiny_world(), options).table.row_count() == 0);
  options.pairs_per_task = 0;
  CHECK_THROWS_AS(options.validate(), induct::config_error);
}
