#pragma once
// Sizes checked before allocation: a command given a size that cannot fit (a 1e12-token corpus, a
// 65536-token context) is refused up front with its estimate, never by std::bad_alloc halfway, nor by
// the kernel's OOM killer after hours.
//   available memory = MemAvailable of /proc/meminfo (Linux), else the physical pages (sysconf), at most
//                      the headroom under ulimit -v and under the process's memory cgroup
//   available disk   = std::filesystem::space(folder).available
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <sys/resource.h>
#include <unistd.h>

#include "induct/core/error.hpp"

namespace induct {

namespace detail {

/// The first number in `path`'s text, or -1 (a missing file, "max", garbage).
inline double number_in_file(const std::string& path) {
  std::ifstream in(path);
  double value = -1;
  if (!(in >> value)) return -1;
  return value;
}

/// Headroom under the address-space limit (ulimit -v): RLIMIT_AS minus this process's mapped size, or -1.
inline double address_space_headroom_bytes() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return -1;
  const double pages = number_in_file("/proc/self/statm");  // first field: total program size in pages
  const long page = ::sysconf(_SC_PAGE_SIZE);
  const double mapped = pages > 0 && page > 0 ? pages * static_cast<double>(page) : 0;
  return std::max(0.0, static_cast<double>(limit.rlim_cur) - mapped);
}

/// The value of `key` in a cgroup memory.stat file, or 0.
inline double memory_stat_value(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string name;
  double value = 0;
  while (in >> name >> value)
    if (name == key) return value;
  return 0;
}

/// Headroom under this process's memory cgroup (a Slurm job's or a container's limit): the limit minus
/// the working set (usage less inactive file cache, which the kernel reclaims before it refuses): cgroup v2
/// memory.max and memory.current of its own group, else v1 memory.limit_in_bytes and memory.usage_in_bytes
/// at the memory controller's mount; -1 where there is no limit or it cannot be read.
inline double cgroup_headroom_bytes() {
  std::ifstream cgroups("/proc/self/cgroup");
  std::string line;
  while (std::getline(cgroups, line)) {
    if (line.rfind("0::", 0) != 0) continue;
    const std::string folder = "/sys/fs/cgroup" + line.substr(3);
    const double limit = number_in_file(folder + "/memory.max"), used = number_in_file(folder + "/memory.current");
    if (limit > 0 && used >= 0)
      return std::max(0.0, limit - (used - memory_stat_value(folder + "/memory.stat", "inactive_file")));
  }
  const std::string v1 = "/sys/fs/cgroup/memory/";
  const double limit = number_in_file(v1 + "memory.limit_in_bytes"), used = number_in_file(v1 + "memory.usage_in_bytes");
  if (limit > 0 && limit < 1e18 && used >= 0)  // v1 "no limit" is about 2^63
    return std::max(0.0, limit - (used - memory_stat_value(v1 + "memory.stat", "total_inactive_file")));
  return -1;
}

}  // namespace detail

/// Bytes of memory a new allocation can use now: MemAvailable of /proc/meminfo (or the physical memory
/// if unknown), lowered to the headroom under an address-space limit (ulimit -v) and under the process's
/// memory cgroup (Slurm's --mem, a container's limit), since either refuses an allocation first.
inline double available_memory_bytes() {
  double available = -1;
  {
    std::ifstream meminfo("/proc/meminfo");
    std::string key, unit;
    double kib = 0;
    while (meminfo >> key >> kib >> unit)
      if (key == "MemAvailable:") {
        available = kib * 1024.0;
        break;
      }
  }
  if (available < 0) {
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
    available = pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 1e18;
  }
  for (const double headroom : {detail::address_space_headroom_bytes(), detail::cgroup_headroom_bytes()})
    if (headroom >= 0) available = std::min(available, headroom);
  return available;
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
