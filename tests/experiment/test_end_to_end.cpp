// A miniature end-to-end run: the demo's reduced world and a tiny model, fixed seeds. It must reach the
// stated ICL effect: lookup error at n = 8 at most half of the error at n = 0 (measured, seed 1, 2
// threads, AVX2 kernels: 0.65 and 0.21; with 300 instead of 3000 steps the effect is absent, 0.88 and 0.82).
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "induct/core/atomic_file.hpp"
#include "induct/experiment/demo.hpp"
#include "induct/experiment/exposure.hpp"
#include "induct/experiment/scaling.hpp"
#include "induct/experiment/structure_probe.hpp"
#include "xml_check.hpp"

namespace ex = induct::experiment;

namespace {

// The demo's reduced quick configuration (docs/results.md): about 15 s of CPU.
ex::run_config miniature_config() { return ex::reduced_demo_config(); }

const std::filesystem::path& miniature_dir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / "induct_test_miniature";
    std::filesystem::remove_all(d);
    return d;
  }();
  return dir;
}

// One training run shared by the test cases (trained on first use).
const ex::run_result& miniature_run() {
  static const ex::run_result result = [] {
    std::ostringstream console;
    return ex::run_demo(miniature_config(), miniature_dir(), console, false);
  }();
  return result;
}

}  // namespace

TEST_CASE("miniature end-to-end run shows in-context learning on lookup") {
  const auto& run = miniature_run();
  const double at0 = ex::error_at(run.table, "lookup", "direct", 0);
  const double at8 = ex::error_at(run.table, "lookup", "direct", 8);
  MESSAGE("lookup error: n = 0 ", at0, ", n = 8 ", at8, "; training ", run.training_seconds, " s");
  REQUIRE(std::isfinite(at0));
  REQUIRE(std::isfinite(at8));
  CHECK(at0 > 0.4);           // without examples the task is ambiguous (4 functions)
  CHECK(at8 <= 0.5 * at0);    // the stated ICL effect
  // The idealized predictor is exact and near-perfect with 8 examples of one of 4 functions.
  CHECK(ex::error_at(run.table, "lookup", "direct", 8, "ideal_query_error_rate") <= 0.05);
}

TEST_CASE("miniature run outputs: every column, valid SVGs, a loadable model") {
  const auto& run = miniature_run();
  auto columns = ex::evaluation_columns();
  for (const auto& c : ex::exposure_columns()) columns.push_back(c);
  columns.emplace_back("train_answer_loss_weight");
  columns.emplace_back("train_input_loss_weight");
  CHECK(run.table.columns() == columns);
  CHECK(run.table.row_count() == 25);  // 5 task formats (lookup, compose2 x 2, novel2 x 2) x 5 n values (0, 1, 2, 4, 8)
  for (std::size_t r = 0; r < run.table.row_count(); ++r) {
    const bool novel = run.table.text(r, "task") == "novel2";
    CHECK(run.table.text(r, "held_out_of") == (novel ? "both" : ""));
    // The corpus never used a held-out chain in a list; it used the seen ones.
    CHECK((run.table.number(r, "corpus_direct_lists_per_chain") == 0) == novel);
  }
  const auto& dir = miniature_dir();
  const auto back = ex::read_json_table(dir / "results.json");
  CHECK(back.columns() == columns);
  CHECK(back.row_count() == run.table.row_count());
  for (const char* name : {"error_vs_n.svg", "lookup_direct.svg", "compose2_stepwise.svg", "stepwise_vs_direct.svg"}) {
    INFO(name);
    REQUIRE(std::filesystem::exists(dir / name));
    CHECK(induct_test::svg_problem(induct::read_text_file(dir / name)).empty());
  }
  CHECK(ex::setup_config_of_checkpoint(dir / "model.safetensors").entities == 16);
}

TEST_CASE("probes on the miniature model: rows per feature, layer and task-format, role decodable above baseline") {
  (void)miniature_run();
  auto model = induct::nn::read_model_checkpoint<float>(miniature_dir() / "model.safetensors");
  const induct::setup::world world(ex::setup_config_of_checkpoint(miniature_dir() / "model.safetensors"));
  ex::structure_probe_options options;
  options.prompts_per_task = 40;
  options.examples = 4;
  const auto result = ex::probe_structure(model, world, options);
  // Pooled rows: 5 features x (embeddings + 2 blocks); composite_depth has one class without compose3 and is left out.
  std::size_t pooled = 0;
  for (std::size_t r = 0; r < result.table.row_count(); ++r) {
    pooled += result.table.text(r, "task") == "all";
    CHECK(result.table.text(r, "feature") != "composite_depth");
  }
  CHECK(pooled == 5 * 3);
  // With the rows per task and format: token_role, item_index and first_function on 3 of them, depth on 2
  // (direct), hidden_f1 on compose2 direct.
  CHECK(result.table.row_count() == (3 * 4 + 3 + 2) * 3);
  // The trained model's probes are not those of an untrained one of the same shape.
  bool trained_differs = false;
  for (std::size_t r = 0; r < result.table.row_count(); ++r)
    trained_differs = trained_differs || result.table.number(r, "test_accuracy") != result.table.number(r, "random_init_accuracy");
  CHECK(trained_differs);
  for (std::size_t r = 0; r < result.table.row_count(); ++r) {
    CHECK(result.table.number(r, "test_accuracy") >= 0.0);
    CHECK(result.table.number(r, "test_accuracy") <= 1.0);
    if (result.table.text(r, "feature") == "token_role")
      CHECK(result.table.number(r, "test_accuracy") > result.table.number(r, "majority_baseline") + 0.2);
  }
  CHECK(result.icl_prompts == 3 * 40 - 40);  // compose3 exceeds max_depth 2 in this world: lookup, compose2 direct
  CHECK(induct_test::svg_problem(ex::render_svg(ex::probe_chart(result.table, "probes"))).empty());
}

TEST_CASE("sweep grids expand into complete, distinct run descriptions") {
  const auto points = ex::grid_points(ex::preset_grid("small"));
  CHECK(points.size() == 9);
  std::set<std::string> keys;
  for (const auto& p : points) keys.insert(ex::point_key(p));
  CHECK(keys.size() == 9);
  const auto config = ex::point_run_config(points[1]);
  CHECK(config.model.layers == 1);
  CHECK(config.training.steps == 4'000'000 / (16 * 88));
  CHECK(config.setup.entities == 64);  // the default setup, shares included
  CHECK(config.setup.share_fact == induct::setup::setup_config{}.share_fact);
  CHECK(config.answer_loss_weight == 1.0);  // the demo's training recipe: the plain loss
  CHECK(config.input_loss_weight == 1.0);
  CHECK_FALSE(config.weighted_loss());
  CHECK_THROWS_AS(ex::grid_points(nlohmann::json::parse(R"({"models": [], "tokens": [1000]})")), induct::config_error);
  CHECK_THROWS_AS(ex::grid_points(nlohmann::json::parse(R"({"models": [{"layers": 1, "width": 32, "depth": 2}], "tokens": [1000]})")),
                  induct::config_error);
  CHECK_THROWS_AS(ex::preset_grid("huge"), induct::config_error);
  // Setup fields in the base (held-out compositions among them) and training seeds on one corpus.
  const auto seeded = ex::grid_points(nlohmann::json::parse(
      R"({"models": [{"layers": 1, "width": 32}], "tokens": [100000],
          "base": {"seed": 4, "seeds": [1, 2], "setup": {"held_out_fraction": 0.5, "held_out_formats": "direct"}}})"));
  REQUIRE(seeded.size() == 2);
  CHECK(ex::point_key(seeded[0]) != ex::point_key(seeded[1]));
  CHECK(seeded[0].at("prompts") == 1000);  // the SPEC's prompts per row
  const auto run = ex::point_run_config(seeded[1]);
  CHECK(run.setup.held_out_fraction == 0.5);
  CHECK(run.setup.held_out_in == induct::setup::held_out_formats::direct);
  CHECK(run.training.seed == 2);
  CHECK(run.corpus_seed == 4);
  CHECK(seeded[1].at("run_key") == ex::point_key(run.to_json()));
  CHECK_THROWS_AS(ex::grid_points(nlohmann::json::parse(
                      R"({"models": [{"layers": 1, "width": 32}], "tokens": [100000], "base": {"setup": {"bogus": 1}}})")),
                  induct::config_error);
}
