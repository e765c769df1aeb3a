// The progress bar and the log lines on a real pseudo-terminal (issue 18, core/progress.hpp): `induct train`
// run under script(1), its output replayed through a minimal terminal (carriage return, erase to the end of
// the line, newline) to get the lines a person sees. No seen line holds both bar text and a log line; with
// stdout redirected to a file the file holds the JSON lines only; off a terminal no control character.
#include <doctest/doctest.h>

#include "run_shell.hpp"

#include <cstddef>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/setup/corpus.hpp"

namespace {

/// The lines a terminal shows for `bytes`: '\r' moves to column 0, "\033[K" erases from the cursor to the
/// end of the line, '\n' ends the line; other bytes overwrite at the cursor. Other escapes are kept as text.
std::vector<std::string> seen_lines(const std::string& bytes) {
  std::vector<std::string> lines;
  std::string line;
  std::size_t column = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (c == '\r') {
      column = 0;
    } else if (c == '\n') {
      lines.push_back(line);
      line.clear();
      column = 0;
    } else if (c == '\033' && bytes.compare(i, 3, "\033[K") == 0) {
      line.resize(column);
      i += 2;
    } else {
      if (column < line.size()) line[column] = c;
      else line.push_back(c);
      ++column;
    }
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

bool is_log_line(const std::string& line) { return line.find("{\"elapsed_s\"") != std::string::npos; }
bool is_bar_text(const std::string& line) {
  return line.find("train [") != std::string::npos || line.find("ETA") != std::string::npos;
}

std::vector<std::string> text_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

struct terminal_workspace {
  std::filesystem::path dir = induct_test::fresh_scratch("induct_test_terminal_", std::to_string(::getpid()));
  std::string corpus;
  terminal_workspace() {
    std::filesystem::create_directories(dir);
    corpus = (dir / "corpus.tok").string();
    induct::setup::write_corpus(induct::setup::world{}, 5, 20000, corpus);
  }
  /// A training long enough (about a second) that the bar is drawn between log lines.
  [[nodiscard]] std::string train(const std::string& model) const {
    return std::string(INDUCT_TOOL_PATH) + " train --corpus " + corpus + " --out " + (dir / model).string() +
           " --layers 1 --width 16 --heads 2 --context 32 --batch 4 --steps 3000 --log-every 300 --threads 1";
  }
  /// `command` run with a pseudo-terminal as its stdin, stdout and stderr (script -q: no banner; -e: its status).
  [[nodiscard]] induct_test::shell_result on_terminal(const std::string& command) const {
    return induct_test::run_shell("script -qfec '" + command + "' /dev/null");
  }
};

}  // namespace

TEST_CASE("on a terminal the bar and the JSON log lines never share a line") {
  REQUIRE(induct_test::run_shell("command -v script").status == 0);  // util-linux's script(1)
  const terminal_workspace w;
  const auto run = w.on_terminal(w.train("model.safetensors"));
  INFO(run.out);
  REQUIRE(run.status == 0);
  // The bar was on the line when a log line came: it was cleared first (else the test would prove nothing).
  CHECK(run.out.find("\r\033[K{\"elapsed_s\"") != std::string::npos);
  const auto lines = seen_lines(run.out);
  std::size_t logs = 0, bars = 0;
  for (const auto& line : lines) {
    INFO(line);
    CHECK_FALSE((is_log_line(line) && is_bar_text(line)));
    if (is_log_line(line)) {
      ++logs;
      CHECK(nlohmann::json::parse(line).at("step").get<int>() == 300 * static_cast<int>(logs));  // whole and in order
    }
    bars += is_bar_text(line);
  }
  CHECK(logs == 10);
  CHECK(bars == 1);  // the finished bar's line, under the last log line
  CHECK(is_bar_text(lines.at(lines.size() - 2)));
  CHECK(lines.back().rfind("trained 3000 steps: training loss ", 0) == 0);
}

TEST_CASE("stdout to a file holds only the JSON lines; --log FILE too; off a terminal no control characters") {
  const terminal_workspace w;
  const auto log = (w.dir / "stdout.jsonl").string();
  const auto run = w.on_terminal(w.train("model.safetensors") + " --json > " + log);
  INFO(run.out);
  REQUIRE(run.status == 0);
  CHECK(run.out.find("train [") != std::string::npos);  // the bar was on the terminal (stderr)
  const auto file = induct::read_text_file(log);
  CHECK(file.find('\r') == std::string::npos);
  CHECK(file.find('\033') == std::string::npos);
  const auto lines = text_lines(file);
  REQUIRE(lines.size() == 11);  // 10 log lines and the --json summary object
  for (const auto& line : lines) CHECK(nlohmann::json::parse(line).is_object());
  CHECK(nlohmann::json::parse(lines.back()).at("steps") == 3000);

  // --log FILE: the file holds the log lines only, the terminal the bar and the summary.
  const auto log_file = (w.dir / "train.log").string();
  const auto logged = w.on_terminal(w.train("logged.safetensors") + " --log " + log_file);
  REQUIRE(logged.status == 0);
  const auto logged_lines = text_lines(induct::read_text_file(log_file));
  CHECK(logged_lines.size() == 10);
  for (const auto& line : logged_lines) CHECK(is_log_line(line));
  for (const auto& line : seen_lines(logged.out)) CHECK_FALSE(is_log_line(line));

  // Not a terminal (stderr a pipe): the same run writes no bar and no control character at all.
  const auto piped = induct_test::run_shell(w.train("piped.safetensors") + " 2>&1 | cat");
  REQUIRE(piped.status == 0);
  CHECK(piped.out.find('\r') == std::string::npos);
  CHECK(piped.out.find('\033') == std::string::npos);
  CHECK(piped.out.find("train [") == std::string::npos);
}
