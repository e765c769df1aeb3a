#pragma once
// Definitions for nn/safetensors.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/core/error.hpp"
#include "induct/nn/safetensors.hpp"

namespace induct::nn {

INDUCT_DEFINE safetensors_header safetensors_header::read(const std::filesystem::path& path) {
  const std::string source = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw file_error(source, "cannot open for reading");
  std::error_code ec;
  const std::uintmax_t file_size = std::filesystem::file_size(path, ec);
  if (ec) throw file_error(source, "cannot read the file size: " + ec.message());
  unsigned char size_field[8] = {};
  in.read(reinterpret_cast<char*>(size_field), 8);
  if (file_size < 8 || in.gcount() != 8)
    throw file_error(source, "truncated safetensors file: " + std::to_string(file_size) +
                                 " bytes, fewer than the 8-byte header size field");
  const std::uint64_t header_size = checked_header_size(source, size_field, file_size - 8);
  std::string header_text(static_cast<std::size_t>(header_size), '\0');
  in.read(header_text.data(), static_cast<std::streamsize>(header_size));
  if (static_cast<std::uint64_t>(in.gcount()) != header_size)
    throw file_error(source, "truncated safetensors file: header size field says " + std::to_string(header_size) +
                                 " bytes but only " + std::to_string(in.gcount()) + " could be read");
  return parse(header_text, static_cast<std::size_t>(file_size - 8 - header_size), source);
}

INDUCT_DEFINE std::uint64_t safetensors_header::checked_header_size(const std::string& source,
                                                                   const unsigned char* size_field,
                                                                   std::uint64_t following) {
  std::uint64_t header_size = 0;
  detail::copy_from_little_endian(&header_size, size_field, 1, 8);
  if (header_size < 2 || header_size > max_header_bytes)
    throw file_error(source, "corrupt safetensors file: header size field " + std::to_string(header_size) +
                                 " is outside [2, " + std::to_string(max_header_bytes) + "]");
  if (header_size > following)
    throw file_error(source, "truncated safetensors file: header size field says " + std::to_string(header_size) +
                                 " bytes but only " + std::to_string(following) + " follow");
  return header_size;
}

INDUCT_DEFINE safetensors_header safetensors_header::parse(std::string_view header_text, std::size_t data_size,
                                                          const std::string& source) {
  safetensors_header file;
  file.source_ = source;
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(header_text);
  } catch (const nlohmann::json::parse_error& e) {
    throw file_error(source, std::string("corrupt safetensors header (invalid JSON): ") + e.what());
  }
  if (!header.is_object()) throw file_error(source, "corrupt safetensors header: the JSON header is not an object");
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) throw file_error(source, "corrupt safetensors header: __metadata__ is not an object");
      for (const auto& [key, text] : value.items()) {
        if (!text.is_string())
          throw file_error(source, "corrupt safetensors header: __metadata__ value of '" + key + "' is not a string");
        file.metadata_[key] = text.template get<std::string>();  // GCC takes a binding as dependent
      }
      continue;
    }
    file.entries_.push_back(parse_entry(source, name, value, data_size));
  }
  // The entries must tile the data section: sorted by offset, each begins where the previous ended.
  std::vector<const safetensors_entry*> by_offset;
  for (const auto& e : file.entries_) by_offset.push_back(&e);
  std::stable_sort(by_offset.begin(), by_offset.end(), [](const auto* a, const auto* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  std::size_t expected_begin = 0;
  for (const auto* e : by_offset) {
    if (e->begin < expected_begin)
      throw file_error(source, "corrupt safetensors header: tensor '" + e->name + "' at bytes [" +
                                   std::to_string(e->begin) + ", " + std::to_string(e->end) +
                                   ") overlaps the previous tensor, which ends at " + std::to_string(expected_begin));
    if (e->begin > expected_begin)
      throw file_error(source, "corrupt safetensors header: gap of " + std::to_string(e->begin - expected_begin) +
                                   " bytes before tensor '" + e->name + "'");
    expected_begin = e->end;
  }
  if (expected_begin != data_size)
    throw file_error(source, "corrupt safetensors file: the tensors cover " + std::to_string(expected_begin) +
                                 " bytes but the data section has " + std::to_string(data_size) +
                                 " (trailing bytes)");
  std::sort(file.entries_.begin(), file.entries_.end(),
            [](const auto& a, const auto& b) { return a.begin != b.begin ? a.begin < b.begin : a.name < b.name; });
  return file;
}

INDUCT_DEFINE std::string safetensors_header::shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) text += ", ";  // appended piecewise: GCC 12 warns falsely (-Wrestrict) on "literal" + to_string
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

INDUCT_DEFINE safetensors_entry safetensors_header::parse_entry(const std::string& source, const std::string& name,
                                                               const nlohmann::json& value, std::size_t data_size) {
  const auto bad = [&](const std::string& why) {
    return file_error(source, "corrupt safetensors header: tensor '" + name + "': " + why);
  };
  if (!value.is_object()) throw bad("entry is not an object");
  for (const auto& [key, ignored] : value.items())
    if (key != "dtype" && key != "shape" && key != "data_offsets") throw bad("unknown field '" + key + "'");
  if (!value.contains("dtype") || !value["dtype"].is_string()) throw bad("missing or non-string dtype");
  if (!value.contains("shape") || !value["shape"].is_array()) throw bad("missing or non-array shape");
  if (!value.contains("data_offsets") || !value["data_offsets"].is_array() || value["data_offsets"].size() != 2)
    throw bad("data_offsets must be an array [begin, end]");
  safetensors_entry e;
  e.name = name;
  if (!parse_dtype(value["dtype"].get<std::string>(), e.dtype))
    throw bad("unknown dtype '" + value["dtype"].get<std::string>() + "'");
  std::size_t elements = 1;
  for (const auto& d : value["shape"]) {
    if (!d.is_number_unsigned()) throw bad("shape entries must be non-negative integers");
    const auto extent = d.get<std::uint64_t>();
    if (extent > (std::uint64_t{1} << 40) || (extent && elements > (std::uint64_t{1} << 48) / extent))
      throw bad("shape is too large");
    elements *= static_cast<std::size_t>(extent);
    e.shape.push_back(static_cast<std::int64_t>(extent));
  }
  for (const auto& o : value["data_offsets"])
    if (!o.is_number_unsigned()) throw bad("data_offsets must be non-negative integers");
  const auto begin = value["data_offsets"][0].get<std::uint64_t>();
  const auto end = value["data_offsets"][1].get<std::uint64_t>();
  if (begin > end) throw bad("data_offsets begin " + std::to_string(begin) + " > end " + std::to_string(end));
  if (end - begin != elements * dtype_size(e.dtype))
    throw bad("data_offsets span " + std::to_string(end - begin) + " bytes but shape " + shape_text(e.shape) + " of " +
              std::string(dtype_name(e.dtype)) + " needs " + std::to_string(elements * dtype_size(e.dtype)));
  if (end > data_size)
    throw file_error(source, "truncated safetensors file: tensor '" + name + "' needs data bytes [" +
                                 std::to_string(begin) + ", " + std::to_string(end) + ") but the data section has " +
                                 std::to_string(data_size));
  e.begin = static_cast<std::size_t>(begin);
  e.end = static_cast<std::size_t>(end);
  return e;
}

INDUCT_DEFINE safetensors_file safetensors_file::read(const std::filesystem::path& path) {
  return parse(read_text_file(path), path.string());
}

INDUCT_DEFINE safetensors_file safetensors_file::parse(std::string bytes, const std::string& source) {
  if (bytes.size() < 8)
    throw file_error(source, "truncated safetensors file: " + std::to_string(bytes.size()) +
                                 " bytes, fewer than the 8-byte header size field");
  const std::uint64_t header_size = safetensors_header::checked_header_size(
      source, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size() - 8);
  safetensors_file file;
  file.header_ = safetensors_header::parse(std::string_view(bytes.data() + 8, header_size),
                                           bytes.size() - 8 - header_size, source);
  file.data_offset_ = 8 + static_cast<std::size_t>(header_size);
  file.bytes_ = std::move(bytes);
  return file;
}

INDUCT_DEFINE void safetensors_writer::add_raw(const std::string& name, tensor_dtype dtype, std::vector<std::int64_t> shape,
                                              const void* data, std::size_t element_count) {
  if (name.empty() || name == "__metadata__") throw config_error("tensor name", "'" + name + "' is reserved or empty");
  for (const auto& e : entries_)
    if (e.name == name) throw config_error("tensor name", "tensor '" + name + "' added twice");
  safetensors_entry e;
  e.name = name;
  e.dtype = dtype;
  e.shape = std::move(shape);
  for (auto d : e.shape)
    if (d < 0) throw config_error("tensor shape", "tensor '" + name + "' has a negative extent");
  if (e.element_count() != element_count)
    throw config_error("tensor shape", "tensor '" + name + "' has shape " + safetensors_file::shape_text(e.shape) +
                                           " but " + std::to_string(element_count) + " elements");
  e.begin = data_.size();
  detail::append_little_endian(data_, data, element_count, dtype_size(dtype));
  e.end = data_.size();
  entries_.push_back(std::move(e));
}

INDUCT_DEFINE std::string safetensors_writer::serialize() const {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata_.empty()) header["__metadata__"] = metadata_;
  for (const auto& e : entries_)
    header[e.name] = {{"dtype", std::string(dtype_name(e.dtype))}, {"shape", e.shape}, {"data_offsets", {e.begin, e.end}}};
  std::string header_text = header.dump();
  header_text.append((8 - header_text.size() % 8) % 8, ' ');
  std::string out;
  out.reserve(8 + header_text.size() + data_.size());
  const std::uint64_t header_size = header_text.size();
  detail::append_little_endian(out, &header_size, 1, 8);
  out += header_text;
  out += data_;
  return out;
}

INDUCT_DEFINE void safetensors_writer::write(const std::filesystem::path& path) const {
  write_text_atomically(path, serialize());
}

}  // namespace induct::nn
