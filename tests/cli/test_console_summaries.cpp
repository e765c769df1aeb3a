// Every summary figure says what it is (issue 18): the console summaries of train, demo, evaluate and a
// scaling sweep name each figure ("training loss ... (mean of the last N steps)", "validation loss ...
// (K held-out tokens)"), the training loss printed is the mean of the logged losses of the last
// min(100, steps) steps, recomputed here from the JSON log, and the sweep's report.html is written and named.
#include <doctest/doctest.h>

#include "run_shell.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/setup/corpus.hpp"

namespace {

std::filesystem::path scratch(const std::string& name) { return induct_test::fresh_scratch("induct_cli_summaries_", name); }

/// The number right after `label` in `text` (NaN when the label is absent).
double number_after(const std::string& text, const std::string& label) {
  const auto at = text.find(label);
  if (at == std::string::npos) return std::nan("");
  return std::stod(text.substr(at + label.size()));
}

}  // namespace

TEST_CASE("train's summary: the training loss is the mean of the last min(100, steps) logged losses, and says so") {
  const auto dir = scratch("train");
  std::filesystem::create_directories(dir);
  const auto corpus = (dir / "corpus.tok").string();
  induct::setup::write_corpus(induct::setup::world{}, 2, 8000, corpus);
  for (const int steps : {6, 130}) {
    std::string log_name = "log", model_name = "m";  // appends: GCC 12 warns on "literal" + std::string
    log_name += std::to_string(steps) + ".jsonl";
    model_name += std::to_string(steps) + ".safetensors";
    const auto log = dir / log_name;
    const auto run = induct_test::run_tool_one_thread(
        "train --corpus " + corpus + " --out " + (dir / model_name).string() +
        " --layers 1 --width 16 --heads 2 --context 16 --batch 4 --steps " + std::to_string(steps) +
        " --log-every 1 --log " + log.string());
    INFO(run.output);
    REQUIRE(run.status == 0);
    std::vector<double> losses;
    std::istringstream in(induct::read_text_file(log));
    for (std::string line; std::getline(in, line);) losses.push_back(nlohmann::json::parse(line).at("loss").get<double>());
    REQUIRE(static_cast<int>(losses.size()) == steps);
    const std::size_t window = std::min<std::size_t>(100, losses.size());
    double sum = 0;
    for (std::size_t i = losses.size() - window; i < losses.size(); ++i) sum += losses[i];
    const std::string label = "(mean of the last " + std::to_string(window) + " steps)";
    CHECK(run.output.find("trained " + std::to_string(steps) + " steps: training loss ") == 0);
    CHECK(run.output.find(" nats " + label + ", validation loss ") != std::string::npos);
    CHECK(run.output.find(" held-out tokens), ") != std::string::npos);
    CHECK(run.output.find(" tokens/s over ") != std::string::npos);
    CHECK(number_after(run.output, "training loss ") == doctest::Approx(sum / static_cast<double>(window)).epsilon(1e-4));
  }
}

TEST_CASE("demo, evaluate and a scaling sweep label their figures and name report.html") {
  const auto dir = scratch("demo");
  const auto demo = induct_test::run_tool_one_thread(
      "demo --out " + dir.string() +
      " --steps 4 --tokens 20000 --prompts 4 --examples 0,1 --layers 1 --width 16 --heads 2 --context 32");
  INFO(demo.output);
  REQUIRE(demo.status == 0);
  const auto results = nlohmann::json::parse(induct::read_text_file(dir / "results.json"));
  const auto& training = results.at("metadata").at("training");
  const auto tokens = training.at("validation_tokens").get<long long>();
  CHECK(demo.output.find("peak lr 0.005") != std::string::npos);
  CHECK(demo.output.find("parameters: training loss ") != std::string::npos);
  CHECK(demo.output.find(" nats (mean of the last 4 steps), validation loss ") != std::string::npos);
  CHECK(demo.output.find(" nats (" + std::to_string(tokens) + " held-out tokens), ") != std::string::npos);
  CHECK(number_after(demo.output, "training loss ") ==
        doctest::Approx(training.at("final_loss").get<double>()).epsilon(1e-4));
  CHECK(demo.output.find(", results.json, report.html, ") != std::string::npos);
  // The report page's training fact says the same.
  CHECK(induct::read_text_file(dir / "report.html").find("4 steps; training loss ") != std::string::npos);

  const auto evaluated = induct_test::run_tool_one_thread("evaluate --prompts 4 --examples 0,1 --model " +
                                                          (dir / "model.safetensors").string() + " --out " +
                                                          (dir / "evaluation").string());
  INFO(evaluated.output);
  REQUIRE(evaluated.status == 0);
  CHECK(evaluated.output.find("on 4 prompts per task, format and n (seed ") != std::string::npos);
  CHECK(evaluated.output.find("query err ideal/model [95% CI]") != std::string::npos);
  CHECK(evaluated.output.find(", results.json, report.html, ") != std::string::npos);

  const auto grid = dir / "grid.json";
  induct::write_text_atomically(grid, R"({"models": [{"layers": 1, "width": 16, "heads": 2}], "tokens": [2048],
                                        "base": {"context": 32, "batch": 4, "prompts": 4, "examples": [0, 1]}})");
  const auto sweep = induct_test::run_tool_one_thread("sweep --grid " + grid.string() + " --out " + (dir / "sweep").string());
  INFO(sweep.output);
  REQUIRE(sweep.status == 0);
  CHECK(sweep.output.find("points: 1 in the grid, 0 already done, 1 computed now, 0 pending") != std::string::npos);
  CHECK(sweep.output.find("emergence.svg, stepwise_vs_direct.svg, report.html\n") != std::string::npos);
  CHECK(std::filesystem::exists(dir / "sweep" / "report.html"));
}
