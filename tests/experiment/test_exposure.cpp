// add_training_exposure (experiment/exposure.hpp): per row, whether the task's chains were held out of the
// training corpus, and how often the corpus showed them and their primitives, from the sidecar's counts.
#include <doctest/doctest.h>

#include <cmath>
#include <utility>
#include <string>
#include <vector>

#include "induct/experiment/exposure.hpp"
#include "induct/setup/corpus.hpp"
#include "induct/setup/held_out.hpp"

namespace ex = induct::experiment;
namespace setup = induct::setup;

TEST_CASE("training exposure: held-out rows have no lists in the corpus, seen rows do; counts from the sidecar") {
  setup::setup_config c;
  c.entities = 16;
  c.functions = 4;
  c.max_depth = 3;  // 4 of the 16 depth-2 and 16 of the 64 depth-3 chains held out
  const setup::world w(c);
  const auto stats = setup::sample_corpus_stream(w, 3, 400000, [](const setup::token_id*, std::size_t) {}, [](std::uint64_t) {});
  const auto sidecar = setup::corpus_sidecar_json(w, 3, stats);
  ex::result_table table({"task", "format", "examples"});
  for (const char* task : {"lookup", "compose2", "novel2", "novel3"})
    for (const char* format : {"direct", "stepwise"}) table.add_row({std::string(task), std::string(format), 4LL});
  const auto with = ex::add_training_exposure(table, c, &sidecar);
  REQUIRE(with.row_count() == 8);
  CHECK(with.columns().size() == 3 + ex::exposure_columns().size());
  for (std::size_t r = 0; r < with.row_count(); ++r) {
    const std::string task = with.text(r, "task");
    INFO(task, " ", with.text(r, "format"));
    const bool novel = task.rfind("novel", 0) == 0;
    CHECK(with.text(r, "held_out_of") == (novel ? "both" : ""));
    if (novel) {
      CHECK(with.number(r, "corpus_direct_lists_per_chain") == 0);
      CHECK(with.number(r, "corpus_stepwise_lists_per_chain") == 0);
    } else {
      CHECK(with.number(r, "corpus_direct_lists_per_chain") > 1);
      CHECK(with.number(r, "corpus_stepwise_lists_per_chain") > 1);
    }
    // Facts are spread evenly over the 4 relations: every task's primitives had about a quarter of them.
    const double facts = static_cast<double>(stats.segments[static_cast<std::size_t>(setup::segment_kind::fact)]) / 4;
    CHECK(with.number(r, "corpus_facts_per_primitive") == doctest::Approx(facts).epsilon(0.05));
  }
  // lookup's direct lists per chain, by hand: every depth-1 direct list over the 4 relations.
  CHECK(with.number(0, "corpus_direct_lists_per_chain") ==
        doctest::Approx(static_cast<double>(stats.depths[0][1]) / 4).epsilon(1e-12));
  // compose2's stepwise lists per chain: depth-2 stepwise lists over the 12 seen chains.
  CHECK(with.number(3, "corpus_stepwise_lists_per_chain") ==
        doctest::Approx(static_cast<double>(stats.depths[1][2]) / 12).epsilon(1e-12));
  // Without a sidecar: held_out_of still known, counts missing.
  const auto without = ex::add_training_exposure(table, c, nullptr);
  CHECK(without.text(4, "held_out_of") == "both");
  CHECK(std::isnan(without.number(4, "corpus_direct_lists_per_chain")));
  // Direct-only held-out chains still show stepwise lists.
  c.held_out_in = setup::held_out_formats::direct;
  const setup::world wd(c);
  const auto sd = setup::corpus_sidecar_json(
      wd, 3, setup::sample_corpus_stream(wd, 3, 400000, [](const setup::token_id*, std::size_t) {}, [](std::uint64_t) {}));
  const auto direct_only = ex::add_training_exposure(table, c, &sd);
  CHECK(direct_only.text(4, "held_out_of") == "direct");
  CHECK(direct_only.number(4, "corpus_direct_lists_per_chain") == 0);
  CHECK(direct_only.number(5, "corpus_stepwise_lists_per_chain") > 1);
}

TEST_CASE("recorded_loss_weights: the checkpoint's key first, then run_config's, else the plain loss; corrupt refused") {
  induct::nn::checkpoint_info info;
  const nlohmann::json none;
  CHECK(ex::recorded_loss_weights(info, none, "m.safetensors") == std::pair<double, double>{1.0, 1.0});
  const nlohmann::json run = {{"loss_weights", {{"answer", 3.0}, {"input", 0.0}}}};
  CHECK(ex::recorded_loss_weights(info, run, "m.safetensors") == std::pair<double, double>{3.0, 0.0});
  info.extra[induct::nn::checkpoint_keys::loss_weights] = R"({"answer":2,"input":0.5})";
  CHECK(ex::recorded_loss_weights(info, run, "m.safetensors") == std::pair<double, double>{2.0, 0.5});
  for (const char* corrupt : {R"({"answer":2})", R"({"answer":-1,"input":1})", R"([2,1])", R"({"answer":"2","input":1})",
                              R"({"answer":1,"input":1,"extra":1})", "not json"}) {
    info.extra[induct::nn::checkpoint_keys::loss_weights] = corrupt;
    CHECK_THROWS_AS(ex::recorded_loss_weights(info, none, "m.safetensors"), induct::file_error);
  }
  CHECK_THROWS_WITH_AS(ex::recorded_loss_weights({}, nlohmann::json{{"loss_weights", {{"answer", 1}}}}, "m.safetensors"),
                       doctest::Contains("m.safetensors"), induct::file_error);
}
