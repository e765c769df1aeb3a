// Writes the seed corpora of the fuzz targets with the library's own writers (valid inputs the
// mutations start from): make_seeds DIR writes DIR/<target>/<name>. Not a fuzz target (it has a main).
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/experiment/pipeline.hpp"
#include "induct/experiment/presets.hpp"
#include "induct/nn/checkpoint.hpp"
#include "induct/nn/safetensors.hpp"
#include "induct/setup/config.hpp"
#include "induct/setup/corpus.hpp"
#include "induct/setup/world.hpp"

namespace fs = std::filesystem;

namespace {

void write(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

void safetensors_seeds(const fs::path& out, const fs::path& scratch) {
  namespace nn = induct::nn;
  nn::safetensors_writer writer;
  writer.set_metadata("note", "seed");
  writer.add<float>("w", {2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
  writer.add<double>("d", {2}, std::vector<double>{0.5, -1});
  writer.add<std::int64_t>("i", {1}, std::vector<std::int64_t>{7});
  writer.add<std::uint8_t>("empty", {0}, std::vector<std::uint8_t>{});
  write(out / "plain.safetensors", writer.serialize());

  // A whole checkpoint of a tiny model: the model file, then "INDUCTSTATE" and its state file.
  const nn::gpt_config config{.vocab_size = 5, .context_length = 4, .layers = 1, .width = 4, .heads = 2};
  nn::gpt<float> model(config);
  model.initialize(1);
  nn::checkpoint_info info{.run_id = "0123456789abcdef", .step = 3, .extra = {}};
  nn::set_json_metadata(info, nn::checkpoint_keys::vocabulary, nlohmann::json{"a", "b", "c", "d", "e"});
  nn::training_state<float> state;
  state.adam_m.assign(model.parameters().size(), 0.25f);
  state.adam_v.assign(model.parameters().size(), 0.5f);
  state.adam_step = 3;
  state.data.batches_drawn = 3;
  state.loss_history = {1.5, 1.25, 1.0};
  state.trainer_config = {{"trajectory", nlohmann::json::object()}, {"steps", 10}};
  const fs::path model_path = scratch / "model.safetensors";
  nn::save_checkpoint(model_path, model, info, state);
  const std::string model_bytes = induct::read_text_file(model_path);
  write(out / "model.safetensors", model_bytes);
  write(out / "checkpoint_pair", model_bytes + "INDUCTSTATE" + induct::read_text_file(nn::state_path_for(model_path)));
}

void corpus_seeds(const fs::path& out, const fs::path& scratch) {
  namespace setup = induct::setup;
  setup::setup_config config;
  config.entities = 6;
  config.functions = 2;
  config.filler_words = 3;
  config.max_depth = 2;
  config.list_length_max = 4;
  config.filler_length_max = 2;
  config.held_out_fraction = 0;
  const setup::world world(config);
  const fs::path path = scratch / "corpus.tokens";
  for (std::uint64_t tokens : {0, 40}) {
    setup::write_corpus(world, 1, tokens, path);
    const std::string bytes = induct::read_text_file(path);
    const std::string sidecar = induct::read_text_file(setup::corpus_sidecar_path(path));
    write(out / ("corpus_" + std::to_string(tokens)), bytes + "INDUCTSIDECAR" + sidecar);
  }
}

void grid_seeds(const fs::path& out) {
  namespace ex = induct::experiment;
  for (const char* name : {"small", "emergence", "steps"}) write(out / (std::string(name) + ".json"), ex::preset_grid(name).dump(1));
  write(out / "tiny.json", R"({"models": [{"layers": 1, "width": 16, "heads": 2}], "tokens": [2000],
 "base": {"context": 16, "batch": 2, "seeds": [1, 2], "setup": {"held_out_fraction": 0}, "curve": {"every": 5}}})");
  write(out / "points.json", R"({"design": "one_at_a_time", "base": {"steps": 10, "model": {"layers": 1}},
 "points": [{"model.layers": 2, "steps": 20}], "seeds": [3]})");
}

void config_seeds(const fs::path& out) {
  namespace ex = induct::experiment;
  write(out / "setup_default.json", induct::setup::setup_config{}.to_json().dump(1));
  write(out / "run_default.json", ex::run_config{}.to_json().dump(1));
  write(out / "run_demo.json", ex::default_demo_config().to_json().dump(1));
  write(out / "run_reduced.json", ex::reduced_demo_config().to_json().dump(1));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_seeds DIR\n";
    return 2;
  }
  const fs::path out = argv[1];
  const fs::path scratch = fs::temp_directory_path() / "induct-make-seeds";
  fs::create_directories(scratch);
  safetensors_seeds(out / "fuzz_safetensors", scratch);
  corpus_seeds(out / "fuzz_corpus", scratch);
  grid_seeds(out / "fuzz_grid");
  config_seeds(out / "fuzz_config");
  fs::remove_all(scratch);
}
