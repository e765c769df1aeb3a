// `induct bound` and `induct ideal`: JSON output against the library, exit codes on bad input.
#include <doctest/doctest.h>

#include "run_shell.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <utility>
#include <vector>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "induct/setup/document_model.hpp"
#include "induct/setup/world.hpp"
#include "induct/theory/bounds.hpp"

namespace {

struct run_result {
  int status;
  std::string out;
};

run_result run_theory_tool(const std::string& arguments) {
  const std::string command = std::string(INDUCT_TOOL_PATH) + " " + arguments + " 2>/dev/null";
  const auto r = induct_test::run_shell(command);
  return {r.status, r.out};
}

}  // namespace

TEST_CASE("induct bound --json: rows match the bound calculator") {
  const auto r = run_theory_tool("bound --task compose2 --format both --examples 0..32 --json");
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  REQUIRE(j["rows"].size() == 66);
  const induct::setup::document_model model(induct::setup::setup_config{});
  for (const auto& row : j["rows"]) {
    const auto format = induct::setup::parse_list_format(row["format"].get<std::string>());
    const int n = row["examples"].get<int>();
    const auto expected = induct::theory::theorem1_bound(model, format, 2, n);
    CHECK(row["possible"].get<bool>() == (n <= 31));
    CHECK(row["D_bits"].get<double>() == doctest::Approx(expected.description_length_bits).epsilon(1e-12));
    if (n <= 31) {
      CHECK(row["R_n_bits"].get<double>() == 0.0);
      CHECK(row["bound_cum_bits"].get<double>() == doctest::Approx(expected.bound_cumulative_bits).epsilon(1e-12));
      if (n > 0) CHECK(row["bound_mistakes_per_example"].get<double>() == doctest::Approx(expected.bound_cumulative_bits / n));
      else CHECK(row["bound_mistakes_per_example"].is_null());
      CHECK(row["bound_vacuous"].get<bool>() == (expected.bound_cumulative_bits >= n + 1));
    } else {
      CHECK(row["bound_cum_bits"].is_null());
    }
  }
  // The stepwise bound is the smaller one for compose2.
  CHECK(j["rows"][33 + 4]["bound_cum_bits"].get<double>() < j["rows"][4]["bound_cum_bits"].get<double>());
  // Power-law variant: R_n > 0 for direct lists.
  const auto p = nlohmann::json::parse(run_theory_tool("bound --task lookup --format direct --examples 8 --list-length-law power_law --json").out);
  CHECK(p["rows"][0]["R_n_bits"].get<double>() > 0.0);
}

TEST_CASE("induct ideal --prompt --json: a normalised distribution and a posterior") {
  // --top limits both lists; with a large --top the whole next-token distribution sums to 1.
  const auto all = run_theory_tool("ideal --prompt \"<d> [ e1 : e5 ; e2 :\" --top 100000 --json");
  REQUIRE(all.status == 0);
  const auto whole = nlohmann::json::parse(all.out);
  double total = 0;
  for (const auto& [name, p] : whole["distribution"].items()) {
    CHECK(name.rfind('e', 0) == 0);  // after `q :` only entities can follow
    total += p.get<double>();
  }
  CHECK(total == doctest::Approx(1.0).epsilon(1e-12));
  const auto r = run_theory_tool("ideal --prompt \"<d> [ e1 : e5 ; e2 :\" --json");
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["distribution"].size() == 10);
  REQUIRE(j["posterior"].size() == 10);
  double previous = 1.0;
  for (const auto& h : j["posterior"]) {
    CHECK(h["probability"].get<double>() <= previous);
    previous = h["probability"].get<double>();
  }
  // After an answer the item ends: only `;` and `]`.
  const auto end = nlohmann::json::parse(run_theory_tool("ideal --prompt \"<d> [ e1 : e5 ; e2 : e6\" --json").out);
  CHECK(end["distribution"].size() == 2);
  CHECK(end["distribution"].contains(";"));
}

TEST_CASE("induct ideal --prompt --top K: the K most probable next tokens, most probable first; K hypotheses") {
  // The whole distribution (a large --top), against which the short lists are checked.
  const auto whole = nlohmann::json::parse(
      run_theory_tool("ideal --prompt \"<d> [ e1 : e5 ; e5 :\" --top 100000 --json").out)["distribution"];
  REQUIRE(whole.size() > 4);
  const auto r = run_theory_tool("ideal --prompt \"<d> [ e1 : e5 ; e5 :\" --top 4");
  REQUIRE(r.status == 0);
  INFO(r.out);
  std::istringstream in(r.out);
  std::string line;
  std::getline(in, line);
  CHECK(line.find("(top 4)") != std::string::npos);
  std::vector<std::pair<std::string, double>> shown;
  while (std::getline(in, line) && line.rfind("posterior", 0) != 0) {
    std::istringstream fields(line);
    std::string name;
    double p = 0;
    fields >> name >> p;
    shown.emplace_back(name, p);
  }
  REQUIRE(shown.size() == 4);
  double least_shown = 1.0;
  for (std::size_t i = 0; i < shown.size(); ++i) {
    CHECK(shown[i].second == doctest::Approx(whole.at(shown[i].first).get<double>()).epsilon(1e-9));
    if (i > 0) CHECK(shown[i].second <= shown[i - 1].second);  // most probable first
    least_shown = std::min(least_shown, shown[i].second);
  }
  for (const auto& [name, p] : whole.items()) {  // no token left out is more probable than one shown
    const bool listed = std::any_of(shown.begin(), shown.end(), [&](const auto& s) { return s.first == name; });
    if (!listed) CHECK(p.get<double>() <= least_shown * (1 + 1e-9));
  }
  CHECK(line.find("(top 4)") != std::string::npos);  // the posterior's heading: limited too
  std::size_t hypotheses = 0;
  while (std::getline(in, line)) hypotheses += !line.empty();
  CHECK(hypotheses == 4);
}

TEST_CASE("induct ideal --task --json: scored rows with intervals and bounds") {
  const auto r = run_theory_tool("ideal --task compose2 --format stepwise --examples 0,4,32 --prompts 50 --seed 3 --json");
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  REQUIRE(j["rows"].size() == 3);
  const auto& n4 = j["rows"][1];
  CHECK(n4["prompts"].get<int>() == 50);
  CHECK(n4["query_ci_low"].get<double>() <= n4["query_error_rate"].get<double>());
  CHECK(n4["query_error_rate"].get<double>() <= n4["query_ci_high"].get<double>());
  CHECK(n4["mean_cum_loss_bits"].get<double>() <= n4["bound_cum_bits"].get<double>());
  // The version-space account: cumulative loss = VS + C; VS <= D.
  CHECK(n4["mean_version_space_bits"].get<double>() + n4["mean_version_space_correction_bits"].get<double>() ==
        doctest::Approx(n4["mean_cum_loss_bits"].get<double>()).epsilon(1e-9));
  CHECK(n4["mean_version_space_bits"].get<double>() <= n4["D_bits"].get<double>() + 1e-9);
  CHECK(n4["bound_vacuous"].get<bool>());  // D_cot = 8.83 >= 5 answers
  CHECK(n4["bound_violations"].get<int>() == 0);
  CHECK_FALSE(j["rows"][2]["possible"].get<bool>());
}

TEST_CASE("induct bound/ideal: bad input exits 1 (error) or 2 (usage)") {
  CHECK(run_theory_tool("bound --task compose9").status == 2);
  CHECK(run_theory_tool("bound --task compose2 --format sideways").status == 2);
  CHECK(run_theory_tool("bound --task compose2 --bogus 1").status == 2);
  CHECK(run_theory_tool("ideal --prompt \"<d> [ e1 :\" --task lookup").status == 2);
  CHECK(run_theory_tool("ideal --prompt \"<d> [ e1 : e5 ; e2 : e6 e7 e8 e9 e10\"").status == 1);  // impossible
  CHECK(run_theory_tool("ideal --prompt \"<d> [ e1 : zz\"").status == 1);                        // unknown token
  CHECK(run_theory_tool("ideal --prompt \"<d> e1\"").status == 1);                               // not a list
  CHECK(run_theory_tool("bound --task novel --held-out-fraction 0").status == 2);                // none held out
  CHECK(run_theory_tool("bound --task novel9").status == 2);                                      // beyond max_depth
  CHECK(run_theory_tool("bound --task lookup --setup /nonexistent/setup.json").status == 1);
  CHECK(run_theory_tool("bound --help").status == 0);
}

TEST_CASE("induct bound/ideal --task novel2/novel3 pose the world's held-out chains") {
  // An explicit held-out list: the novel2 rows are those of depth 2, whatever the chain.
  std::string file = "/tmp/induct_theory_cli_held_out_";
  file += std::to_string(::getpid());
  {
    std::FILE* f = std::fopen(file.c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs("r3.r5\nr1.r1.r2\n", f);
    std::fclose(f);
  }
  const auto bound = run_theory_tool("bound --task novel --held-out " + file + " --format stepwise --examples 4 --json");
  REQUIRE(bound.status == 0);
  CHECK(nlohmann::json::parse(bound.out)["rows"][0]["depth"].get<int>() == 2);
  const auto deeper = run_theory_tool("bound --task novel3 --held-out " + file + " --format stepwise --examples 4 --json");
  REQUIRE(deeper.status == 0);
  CHECK(nlohmann::json::parse(deeper.out)["rows"][0]["depth"].get<int>() == 3);
  const auto ideal = run_theory_tool("ideal --task novel2 --held-out " + file + " --format direct --examples 3 --prompts 20 --json");
  REQUIRE(ideal.status == 0);
  CHECK(nlohmann::json::parse(ideal.out)["rows"][0]["bound_violations"].get<int>() == 0);
  // No chain of depth 3 held out, a bad label (named with its file and line), both forms at once.
  {
    std::FILE* f = std::fopen(file.c_str(), "w");
    std::fputs("r3.r5\nr3.q5\n", f);
    std::fclose(f);
  }
  const auto bad = run_theory_tool("bound --task novel --held-out " + file);
  CHECK(bad.status == 1);
  CHECK(run_theory_tool("bound --task novel --held-out " + file + " --held-out-fraction 0.5").status == 2);
  std::remove(file.c_str());
  CHECK(run_theory_tool("bound --task novel --held-out " + file).status == 1);  // file gone
}
