#pragma once
// Sizes checked before allocation: a command given a size that cannot fit (a 1e12-token corpus, a
// 65536-token context) is refused up front with its estimate, never by std::bad_alloc halfway, nor by
// the kernel's OOM killer after hours.
//   available memory = MemAvailable of /proc/meminfo (Linux), else the physical pages (sysconf)
//   available disk   = std::filesystem::space(folder).available
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <unistd.h>

#include "induct/core/error.hpp"

namespace induct {

/// Bytes of memory a new allocation can use now (MemAvailable), or the physical memory if unknown.
inline double available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  double kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib * 1024.0;
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 1e18;
}

/// "1.5 GiB", "12 MiB", "512 bytes".
inline std::string bytes_text(double bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 6) {
    bytes /= 1024.0;
    ++u;
  }
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, u == 0 ? "%.0f %s" : "%.3g %s", bytes, units[u]);
  return buffer;
}

/// Throws resource_error unless `needed_bytes` fits in the memory available now; `what` names the
/// computation and the inputs that sized it ("training at context 65536, batch 16").
inline void require_memory(double needed_bytes, const std::string& what) {
  const double available = available_memory_bytes();
  if (needed_bytes > available)
    throw resource_error(what + " needs about " + bytes_text(needed_bytes) + " of memory, but only " +
                             bytes_text(available) + " is available",
                         needed_bytes, available);
}

/// Throws resource_error unless `needed_bytes` fit on the file system of `path` (or of its nearest
/// existing parent folder).
inline void require_disk(double needed_bytes, const std::filesystem::path& path, const std::string& what) {
  std::filesystem::path folder = std::filesystem::absolute(path).parent_path();
  std::error_code ec;
  while (!folder.empty() && !std::filesystem::exists(folder, ec) && folder != folder.root_path()) folder = folder.parent_path();
  const auto space = std::filesystem::space(folder, ec);
  if (ec) return;  // unknown: the write itself reports a full disk
  const double available = static_cast<double>(space.available);
  if (needed_bytes > available)
    throw resource_error(what + " needs about " + bytes_text(needed_bytes) + " on " + folder.string() + ", but only " +
                             bytes_text(available) + " is free",
                         needed_bytes, available);
}

}  // namespace induct
