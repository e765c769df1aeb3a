#pragma once
// GPT checkpoints: a model file and a companion training-state file, both safetensors.
//
// Model file (e.g. model.safetensors): one tensor per parameter, nanoGPT names and PyTorch layouts
// (parameters.hpp), F32 for a float model, so a nanoGPT-style PyTorch model (untied lm_head, biases
// on) loads it with load_state_dict. __metadata__:
//   "format"     "induct-gpt-1"
//   "config"     gpt_config JSON
//   "run_id"     16 hex digits, fixed for a training run (kept across resumes)
//   "step"       optimizer steps taken
//   "data_crc32" CRC-32 of the data section (8 hex digits): detects corruption the format cannot
//   any other keys the caller adds (e.g. "vocabulary": JSON array of token names, "setup_config").
// State file (model path + ".state"): "adam.m", "adam.v" (flat, model layout), "data.rng_state" (U64[4]),
// "loss_history" (F64, one training loss per step); __metadata__ "format" "induct-gpt-state-1",
// "run_id", "step", "model_crc32" (data_crc32 of the model file it belongs to), "data_crc32",
// "adam_step", "data_batches_drawn", "trainer_config", "data_source".
//
// save_checkpoint writes the state file, then the model file, each atomically; a crash between the two
// leaves a pair whose run_id/step/model_crc32 disagree, which load_checkpoint refuses as mismatched.
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/core/hash.hpp"
#include "induct/nn/data.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/nn/gpt_config.hpp"
#include "induct/nn/parameters.hpp"
#include "induct/nn/safetensors.hpp"

namespace induct::nn {

inline constexpr const char* model_checkpoint_format = "induct-gpt-1";
inline constexpr const char* state_checkpoint_format = "induct-gpt-state-1";

/// The companion training-state file of a model checkpoint.
inline std::filesystem::path state_path_for(const std::filesystem::path& model_path) {
  return model_path.string() + ".state";
}

/// Identity of a checkpoint plus free-form string metadata (token names, world config, ...).
struct checkpoint_info {
  std::string run_id;
  std::int64_t step = 0;
  std::map<std::string, std::string> extra;  // must not use the reserved keys listed above
};

/// What training needs beyond the weights to continue bit-for-bit.
template <class Scalar>
struct training_state {
  std::vector<Scalar> adam_m;
  std::vector<Scalar> adam_v;
  std::int64_t adam_step = 0;
  data_position data;
  std::vector<double> loss_history;
  nlohmann::json trainer_config = nlohmann::json::object();
  nlohmann::json data_source = nlohmann::json::object();
};

namespace detail {

inline std::string crc_hex(std::uint32_t crc) {
  char text[9];
  std::snprintf(text, sizeof text, "%08x", crc);
  return text;
}

inline std::uint32_t checked_crc(const safetensors_file& file) {
  const std::string& stored = file.metadata_value("data_crc32");
  const std::uint32_t actual = crc32_update(0, file.data_section());
  if (stored != crc_hex(actual))
    throw file_error(file.source(), "corrupted checkpoint: CRC-32 of the tensor data is " + crc_hex(actual) +
                                        " but the header records " + stored);
  return actual;
}

inline std::int64_t parse_count(const safetensors_file& file, const std::string& key) {
  const std::string& text = file.metadata_value(key);
  std::size_t used = 0;
  long long value = -1;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || value < 0)
    throw file_error(file.source(), "corrupt checkpoint metadata: '" + key + "' is '" + text + "', not a count");
  return value;
}

inline void check_format(const safetensors_file& file, const char* expected) {
  auto it = file.metadata().find("format");
  if (it == file.metadata().end() || it->second != expected)
    throw file_error(file.source(), std::string("not an induct checkpoint: __metadata__ format is '") +
                                        (it == file.metadata().end() ? std::string("<absent>") : it->second) +
                                        "', expected '" + expected + "'");
}

inline std::string describe_difference(const gpt_config& found, const gpt_config& wanted) {
  const auto a = found.to_json(), b = wanted.to_json();
  std::string text;
  for (const auto& [key, value] : b.items())
    if (a.at(key) != value) {
      if (!text.empty()) text += ", ";
      text += key + " " + a.at(key).dump() + " (requested " + value.dump() + ")";
    }
  return text;
}

}  // namespace detail

/// The model file's writer (parameters + metadata + CRC), not yet written.
template <class Scalar>
safetensors_writer model_checkpoint_writer(const gpt<Scalar>& model, const checkpoint_info& info) {
  safetensors_writer writer;
  for (const auto& t : model.layout())
    writer.add<Scalar>(t.name, t.shape, model.parameters().subspan(t.offset, t.size));
  for (const auto& [key, value] : info.extra) {
    if (key == "format" || key == "config" || key == "run_id" || key == "step" || key == "data_crc32")
      throw config_error("checkpoint metadata", "key '" + key + "' is reserved");
    writer.set_metadata(key, value);
  }
  writer.set_metadata("format", model_checkpoint_format);
  writer.set_metadata("config", model.config().to_json().dump());
  writer.set_metadata("run_id", info.run_id);
  writer.set_metadata("step", std::to_string(info.step));
  writer.set_metadata("data_crc32", detail::crc_hex(crc32_update(0, writer.data_section())));
  return writer;
}

/// Writes only the model file (atomically), e.g. for inference or export.
template <class Scalar>
void write_model_checkpoint(const std::filesystem::path& path, const gpt<Scalar>& model, const checkpoint_info& info) {
  model_checkpoint_writer(model, info).write(path);
}

/// Reads a model file into a new model. Refuses, with a file_error saying which: a truncated or
/// malformed file, a CRC mismatch (corrupted), a non-induct file, a config differing from `expected`
/// (mismatched; when given), and missing, extra or misshapen parameter tensors.
template <class Scalar>
gpt<Scalar> read_model_checkpoint(const std::filesystem::path& path, checkpoint_info* info = nullptr,
                                  const gpt_config* expected = nullptr, std::uint32_t* data_crc32 = nullptr) {
  const auto file = safetensors_file::read(path);
  detail::check_format(file, model_checkpoint_format);
  const std::uint32_t crc = detail::checked_crc(file);
  gpt_config config;
  try {
    config = gpt_config::from_json(nlohmann::json::parse(file.metadata_value("config")));
  } catch (const file_error&) {
    throw;
  } catch (const std::exception& e) {
    throw file_error(file.source(), std::string("corrupt checkpoint metadata 'config': ") + e.what());
  }
  if (expected != nullptr && !(config == *expected))
    throw file_error(file.source(), "mismatched checkpoint: its model config differs from the requested one: " +
                                        detail::describe_difference(config, *expected));
  gpt<Scalar> model(config);
  const auto& layout = model.layout();
  for (const auto& entry : file.entries()) {
    bool known = false;
    for (const auto& t : layout) known = known || t.name == entry.name;
    if (!known) throw file_error(file.source(), "mismatched checkpoint: unexpected tensor '" + entry.name + "'");
  }
  for (const auto& t : layout) {
    const auto values = file.values<Scalar>(t.name, t.shape);
    std::copy(values.begin(), values.end(), model.parameters().begin() + static_cast<std::ptrdiff_t>(t.offset));
  }
  if (info != nullptr) {
    info->run_id = file.metadata_value("run_id");
    info->step = detail::parse_count(file, "step");
    info->extra.clear();
    for (const auto& [key, value] : file.metadata())
      if (key != "format" && key != "config" && key != "run_id" && key != "step" && key != "data_crc32")
        info->extra[key] = value;
  }
  if (data_crc32 != nullptr) *data_crc32 = crc;
  return model;
}

/// Only the config of a model file (validated, CRC-checked), e.g. to pick a model before loading.
inline gpt_config read_checkpoint_config(const std::filesystem::path& path) {
  const auto file = safetensors_file::read(path);
  detail::check_format(file, model_checkpoint_format);
  detail::checked_crc(file);
  try {
    return gpt_config::from_json(nlohmann::json::parse(file.metadata_value("config")));
  } catch (const file_error&) {
    throw;
  } catch (const std::exception& e) {
    throw file_error(file.source(), std::string("corrupt checkpoint metadata 'config': ") + e.what());
  }
}

/// Writes the pair: state file first, then the model file, each atomically.
template <class Scalar>
void save_checkpoint(const std::filesystem::path& model_path, const gpt<Scalar>& model, const checkpoint_info& info,
                     const training_state<Scalar>& state) {
  const auto model_writer = model_checkpoint_writer(model, info);
  const std::size_t count = model.parameters().size();
  if (state.adam_m.size() != count || state.adam_v.size() != count)
    throw config_error("training_state", "AdamW moments have " + std::to_string(state.adam_m.size()) + "/" +
                                             std::to_string(state.adam_v.size()) + " entries for " +
                                             std::to_string(count) + " parameters");
  safetensors_writer writer;
  writer.add<Scalar>("adam.m", {static_cast<std::int64_t>(count)}, state.adam_m);
  writer.add<Scalar>("adam.v", {static_cast<std::int64_t>(count)}, state.adam_v);
  const std::vector<std::uint64_t> rng(state.data.rng_state.begin(), state.data.rng_state.end());
  writer.add<std::uint64_t>("data.rng_state", {4}, rng);
  writer.add<double>("loss_history", {static_cast<std::int64_t>(state.loss_history.size())}, state.loss_history);
  writer.set_metadata("format", state_checkpoint_format);
  writer.set_metadata("run_id", info.run_id);
  writer.set_metadata("step", std::to_string(info.step));
  writer.set_metadata("model_crc32", detail::crc_hex(crc32_update(0, model_writer.data_section())));
  writer.set_metadata("adam_step", std::to_string(state.adam_step));
  writer.set_metadata("data_batches_drawn", std::to_string(state.data.batches_drawn));
  writer.set_metadata("trainer_config", state.trainer_config.dump());
  writer.set_metadata("data_source", state.data_source.dump());
  writer.set_metadata("data_crc32", detail::crc_hex(crc32_update(0, writer.data_section())));
  writer.write(state_path_for(model_path));
  model_writer.write(model_path);
}

/// A whole checkpoint: the model, its identity and the training state.
template <class Scalar>
struct loaded_checkpoint {
  gpt<Scalar> model;
  checkpoint_info info;
  training_state<Scalar> state;
};

/// Reads and cross-checks the pair written by save_checkpoint. Refuses (file_error saying which)
/// truncated or corrupted files, a config differing from `expected` (when given), a missing state
/// file, and a pair whose run id, step or model CRC disagree.
template <class Scalar>
loaded_checkpoint<Scalar> load_checkpoint(const std::filesystem::path& model_path, const gpt_config* expected = nullptr) {
  checkpoint_info info;
  std::uint32_t model_crc = 0;
  gpt<Scalar> model = read_model_checkpoint<Scalar>(model_path, &info, expected, &model_crc);
  const auto state_path = state_path_for(model_path);
  if (!std::filesystem::exists(state_path))
    throw file_error(state_path.string(), "missing training-state file of checkpoint " + model_path.string() +
                                              " (needed to resume)");
  const auto file = safetensors_file::read(state_path);
  detail::check_format(file, state_checkpoint_format);
  detail::checked_crc(file);
  const std::string& run_id = file.metadata_value("run_id");
  const std::int64_t step = detail::parse_count(file, "step");
  const std::string& paired_crc = file.metadata_value("model_crc32");
  if (run_id != info.run_id || step != info.step || paired_crc != detail::crc_hex(model_crc))
    throw file_error(state_path.string(),
                     "mismatched checkpoint pair: the state file is step " + std::to_string(step) + " of run " + run_id +
                         " (model CRC " + paired_crc + ") but " + model_path.string() + " is step " +
                         std::to_string(info.step) + " of run " + info.run_id + " (CRC " + detail::crc_hex(model_crc) +
                         "); was a save interrupted between the two writes?");
  training_state<Scalar> state;
  const std::int64_t count = static_cast<std::int64_t>(model.parameters().size());
  state.adam_m = file.values<Scalar>("adam.m", {count});
  state.adam_v = file.values<Scalar>("adam.v", {count});
  state.adam_step = detail::parse_count(file, "adam_step");
  const auto rng = file.values<std::uint64_t>("data.rng_state", {4});
  std::copy(rng.begin(), rng.end(), state.data.rng_state.begin());
  state.data.batches_drawn = static_cast<std::uint64_t>(detail::parse_count(file, "data_batches_drawn"));
  state.loss_history = file.values<double>("loss_history");
  try {
    state.trainer_config = nlohmann::json::parse(file.metadata_value("trainer_config"));
    state.data_source = nlohmann::json::parse(file.metadata_value("data_source"));
  } catch (const nlohmann::json::exception& e) {
    throw file_error(state_path.string(), std::string("corrupt checkpoint metadata: ") + e.what());
  }
  return {std::move(model), std::move(info), std::move(state)};
}

}  // namespace induct::nn
