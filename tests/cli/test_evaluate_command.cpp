// `induct evaluate`: a model file written by a toy `induct demo`, evaluated again from the file, must
// give the demo's own results.csv byte for byte (same model, prompts and seed); bad models, worlds
// and tasks are refused with a message naming what.
#include <doctest/doctest.h>

#include "../experiment/xml_check.hpp"
#include "run_shell.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace {

using induct_test::command_result;

command_result run_tool(const std::string& arguments) { return induct_test::run_tool_one_thread(arguments); }

std::filesystem::path scratch(const std::string& name) { return induct_test::fresh_scratch("induct_cli_evaluate_", name); }

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

// The toy demo's directory (reduced world, trained once, a few seconds): its model, results.csv and results.json.
const std::filesystem::path& demo_dir() {
  static const std::filesystem::path dir = [] {
    auto d = scratch("demo");
    const auto demo = run_tool("demo --out " + d.string() +
                               " --reduced-world --steps 4 --tokens 20000 --prompts 4 --examples 0,1 --layers 1 --width 16 --heads 2 --context 32");
    INFO(demo.output);
    REQUIRE(demo.status == 0);
    return d;
  }();
  return dir;
}

std::string model_path() { return (demo_dir() / "model.safetensors").string(); }

// A copy of a model file without the "setup_config" metadata key (the header rewritten; the tensor
// data and its CRC are untouched).
std::filesystem::path model_without_world(const std::filesystem::path& dir) {
  const std::string bytes = read_file(model_path());
  std::uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
  auto header = nlohmann::json::parse(bytes.substr(8, header_size));
  REQUIRE(header["__metadata__"].contains("setup_config"));
  header["__metadata__"].erase("setup_config");
  header["__metadata__"].erase("run_config");
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>((text.size() >> (8 * i)) & 0xff);
  out += text;
  out += bytes.substr(8 + header_size);
  std::filesystem::create_directories(dir);
  const auto path = dir / "bare.safetensors";
  write_file(path, out);
  return path;
}

}  // namespace

TEST_CASE("evaluate has full help and refuses bad invocations") {
  const auto help = run_tool("evaluate --help");
  CHECK(help.status == 0);
  for (const char* needle : {"Usage: induct evaluate", "--model", "--tasks LIST", "--formats LIST", "--examples LIST",
                             "--prompts", "--seed", "--setup JSON|FILE", "--json", "results.csv"})
    CHECK(help.output.find(needle) != std::string::npos);
  CHECK(run_tool("evaluate").status == 2);  // --model missing
  CHECK(run_tool("evaluate --model x --bogus 1").status == 2);
  const auto missing = run_tool("evaluate --model /nonexistent/model.safetensors");
  CHECK(missing.status == 1);
  CHECK(missing.output.find("/nonexistent/model.safetensors") != std::string::npos);
}

TEST_CASE("evaluate reproduces the demo's results.csv from the model file") {
  const auto out = scratch("same");
  // Defaults come from the run recorded in the file: the demo's tasks, n values, prompts and seed.
  const auto evaluated = run_tool("evaluate --model " + model_path() + " --out " + out.string());
  INFO(evaluated.output);
  REQUIRE(evaluated.status == 0);
  const std::string demo_csv = read_file(demo_dir() / "results.csv");
  CHECK(read_file(out / "results.csv") == demo_csv);
  CHECK(evaluated.output.find("bits ideal/model") != std::string::npos);  // the compact table
  CHECK(evaluated.output.find("bound vacuous: D + R_n >= n + 1") != std::string::npos);  // its footnote (n = 0 rows)
  for (const char* name : {"results.json", "error_vs_n.svg", "lookup_direct.svg", "compose2_direct.svg",
                           "compose2_stepwise.svg", "stepwise_vs_direct.svg", "summary.txt"}) {
    INFO(name);
    REQUIRE(std::filesystem::exists(out / name));
    if (std::string(name).ends_with(".svg")) CHECK(induct_test::svg_problem(read_file(out / name)).empty());
  }
  CHECK(read_file(out / "summary.txt") == read_file(demo_dir() / "summary.txt"));
  const auto j = nlohmann::json::parse(read_file(out / "results.json"));
  CHECK(j["metadata"]["evaluation"]["prompt_seed"] == 2024);
  CHECK(j["metadata"]["setup"]["entities"] == 16);

  // Explicit options: one task and format, the demo's prompts and seed: the demo's rows of it.
  const auto one = scratch("one");
  const auto explicit_run = run_tool("evaluate --json --model " + model_path() + " --out " + one.string() +
                                     " --tasks compose2 --formats stepwise --examples 0,1 --prompts 4 --seed 2024");
  INFO(explicit_run.output);
  REQUIRE(explicit_run.status == 0);
  std::string expected;
  std::istringstream lines(demo_csv);
  for (std::string line; std::getline(lines, line);)
    if (expected.empty() || line.rfind("compose2,stepwise,", 0) == 0) expected += line + "\n";
  CHECK(read_file(one / "results.csv") == expected);
  const auto table = nlohmann::json::parse(explicit_run.output.substr(explicit_run.output.rfind("{\"columns\"")));
  CHECK(table["rows"].size() == 2);
  CHECK(table["metadata"]["tasks"].size() == 1);

  // Another prompt seed is another set of prompts: the table is not the demo's.
  const auto other = scratch("other");
  REQUIRE(run_tool("evaluate --model " + model_path() + " --out " + other.string() + " --prompts 30 --seed 7").status == 0);
  CHECK(read_file(other / "results.csv") != demo_csv);
}

TEST_CASE("evaluate checks the model's world and the tasks") {
  const auto dir = scratch("errors");
  std::filesystem::create_directories(dir);
  const std::string quick = " --tasks lookup --formats direct --examples 0 --prompts 2 --out " + (dir / "out").string();

  // A --setup that disagrees with the recorded world: exit 1, naming the field.
  const auto disagree = run_tool("evaluate --model " + model_path() + " --setup '{\"entities\":12}'" + quick);
  CHECK(disagree.status == 1);
  CHECK(disagree.output.find("entities") != std::string::npos);
  CHECK(disagree.output.find("given setup") != std::string::npos);

  // The recorded world given as --setup (a file) agrees.
  const auto recorded = nlohmann::json::parse(read_file(demo_dir() / "results.json"))["metadata"]["config"]["setup"];
  write_file(dir / "setup.json", recorded.dump());
  const auto agree = run_tool("evaluate --model " + model_path() + " --setup " + (dir / "setup.json").string() + quick);
  INFO(agree.output);
  CHECK(agree.status == 0);

  // No world in the file: an error naming the missing metadata, unless --setup supplies it.
  const auto bare = model_without_world(dir);
  const auto no_world = run_tool("evaluate --model " + bare.string() + quick);
  CHECK(no_world.status == 1);
  CHECK(no_world.output.find("setup_config") != std::string::npos);
  const auto supplied = run_tool("evaluate --model " + bare.string() + " --setup " + (dir / "setup.json").string() + quick);
  INFO(supplied.output);
  CHECK(supplied.status == 0);
  const auto wrong_size = run_tool("evaluate --model " + bare.string() + " --setup '{}'" + quick);  // 64 entities
  CHECK(wrong_size.status == 1);
  CHECK(wrong_size.output.find("vocabulary") != std::string::npos);

  // Unknown task or format: a usage error naming it.
  const auto task = run_tool("evaluate --model " + model_path() + " --tasks lookup,bogus");
  CHECK(task.status == 2);
  CHECK(task.output.find("bogus") != std::string::npos);
  const auto format = run_tool("evaluate --model " + model_path() + " --formats sideways");
  CHECK(format.status == 2);
  CHECK(format.output.find("sideways") != std::string::npos);
  // compose3 and novel3 are deeper than this world's max_depth 2.
  for (const char* deeper : {"compose3", "novel3"}) {
    const auto deep = run_tool("evaluate --model " + model_path() + " --tasks " + deeper + quick.substr(quick.find(" --formats")));
    CHECK(deep.status == 1);
    CHECK(deep.output.find("max_depth") != std::string::npos);
  }
  // No n fits a tiny context of 32 tokens at n = 32.
  const auto too_long = run_tool("evaluate --model " + model_path() + " --tasks lookup --formats direct --examples 32 --prompts 2 --out " +
                                 (dir / "long").string());
  CHECK(too_long.status == 1);
  CHECK(too_long.output.find("context") != std::string::npos);
}

TEST_CASE("evaluate a model of `induct train` (world from its corpus sidecar), and the held-out chains (task novel)") {
  const auto dir = scratch("train");
  std::filesystem::create_directories(dir);
  const std::string world = " --entities 16 --functions 4 --max-depth 2";
  const auto corpus = dir / "corpus.tok";
  REQUIRE(run_tool("corpus --tokens 20000 --out " + corpus.string() + world).status == 0);
  const auto model = dir / "model.safetensors";
  const auto trained = run_tool("train --corpus " + corpus.string() + " --out " + model.string() +
                                " --steps 3 --layers 1 --width 16 --heads 2 --context 32 --batch 2 --log-every 0");
  INFO(trained.output);
  REQUIRE(trained.status == 0);
  // No run_config in the file: the default tasks (lookup direct; compose2 and novel2 in both formats), the n
  // values of the SPEC suite that fit the context of 32.
  const auto out = dir / "out";
  const auto evaluated = run_tool("evaluate --json --prompts 3 --model " + model.string() + " --out " + out.string());
  INFO(evaluated.output);
  REQUIRE(evaluated.status == 0);
  const auto table = nlohmann::json::parse(evaluated.output.substr(evaluated.output.rfind("{\"columns\"")));
  std::set<std::string> pairs;
  int largest_n = -1;
  for (const auto& row : table["rows"]) {
    pairs.insert(row["task"].get<std::string>() + " " + row["format"].get<std::string>());
    largest_n = std::max(largest_n, row["examples"].get<int>());
    CHECK(row["prompts"] == 3);
  }
  CHECK(pairs == std::set<std::string>{"lookup direct", "compose2 direct", "compose2 stepwise", "novel2 direct",
                                       "novel2 stepwise"});
  CHECK(largest_n == 6);  // lookup direct at n = 6 takes 2 + 6 * 4 + 3 = 29 tokens; n = 8 would take 37
  CHECK(evaluated.output.find("skipped lookup direct n=8 (longer than the context)") != std::string::npos);
  // The per-task plot names the n its context could not hold.
  CHECK(read_file(out / "lookup_direct.svg").find("(not evaluated: n=8 (longer than the context), n=12") != std::string::npos);
  CHECK(read_file(out / "results.csv").find(",1,1\n") != std::string::npos);  // plain loss: weights 1 and 1 (last columns)

  // A model trained with the weighted loss says so in every row.
  const auto weighted = dir / "weighted.safetensors";
  REQUIRE(run_tool("train --corpus " + corpus.string() + " --out " + weighted.string() +
                   " --steps 2 --layers 1 --width 16 --heads 2 --context 32 --batch 2 --log-every 0 --answer-weight 3 "
                   "--input-weight 0").status == 0);
  REQUIRE(run_tool("evaluate --prompts 2 --tasks lookup --formats direct --examples 0,1 --model " + weighted.string() +
                   " --out " + (dir / "weighted").string()).status == 0);
  const std::string weighted_csv = read_file(dir / "weighted" / "results.csv");
  CHECK(weighted_csv.find("train_answer_loss_weight,train_input_loss_weight\n") != std::string::npos);
  CHECK(weighted_csv.find(",3,0\n") != std::string::npos);

  // novel: the held-out chains of the model's world (4 of its 16 depth-2 chains), which its corpus never
  // used in a list; --corpus adds the corpus's counts.
  const auto novel = run_tool("evaluate --model " + model.string() + " --tasks novel --formats direct,stepwise --examples 0,2 "
                              "--prompts 3 --corpus " + corpus.string() + " --out " + (dir / "novel").string());
  INFO(novel.output);
  CHECK(novel.status == 0);
  CHECK(read_file(dir / "novel" / "results.csv").find("\nnovel2,stepwise,2,2,3,") != std::string::npos);
  const auto other = dir / "other.tok";
  REQUIRE(run_tool("corpus --tokens 300 --out " + other.string()).status == 0);
  const auto mismatch = run_tool("evaluate --model " + model.string() + " --tasks novel --corpus " + other.string() +
                                 " --out " + (dir / "novel2").string());
  CHECK(mismatch.status == 1);
  CHECK(mismatch.output.find("another world") != std::string::npos);
  // The same world, another corpus (seed 2): the model's recorded corpus fingerprint refuses it.
  const auto reseeded = dir / "reseeded.tok";
  REQUIRE(run_tool("corpus --tokens 20000 --seed 2 --out " + reseeded.string() + world).status == 0);
  const auto other_corpus = run_tool("evaluate --model " + model.string() + " --tasks novel --corpus " + reseeded.string() +
                                     " --prompts 2 --examples 0 --out " + (dir / "novel3").string());
  CHECK(other_corpus.status == 1);
  CHECK_MESSAGE(other_corpus.output.find("is not the corpus the model was trained on") != std::string::npos,
                other_corpus.output);
  CHECK(other_corpus.output.find("reseeded.tok") != std::string::npos);
}
