#include <doctest/doctest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <unistd.h>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/experiment/trained_model.hpp"
#include "induct/setup/corpus.hpp"

namespace ex = induct::experiment;
namespace nn = induct::nn;
namespace setup = induct::setup;
namespace keys = induct::nn::checkpoint_keys;
using induct::file_error;

namespace {

setup::setup_config small_world_config() {
  setup::setup_config c;
  c.entities = 8;
  c.functions = 3;
  c.filler_words = 4;
  c.max_depth = 2;
  return c;
}

std::filesystem::path scratch(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("induct_test_trained_model_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir / name;
}

nn::gpt<float> small_model(int vocab_size) {
  nn::gpt_config gc;
  gc.vocab_size = vocab_size;
  gc.context_length = 24;
  gc.layers = 1;
  gc.width = 8;
  gc.heads = 2;
  nn::gpt<float> model(gc);
  model.initialize(4);
  return model;
}

/// A model file of `world` with the records train and the demo write; `edit` changes them first.
std::filesystem::path model_file(const std::string& name, const setup::world& world,
                                 const std::function<void(nn::checkpoint_info&)>& edit = {}) {
  const auto model = small_model(static_cast<int>(world.vocab().size()));
  nn::checkpoint_info info{"00112233aabbccdd", 30, {}};
  nn::set_json_metadata(info, keys::setup_config, world.config().to_json());
  nn::set_json_metadata(info, keys::vocabulary, world.vocab().names());
  info.extra[keys::world_fingerprint] = world.fingerprint();
  info.extra[keys::corpus] = "corpus.tokens";
  if (edit) edit(info);
  const auto path = scratch(name);
  nn::write_model_checkpoint(path, model, info);
  return path;
}

std::string refusal(const std::function<void()>& action) {
  try {
    action();
  } catch (const induct::error& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("read_trained_model_metadata reads the records of a model file from its header") {
  const setup::world world(small_world_config());
  ex::run_config run;
  run.setup = world.config();
  const auto path = model_file("records.safetensors", world, [&](nn::checkpoint_info& info) {
    nn::set_json_metadata(info, keys::run_config, run.to_json());
  });
  const auto m = ex::read_trained_model_metadata(path);
  CHECK(m.file == path);
  CHECK(m.info.run_id == "00112233aabbccdd");
  CHECK(m.info.step == 30);
  CHECK(m.info.extra.at(keys::corpus) == "corpus.tokens");
  CHECK(m.config.vocab_size == static_cast<int>(world.vocab().size()));
  REQUIRE(m.setup.has_value());
  CHECK(m.setup->to_json() == world.config().to_json());
  CHECK(m.vocabulary == world.vocab().names());
  REQUIRE(m.world_fingerprint.has_value());
  CHECK(*m.world_fingerprint == world.fingerprint());
  CHECK(m.run_config == run.to_json());

  // Without the records: empty, absent, null.
  const auto bare = scratch("bare.safetensors");
  nn::write_model_checkpoint(bare, small_model(12), {"00112233aabbccdd", 1, {}});
  const auto b = ex::read_trained_model_metadata(bare);
  CHECK_FALSE(b.setup.has_value());
  CHECK(b.vocabulary.empty());
  CHECK_FALSE(b.world_fingerprint.has_value());
  CHECK(b.run_config.is_null());

  // A vocabulary of another size than the model's, and corrupt records, are refused naming the file.
  const auto short_names = model_file("short_names.safetensors", world, [](nn::checkpoint_info& info) {
    nn::set_json_metadata(info, keys::vocabulary, std::vector<std::string>{"a", "b"});
  });
  const auto e1 = refusal([&] { (void)ex::read_trained_model_metadata(short_names); });
  CHECK(contains(e1, short_names.string()));
  CHECK(contains(e1, "'vocabulary' has 2 names for a model of vocab_size"));
  const auto bad_setup = model_file("bad_setup.safetensors", world, [](nn::checkpoint_info& info) {
    info.extra[keys::setup_config] = R"({"entities": "many"})";
  });
  CHECK(contains(refusal([&] { (void)ex::read_trained_model_metadata(bad_setup); }), "corrupt 'setup_config' metadata"));
}

TEST_CASE("load_trained_model gives the model with its recorded world") {
  const setup::world world(small_world_config());
  const auto path = model_file("good.safetensors", world);
  const auto loaded = ex::load_trained_model(path);
  CHECK(loaded.world.fingerprint() == world.fingerprint());
  CHECK(loaded.model.config().vocab_size == static_cast<int>(world.vocab().size()));
  CHECK(loaded.metadata.vocabulary == world.vocab().names());
  // An override equal to the recorded setup is accepted.
  const auto same = small_world_config();
  CHECK(ex::load_trained_model(path, &same).world.fingerprint() == world.fingerprint());
}

TEST_CASE("load_trained_model refuses a world that is not the model's") {
  const setup::world world(small_world_config());

  SUBCASE("a recorded vocabulary other than the world's") {
    const auto path = model_file("wrong_names.safetensors", world, [&](nn::checkpoint_info& info) {
      auto names = world.vocab().names();
      std::swap(names[names.size() - 1], names[names.size() - 2]);
      nn::set_json_metadata(info, keys::vocabulary, names);
    });
    const auto e = refusal([&] { (void)ex::load_trained_model(path); });
    CHECK(contains(e, path.string()));
    CHECK(contains(e, "recorded vocabulary differs"));
  }
  SUBCASE("a recorded fingerprint other than the world's") {
    const auto path = model_file("wrong_fingerprint.safetensors", world, [](nn::checkpoint_info& info) {
      info.extra[keys::world_fingerprint] = "0000000000000000";
    });
    const auto e = refusal([&] { (void)ex::load_trained_model(path); });
    CHECK(contains(e, path.string()));
    CHECK(contains(e, "world fingerprint 0000000000000000 differs"));
  }
  SUBCASE("a setup override that differs from the recorded setup names every differing field") {
    const auto path = model_file("override.safetensors", world);
    auto other = small_world_config();
    other.world_seed = 9;
    other.max_depth = 1;
    const auto e = refusal([&] { (void)ex::load_trained_model(path, &other); });
    CHECK(contains(e, path.string()));
    CHECK(contains(e, "another world than the given setup"));
    CHECK(contains(e, "world_seed 1 (given 9)"));
    CHECK(contains(e, "max_depth 2 (given 1)"));
    CHECK_FALSE(contains(e, "entities"));
  }
  SUBCASE("no recorded setup and no override; an override then stands in, checked against the model's size") {
    const auto path = model_file("no_setup.safetensors", world, [](nn::checkpoint_info& info) {
      info.extra.erase(keys::setup_config);
    });
    const auto e = refusal([&] { (void)ex::load_trained_model(path); });
    CHECK(contains(e, path.string()));
    CHECK(contains(e, "no 'setup_config' metadata"));
    const auto config = small_world_config();
    CHECK(ex::load_trained_model(path, &config).world.fingerprint() == world.fingerprint());
    auto larger = small_world_config();
    larger.entities = 9;  // another vocabulary: refused by the recorded names
    CHECK(contains(refusal([&] { (void)ex::load_trained_model(path, &larger); }), "recorded vocabulary differs"));
  }
  SUBCASE("a model of another vocab_size than the world's, with no names recorded") {
    const auto path = scratch("other_size.safetensors");
    nn::checkpoint_info info{"00112233aabbccdd", 1, {}};
    nn::set_json_metadata(info, keys::setup_config, world.config().to_json());
    nn::write_model_checkpoint(path, small_model(static_cast<int>(world.vocab().size()) + 1), info);
    const auto e = refusal([&] { (void)ex::load_trained_model(path); });
    CHECK(contains(e, path.string()));
    CHECK(contains(e, "tokens, its world"));
  }
}

TEST_CASE("evaluation_plan_of: the run's evaluation when recorded, else the SPEC suite") {
  const setup::world world(small_world_config());
  const auto plain = ex::evaluation_plan_of(ex::read_trained_model_metadata(model_file("plan_none.safetensors", world)));
  const ex::run_config defaults;
  REQUIRE(plain.tasks.size() == defaults.tasks.size());
  for (std::size_t i = 0; i < plain.tasks.size(); ++i) {
    CHECK(plain.tasks[i].name == defaults.tasks[i].name);
    CHECK(plain.tasks[i].format == defaults.tasks[i].format);
  }
  CHECK(plain.options.examples == ex::evaluation_options{}.examples);
  CHECK(plain.options.prompts == ex::evaluation_options{}.prompts);
  CHECK(plain.options.prompt_seed == ex::evaluation_options{}.prompt_seed);

  ex::run_config run;
  run.tasks = {{"compose2", setup::list_format::stepwise}};
  run.evaluation.examples = {0, 3};
  run.evaluation.prompts = 17;
  run.evaluation.prompt_seed = 99;
  const auto path = model_file("plan_run.safetensors", world, [&](nn::checkpoint_info& info) {
    nn::set_json_metadata(info, keys::run_config, run.to_json());
  });
  const auto recorded = ex::evaluation_plan_of(ex::read_trained_model_metadata(path));
  REQUIRE(recorded.tasks.size() == 1);
  CHECK(recorded.tasks[0].name == "compose2");
  CHECK(recorded.tasks[0].format == setup::list_format::stepwise);
  CHECK(recorded.options.examples == std::vector<int>{0, 3});
  CHECK(recorded.options.prompts == 17);
  CHECK(recorded.options.prompt_seed == 99);

  const auto corrupt = model_file("plan_corrupt.safetensors", world, [](nn::checkpoint_info& info) {
    info.extra[keys::run_config] = R"({"tasks": [{"task": "lookup", "format": "sideways"}]})";
  });
  const auto e = refusal([&] { (void)ex::evaluation_plan_of(ex::read_trained_model_metadata(corrupt)); });
  CHECK(contains(e, corrupt.string()));
  CHECK(contains(e, "corrupt 'run_config' metadata"));
}

TEST_CASE("tasks the world cannot pose, and a training corpus of another world, are refused") {
  const setup::world world(small_world_config());  // max_depth 2
  CHECK_NOTHROW(ex::check_tasks_posable({{"lookup", setup::list_format::direct}, {"compose2", setup::list_format::stepwise}},
                                        world));
  CHECK_THROWS_WITH_AS(ex::check_tasks_posable({{"compose3", setup::list_format::direct}}, world),
                       doctest::Contains("task compose3 needs chains of depth 3, but the model's world has max_depth 2"),
                       induct::config_error);
  CHECK_THROWS_WITH_AS(ex::check_tasks_posable({{"novel3", setup::list_format::direct}}, world),
                       doctest::Contains("task novel3 needs chains of depth 3"), induct::config_error);
  CHECK(ex::task_depth("novel3") == 3);
  CHECK(ex::task_depth("novel") == 2);
  CHECK(ex::task_depth("novelty") == 1);

  const auto corpus = scratch("novel.tokens");
  setup::write_corpus(world, 3, 2000, corpus, false);
  const auto sidecar = ex::training_corpus_sidecar(corpus, world);
  CHECK(sidecar.at("world_fingerprint") == world.fingerprint());
  auto other_config = small_world_config();
  other_config.entities = 10;
  const setup::world other(other_config);
  const auto e = refusal([&] { (void)ex::training_corpus_sidecar(corpus, other); });
  CHECK(contains(e, setup::corpus_sidecar_path(corpus).string()));
  CHECK(contains(e, "another world than the model's: entities 10 (corpus 8)"));
}

TEST_CASE("setup_differences names each differing field with both values") {
  auto a = small_world_config(), b = small_world_config();
  CHECK(ex::setup_differences(a, b, "other").empty());
  b.functions = 5;
  CHECK(ex::setup_differences(a, b, "other") == "functions 3 (other 5)");
}
