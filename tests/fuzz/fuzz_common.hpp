#pragma once
// Shared by the fuzz targets: a scratch directory per process, inputs split into files, and the
// checksums the fuzzer cannot forge recomputed, so mutations reach the parsing behind them.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <unistd.h>

namespace induct::fuzz {

/// A directory of this process only (two fuzzers may run at once), removed at exit.
inline const std::filesystem::path& scratch_directory() {
  static const std::filesystem::path directory = [] {
    auto d = std::filesystem::temp_directory_path() / ("induct-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_directory(), ec);
    });
    return d;
  }();
  return directory;
}

inline void write_bytes(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// Removes `path` if present, so a part absent from the input is absent on disk too.
inline void remove_file(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
}

/// The input split at the first `separator`: {before, after}; without the separator, `second` is empty
/// and `has_second` false.
struct split_input {
  std::string first;
  std::string second;
  bool has_second = false;
};

inline split_input split_at(const std::uint8_t* data, std::size_t size, std::string_view separator) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  const auto at = all.find(separator);
  if (at == std::string_view::npos) return {std::string(all), {}, false};
  return {std::string(all.substr(0, at)), std::string(all.substr(at + separator.size())), true};
}

}  // namespace induct::fuzz
