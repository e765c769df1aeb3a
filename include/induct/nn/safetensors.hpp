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
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "induct/core/error.hpp"
#include "induct/core/linkage.hpp"

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
  INDUCT_DECLARE static safetensors_header read(const std::filesystem::path& path);

  /// The header size field of a file whose `following` bytes come after it; file_error if out of bounds.
  INDUCT_DECLARE static std::uint64_t checked_header_size(const std::string& source, const unsigned char* size_field,
                                                          std::uint64_t following);

  /// Validates the JSON header text of a file whose data section has `data_size` bytes.
  INDUCT_DECLARE static safetensors_header parse(std::string_view header_text, std::size_t data_size,
                                                 const std::string& source);

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

  INDUCT_DECLARE static std::string shape_text(const std::vector<std::int64_t>& shape);

 private:
  [[nodiscard]] const safetensors_entry* find(std::string_view name) const noexcept {
    for (const auto& e : entries_)
      if (e.name == name) return &e;
    return nullptr;
  }

  INDUCT_DECLARE static safetensors_entry parse_entry(const std::string& source, const std::string& name,
                                                      const nlohmann::json& value, std::size_t data_size);

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
  INDUCT_DECLARE static safetensors_file read(const std::filesystem::path& path);

  /// Validates the bytes of a whole file; `source` names it in errors.
  INDUCT_DECLARE static safetensors_file parse(std::string bytes, const std::string& source);

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
  INDUCT_DECLARE void add_raw(const std::string& name, tensor_dtype dtype, std::vector<std::int64_t> shape,
                              const void* data, std::size_t element_count);

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
  INDUCT_DECLARE [[nodiscard]] std::string serialize() const;

  /// Writes the file atomically (temporary + rename).
  INDUCT_DECLARE void write(const std::filesystem::path& path) const;

 private:
  std::vector<safetensors_entry> entries_;
  std::map<std::string, std::string> metadata_;
  std::string data_;
};

}  // namespace induct::nn

#if INDUCT_HEADER_ONLY
#include "induct/nn/detail/safetensors_impl.hpp"
#endif
