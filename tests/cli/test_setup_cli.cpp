// `induct world`, `induct corpus`, `induct prompts`: output against the library, exit codes on bad input.
#include <doctest/doctest.h>

#include "run_shell.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/setup/corpus.hpp"
#include "induct/setup/prompt.hpp"

namespace {

struct setup_run {
  int status;
  std::string out;
  std::string err;
};

setup_run run_setup_tool(const std::string& arguments) {
  const std::string err_file = std::filesystem::temp_directory_path() / ("induct_setup_cli_err_" + std::to_string(::getpid()));
  const std::string command = std::string(INDUCT_TOOL_PATH) + " " + arguments + " 2>" + err_file;
  const auto r = induct_test::run_shell(command);
  std::string err = induct::read_text_file(err_file);
  std::filesystem::remove(err_file);
  return {r.status, r.out, err};
}

}  // namespace

TEST_CASE("induct world --json equals the library's world, options select the world") {
  const auto r = run_setup_tool("world --world-seed 3 --entities 10 --functions 4 --json");
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  induct::setup::setup_config c;
  c.world_seed = 3;
  c.entities = 10;
  c.functions = 4;
  const induct::setup::world w(c);
  CHECK(j == w.to_json());
  CHECK(j["functions"].size() == 4);
  CHECK(j["functions"][0]["table"].size() == 10);
  CHECK(j["vocabulary"]["<d>"] == 0);
  CHECK(run_setup_tool("world --help").status == 0);
  const auto bad = run_setup_tool("world --max-depth 0");
  CHECK(bad.status == 2);  // out of the option's range: a usage error naming the option
  CHECK(bad.err.find("--max-depth") != std::string::npos);
  CHECK(run_setup_tool("world --no-such-option 1").status == 2);
}

TEST_CASE("induct corpus writes the library's corpus; prompts read its sidecar") {
  const auto dir = std::filesystem::temp_directory_path() / ("induct_setup_cli_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = (dir / "c.tok").string();
  const auto r = run_setup_tool("corpus --tokens 20000 --seed 4 --entities 6 --functions 2 --max-depth 2 --out " + file + " --json");
  REQUIRE(r.status == 0);
  const auto summary = nlohmann::json::parse(r.out);
  CHECK(summary["tokens"] == 20000);
  induct::setup::setup_config c;
  c.entities = 6;
  c.functions = 2;
  c.max_depth = 2;
  const induct::setup::world w(c);
  const auto reference = dir / "ref.tok";
  induct::setup::write_corpus(w, 4, 20000, reference);
  CHECK(induct::read_text_file(file) == induct::read_text_file(reference));
  CHECK(summary["world_fingerprint"] == w.fingerprint());

  // prompts: JSON lines equal the library's prompts; the world comes from the corpus sidecar.
  const auto p = run_setup_tool("prompts --task compose2 --format stepwise --examples 3 --prompts 4 --seed 9 --corpus " + file);
  REQUIRE(p.status == 0);
  std::istringstream lines(p.out);
  std::string line;
  const auto t = induct::setup::task::by_name("compose2", induct::setup::list_format::stepwise,
                                              induct::setup::document_model(w.config()));
  CHECK(t.candidates().empty());
  const auto expected = induct::setup::generate_prompts(w, t, 3, 4, 9);
  std::size_t i = 0;
  while (std::getline(lines, line)) {
    REQUIRE(i < expected.size());
    CHECK(nlohmann::json::parse(line) == expected[i].to_json(w));
    ++i;
  }
  CHECK(i == 4);
  // A mismatched world is an error naming both fingerprints.
  const auto mismatch = run_setup_tool("prompts --task lookup --corpus " + file + " --entities 7");
  CHECK(mismatch.status == 1);
  CHECK(mismatch.err.find(w.fingerprint()) != std::string::npos);
  // novel in a world that holds nothing out, unknown task and missing --tokens are errors; novel in the
  // corpus's world poses its held-out chain (one of the four depth-2 chains).
  const auto no_novel = run_setup_tool("prompts --task novel --held-out-fraction 0");
  CHECK(no_novel.status == 1);
  CHECK(no_novel.err.find("holds out no chain") != std::string::npos);
  const auto novel = run_setup_tool("prompts --task novel --examples 2 --prompts 3 --corpus " + file);
  REQUIRE(novel.status == 0);
  const auto held = induct::setup::held_out_set(w.config()).chains(2);
  REQUIRE(held.size() == 1);
  std::istringstream novel_lines(novel.out);
  int novel_count = 0;
  while (std::getline(novel_lines, line)) {
    const auto j = nlohmann::json::parse(line);
    CHECK(j["task"] == "novel2");
    CHECK(j["chain"].get<std::vector<int>>() == held[0]);
    ++novel_count;
  }
  CHECK(novel_count == 3);
  CHECK(run_setup_tool("prompts --task compose9").status == 1);
  CHECK(run_setup_tool("corpus --out " + file).status == 2);
  // --out with --json: a summary, and the file holds the lines.
  const auto out = (dir / "p.jsonl").string();
  const auto q = run_setup_tool("prompts --task lookup --examples 0..2 --prompts 5 --out " + out + " --json");
  REQUIRE(q.status == 0);
  CHECK(nlohmann::json::parse(q.out)["prompts"] == 15);
  const std::string text = induct::read_text_file(out);
  CHECK(std::count(text.begin(), text.end(), '\n') == 15);
  std::filesystem::remove_all(dir);
}
