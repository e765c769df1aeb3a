// The induct tool as a product: every command's --help, the version, and a table of bad invocations,
// each with its documented exit code (usage 2, bad input 1), a message naming the option, and a JSON
// error on stderr with --json.
#include <doctest/doctest.h>

#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run_shell.hpp"

namespace {

using induct_test::run_shell;

/// stdout only (stderr dropped), or stderr only (stdout dropped).
induct_test::shell_result tool_stdout(const std::string& arguments) {
  return run_shell(std::string(INDUCT_TOOL_PATH) + " " + arguments + " 2>/dev/null");
}
induct_test::shell_result tool_stderr(const std::string& arguments) {
  return run_shell(std::string(INDUCT_TOOL_PATH) + " " + arguments + " 2>&1 >/dev/null");
}

/// Lines of a help text that declare an option: "  --name ..." (or "  -h,--help").
std::vector<std::string> option_lines(const std::string& help, const std::string& option) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < help.size()) {
    auto end = help.find('\n', start);
    if (end == std::string::npos) end = help.size();
    const std::string line = help.substr(start, end - start);
    const std::regex declares("^\\s+(-[a-zA-Z],)?" + option + "( |,|$)");
    if (std::regex_search(line, declares)) lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

struct command_options {
  std::string command;
  std::vector<std::string> with_default;  // options that have a default, printed as =value
  std::vector<std::string> without_default;
};

// Every leaf command and its options (the world group is checked on `world` and `demo`).
const std::vector<command_options> commands = {
    {"grammar check", {"--threads"}, {"--normalise", "--json"}},
    {"grammar sample", {"--count", "--seed", "--threads"}, {"--tree", "--normalise", "--json"}},
    {"grammar logprob", {"--threads"}, {"--string", "--normalise"}},
    {"grammar next", {"--top", "--threads"}, {"--prefix"}},
    {"grammar stats", {"--threads"}, {"--normalise"}},
    {"world",
     {"--entities", "--functions", "--bijection-fraction", "--filler-words", "--world-seed", "--depth-continue",
      "--max-depth", "--share-fact", "--share-direct-list", "--share-stepwise-list", "--share-filler",
      "--direct-composite-rate", "--list-length-law", "--list-length-mean", "--list-length-max",
      "--direct-zipf-exponent", "--stepwise-zipf-exponent", "--filler-length-min", "--filler-length-max",
      "--segments-per-document-mean", "--held-out-fraction", "--held-out-max-depth", "--held-out-seed",
      "--held-out-formats", "--threads"},
     {"--setup", "--held-out", "--json"}},
    {"corpus", {"--seed", "--entities", "--threads"}, {"--tokens", "--out", "--setup", "--grammar"}},
    {"prompts", {"--task", "--format", "--examples", "--prompts", "--seed", "--held-out-fraction"},
     {"--corpus", "--chain", "--out", "--setup"}},
    {"bound", {"--task", "--format", "--examples", "--world-seed", "--held-out-formats"}, {"--held-out", "--setup"}},
    {"ideal", {"--top", "--task", "--format", "--examples", "--prompts", "--seed", "--list-length-law"},
     {"--prompt", "--held-out"}},
    {"train",
     {"--layers", "--width", "--heads", "--context", "--lr", "--min-lr", "--warmup", "--batch", "--steps", "--seed",
      "--checkpoint-every", "--log-every", "--grad-clip", "--weight-decay", "--validation-fraction", "--threads"},
     {"--corpus", "--out", "--resume", "--log"}},
    {"generate", {"--max-tokens", "--threads"}, {"--model", "--prompt", "--stop"}},
    {"logits", {"--top", "--threads"}, {"--model", "--prompt"}},
    {"demo",
     {"--out", "--seed", "--tokens", "--prompts", "--examples", "--answer-weight", "--input-weight", "--layers",
      "--width", "--heads", "--context", "--lr", "--batch", "--steps", "--warmup", "--world-seed", "--entities",
      "--threads"},
     {"--reduced-world", "--setup", "--json"}},
    {"evaluate", {"--out", "--tasks", "--formats", "--examples", "--prompts", "--seed", "--samples", "--threads"},
     {"--model", "--corpus", "--setup", "--grammar", "--strings", "--iterate"}},
    {"sweep", {"--max-points", "--threads", "--cpus-per-task", "--max-parallel", "--safety-factor"},
     {"--grid", "--out", "--shard", "--point", "--assemble", "--slurm", "--submit", "--partition"}},
    {"probe", {"--out", "--prompts", "--examples", "--seed", "--l2", "--threads"}, {"--model"}},
};

}  // namespace

TEST_CASE("every command's --help exits 0 and lists each of its options once, with its default") {
  for (const auto& c : commands) {
    INFO("induct " << c.command << " --help");
    const auto help = tool_stdout(c.command + " --help");
    REQUIRE(help.status == 0);
    CHECK(option_lines(help.out, "--help").size() == 1);
    for (const auto& option : c.with_default) {
      INFO(option);
      const auto lines = option_lines(help.out, option);
      REQUIRE(lines.size() == 1);
      CHECK(lines[0].find('=') != std::string::npos);  // CLI11 prints the default as TYPE=value
    }
    for (const auto& option : c.without_default) {
      INFO(option);
      CHECK(option_lines(help.out, option).size() == 1);
    }
    // No option line appears twice.
    const std::regex any_option("^\\s+(-[a-zA-Z],)?(--[a-z0-9-]+)");
    std::set<std::string> seen;
    std::size_t start = 0;
    while (start < help.out.size()) {
      auto end = help.out.find('\n', start);
      if (end == std::string::npos) end = help.out.size();
      std::smatch m;
      const std::string line = help.out.substr(start, end - start);
      if (std::regex_search(line, m, any_option)) CHECK_MESSAGE(seen.insert(m[2]).second, "listed twice: " << m[2]);
      start = end + 1;
    }
  }
  // -h works at every level, before a positional too; `help CMD` prints the same text.
  const auto short_help = tool_stdout("grammar check -h");
  CHECK(short_help.status == 0);
  CHECK(short_help.out.find("--normalise") != std::string::npos);
  const auto group_help = tool_stdout("grammar --help");
  CHECK(group_help.status == 0);
  for (const char* sub : {"check", "sample", "logprob", "next", "stats"}) CHECK(group_help.out.find(sub) != std::string::npos);
  const auto help_command = tool_stdout("help grammar check");
  CHECK(help_command.status == 0);
  CHECK(help_command.out == short_help.out);
  const auto top = tool_stdout("--help");
  CHECK(top.status == 0);
  for (const char* name : {"grammar", "world", "corpus", "prompts", "bound", "ideal", "train", "generate", "logits",
                           "demo", "evaluate", "sweep", "probe", "help"})
    CHECK(top.out.find(name) != std::string::npos);
  CHECK(top.out.find("Exit status") != std::string::npos);
}

TEST_CASE("induct --version prints the project version") {
  const auto v = tool_stdout("--version");
  CHECK(v.status == 0);
  CHECK(std::regex_search(v.out, std::regex("^induct [0-9]+\\.[0-9]+\\.[0-9]+")));
}

TEST_CASE("bad invocations exit with the documented code, name the option, and give a JSON error with --json") {
  const auto dir = induct_test::fresh_scratch("induct-tool-cli-", "bad");
  std::filesystem::create_directories(dir);
  const std::string out = (dir / "x").string();
  struct bad {
    std::string arguments;
    int status;
    std::string kind;
    std::string names;  // the message contains this
  };
  const std::vector<bad> table = {
      {"bogus", 2, "usage", "bogus"},
      {"demo --bogus 1", 2, "usage", "--bogus"},
      {"demo --layers 5000000000", 2, "usage", "--layers"},         // no wrap-around to 705032704
      {"demo --layers 99999999999999999999999", 2, "usage", "--layers"},
      {"demo --layers 2.5", 2, "usage", "--layers"},
      {"demo --layers two", 2, "usage", "--layers"},
      {"demo --steps", 2, "usage", "--steps"},                      // missing value
      {"demo --lr nan", 2, "usage", "--lr"},
      {"demo --examples 1..x", 2, "usage", "--examples"},
      {"train --corpus c --out m --lr 0", 2, "usage", "--lr"},
      {"train --corpus c --out m --steps -5", 2, "usage", "--steps"},
      {"train --corpus c --out m --seed -1", 2, "usage", "--seed"},  // no wrap-around of unsigned options
      {"train --corpus c --out m --threads 0", 2, "usage", "--threads"},
      {"train --out m", 2, "usage", "--corpus"},
      {"world --entities 0", 2, "usage", "--entities"},
      {"world --list-length-law uniform", 2, "usage", "--list-length-law"},
      {"prompts --prompts 0", 2, "usage", "--prompts"},
      {"prompts --format sideways", 2, "usage", "--format"},
      {"sweep --grid small --out " + out + " --shard 3/2", 2, "usage", "--shard"},
      {"sweep --grid small --out " + out + " --point -1", 2, "usage", "--point"},
      {"sweep --grid small --out " + out + " --cpus-per-task 0 --slurm", 2, "usage", "--cpus-per-task"},
      {"sweep --grid small --out " + out + " --max-parallel 2", 2, "usage", "--slurm"},
      {"evaluate --model m --tasks lookup,bogus", 2, "usage", "--tasks"},
      {"grammar check", 2, "usage", "FILE"},
      {"world --share-fact 0.3", 1, "config", "sum to 1"},           // a valid option, an invalid combination
      {"demo --setup '{\"entities\": 0}'", 1, "config", "entities"},
      {"demo --setup /nonexistent/setup.json", 1, "file", "/nonexistent/setup.json"},
      {"corpus --tokens 1e15 --out " + out, 1, "resource", "corpus"},  // 2 PB: refused before writing
      {"demo --context 65536 --layers 8 --width 256 --out " + out, 1, "resource", "memory"},  // 150 GiB: refused before sampling
      {"logits --model " + dir.string() + " --prompt x", 1, "file", "directory"},
      {"grammar check " + dir.string(), 1, "file", "directory"},
  };
  for (const auto& b : table) {
    INFO("induct " << b.arguments);
    const auto text = tool_stderr(b.arguments);
    CHECK(text.status == b.status);
    CHECK(text.out.find(b.names) != std::string::npos);
    CHECK(text.out.find("internal") == std::string::npos);
    const auto json = tool_stderr(b.arguments + " --json");
    CHECK(json.status == b.status);
    nlohmann::json error;
    REQUIRE_NOTHROW(error = nlohmann::json::parse(json.out));
    CHECK(error["error"]["kind"] == b.kind);
    CHECK(error["error"]["exit_code"] == b.status);
    CHECK(error["error"]["message"].get<std::string>().find(b.names) != std::string::npos);
  }
  CHECK(!std::filesystem::exists(out));  // nothing was written by the refused corpus
}
