#include <doctest/doctest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/fields.hpp"
#include "induct/experiment/demo.hpp"
#include "induct/experiment/evaluate.hpp"
#include "induct/experiment/pipeline.hpp"

namespace ex = induct::experiment;
using induct::config_error;

namespace {

template <class F>
std::string error_field(F&& f) {
  try {
    f();
  } catch (const config_error& e) {
    return e.field();
  }
  return "";
}

// Captured from run_config::to_json().dump() before run_config gained from_json (sweep point keys hash it),
// then with issue 11's held-out setup fields, novel2 tasks and the demo's plain loss, n <= 16 and context 88
// (which moved every sweep point key once).
const char* const default_run_json =
    R"({"corpus_seed":1,"corpus_tokens":4000000,"evaluation":{"examples":[0,1,2,3,4,6,8,12,16,24,32],"prompt_seed":20)"
    R"(24,"prompts":1000},"model":{"context_length":128,"heads":4,"layers":4,"vocab_size":128,"width":128},"setup":{")"
    R"(bijection_fraction":0.5,"depth_continue":0.4,"direct_composite_rate":0.25,"direct_zipf_exponent":2.0,"entities)"
    R"(":64,"filler_length_max":8,"filler_length_min":1,"filler_words":32,"functions":8,"held_out_chains":[],"held_ou)"
    R"(t_formats":"both","held_out_fraction":0.25,"held_out_max_depth":3,"held_out_seed":1,"list_length_law":"geometr)"
    R"(ic","list_length_max":32,"list_length_mean":6.0,"max_depth":4,"segments_per_document_mean":8.0,"share_direct_l)"
    R"(ist":0.15,"share_fact":0.5,"share_filler":0.15,"share_stepwise_list":0.2,"stepwise_zipf_exponent":1.5,"world_s)"
    R"(eed":1},"steps":2000,"tasks":[{"format":"direct","task":"lookup"},{"format":"direct","task":"compose2"},{"form)"
    R"(at":"stepwise","task":"compose2"},{"format":"direct","task":"novel2"},{"format":"stepwise","task":"novel2"}],")"
    R"(training":{"batch":16,"decay_steps":2000,"grad_clip":1.0,"learning_rate":0.001,"min_learning_rate":0.0001,"opt)"
    R"(imizer":{"beta1":0.9,"beta2":0.95,"eps":1e-08,"weight_decay":0.1},"seed":1,"warmup_steps":100},"validation_fra)"
    R"(ction":0.02})";

const char* const demo_run_json =
    R"({"corpus_seed":1,"corpus_tokens":16000000,"evaluation":{"examples":[0,1,2,4,8,16],"prompt_seed":2024,"prompts")"
    R"(:100},"model":{"context_length":88,"heads":4,"layers":2,"vocab_size":128,"width":64},"setup":{"bijection_fract)"
    R"(ion":0.5,"depth_continue":0.4,"direct_composite_rate":0.25,"direct_zipf_exponent":2.0,"entities":64,"filler_le)"
    R"(ngth_max":8,"filler_length_min":1,"filler_words":32,"functions":8,"held_out_chains":[],"held_out_formats":"bot)"
    R"(h","held_out_fraction":0.25,"held_out_max_depth":3,"held_out_seed":1,"list_length_law":"geometric","list_lengt)"
    R"(h_max":32,"list_length_mean":6.0,"max_depth":4,"segments_per_document_mean":8.0,"share_direct_list":0.15,"shar)"
    R"(e_fact":0.5,"share_filler":0.15,"share_stepwise_list":0.2,"stepwise_zipf_exponent":1.5,"world_seed":1},"steps")"
    R"(:12000,"tasks":[{"format":"direct","task":"lookup"},{"format":"direct","task":"compose2"},{"format":"stepwise")"
    R"(,"task":"compose2"},{"format":"direct","task":"novel2"},{"format":"stepwise","task":"novel2"}],"training":{"ba)"
    R"(tch":16,"decay_steps":12000,"grad_clip":1.0,"learning_rate":0.005,"min_learning_rate":0.0001,"optimizer":{"bet)"
    R"(a1":0.9,"beta2":0.95,"eps":1e-08,"weight_decay":0.1},"seed":1,"warmup_steps":200},"validation_fraction":0.02})";

void check_round_trip(const ex::run_config& c) {
  const auto j = c.to_json();
  const auto back = ex::run_config::from_json(j);
  CHECK(back.to_json().dump() == j.dump());
  CHECK(back.weighted_loss() == c.weighted_loss());
  CHECK(back.tasks.size() == c.tasks.size());
  CHECK(back.evaluation.examples == c.evaluation.examples);
  // And through text (numbers re-parsed: unsigned, floats).
  CHECK(ex::run_config::from_json(nlohmann::json::parse(j.dump())).to_json().dump() == j.dump());
}

}  // namespace

TEST_CASE("run_config's JSON is unchanged (sweep point keys hash it)") {
  CHECK(ex::run_config{}.to_json().dump() == default_run_json);
  CHECK(ex::default_demo_config().to_json().dump() == demo_run_json);
}

TEST_CASE("run_config::from_json inverts to_json: demo, reduced, weighted and unweighted configs") {
  check_round_trip(ex::run_config{});
  check_round_trip(ex::default_demo_config());
  check_round_trip(ex::reduced_demo_config());
  ex::run_config weighted = ex::reduced_demo_config();
  weighted.answer_loss_weight = 2.5;
  weighted.input_loss_weight = 1.0;
  weighted.tasks = {{"compose3", induct::setup::list_format::stepwise}};
  weighted.setup.list_length_law = induct::setup::length_law_kind::power_law;
  weighted.training.decay_steps = 1234;
  weighted.training.seed = 77;
  weighted.corpus_seed = 5;
  check_round_trip(weighted);
  CHECK(weighted.to_json().contains("loss_weights"));
  CHECK_FALSE(ex::reduced_demo_config().to_json().contains("loss_weights"));

  const auto demo = ex::run_config::from_json(nlohmann::json::parse(demo_run_json));
  CHECK(demo.answer_loss_weight == 1.0);  // the plain loss: no "loss_weights" key
  CHECK(demo.input_loss_weight == 1.0);
  CHECK(demo.training.steps == 12000);
  CHECK(demo.training.decay_steps == 0);  // decay_steps == steps comes back as "= steps"
  CHECK(demo.model.layers == 2);
  CHECK(demo.evaluation.prompts == 100);
  const auto w = ex::run_config::from_json(weighted.to_json());
  CHECK(w.training.decay_steps == 1234);
  CHECK(w.tasks[0].name == "compose3");
  CHECK(w.tasks[0].format == induct::setup::list_format::stepwise);
  // Keys present are read over the defaults.
  const auto partial = ex::run_config::from_json({{"steps", 50}, {"training", {{"learning_rate", 0.01}}}});
  CHECK(partial.training.steps == 50);
  CHECK(partial.training.learning_rate == 0.01);
  CHECK(partial.training.batch == 16);
  CHECK(partial.tasks.size() == 5);
  // The gradient block is written only when not the default (the default's point keys stay), and read back.
  ex::run_config blocked;
  blocked.training.gradient_block = 2;
  CHECK(blocked.to_json()["training"]["gradient_block"] == 2);
  CHECK(!ex::run_config{}.to_json()["training"].contains("gradient_block"));
  CHECK(ex::run_config::from_json(blocked.to_json()).training.gradient_block == 2);
}

TEST_CASE("run_config::from_json is strict and names the dotted key") {
  const std::vector<std::pair<nlohmann::json, std::string>> bad = {
      {{{"nonsense", 1}}, "nonsense"},
      {{{"corpus_tokens", -1}}, "corpus_tokens"},
      {{{"corpus_tokens", 0}}, "corpus_tokens"},
      {{{"corpus_seed", 1.5}}, "corpus_seed"},
      {{{"validation_fraction", 1.0}}, "validation_fraction"},
      {{{"validation_fraction", "x"}}, "validation_fraction"},
      {{{"steps", 5e30}}, "steps"},
      {{{"setup", {{"entities", 0}}}}, "setup.entities"},
      {{{"setup", {{"colour", 0}}}}, "setup.colour"},
      {{{"model", {{"layers", 5e9}}}}, "model.layers"},
      {{{"training", {{"optimizer", {{"weight_decay", -1.0}}}}}}, "training.optimizer.weight_decay"},
      {{{"training", {{"log_every", 3}}}}, "training.log_every"},  // not part of the record
      {{{"training", 2}}, "training"},
      {{{"evaluation", {{"alpha", 0.1}}}}, "evaluation.alpha"},
      {{{"evaluation", {{"examples", {0, -1}}}}}, "evaluation.examples"},
      {{{"evaluation", {{"prompts", 0}}}}, "evaluation.prompts"},
      {{{"loss_weights", {{"answer", -1.0}}}}, "loss_weights.answer"},
      {{{"loss_weights", {{"output", 1.0}}}}, "loss_weights.output"},
      {{{"tasks", {{{"task", "lookup"}, {"format", "cot"}}}}}, "tasks[0].format"},
      {{{"tasks", {{{"task", "lookup"}}}}}, "tasks[0].format"},
      {{{"tasks", {{{"task", "lookup"}, {"format", "direct"}, {"n", 1}}}}}, "tasks[0].n"},
      {{{"tasks", {{{"task", ""}, {"format", "direct"}}}}}, "tasks[0].task"},
      {{{"tasks", "lookup"}}, "tasks"},
  };
  for (const auto& [j, field] : bad) {
    INFO(j.dump());
    CHECK(error_field([&] { (void)ex::run_config::from_json(j); }) == field);
  }
  CHECK(error_field([] { (void)ex::run_config::from_json(3); }) == "<root>");
  // Cross-field rules of the parts still apply.
  CHECK(error_field([] { (void)ex::run_config::from_json({{"model", {{"width", 64}, {"heads", 5}}}}); }) == "heads");
}

TEST_CASE("evaluation_options lists its fields once and reads them strictly") {
  const ex::evaluation_options defaults;
  const auto j = defaults.to_json();
  CHECK(j.dump() == R"({"alpha":0.05,"batch":64,"examples":[0,1,2,3,4,6,8,12,16,24,32],"prompt_seed":2024,"prompts":1000})");
  int fields = 0;
  ex::evaluation_options::for_each_field(defaults, [&](const induct::field_info& info, const auto&) {
    ++fields;
    CHECK(j.contains(info.name));
  });
  CHECK(fields == static_cast<int>(j.size()));
  CHECK(std::string(induct::find_field<ex::evaluation_options>("batch")->option) == "eval-batch");
  CHECK(std::string(induct::find_field<ex::evaluation_options>("prompt_seed")->option) == "prompt-seed");
  ex::evaluation_options o;
  o.examples = {0, 5};
  o.alpha = 0.01;
  o.batch = 8;
  CHECK(ex::evaluation_options::from_json(o.to_json()).to_json() == o.to_json());
  CHECK(error_field([] { (void)ex::evaluation_options::from_json({{"alpha", 1.0}}); }) == "alpha");
  CHECK(error_field([] { (void)ex::evaluation_options::from_json({{"alpha", 0.0}}); }) == "alpha");
  CHECK(error_field([] { (void)ex::evaluation_options::from_json({{"batch", 0}}); }) == "batch");
  CHECK(error_field([] { (void)ex::evaluation_options::from_json({{"progress", 0}}); }) == "progress");
}

TEST_CASE("run_config's own fields: options for the tool") {
  std::set<std::string> options;
  const ex::run_config defaults;
  ex::run_config::for_each_run_field(defaults, [&](const induct::field_info& info, const auto&) {
    REQUIRE(info.option != nullptr);
    options.insert(info.option);
  });
  CHECK(options == std::set<std::string>{"tokens", "corpus-seed", "validation-fraction", "answer-weight", "input-weight"});
  ex::run_config c;
  c.validation_fraction = 1.0;
  CHECK(error_field([&] { c.validate(); }) == "validation_fraction");
  c = ex::run_config{};
  c.answer_loss_weight = -1;
  CHECK(error_field([&] { c.validate(); }) == "answer_loss_weight");
}
