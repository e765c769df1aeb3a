// Fuzz target: the safetensors reader, the model checkpoint reader and the training-state reader.
// Input: a model file, optionally followed by "INDUCTSTATE" and its state file. The "data_crc32" and
// "model_crc32" metadata values are recomputed before writing (when they are 8 characters long), since
// the fuzzer cannot forge a CRC-32 and the readers stop at a mismatch before the rest of the checks.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_common.hpp"
#include "induct/core/error.hpp"
#include "induct/core/hash.hpp"
#include "induct/nn/checkpoint.hpp"
#include "induct/nn/safetensors.hpp"

namespace {

/// The bytes after the header of a well-framed safetensors file, or nothing.
bool data_section(const std::string& file, std::string_view& data, std::string_view& header) {
  if (file.size() < 8) return false;
  std::uint64_t header_size = 0;
  std::memcpy(&header_size, file.data(), 8);
  if (header_size > file.size() - 8) return false;
  header = std::string_view(file).substr(8, header_size);
  data = std::string_view(file).substr(8 + header_size);
  return true;
}

std::string crc_text(std::string_view bytes) {
  char text[9];
  std::snprintf(text, sizeof text, "%08x", induct::crc32_update(0, bytes.data(), bytes.size()));
  return text;
}

/// Overwrites the value of "key":"xxxxxxxx" in the header with `value` (same length, so framing holds).
void patch_metadata(std::string& file, std::string_view key, const std::string& value) {
  std::string_view data, header;
  if (!data_section(file, data, header)) return;
  const std::string needle = "\"" + std::string(key) + "\":\"";
  const auto at = header.find(needle);
  if (at == std::string_view::npos) return;
  const std::size_t begin = 8 + at + needle.size();
  if (begin + 8 < 8 + header.size() && file[begin + 8] == '"') file.replace(begin, 8, value);
}

template <class T>
void read_every_tensor(const induct::nn::safetensors_file& file) {
  for (const auto& e : file.entries()) {
    try {
      (void)file.values<T>(e.name);
    } catch (const induct::error&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace nn = induct::nn;
  auto parts = induct::fuzz::split_at(data, size, "INDUCTSTATE");
  std::string_view model_data, ignored;
  if (data_section(parts.first, model_data, ignored)) {
    const std::string model_crc = crc_text(model_data);
    patch_metadata(parts.first, "data_crc32", model_crc);
    patch_metadata(parts.second, "model_crc32", model_crc);
  }
  std::string_view state_data;
  if (data_section(parts.second, state_data, ignored)) patch_metadata(parts.second, "data_crc32", crc_text(state_data));

  const auto model = induct::fuzz::scratch_directory() / "model.safetensors";
  induct::fuzz::write_bytes(model, parts.first);
  induct::fuzz::remove_file(nn::pending_state_path_for(model));
  if (parts.has_second)
    induct::fuzz::write_bytes(nn::state_path_for(model), parts.second);
  else
    induct::fuzz::remove_file(nn::state_path_for(model));

  try {
    const auto file = nn::safetensors_file::read(model);
    read_every_tensor<float>(file);
    read_every_tensor<double>(file);
    read_every_tensor<std::int64_t>(file);
    read_every_tensor<std::uint8_t>(file);
  } catch (const induct::error&) {
  }
  try {
    (void)nn::safetensors_header::read(model);
  } catch (const induct::error&) {
  }
  try {
    (void)nn::read_checkpoint_metadata(model);
  } catch (const induct::error&) {
  }
  try {
    (void)nn::read_checkpoint_config(model);
  } catch (const induct::error&) {
  }
  try {
    (void)nn::read_model_checkpoint<float>(model);
  } catch (const induct::error&) {
  }
  try {
    (void)nn::read_state_trainer_json(model);
  } catch (const induct::error&) {
  }
  try {
    (void)nn::load_checkpoint<float>(model);
  } catch (const induct::error&) {
  }
  return 0;
}
