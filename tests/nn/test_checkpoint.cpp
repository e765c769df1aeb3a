#include <doctest/doctest.h>

#include <cstring>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "induct/core/atomic_file.hpp"
#include "induct/nn/checkpoint.hpp"

using namespace induct::nn;
using induct::file_error;

namespace {

gpt_config tiny_config() {
  gpt_config c;
  c.vocab_size = 11;
  c.context_length = 6;
  c.layers = 2;
  c.width = 8;
  c.heads = 2;
  return c;
}

std::filesystem::path scratch(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("induct_test_checkpoint_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir / name;
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const induct::error& e) {
    return e.what();
  }
  return "";
}

training_state<float> some_state(std::size_t count) {
  training_state<float> s;
  for (std::size_t i = 0; i < count; ++i) {
    s.adam_m.push_back(0.001f * static_cast<float>(i));
    s.adam_v.push_back(1e-7f * static_cast<float>(i * i));
  }
  s.adam_step = 7;
  s.data.rng_state = {1, 2, 0xffffffffffffffffULL, 4};
  s.data.batches_drawn = 7;
  s.loss_history = {2.5, 2.25, 2.0};
  s.trainer_config = {{"batch", 3}};
  s.data_source = {{"fingerprint", 1234}};
  return s;
}

}  // namespace

TEST_CASE("checkpoint: the model file is plain safetensors with nanoGPT names and PyTorch layouts") {
  gpt<float> model(tiny_config());
  model.initialize(5);
  const auto path = scratch("layout.safetensors");
  write_model_checkpoint(path, model, {"00000000000000aa", 12, {{"vocabulary", "[\"a\"]"}}});
  const auto file = safetensors_file::read(path);
  CHECK(file.metadata_value(checkpoint_keys::format) == "induct-gpt-1");
  CHECK(nlohmann::json::parse(file.metadata_value(checkpoint_keys::config)) == tiny_config().to_json());
  CHECK(file.metadata_value(checkpoint_keys::step) == "12");
  CHECK(file.entries().size() == model.layout().size());
  // nn.Linear weight [out, in]: c_fc is [4C, C]; row r, column c at r * C + c in both.
  const auto& e = file.entry("transformer.h.1.mlp.c_fc.weight");
  CHECK(e.dtype == tensor_dtype::f32);
  CHECK(e.shape == std::vector<std::int64_t>{32, 8});
  const auto values = file.values<float>("transformer.h.1.mlp.c_fc.weight");
  const auto view = model.parameter("transformer.h.1.mlp.c_fc.weight");
  CHECK(values[3 * 8 + 5] == view(3, 5));
  CHECK(file.entry("lm_head.weight").shape == std::vector<std::int64_t>{11, 8});
  CHECK(!file.contains("lm_head.bias"));
}

TEST_CASE("checkpoint: model round trip is bit-exact and keeps metadata") {
  gpt<float> model(tiny_config());
  model.initialize(9);
  const auto path = scratch("model.safetensors");
  write_model_checkpoint(path, model, {"0123456789abcdef", 40, {{checkpoint_keys::vocabulary, "[\"x\",\"y\"]"}}});
  checkpoint_info info;
  const auto loaded = read_model_checkpoint<float>(path, &info);
  CHECK(loaded.config() == tiny_config());
  CHECK(std::memcmp(loaded.parameters().data(), model.parameters().data(), model.parameters().size() * sizeof(float)) == 0);
  CHECK(info.run_id == "0123456789abcdef");
  CHECK(info.step == 40);
  CHECK(info.extra.at(checkpoint_keys::vocabulary) == "[\"x\",\"y\"]");
  CHECK(read_checkpoint_config(path) == tiny_config());
  // A double model loads a float file exactly (widening).
  const auto wide = read_model_checkpoint<double>(path);
  CHECK(wide.parameters()[17] == static_cast<double>(model.parameters()[17]));
  CHECK_THROWS_AS(write_model_checkpoint(path, model, {"r", 1, {{"step", "9"}}}), induct::config_error);
}

TEST_CASE("checkpoint: corrupted, truncated, foreign and mismatched model files are refused saying which") {
  gpt<float> model(tiny_config());
  model.initialize(2);
  const auto path = scratch("bad.safetensors");
  write_model_checkpoint(path, model, {"feedfeedfeedfeed", 3, {}});
  const std::string good = induct::read_text_file(path);

  SUBCASE("one flipped bit in the tensor data") {
    std::string bytes = good;
    bytes[bytes.size() - 5] = static_cast<char>(bytes[bytes.size() - 5] ^ 0x10);
    induct::write_text_atomically(path, bytes);
    const auto message = error_of([&] { (void)read_model_checkpoint<float>(path); });
    CHECK(message.find("corrupted checkpoint: CRC-32 of the tensor data") != std::string::npos);
    CHECK(message.find(path.string()) != std::string::npos);
  }
  SUBCASE("truncated") {
    induct::write_text_atomically(path, good.substr(0, good.size() - 100));
    const auto message = error_of([&] { (void)read_model_checkpoint<float>(path); });
    CHECK(message.find("truncated safetensors file: tensor 'lm_head.weight'") != std::string::npos);
  }
  SUBCASE("config differs from the requested model") {
    gpt_config wanted = tiny_config();
    wanted.width = 16;
    wanted.heads = 4;
    const auto message = error_of([&] { (void)read_model_checkpoint<float>(path, nullptr, &wanted); });
    CHECK(message.find("mismatched checkpoint") != std::string::npos);
    CHECK(message.find("width 8 (requested 16)") != std::string::npos);
    CHECK(message.find("heads 2 (requested 4)") != std::string::npos);
  }
  SUBCASE("a safetensors file that is not an induct checkpoint") {
    safetensors_writer w;
    w.add<float>("x", {1}, std::vector<float>{1.0f});
    w.write(path);
    CHECK(error_of([&] { (void)read_model_checkpoint<float>(path); }).find("not an induct checkpoint") != std::string::npos);
  }
  SUBCASE("a missing file") {
    std::filesystem::remove(path);
    CHECK(error_of([&] { (void)read_model_checkpoint<float>(path); }).find("cannot open") != std::string::npos);
  }
}

TEST_CASE("checkpoint: model + state pair round trip and mismatched pairs") {
  gpt<float> model(tiny_config());
  model.initialize(4);
  const auto path = scratch("pair.safetensors");
  const auto state = some_state(model.parameters().size());
  save_checkpoint(path, model, {"00000000000000bb", 3, {}}, state);
  CHECK(std::filesystem::exists(state_path_for(path)));

  const auto loaded = load_checkpoint<float>(path);
  CHECK(loaded.info.step == 3);
  CHECK(loaded.state.adam_m == state.adam_m);
  CHECK(loaded.state.adam_v == state.adam_v);
  CHECK(loaded.state.adam_step == 7);
  CHECK(loaded.state.data.rng_state == state.data.rng_state);
  CHECK(loaded.state.data.batches_drawn == 7);
  CHECK(loaded.state.loss_history == state.loss_history);
  CHECK(loaded.state.trainer_config == state.trainer_config);
  CHECK(loaded.state.data_source == state.data_source);
  CHECK(std::memcmp(loaded.model.parameters().data(), model.parameters().data(), model.parameters().size() * sizeof(float)) == 0);

  SUBCASE("state of another step (a crash between the two writes)") {
    const std::string old_state = induct::read_text_file(state_path_for(path));
    model.parameters()[0] += 1.0f;
    save_checkpoint(path, model, {"00000000000000bb", 4, {}}, state);
    induct::write_text_atomically(state_path_for(path), old_state);
    const auto message = error_of([&] { (void)load_checkpoint<float>(path); });
    CHECK(message.find("mismatched checkpoint pair: " + path.string() + " is step 4") != std::string::npos);
    CHECK(message.find(state_path_for(path).string() + " is step 3") != std::string::npos);
  }
  SUBCASE("same step, other weights (model file replaced)") {
    model.parameters()[5] *= 2.0f;
    write_model_checkpoint(path, model, {"00000000000000bb", 3, {}});
    CHECK(error_of([&] { (void)load_checkpoint<float>(path); }).find("mismatched checkpoint pair") != std::string::npos);
  }
  SUBCASE("missing state file") {
    std::filesystem::remove(state_path_for(path));
    CHECK(error_of([&] { (void)load_checkpoint<float>(path); }).find("missing training-state file") != std::string::npos);
  }
  SUBCASE("corrupted state file") {
    std::string bytes = induct::read_text_file(state_path_for(path));
    bytes[bytes.size() - 30] = static_cast<char>(bytes[bytes.size() - 30] ^ 1);
    induct::write_text_atomically(state_path_for(path), bytes);
    const auto message = error_of([&] { (void)load_checkpoint<float>(path); });
    CHECK(message.find("corrupted checkpoint") != std::string::npos);
    CHECK(message.find(".state") != std::string::npos);
  }
  SUBCASE("moments of the wrong size are refused before anything is written") {
    auto bad = state;
    bad.adam_m.pop_back();
    CHECK_THROWS_AS(save_checkpoint(path, model, {"00000000000000bb", 5, {}}, bad), induct::config_error);
    CHECK(load_checkpoint<float>(path).info.step == 3);
  }
}

TEST_CASE("checkpoint: the header-only read gives the full read's metadata, entries and identity") {
  gpt<float> model(tiny_config());
  model.initialize(5);
  const auto path = scratch("header_only.safetensors");
  checkpoint_info written{"fedcba9876543210", 17, {}};
  set_json_metadata(written, checkpoint_keys::vocabulary, nlohmann::json::array({"a", "b"}));
  written.extra[checkpoint_keys::world_fingerprint] = "0011223344556677";
  write_model_checkpoint(path, model, written);

  const auto full = safetensors_file::read(path);
  const auto header = safetensors_header::read(path);
  CHECK(header.metadata() == full.metadata());
  REQUIRE(header.entries().size() == full.entries().size());
  for (std::size_t i = 0; i < header.entries().size(); ++i) {
    CHECK(header.entries()[i].name == full.entries()[i].name);
    CHECK(header.entries()[i].shape == full.entries()[i].shape);
    CHECK(header.entries()[i].begin == full.entries()[i].begin);
    CHECK(header.entries()[i].end == full.entries()[i].end);
  }

  checkpoint_info info;
  (void)read_model_checkpoint<float>(path, &info);
  const auto metadata = read_checkpoint_metadata(path);
  CHECK(metadata.config == tiny_config());
  CHECK(metadata.info.run_id == info.run_id);
  CHECK(metadata.info.step == 17);
  CHECK(metadata.info.extra == info.extra);
  CHECK(metadata.info.extra == written.extra);
  CHECK(json_metadata(metadata.info, checkpoint_keys::vocabulary, path.string()).value() == nlohmann::json::array({"a", "b"}));
  CHECK_FALSE(json_metadata(metadata.info, checkpoint_keys::run_config, path.string()).has_value());
}

TEST_CASE("checkpoint: the header-only read refuses a truncated or corrupt header, naming the file") {
  gpt<float> model(tiny_config());
  model.initialize(5);
  const auto good = scratch("header_good.safetensors");
  write_model_checkpoint(good, model, {"0123456789abcdef", 3, {}});
  const std::string bytes = induct::read_text_file(good);
  std::uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);

  const auto expect_refused = [&](const std::string& name, const std::string& content, const std::string& why) {
    const auto path = scratch(name);
    induct::write_text_atomically(path, content);
    CAPTURE(name);
    try {
      (void)read_checkpoint_metadata(path);
      FAIL("read_checkpoint_metadata accepted " << name);
    } catch (const file_error& e) {
      CHECK(e.path() == path.string());
      CHECK(std::string(e.what()).find(why) != std::string::npos);
    }
    // The full read refuses the same file for the same reason.
    CHECK_THROWS_WITH_AS((void)safetensors_file::read(path), doctest::Contains(why.c_str()), file_error);
  };
  expect_refused("header_cut.safetensors", bytes.substr(0, 8 + header_size / 2), "truncated safetensors file");
  expect_refused("header_size_only.safetensors", bytes.substr(0, 5), "fewer than the 8-byte header size field");
  std::string garbled = bytes;
  garbled[8] = 'x';  // the JSON header's opening brace
  expect_refused("header_garbled.safetensors", garbled, "invalid JSON");
  expect_refused("data_cut.safetensors", bytes.substr(0, bytes.size() - 4), "truncated safetensors file");
  std::string huge = bytes;
  huge[7] = '\x7f';
  expect_refused("header_huge.safetensors", huge, "header size field");

  // Not an induct model file: a plain safetensors file.
  safetensors_writer plain;
  plain.add<float>("w", {1}, std::vector<float>{1.0f});
  const auto other = scratch("plain.safetensors");
  plain.write(other);
  CHECK_THROWS_WITH_AS((void)read_checkpoint_metadata(other), doctest::Contains("not an induct checkpoint"), file_error);
}

TEST_CASE("checkpoint: read_state_trainer_json reads the state file's trainer_config from its header") {
  gpt<float> model(tiny_config());
  model.initialize(2);
  const auto path = scratch("state_trainer.safetensors");
  auto state = some_state(model.parameters().size());
  state.trainer_config = {{"trajectory", {{"batch", 3}, {"learning_rate", 0.01}}}, {"steps", 40}};
  save_checkpoint(path, model, {"0123456789abcdef", 12, {}}, state);
  CHECK(read_state_trainer_json(path) == state.trainer_config);

  state.trainer_config = {{"batch", 3}};  // no trajectory, no steps
  save_checkpoint(path, model, {"0123456789abcdef", 12, {}}, state);
  CHECK_THROWS_WITH_AS((void)read_state_trainer_json(path), doctest::Contains("corrupt checkpoint metadata 'trainer_config'"),
                       file_error);
  try {
    (void)read_state_trainer_json(path);
  } catch (const file_error& e) {
    CHECK(e.path() == state_path_for(path).string());
  }
  const auto alone = scratch("no_state.safetensors");
  write_model_checkpoint(alone, model, {"0123456789abcdef", 1, {}});
  std::filesystem::remove(state_path_for(alone));
  CHECK_THROWS_WITH_AS((void)read_state_trainer_json(alone), doctest::Contains("missing training-state file"), file_error);
}

TEST_CASE("checkpoint: metadata keys are named once; reserved ones are refused as extras") {
  CHECK(checkpoint_keys::is_reserved(checkpoint_keys::data_crc32));
  CHECK(checkpoint_keys::is_reserved("format"));
  CHECK_FALSE(checkpoint_keys::is_reserved(checkpoint_keys::vocabulary));
  checkpoint_info info;
  CHECK_THROWS_AS(set_json_metadata(info, checkpoint_keys::step, 3), induct::config_error);
  info.extra[checkpoint_keys::run_config] = "{not json";
  CHECK_THROWS_WITH_AS((void)json_metadata(info, checkpoint_keys::run_config, "m.safetensors"),
                       doctest::Contains("m.safetensors: corrupt checkpoint metadata 'run_config'"), file_error);
}

// A save is three steps (state to .state.next, model, rename); a kill after any of them must leave a pair
// that loads, and recover_checkpoint must leave exactly model + .state behind.
TEST_CASE("checkpoint: a save killed at each of its steps leaves a consistent pair") {
  gpt<float> model(tiny_config());
  model.initialize(4);
  const auto path = scratch("killed.safetensors");
  const auto state = some_state(model.parameters().size());
  save_checkpoint(path, model, {"00000000000000cc", 3, {}}, state);
  CHECK_FALSE(std::filesystem::exists(pending_state_path_for(path)));
  const std::string model_at_3 = induct::read_text_file(path), state_at_3 = induct::read_text_file(state_path_for(path));
  gpt<float> next = model;
  next.parameters()[0] += 1.0f;
  save_checkpoint(path, next, {"00000000000000cc", 4, {}}, state);
  const std::string model_at_4 = induct::read_text_file(path), state_at_4 = induct::read_text_file(state_path_for(path));

  SUBCASE("killed after writing .state.next, before the model: the old pair, the pending state removed") {
    induct::write_text_atomically(path, model_at_3);
    induct::write_text_atomically(state_path_for(path), state_at_3);
    induct::write_text_atomically(pending_state_path_for(path), state_at_4);
    CHECK(paired_state_path(path) == state_path_for(path));
    recover_checkpoint(path);
    CHECK_FALSE(std::filesystem::exists(pending_state_path_for(path)));
    CHECK(load_checkpoint<float>(path).info.step == 3);
  }
  SUBCASE("killed after the model, before the rename: the new model pairs with .state.next") {
    induct::write_text_atomically(state_path_for(path), state_at_3);
    induct::write_text_atomically(pending_state_path_for(path), state_at_4);
    CHECK(paired_state_path(path) == pending_state_path_for(path));
    CHECK(load_checkpoint<float>(path).info.step == 4);  // readable even before recovery
    recover_checkpoint(path);
    CHECK_FALSE(std::filesystem::exists(pending_state_path_for(path)));
    CHECK(induct::read_text_file(state_path_for(path)) == state_at_4);
    CHECK(load_checkpoint<float>(path).info.step == 4);
  }
  SUBCASE("the first save killed after .state.next: no model, the pending state removed") {
    std::filesystem::remove(path);
    std::filesystem::remove(state_path_for(path));
    induct::write_text_atomically(pending_state_path_for(path), state_at_4);
    recover_checkpoint(path);
    CHECK_FALSE(std::filesystem::exists(pending_state_path_for(path)));
  }
  SUBCASE("temporaries of a dead writer are removed, a live writer's are kept") {
    // pid 2^22 + 1 is above Linux's default pid_max (2^22): no such process.
    const std::filesystem::path dead = path.string() + ".tmp.4194305";
    const std::filesystem::path alive = path.string() + ".tmp." + std::to_string(::getpid());
    const std::filesystem::path dead_state = state_path_for(path).string() + ".tmp.4194305";
    for (const auto& p : {dead, alive, dead_state}) induct::write_text_atomically(p, "partial");
    recover_checkpoint(path);
    CHECK_FALSE(std::filesystem::exists(dead));
    CHECK_FALSE(std::filesystem::exists(dead_state));
    CHECK(std::filesystem::exists(alive));
    std::filesystem::remove(alive);
    CHECK(load_checkpoint<float>(path).info.step == 4);
  }
}

TEST_CASE("checkpoint: a config bigger than the file's tensors is refused before the model is allocated (fuzz)") {
  // tests/fuzz/regressions/fuzz_safetensors/huge_config: 1024 layers of width 65536 and no tensors (CRC of
  // the empty data section valid) once allocated 2 x 5e13 floats, std::bad_alloc instead of a file_error.
  safetensors_writer writer;
  writer.set_metadata(checkpoint_keys::format, model_checkpoint_format);
  writer.set_metadata(checkpoint_keys::config,
                      R"({"vocab_size": 5, "context_length": 4, "layers": 1024, "width": 65536, "heads": 2})");
  writer.set_metadata(checkpoint_keys::run_id, "0123456789abcdef");
  writer.set_metadata(checkpoint_keys::step, "0");
  writer.set_metadata(checkpoint_keys::data_crc32, "00000000");
  const auto path = scratch("huge_config.safetensors");
  writer.write(path);
  CHECK_THROWS_WITH_AS((void)read_model_checkpoint<float>(path), doctest::Contains("missing tensor 'transformer.wte.weight'"),
                       file_error);
  CHECK_THROWS_WITH_AS((void)load_checkpoint<float>(path), doctest::Contains("missing tensor"), file_error);
}
