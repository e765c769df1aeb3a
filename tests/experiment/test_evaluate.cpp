#include <doctest/doctest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "induct/experiment/evaluate.hpp"
#include "induct/experiment/evaluation_outputs.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/nn/gpt_config.hpp"
#include "induct/setup/config.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/setup/tasks.hpp"
#include "induct/setup/world.hpp"
#include "induct/theory/bounds.hpp"
#include "induct/theory/idealized_predictor.hpp"
#include "induct/theory/scoring.hpp"

namespace ex = induct::experiment;
namespace setup = induct::setup;
namespace theory = induct::theory;

namespace {

setup::setup_config tiny_world_config() {
  setup::setup_config c;
  c.entities = 8;
  c.functions = 3;
  c.filler_words = 4;
  c.max_depth = 2;
  return c;
}

}  // namespace

TEST_CASE("an evaluation table has every column, and its theory columns are the theory module's") {
  const setup::world world(tiny_world_config());
  const theory::idealized_list_model ideal(world);
  induct::nn::gpt_config gc;
  gc.vocab_size = static_cast<int>(world.vocab().size());
  gc.context_length = 40;
  gc.layers = 1;
  gc.width = 16;
  gc.heads = 2;
  induct::nn::gpt<float> model(gc);
  model.initialize(3);
  const std::vector<setup::task> tasks = {setup::task::lookup(setup::list_format::direct, 3),
                                          setup::task::compose2(setup::list_format::stepwise, 3)};
  ex::evaluation_options options;
  options.examples = {0, 1, 4, 8};
  options.prompts = 40;
  options.batch = 16;
  std::vector<std::string> skipped;
  const auto table = ex::evaluate_model(model, ideal, tasks, options, &skipped);
  CHECK(table.columns() == ex::evaluation_columns());
  // compose2 stepwise with n = 8: 2 + 8 * 5 + 2 + 2 = 46 tokens > 40: skipped (lookup n = 8 needs 37).
  REQUIRE(skipped.size() == 1);
  CHECK(skipped[0].find("compose2 stepwise n=8") == 0);
  REQUIRE(table.row_count() == 7);
  const setup::document_model document(world.config());
  for (std::size_t r = 0; r < table.row_count(); ++r) {
    const auto format = setup::parse_list_format(table.text(r, "format"));
    const int depth = static_cast<int>(table.number(r, "depth"));
    const int n = static_cast<int>(table.number(r, "examples"));
    const auto bound = theory::theorem1_bound(document, format, depth, n);
    CHECK(table.number(r, "D_bits") == bound.description_length_bits);
    CHECK(table.number(r, "R_n_bits") == bound.iteration_complexity_bits);
    CHECK(table.number(r, "bound_cum_bits") == bound.bound_cumulative_bits);
    CHECK(table.number(r, "bound_mistakes") == bound.bound_mistakes);
    if (n == 0) CHECK(std::isnan(table.number(r, "bound_mistakes_per_example")));
    else CHECK(table.number(r, "bound_mistakes_per_example") == bound.bound_mistakes_per_example);
    // Vacuous exactly where D + R_n >= n + 1 (n = 0 always: D >= 1 bit here).
    CHECK(table.number(r, "bound_vacuous") == (bound.bound_cumulative_bits >= n + 1 ? 1.0 : 0.0));
    if (n == 0) CHECK(table.number(r, "bound_vacuous") == 1.0);
    CHECK(table.number(r, "prompts") == 40);
    // The idealized predictor's columns are theory::score_task's on the same prompts.
    const auto& task = table.text(r, "task") == "lookup" ? tasks[0] : tasks[1];
    const auto score = theory::score_task(ideal, task, n, options.prompts, options.prompt_seed);
    CHECK(table.number(r, "ideal_query_error_rate") == score.query_error_rate);
    if (format == setup::list_format::stepwise)
      CHECK(table.number(r, "ideal_query_step_error_rate") == score.query_step_error_rate);
    CHECK(table.number(r, "ideal_mean_query_loss_bits") == doctest::Approx(score.mean_query_loss_bits).epsilon(1e-12));
    CHECK(table.number(r, "ideal_mean_cum_loss_bits") == doctest::Approx(score.mean_cum_loss_bits).epsilon(1e-12));
    CHECK(table.number(r, "ideal_mean_cum_mistakes") == doctest::Approx(score.mean_mistakes).epsilon(1e-12));
    CHECK(table.number(r, "R_exact_mean_bits") == doctest::Approx(score.mean_iteration_complexity_bits).epsilon(1e-12));
    CHECK(table.number(r, "version_space_mean_bits") == doctest::Approx(score.mean_version_space_bits).epsilon(1e-12));
    CHECK(table.number(r, "version_space_correction_mean_bits") ==
          doctest::Approx(score.mean_version_space_correction_bits).epsilon(1e-12));
    // The version-space identity, averaged: cumulative bits = VS + C; VS <= D.
    CHECK(table.number(r, "version_space_mean_bits") + table.number(r, "version_space_correction_mean_bits") ==
          doctest::Approx(table.number(r, "ideal_mean_cum_loss_bits")).epsilon(1e-9));
    CHECK(table.number(r, "version_space_mean_bits") <= table.number(r, "D_bits") + 1e-9);
    // Theorem 1 per prompt: every idealized prompt within D + R(s); the model's shares are shares.
    CHECK(table.number(r, "ideal_share_cum_bits_within_D_R") == 1.0);
    CHECK(table.number(r, "ideal_share_cum_mistakes_within_D_R") == 1.0);
    for (const char* share : {"model_share_cum_bits_within_D_R_n", "model_share_cum_mistakes_within_D_R_n"}) {
      CHECK(table.number(r, share) >= 0.0);
      CHECK(table.number(r, share) <= 1.0);
    }
    // Theorem 1 on the evaluated prompts: the idealized predictor stays within its bound.
    CHECK(table.number(r, "ideal_mean_cum_loss_bits") <= table.number(r, "D_bits") + table.number(r, "R_exact_mean_bits") + 1e-9);
    CHECK(table.number(r, "ideal_mean_cum_mistakes") <= table.number(r, "bound_cum_bits") + 1e-9);
    // K and the model bound are consistent.
    CHECK(table.number(r, "model_mean_cum_loss_bits") ==
          doctest::Approx(table.number(r, "ideal_mean_cum_loss_bits") + table.number(r, "K_bits")));
    CHECK(table.number(r, "model_bound_cum_bits") ==
          doctest::Approx(table.number(r, "D_bits") + table.number(r, "R_n_bits") + table.number(r, "K_bits")));
    CHECK(table.number(r, "model_query_ci_low") <= table.number(r, "model_query_error_rate"));
    CHECK(table.number(r, "model_query_ci_high") >= table.number(r, "model_query_error_rate"));
    CHECK(table.number(r, "kl_bits_per_token") >= 0.0);
    // An untrained model pays about log2 |vocabulary| bits per answer: the 9 answers of lookup at n = 8
    // cost far more than D + R_n = 2.9 bits here, and most of its argmaxes are wrong.
    if (table.text(r, "task") == "lookup" && n == 8) {
      CHECK(table.number(r, "model_share_cum_bits_within_D_R_n") == 0.0);
      CHECK(table.number(r, "model_share_cum_mistakes_within_D_R_n") < 0.5);
    }
  }

  // The compact table sets the cumulative quantities beside D + R_n and marks vacuous rows.
  const auto compact = ex::compact_table(table);
  REQUIRE(compact.row_count() == table.row_count());
  CHECK(compact.columns() == std::vector<std::string>{"task", "format", "n", "D+R_n", "bits ideal/model", "mistakes ideal/model",
                                                      "query err ideal/model [95% CI]", "K bits"});
  for (std::size_t r = 0; r < table.row_count(); ++r) {
    const std::string bound = compact.text(r, "D+R_n");
    CHECK((bound.back() == '*') == (table.number(r, "bound_vacuous") == 1.0));
    CHECK(std::stod(bound) == doctest::Approx(table.number(r, "bound_cum_bits")).epsilon(1e-2));
    const std::string bits = compact.text(r, "bits ideal/model");
    const auto slash = bits.find(" / ");
    REQUIRE(slash != std::string::npos);
    CHECK(std::stod(bits.substr(0, slash)) == doctest::Approx(table.number(r, "ideal_mean_cum_loss_bits")).epsilon(1e-2));
    CHECK(std::stod(bits.substr(slash + 3)) == doctest::Approx(table.number(r, "model_mean_cum_loss_bits")).epsilon(1e-2));
  }
  const std::string summary = ex::compact_summary(table);
  CHECK(summary.find("* bound vacuous: D + R_n >= n + 1") != std::string::npos);
  std::istringstream lines(summary);
  for (std::string line; std::getline(lines, line);) {
    INFO(line);
    CHECK(line.size() <= 110);
  }
}
