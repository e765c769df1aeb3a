#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <utility>
#include <vector>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "induct/core/fields.hpp"
#include "induct/nn/adamw.hpp"
#include "induct/nn/gpt_config.hpp"
#include "induct/nn/trainer.hpp"

using namespace induct::nn;
using induct::config_error;
using induct::field_info;

namespace {

/// Number of fields C lists (top level), checked against the keys of its to_json: each once.
template <class C>
void check_each_field_once(const C& config) {
  const auto j = config.to_json();
  std::set<std::string> names;
  int fields = 0;
  C::for_each_field(config, [&](const field_info& info, const auto&) {
    ++fields;
    names.insert(info.name);
    CHECK(j.contains(info.name));
  });
  CHECK(fields == static_cast<int>(j.size()));
  CHECK(names.size() == j.size());
}

/// The option of a (dotted) field, "" for none.
template <class C>
std::string option_of(const char* name) {
  const field_info* info = induct::find_field<C>(name);
  REQUIRE_MESSAGE(info != nullptr, name);
  return info->option ? info->option : "";
}

template <class F>
std::string error_field(F&& f) {
  try {
    f();
  } catch (const config_error& e) {
    return e.field();
  }
  return "";
}

}  // namespace

TEST_CASE("config JSON of gpt, adamw and the trajectory is the one the hand-written to_json gave") {
  // Captured from the hand-written to_json / trajectory_json before the field lists replaced them.
  CHECK(gpt_config{}.to_json().dump() == R"({"context_length":128,"heads":4,"layers":4,"vocab_size":128,"width":128})");
  CHECK(adamw_config{}.to_json().dump() == R"({"beta1":0.9,"beta2":0.95,"eps":1e-08,"weight_decay":0.1})");
  CHECK(trainer_config{}.trajectory_json().dump() ==
        R"({"batch":16,"decay_steps":2000,"grad_clip":1.0,"gradient_block":8,"learning_rate":0.001,"min_learning_rate":0.0001,)"
        R"("optimizer":{"beta1":0.9,"beta2":0.95,"eps":1e-08,"weight_decay":0.1},"seed":1,"warmup_steps":100})");
  CHECK(trainer_config{}.to_json().dump() ==
        R"({"batch":16,"checkpoint_every":0,"decay_steps":0,"grad_clip":1.0,"gradient_block":8,"learning_rate":0.001,"log_every":100,)"
        R"("min_learning_rate":0.0001,"optimizer":{"beta1":0.9,"beta2":0.95,"eps":1e-08,"weight_decay":0.1},)"
        R"("seed":1,"steps":2000,"validation_batches":50,"warmup_steps":100})");
}

TEST_CASE("config field lists: each field once in to_json, options named as the tool spells them") {
  check_each_field_once(gpt_config{});
  check_each_field_once(adamw_config{});
  check_each_field_once(trainer_config{});
  CHECK(option_of<gpt_config>("vocab_size").empty());
  CHECK(option_of<gpt_config>("context_length") == "context");
  CHECK(option_of<gpt_config>("layers") == "layers");
  CHECK(option_of<gpt_config>("width") == "width");
  CHECK(option_of<gpt_config>("heads") == "heads");
  const std::vector<std::pair<const char*, const char*>> trainer_options = {
      {"batch", "batch"},         {"steps", "steps"},
      {"learning_rate", "lr"},    {"min_learning_rate", "min-lr"},
      {"warmup_steps", "warmup"}, {"decay_steps", "decay-steps"},
      {"grad_clip", "grad-clip"}, {"seed", "seed"},
      {"checkpoint_every", "checkpoint-every"}, {"log_every", "log-every"},
      {"validation_batches", "validation-batches"}, {"optimizer.weight_decay", "weight-decay"},
      {"optimizer.beta1", "beta1"}, {"optimizer.beta2", "beta2"},
      {"optimizer.eps", "eps"}};
  for (const auto& [name, option] : trainer_options) {
    INFO(name);
    CHECK(option_of<trainer_config>(name) == option);
  }
  CHECK(option_of<trainer_config>("optimizer").empty());
  CHECK(option_of<adamw_config>("weight_decay") == "weight-decay");
  CHECK(induct::find_field<trainer_config>("weight_decay") == nullptr);  // only under optimizer
  // The train command's table (model and training options together) has no option twice.
  std::set<std::string> options;
  int count = 0;
  auto add = [&](const auto& table) {
    for (const auto& [key, info] : table)
      if (info.option) {
        ++count;
        options.insert(info.option);
      }
  };
  add(induct::field_list<gpt_config>());
  add(induct::field_list<trainer_config>());
  CHECK(count == 4 + 16);
  CHECK(static_cast<int>(options.size()) == count);
}

TEST_CASE("config round trips: gpt, adamw and trainer read back what they write") {
  gpt_config g;
  g.vocab_size = 70;
  g.layers = 3;
  g.width = 96;
  g.heads = 6;
  g.context_length = 40;
  CHECK(gpt_config::from_json(g.to_json()) == g);
  trainer_config t;
  t.batch = 3;
  t.steps = 5'000'000'000;
  t.learning_rate = 2e-3;
  t.min_learning_rate = 0;
  t.warmup_steps = 7;
  t.decay_steps = 90;
  t.optimizer.weight_decay = 0.0;
  t.optimizer.beta2 = 0.99;
  t.grad_clip = 0;
  t.seed = 18'000'000'000'000'000'000ULL;
  t.checkpoint_every = 11;
  t.log_every = 0;
  t.validation_batches = 2;
  const auto back = trainer_config::from_json(t.to_json());
  CHECK(back.to_json() == t.to_json());
  CHECK(back.seed == t.seed);
  CHECK(back.steps == t.steps);
  CHECK(back.optimizer.beta2 == 0.99);
  CHECK(trainer_config::from_json({{"optimizer", {{"eps", 1e-6}}}}).optimizer.beta1 == 0.9);  // nested keys over defaults
  CHECK(adamw_config::from_json(t.optimizer.to_json()).to_json() == t.optimizer.to_json());
}

TEST_CASE("config errors name the field: gpt") {
  const std::vector<std::pair<std::string, nlohmann::json>> bad = {
      {"layers", 0},      {"layers", 2000},         {"layers", 5e9},   {"layers", 1.5},   {"layers", "4"},
      {"width", 100000},  {"context_length", 1 << 21}, {"heads", 0},   {"vocab_size", -1}, {"vocab_size", 1 << 25},
      {"dropout", 0.1}};
  for (const auto& [field, value] : bad) {
    INFO(field, " = ", value.dump());
    CHECK(error_field([&] { (void)gpt_config::from_json({{field, value}}); }) == field);
  }
  CHECK(error_field([] { (void)gpt_config::from_json({{"width", 128}, {"heads", 3}}); }) == "heads");
  CHECK(error_field([] { (void)gpt_config::from_json({{"width", 65536}, {"vocab_size", 65536}}); }) == "vocab_size");
  CHECK_THROWS_WITH_AS((void)gpt_config::from_json({{"layers", 2000}}), "invalid config field 'layers': must be in [1, 1024], got 2000",
                       config_error);
}

TEST_CASE("config errors name the field: trainer and adamw") {
  const std::vector<std::pair<std::string, nlohmann::json>> bad = {
      {"batch", 0},          {"steps", -1},          {"learning_rate", 0.0}, {"learning_rate", -1e-3},
      {"learning_rate", "x"}, {"min_learning_rate", -1.0}, {"warmup_steps", -1}, {"decay_steps", -2},
      {"grad_clip", -1.0},   {"seed", -1},           {"seed", 1.5},          {"checkpoint_every", -1},
      {"log_every", -1},     {"validation_batches", -1}, {"validation_batches", 5e9}, {"unknown", 1},
      {"optimizer", 3}};
  for (const auto& [field, value] : bad) {
    INFO(field, " = ", value.dump());
    CHECK(error_field([&] { (void)trainer_config::from_json({{field, value}}); }) == field);
  }
  const std::vector<std::pair<std::string, nlohmann::json>> bad_optimizer = {
      {"weight_decay", -1.0}, {"beta1", 1.0}, {"beta1", -0.1}, {"beta2", 1.5}, {"eps", 0.0}, {"eps", true}, {"momentum", 0.9}};
  for (const auto& [field, value] : bad_optimizer) {
    INFO(field, " = ", value.dump());
    const nlohmann::json optimizer = {{field, value}};
    const std::string nested = error_field([&] { (void)trainer_config::from_json({{"optimizer", optimizer}}); });
    // Bounds and types are checked while reading (dotted key); beta < 1 by validate() (the optimizer's own key).
    CHECK((nested == "optimizer." + field || (nested == field && field.rfind("beta", 0) == 0)));
    CHECK(error_field([&] { (void)adamw_config::from_json(optimizer); }) == field);
  }
  CHECK(error_field([] { (void)trainer_config::from_json({{"learning_rate", 1e-3}, {"min_learning_rate", 2e-3}}); }) ==
        "min_learning_rate");
  CHECK_NOTHROW((void)trainer_config::from_json({{"learning_rate", 1e-12}, {"min_learning_rate", 0}}));
  // A hand-built config is checked the same way by validate().
  trainer_config t;
  t.optimizer.eps = std::nan("");
  CHECK(error_field([&] { t.validate(); }) == "optimizer.eps");
}

TEST_CASE("trainer_config::from_trajectory_json inverts trajectory_json") {
  trainer_config t;
  t.batch = 5;
  t.steps = 300;
  t.learning_rate = 4e-3;
  t.warmup_steps = 9;
  t.seed = 42;
  t.optimizer.weight_decay = 0.05;
  t.log_every = 3;  // not in the trajectory: comes back as the default
  const auto trajectory = t.trajectory_json();
  const auto back = trainer_config::from_trajectory_json(trajectory, 300);
  CHECK(back.trajectory_json() == trajectory);
  CHECK(back.trajectory_json().dump() == trajectory.dump());
  CHECK(back.steps == 300);
  CHECK(back.decay_steps == 300);  // resolved as stored
  CHECK(back.log_every == trainer_config{}.log_every);
  CHECK(back.batch == 5);
  CHECK(back.seed == 42);
  // A longer run keeps the stored horizon.
  CHECK(trainer_config::from_trajectory_json(trajectory, 600).schedule().decay_steps == 300);

  auto without = [&](const std::string& key) {
    auto j = trajectory;
    j.erase(key);
    return j;
  };
  CHECK(error_field([&] { (void)trainer_config::from_trajectory_json(without("seed"), 300); }) == "seed");
  auto extra = trajectory;
  extra["log_every"] = 3;
  CHECK(error_field([&] { (void)trainer_config::from_trajectory_json(extra, 300); }) == "log_every");
  auto no_eps = trajectory;
  no_eps["optimizer"].erase("eps");
  CHECK(error_field([&] { (void)trainer_config::from_trajectory_json(no_eps, 300, "trajectory"); }) == "trajectory.optimizer.eps");
  auto bad = trajectory;
  bad["batch"] = 0;
  CHECK(error_field([&] { (void)trainer_config::from_trajectory_json(bad, 300); }) == "batch");
  CHECK(error_field([&] { (void)trainer_config::from_trajectory_json(trajectory, -1); }) == "steps");
  CHECK(error_field([&] { (void)trainer_config::from_trajectory_json(nlohmann::json::array(), 300); }) == "<root>");
}

TEST_CASE("trainer_config::from_trajectory_json reads the trainer_config of a real state file") {
  gpt_config model;
  model.vocab_size = 11;
  model.context_length = 8;
  model.layers = 1;
  model.width = 8;
  model.heads = 2;
  trainer_config config;
  config.batch = 2;
  config.steps = 2;
  config.warmup_steps = 1;
  config.seed = 9;
  config.log_every = 0;
  config.validation_batches = 0;
  std::vector<std::uint16_t> tokens(400);
  for (std::size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<std::uint16_t>(i % 10);
  const auto dir = std::filesystem::temp_directory_path() / ("induct_test_config_json_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / "model.safetensors";
  {
    trainer<float> t(model, config, token_windows(tokens, 11));
    t.set_progress(false);
    t.set_checkpoint_path(path);
    t.train();
  }
  const auto checkpoint = load_checkpoint<float>(path);
  const auto& stored = checkpoint.state.trainer_config;
  const auto back = trainer_config::from_trajectory_json(stored.at("trajectory"), stored.at("steps").get<std::int64_t>());
  CHECK(back.trajectory_json() == stored.at("trajectory"));
  CHECK(back.steps == 2);
  CHECK(back.seed == 9);
  std::filesystem::remove_all(dir);
}
