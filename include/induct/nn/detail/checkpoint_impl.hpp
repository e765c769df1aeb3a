#pragma once
// Definitions for nn/checkpoint.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/core/error.hpp"
#include "induct/core/hash.hpp"
#include "induct/nn/checkpoint.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/nn/gpt_config.hpp"
#include "induct/nn/parameters.hpp"
#include "induct/nn/safetensors.hpp"

namespace induct::nn {

INDUCT_DEFINE void set_json_metadata(checkpoint_info& info, const char* key, const nlohmann::json& value) {
  if (checkpoint_keys::is_reserved(key)) throw config_error("checkpoint metadata", "key '" + std::string(key) + "' is reserved");
  info.extra[key] = value.dump();
}

INDUCT_DEFINE std::optional<nlohmann::json> json_metadata(const checkpoint_info& info, const char* key, const std::string& source) {
  const auto it = info.extra.find(key);
  if (it == info.extra.end()) return std::nullopt;
  try {
    return nlohmann::json::parse(it->second);
  } catch (const nlohmann::json::exception& e) {
    throw file_error(source, "corrupt checkpoint metadata '" + std::string(key) + "': " + e.what());
  }
}

namespace detail {

INDUCT_DETAIL std::string crc_hex(std::uint32_t crc) {
  char text[9];
  std::snprintf(text, sizeof text, "%08x", crc);
  return text;
}

INDUCT_DETAIL std::uint32_t checked_crc(const safetensors_file& file) {
  const std::string& stored = file.metadata_value(checkpoint_keys::data_crc32);
  const std::uint32_t actual = crc32_update(0, file.data_section());
  if (stored != crc_hex(actual))
    throw file_error(file.source(), "corrupted checkpoint: CRC-32 of the tensor data is " + crc_hex(actual) +
                                        " but the header records " + stored);
  return actual;
}

INDUCT_DETAIL std::int64_t parse_count(const safetensors_header& file, const std::string& key) {
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

INDUCT_DETAIL void check_format(const safetensors_header& file, const char* expected) {
  auto it = file.metadata().find(checkpoint_keys::format);
  if (it == file.metadata().end() || it->second != expected)
    throw file_error(file.source(), std::string("not an induct checkpoint: __metadata__ format is '") +
                                        (it == file.metadata().end() ? std::string("<absent>") : it->second) +
                                        "', expected '" + expected + "'");
}

/// The "config" metadata of a model file; file_error naming the file when it is not a valid gpt_config.
INDUCT_DETAIL gpt_config config_of(const safetensors_header& file) {
  try {
    return gpt_config::from_json(nlohmann::json::parse(file.metadata_value(checkpoint_keys::config)));
  } catch (const file_error&) {
    throw;
  } catch (const std::exception& e) {
    throw file_error(file.source(), std::string("corrupt checkpoint metadata 'config': ") + e.what());
  }
}

/// run_id, step and the non-reserved keys of a model file.
INDUCT_DETAIL checkpoint_info info_of(const safetensors_header& file) {
  checkpoint_info info;
  info.run_id = file.metadata_value(checkpoint_keys::run_id);
  info.step = parse_count(file, checkpoint_keys::step);
  for (const auto& [key, value] : file.metadata())
    if (!checkpoint_keys::is_reserved(key)) info.extra[key] = value;
  return info;
}

INDUCT_DETAIL std::string describe_difference(const gpt_config& found, const gpt_config& wanted) {
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

template <class Scalar>
safetensors_writer model_checkpoint_writer(const gpt<Scalar>& model, const checkpoint_info& info) {
  safetensors_writer writer;
  for (const auto& t : model.layout())
    writer.add<Scalar>(t.name, t.shape, model.parameters().subspan(t.offset, t.size));
  for (const auto& [key, value] : info.extra) {
    if (checkpoint_keys::is_reserved(key)) throw config_error("checkpoint metadata", "key '" + key + "' is reserved");
    writer.set_metadata(key, value);
  }
  writer.set_metadata(checkpoint_keys::format, model_checkpoint_format);
  writer.set_metadata(checkpoint_keys::config, model.config().to_json().dump());
  writer.set_metadata(checkpoint_keys::run_id, info.run_id);
  writer.set_metadata(checkpoint_keys::step, std::to_string(info.step));
  writer.set_metadata(checkpoint_keys::data_crc32, detail::crc_hex(crc32_update(0, writer.data_section())));
  return writer;
}

template <class Scalar>
void write_model_checkpoint(const std::filesystem::path& path, const gpt<Scalar>& model, const checkpoint_info& info) {
  model_checkpoint_writer(model, info).write(path);
}

template <class Scalar>
gpt<Scalar> read_model_checkpoint(const std::filesystem::path& path, checkpoint_info* info, const gpt_config* expected,
                                  std::uint32_t* data_crc32) {
  const auto file = safetensors_file::read(path);
  detail::check_format(file.header(), model_checkpoint_format);
  const std::uint32_t crc = detail::checked_crc(file);
  const gpt_config config = detail::config_of(file.header());
  if (expected != nullptr && !(config == *expected))
    throw file_error(file.source(), "mismatched checkpoint: its model config differs from the requested one: " +
                                        detail::describe_difference(config, *expected));
  // Every tensor of the config's layout must be in the file before the model is allocated: a corrupt
  // config (1024 layers of width 65536) would otherwise ask for terabytes the file does not hold.
  for (const auto& t : parameter_layout(config)) {
    const auto& entry = file.entry(t.name);
    if (entry.shape != t.shape)
      throw file_error(file.source(), "tensor '" + t.name + "' has shape " + safetensors_file::shape_text(entry.shape) +
                                          ", expected " + safetensors_file::shape_text(t.shape));
  }
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
  if (info != nullptr) *info = detail::info_of(file.header());
  if (data_crc32 != nullptr) *data_crc32 = crc;
  return model;
}

INDUCT_DEFINE gpt_config read_checkpoint_config(const std::filesystem::path& path) {
  const auto file = safetensors_file::read(path);
  detail::check_format(file.header(), model_checkpoint_format);
  detail::checked_crc(file);
  return detail::config_of(file.header());
}

INDUCT_DEFINE checkpoint_metadata read_checkpoint_metadata(const std::filesystem::path& path) {
  const auto header = safetensors_header::read(path);
  detail::check_format(header, model_checkpoint_format);
  return {detail::info_of(header), detail::config_of(header)};
}

INDUCT_DEFINE std::filesystem::path paired_state_path(const std::filesystem::path& model_path) {
  const auto model = safetensors_header::read(model_path);
  detail::check_format(model, model_checkpoint_format);
  const checkpoint_info info = detail::info_of(model);
  const std::string& model_crc = model.metadata_value(checkpoint_keys::data_crc32);
  std::string found;  // what the candidates are, for the error
  for (const auto& candidate : {state_path_for(model_path), pending_state_path_for(model_path)}) {
    std::error_code ec;
    if (!std::filesystem::exists(candidate, ec)) continue;
    try {
      const auto state = safetensors_header::read(candidate);
      detail::check_format(state, state_checkpoint_format);
      const std::string& run_id = state.metadata_value(checkpoint_keys::run_id);
      const std::int64_t step = detail::parse_count(state, checkpoint_keys::step);
      const std::string& paired_crc = state.metadata_value(checkpoint_keys::model_crc32);
      if (run_id == info.run_id && step == info.step && paired_crc == model_crc) return candidate;
      found += (found.empty() ? "" : "; ") + candidate.string() + " is step " + std::to_string(step) + " of run " +
               run_id + " (model CRC " + paired_crc + ")";
    } catch (const file_error& e) {
      found += (found.empty() ? "" : "; ") + std::string(e.what());
    }
  }
  if (found.empty())
    throw file_error(state_path_for(model_path).string(),
                     "missing training-state file of checkpoint " + model_path.string() + " (needed to resume)");
  throw file_error(state_path_for(model_path).string(),
                   "mismatched checkpoint pair: " + model_path.string() + " is step " + std::to_string(info.step) +
                       " of run " + info.run_id + " (CRC " + model_crc + ") but " + found +
                       "; no training state belongs to this model file");
}

INDUCT_DEFINE void recover_checkpoint(const std::filesystem::path& model_path) {
  const auto state = state_path_for(model_path), pending = pending_state_path_for(model_path);
  std::error_code ec;
  if (std::filesystem::exists(pending, ec)) {
    bool pairs = false;
    if (std::filesystem::exists(model_path, ec)) {
      try {
        pairs = paired_state_path(model_path) == pending;
      } catch (const file_error&) {
        pairs = false;  // the model itself is unreadable or pairs with nothing: leave the rest to the reader
      }
    }
    if (pairs) {
      std::filesystem::rename(pending, state, ec);
      if (ec) throw file_error(pending.string(), "cannot rename the pending training state into place: " + ec.message());
    } else {
      std::filesystem::remove(pending, ec);
    }
  }
  for (const auto& path : {model_path, state, pending}) remove_stale_temporaries(path);
}

INDUCT_DEFINE nlohmann::json read_state_trainer_json(const std::filesystem::path& model_path) {
  const auto state_path = paired_state_path(model_path);
  const auto header = safetensors_header::read(state_path);
  detail::check_format(header, state_checkpoint_format);
  const std::string& text = header.metadata_value(checkpoint_keys::trainer_config);
  nlohmann::json trainer;
  try {
    trainer = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw file_error(header.source(), std::string("corrupt checkpoint metadata 'trainer_config': ") + e.what());
  }
  if (!trainer.is_object() || !trainer.contains("trajectory") || !trainer["trajectory"].is_object() ||
      !trainer.contains("steps") || !trainer["steps"].is_number_integer())
    throw file_error(header.source(), "corrupt checkpoint metadata 'trainer_config': expected {\"trajectory\": {...}, "
                                      "\"steps\": N}, got " + text);
  return trainer;
}

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
  writer.set_metadata(checkpoint_keys::format, state_checkpoint_format);
  writer.set_metadata(checkpoint_keys::run_id, info.run_id);
  writer.set_metadata(checkpoint_keys::step, std::to_string(info.step));
  writer.set_metadata(checkpoint_keys::model_crc32, detail::crc_hex(crc32_update(0, model_writer.data_section())));
  writer.set_metadata(checkpoint_keys::adam_step, std::to_string(state.adam_step));
  writer.set_metadata(checkpoint_keys::data_batches_drawn, std::to_string(state.data.batches_drawn));
  writer.set_metadata(checkpoint_keys::trainer_config, state.trainer_config.dump());
  writer.set_metadata(checkpoint_keys::data_source, state.data_source.dump());
  writer.set_metadata(checkpoint_keys::data_crc32, detail::crc_hex(crc32_update(0, writer.data_section())));
  const auto pending = pending_state_path_for(model_path);
  writer.write(pending);
  model_writer.write(model_path);
  std::error_code ec;
  std::filesystem::rename(pending, state_path_for(model_path), ec);
  if (ec) throw file_error(pending.string(), "cannot rename the new training state into place: " + ec.message());
}

template <class Scalar>
loaded_checkpoint<Scalar> load_checkpoint(const std::filesystem::path& model_path, const gpt_config* expected) {
  checkpoint_info info;
  std::uint32_t model_crc = 0;
  gpt<Scalar> model = read_model_checkpoint<Scalar>(model_path, &info, expected, &model_crc);
  const auto state_path = paired_state_path(model_path);
  const auto file = safetensors_file::read(state_path);
  detail::check_format(file.header(), state_checkpoint_format);
  detail::checked_crc(file);
  const std::string& run_id = file.metadata_value(checkpoint_keys::run_id);
  const std::int64_t step = detail::parse_count(file.header(), checkpoint_keys::step);
  const std::string& paired_crc = file.metadata_value(checkpoint_keys::model_crc32);
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
  state.adam_step = detail::parse_count(file.header(), checkpoint_keys::adam_step);
  const auto rng = file.values<std::uint64_t>("data.rng_state", {4});
  std::copy(rng.begin(), rng.end(), state.data.rng_state.begin());
  state.data.batches_drawn = static_cast<std::uint64_t>(detail::parse_count(file.header(), checkpoint_keys::data_batches_drawn));
  state.loss_history = file.values<double>("loss_history");
  try {
    state.trainer_config = nlohmann::json::parse(file.metadata_value(checkpoint_keys::trainer_config));
    state.data_source = nlohmann::json::parse(file.metadata_value(checkpoint_keys::data_source));
  } catch (const nlohmann::json::exception& e) {
    throw file_error(state_path.string(), std::string("corrupt checkpoint metadata: ") + e.what());
  }
  return {std::move(model), std::move(info), std::move(state)};
}

}  // namespace induct::nn
