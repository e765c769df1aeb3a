#pragma once
// Atomic file replacement: write to a temporary sibling, flush, then rename over the target,
// so a crash never leaves a half-written corpus, checkpoint or result table.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>
#include <cerrno>
#include <csignal>
#include <unistd.h>

#include "induct/core/error.hpp"

namespace induct {

/// Calls `write(out)` on a stream to `path + ".tmp.<pid>"`, then renames it to `path`.
/// On any exception the temporary is removed and `path` is left as it was.
inline void write_file_atomically(const std::filesystem::path& path,
                                  const std::function<void(std::ostream&)>& write) {
  const std::filesystem::path temporary =
      path.string() + ".tmp." + std::to_string(static_cast<long>(::getpid()));
  try {
    {
      std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
      if (!out) throw file_error(temporary.string(), "cannot open for writing");
      write(out);
      out.flush();
      if (!out) throw file_error(temporary.string(), "write failed (disk full?)");
    }
    // fsync the data before the rename makes it visible under the final name.
    if (FILE* f = std::fopen(temporary.c_str(), "rb")) {
      ::fsync(::fileno(f));
      std::fclose(f);
    }
    std::error_code ec;
    std::filesystem::rename(temporary, path, ec);
    if (ec) throw file_error(path.string(), "cannot rename temporary into place: " + ec.message());
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw;
  }
}

/// Removes the temporaries `path + ".tmp.<pid>"` that write_file_atomically left behind when process
/// <pid> was killed mid-write (a process that is still running keeps its temporary). Returns how many.
inline int remove_stale_temporaries(const std::filesystem::path& path) {
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const std::string prefix = path.filename().string() + ".tmp.";
  std::error_code ec;
  int removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) continue;
    const auto pid = static_cast<pid_t>(std::stol(digits));
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to judge
    std::error_code ignored;
    if (std::filesystem::remove(entry.path(), ignored)) ++removed;
  }
  return removed;
}

/// Writes a whole string atomically.
inline void write_text_atomically(const std::filesystem::path& path, std::string_view text) {
  write_file_atomically(path, [&](std::ostream& out) { out.write(text.data(), static_cast<std::streamsize>(text.size())); });
}

/// Reads a whole file; file_error if it cannot be opened.
inline std::string read_text_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw file_error(path.string(), "is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw file_error(path.string(), "cannot open for reading");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw file_error(path.string(), "read failed");
  return text;
}

}  // namespace induct
