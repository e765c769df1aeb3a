#pragma once
// The safetensors file format (https://github.com/huggingface/safetensors), read and written
// strictly: [u64 LE header size N][N bytes of JSON header][data section of raw LE tensors].
// The header maps tensor names to {"dtype", "shape", "data_offsets": [begin, end)} (offsets
// relative to the data section) and may hold "__metadata__", a map of strings to strings.
// Validation follows the reference implementation: the header size is bounded, the JSON is an
// object, every tensor's byte length equals product(shape) * sizeof(dtype), and the tensors
// tile the data section exactly (sorted by offset: no gap, no overlap, nothing past the end),
// so a truncated or spliced file is refused with the file's and the tensor's name.
// safetensors_header::read reads the size field and the header only (no tensor data) and validates
// them as safetensors_file::read does, the data section's size taken from the file's size.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/core/error.hpp"

namespace induct::nn {

/// Element types of the format, with their header spellings.
enum class tensor_dtype { f64, f32, f16, bf16, i64, i32, i16, i8, u64, u32, u16, u8, boolean };

inline std::string_view dtype_name(tensor_dtype t) noexcept {
  switch (t) {
    case tensor_dtype::f64: return "F64";
    case tensor_dtype::f32: return "F32";
    case tensor_dtype::f16: return "F16";
    case tensor_dtype::bf16: return "BF16";
    case tensor_dtype::i64: return "I64";
    case tensor_dtype::i32: return "I32";
    case tensor_dtype::i16: return "I16";
    case tensor_dtype::i8: return "I8";
    case tensor_dtype::u64: return "U64";
    case tensor_dtype::u32: return "U32";
    case tensor_dtype::u16: return "U16";
    case tensor_dtype::u8: return "U8";
    case tensor_dtype::boolean: return "BOOL";
  }
  return "?";
}

inline std::size_t dtype_size(tensor_dtype t) noexcept {
  switch (t) {
    case tensor_dtype::f64: case tensor_dtype::i64: case tensor_dtype::u64: return 8;
    case tensor_dtype::f32: case tensor_dtype::i32: case tensor_dtype::u32: return 4;
    case tensor_dtype::f16: case tensor_dtype::bf16: case tensor_dtype::i16: case tensor_dtype::u16: return 2;
    case tensor_dtype::i8: case tensor_dtype::u8: case tensor_dtype::boolean: return 1;
  }
  return 0;
}

/// The dtype of a header spelling, or false if the spelling is unknown.
inline bool parse_dtype(std::string_view name, tensor_dtype& out) noexcept {
  for (auto t : {tensor_dtype::f64, tensor_dtype::f32, tensor_dtype::f16, tensor_dtype::bf16, tensor_dtype::i64,
                 tensor_dtype::i32, tensor_dtype::i16, tensor_dtype::i8, tensor_dtype::u64, tensor_dtype::u32,
                 tensor_dtype::u16, tensor_dtype::u8, tensor_dtype::boolean}) {
    if (dtype_name(t) == name) {
      out = t;
      return true;
    }
  }
  return false;
}

/// The dtype of a C++ element type.
template <class T>
constexpr tensor_dtype dtype_of() noexcept {
  if constexpr (std::is_same_v<T, double>) return tensor_dtype::f64;
  else if constexpr (std::is_same_v<T, float>) return tensor_dtype::f32;
  else if constexpr (std::is_same_v<T, std::int64_t>) return tensor_dtype::i64;
  else if constexpr (std::is_same_v<T, std::int32_t>) return tensor_dtype::i32;
  else if constexpr (std::is_same_v<T, std::int16_t>) return tensor_dtype::i16;
  else if constexpr (std::is_same_v<T, std::int8_t>) return tensor_dtype::i8;
  else if constexpr (std::is_same_v<T, std::uint64_t>) return tensor_dtype::u64;
  else if constexpr (std::is_same_v<T, std::uint32_t>) return tensor_dtype::u32;
  else if constexpr (std::is_same_v<T, std::uint16_t>) return tensor_dtype::u16;
  else {
    static_assert(std::is_same_v<T, std::uint8_t>, "no safetensors dtype for this type");
    return tensor_dtype::u8;
  }
}

/// One tensor entry of a header: byte range [begin, end) of the data section.
struct safetensors_entry {
  std::string name;
  tensor_dtype dtype = tensor_dtype::f32;
  std::vector<std::int64_t> shape;
  std::size_t begin = 0;
  std::size_t end = 0;

  [[nodiscard]] std::size_t element_count() const noexcept {
    std::size_t n = 1;
    for (auto d : shape) n *= static_cast<std::size_t>(d);
    return n;
  }
};

namespace detail {

/// Copies `count` little-endian elements of `size` bytes into host order.
inline void copy_from_little_endian(void* destination, const unsigned char* source, std::size_t count, std::size_t size) {
  if (count == 0) return;  // an empty tensor's buffer may be null, which memcpy must not see
  std::memcpy(destination, source, count * size);
  if constexpr (std::endian::native == std::endian::big) {
    auto* bytes = static_cast<unsigned char*>(destination);
    for (std::size_t i = 0; i < count; ++i) std::reverse(bytes + i * size, bytes + (i + 1) * size);
  }
}

/// Appends `count` host-order elements of `size` bytes as little-endian bytes.
inline void append_little_endian(std::string& out, const void* source, std::size_t count, std::size_t size) {
  if (count == 0) return;  // an empty tensor's buffer may be null
  const auto* bytes = static_cast<const char*>(source);
  const std::size_t start = out.size();
  out.append(bytes, count * size);
  if constexpr (std::endian::native == std::endian::big) {
    for (std::size_t i = 0; i < count; ++i)
      std::reverse(out.begin() + static_cast<long>(start + i * size), out.begin() + static_cast<long>(start + (i + 1) * size));
  }
}

}  // namespace detail

/// The header of a safetensors file, validated: its entries (in data-section order) and __metadata__.
/// Validation is the whole file's (entries tile a data section of `data_size` bytes), so a header read
/// alone (read_header) refuses exactly what safetensors_file::read refuses for the header and layout.
class safetensors_header {
 public:
  /// Largest accepted header (the reference implementation's limit): a bigger size field means corruption.
  static constexpr std::uint64_t max_header_bytes = 100'000'000;

  /// Reads only the 8-byte size field and the JSON header of `path` (no tensor data), validated
  /// against the file's size; file_error naming the file (and the tensor, where one is at fault).
  static safetensors_header read(const std::filesystem::path& path) {
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

  /// The header size field of a file whose `following` bytes come after it; file_error if out of bounds.
  static std::uint64_t checked_header_size(const std::string& source, const unsigned char* size_field,
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

  /// Validates the JSON header text of a file whose data section has `data_size` bytes.
  static safetensors_header parse(std::string_view header_text, std::size_t data_size, const std::string& source) {
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
          file.metadata_[key] = text.get<std::string>();
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

  [[nodiscard]] const std::string& source() const noexcept { return source_; }
  /// Entries in data-section order.
  [[nodiscard]] const std::vector<safetensors_entry>& entries() const noexcept { return entries_; }
  [[nodiscard]] const std::map<std::string, std::string>& metadata() const noexcept { return metadata_; }

  [[nodiscard]] bool contains(std::string_view name) const noexcept { return find(name) != nullptr; }

  /// The entry named `name`; file_error naming the file and the tensor if absent.
  [[nodiscard]] const safetensors_entry& entry(std::string_view name) const {
    if (const auto* e = find(name)) return *e;
    throw file_error(source_, "missing tensor '" + std::string(name) + "'");
  }

  /// A metadata value; file_error if the key is absent.
  [[nodiscard]] const std::string& metadata_value(const std::string& key) const {
    auto it = metadata_.find(key);
    if (it == metadata_.end()) throw file_error(source_, "missing __metadata__ key '" + key + "'");
    return it->second;
  }

  static std::string shape_text(const std::vector<std::int64_t>& shape) {
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
      if (i) text += ", ";  // appended piecewise: GCC 12 warns falsely (-Wrestrict) on "literal" + to_string
      text += std::to_string(shape[i]);
    }
    return text + "]";
  }

 private:
  [[nodiscard]] const safetensors_entry* find(std::string_view name) const noexcept {
    for (const auto& e : entries_)
      if (e.name == name) return &e;
    return nullptr;
  }

  static safetensors_entry parse_entry(const std::string& source, const std::string& name, const nlohmann::json& value,
                                       std::size_t data_size) {
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

  std::string source_;
  std::vector<safetensors_entry> entries_;
  std::map<std::string, std::string> metadata_;
};

/// A parsed safetensors file held in memory: header entries, metadata and the data section.
class safetensors_file {
 public:
  /// Largest accepted header (the reference implementation's limit): a bigger size field means corruption.
  static constexpr std::uint64_t max_header_bytes = safetensors_header::max_header_bytes;

  /// Reads and validates `path`; file_error naming the file (and the tensor, where one is at fault).
  static safetensors_file read(const std::filesystem::path& path) {
    return parse(read_text_file(path), path.string());
  }

  /// Validates the bytes of a whole file; `source` names it in errors.
  static safetensors_file parse(std::string bytes, const std::string& source) {
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

  /// The validated header (entries and metadata).
  [[nodiscard]] const safetensors_header& header() const noexcept { return header_; }
  [[nodiscard]] const std::string& source() const noexcept { return header_.source(); }
  /// Entries in data-section order.
  [[nodiscard]] const std::vector<safetensors_entry>& entries() const noexcept { return header_.entries(); }
  [[nodiscard]] const std::map<std::string, std::string>& metadata() const noexcept { return header_.metadata(); }

  [[nodiscard]] bool contains(std::string_view name) const noexcept { return header_.contains(name); }

  /// The entry named `name`; file_error naming the file and the tensor if absent.
  [[nodiscard]] const safetensors_entry& entry(std::string_view name) const { return header_.entry(name); }

  /// A metadata value; file_error if the key is absent.
  [[nodiscard]] const std::string& metadata_value(const std::string& key) const { return header_.metadata_value(key); }

  /// Raw little-endian bytes of a tensor.
  [[nodiscard]] std::span<const unsigned char> raw(std::string_view name) const {
    const auto& e = entry(name);
    return {reinterpret_cast<const unsigned char*>(bytes_.data()) + data_offset_ + e.begin, e.end - e.begin};
  }

  /// The whole data section (all tensors' bytes, in file order).
  [[nodiscard]] std::span<const unsigned char> data_section() const noexcept {
    return {reinterpret_cast<const unsigned char*>(bytes_.data()) + data_offset_, bytes_.size() - data_offset_};
  }

  /// A tensor's elements as T: integer tensors convert only to the same integer type; float tensors
  /// (F32/F64) convert to float or double. file_error naming the tensor on a dtype mismatch.
  template <class T>
  [[nodiscard]] std::vector<T> values(std::string_view name) const {
    const auto& e = entry(name);
    const auto bytes = raw(name);
    const std::size_t n = e.element_count();
    std::vector<T> out(n);
    if (e.dtype == dtype_of<T>()) {
      detail::copy_from_little_endian(out.data(), bytes.data(), n, sizeof(T));
      return out;
    }
    if constexpr (std::is_floating_point_v<T>) {
      if (e.dtype == tensor_dtype::f64) {
        std::vector<double> wide(n);
        detail::copy_from_little_endian(wide.data(), bytes.data(), n, 8);
        std::transform(wide.begin(), wide.end(), out.begin(), [](double x) { return static_cast<T>(x); });
        return out;
      }
      if (e.dtype == tensor_dtype::f32) {
        std::vector<float> narrow(n);
        detail::copy_from_little_endian(narrow.data(), bytes.data(), n, 4);
        std::transform(narrow.begin(), narrow.end(), out.begin(), [](float x) { return static_cast<T>(x); });
        return out;
      }
    }
    throw file_error(source(), "tensor '" + e.name + "' has dtype " + std::string(dtype_name(e.dtype)) +
                                  ", expected " + std::string(dtype_name(dtype_of<T>())));
  }

  /// values<T>() after checking the shape; file_error naming the tensor and both shapes on mismatch.
  template <class T>
  [[nodiscard]] std::vector<T> values(std::string_view name, const std::vector<std::int64_t>& expected_shape) const {
    const auto& e = entry(name);
    if (e.shape != expected_shape)
      throw file_error(source(), "tensor '" + e.name + "' has shape " + shape_text(e.shape) + ", expected " +
                                    shape_text(expected_shape));
    return values<T>(name);
  }

  static std::string shape_text(const std::vector<std::int64_t>& shape) { return safetensors_header::shape_text(shape); }

 private:
  safetensors_header header_;
  std::string bytes_;
  std::size_t data_offset_ = 0;
};

/// Builds a safetensors file: tensors are laid out in the order added; the header is padded with
/// spaces to a multiple of 8 bytes so every tensor starts 8-byte aligned (as the reference writer does).
class safetensors_writer {
 public:
  void set_metadata(const std::string& key, const std::string& value) { metadata_[key] = value; }

  /// Adds a tensor of raw host-order elements; config_error if the name repeats or the size disagrees.
  void add_raw(const std::string& name, tensor_dtype dtype, std::vector<std::int64_t> shape, const void* data,
               std::size_t element_count) {
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

  template <class T>
  void add(const std::string& name, std::vector<std::int64_t> shape, std::span<const T> values) {
    add_raw(name, dtype_of<T>(), std::move(shape), values.data(), values.size());
  }
  template <class T>
  void add(const std::string& name, std::vector<std::int64_t> shape, const std::vector<T>& values) {
    add<T>(name, std::move(shape), std::span<const T>(values));
  }

  /// The tensors' bytes so far (the future data section), e.g. for a checksum stored in metadata.
  [[nodiscard]] std::span<const unsigned char> data_section() const noexcept {
    return {reinterpret_cast<const unsigned char*>(data_.data()), data_.size()};
  }

  /// The complete file as bytes.
  [[nodiscard]] std::string serialize() const {
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

  /// Writes the file atomically (temporary + rename).
  void write(const std::filesystem::path& path) const { write_text_atomically(path, serialize()); }

 private:
  std::vector<safetensors_entry> entries_;
  std::map<std::string, std::string> metadata_;
  std::string data_;
};

}  // namespace induct::nn
