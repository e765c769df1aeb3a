#pragma once
// One shell runner for every CLI test: the command's stdout and its exit status (-1 if it did not exit).
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

namespace induct_test {

struct shell_result {
  int status;
  std::string out;
};

inline shell_result run_shell(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe)) out += buffer.data();
  const int raw = ::pclose(pipe);
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, out};
}

/// The experiment commands' runner: the induct tool on one thread (deterministic, and fair to the other
/// tests running beside it), stderr merged into the output.
struct command_result {
  int status = -1;
  std::string output;
};

inline command_result run_tool_one_thread(const std::string& arguments) {
  const auto r = run_shell("OMP_NUM_THREADS=1 " + std::string(INDUCT_TOOL_PATH) + " " + arguments + " 2>&1");
  return {r.status, r.out};
}

/// An empty scratch path <tmp>/<prefix><name> (removed if it exists; the command creates it).
inline std::filesystem::path fresh_scratch(const std::string& prefix, const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / (prefix + name);
  std::filesystem::remove_all(dir);
  return dir;
}

}  // namespace induct_test
