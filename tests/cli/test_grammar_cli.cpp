// `induct grammar check|sample|logprob|next|stats`: JSON output against hand-derived values, exit codes.
#include <doctest/doctest.h>

#include "run_shell.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <string>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

namespace {

struct grammar_run {
  int status;
  std::string out;  // stdout and stderr together
};

grammar_run run_grammar_tool(const std::string& arguments, bool with_stderr = false) {
  const std::string command = std::string(INDUCT_TOOL_PATH) + " grammar " + arguments + (with_stderr ? " 2>&1" : " 2>/dev/null");
  const auto r = induct_test::run_shell(command);
  return {r.status, r.out};
}

std::string grammar_file(const std::string& name) { return std::string(INDUCT_TEST_DATA_DIR) + "/grammars/" + name; }

}  // namespace

TEST_CASE("induct grammar check --json") {
  const auto r = run_grammar_tool("check " + grammar_file("toy_english.txt") + " --json");
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["ok"] == true);
  CHECK(j["nonterminals"] == 9);
  CHECK(j["rules"] == 19);
  CHECK(j["spectral_radius"].get<double>() > 0.0);
  CHECK(j["spectral_radius"].get<double>() < 1.0);
  // Errors: exit 1 and the message names file and line.
  const auto sum = run_grammar_tool("check " + grammar_file("bad_sum.txt"), true);
  CHECK(sum.status == 1);
  CHECK(sum.out.find("S (line 1): sum 0.9") != std::string::npos);
  const auto syntax = run_grammar_tool("check " + grammar_file("bad_syntax.txt"), true);
  CHECK(syntax.status == 1);
  CHECK(syntax.out.find("bad_syntax.txt:2:10: a probability must be the last item") != std::string::npos);
  const auto inconsistent = run_grammar_tool("check " + grammar_file("inconsistent.txt"), true);
  CHECK(inconsistent.status == 1);
  CHECK(inconsistent.out.find("spectral radius of the mean-count matrix is 1.2") != std::string::npos);
  const auto normalised = run_grammar_tool("check " + grammar_file("bad_sum.txt") + " --normalise --json");
  CHECK(normalised.status == 0);
  CHECK(nlohmann::json::parse(normalised.out)["warnings"].size() == 1);
  CHECK(run_grammar_tool("check").status == 2);  // missing FILE: usage error
  CHECK(run_grammar_tool("check " + grammar_file("nope.txt")).status == 1);
}

TEST_CASE("induct grammar logprob --json: exact values of the unary-cycle grammar") {
  const double a = 0.5 / 0.85, b = 0.15 / 0.85, e = 0.2 / 0.85;
  const auto r = run_grammar_tool("logprob " + grammar_file("unary_cycle.txt") + " --string \"a b\" --json");
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["inside_log2"].get<double>() == doctest::Approx(std::log2(a * b)).epsilon(1e-12));
  CHECK(j["inside_is_zero"] == false);
  CHECK(j["viterbi_log2"].get<double>() == doctest::Approx(std::log2(0.5 * 0.15)).epsilon(1e-12));
  CHECK(j["prefix_log2"].get<double>() == doctest::Approx(std::log2(a * b)).epsilon(1e-12));
  CHECK(j["viterbi_tree"].get<std::string>().rfind("(S (A \"a\")", 0) == 0);
  // Probability 0: null with a flag.
  const auto zero = run_grammar_tool("logprob " + grammar_file("unary_cycle.txt") + " --string \"a a a\" --json");
  REQUIRE(zero.status == 0);
  const auto z = nlohmann::json::parse(zero.out);
  CHECK(z["inside_log2"].is_null());
  CHECK(z["inside_is_zero"] == true);
  CHECK(z["viterbi_is_zero"] == true);
  CHECK(z["prefix_log2"].is_null());
  // The empty string.
  const auto empty = nlohmann::json::parse(run_grammar_tool("logprob " + grammar_file("unary_cycle.txt") + " --string \"\" --json").out);
  CHECK(empty["inside_log2"].get<double>() == doctest::Approx(2 * std::log2(e)).epsilon(1e-12));
  CHECK(empty["prefix_log2"].get<double>() == 0.0);
}

TEST_CASE("induct grammar next --json: distribution and end sum to 1") {
  const double a = 0.5 / 0.85, b = 0.15 / 0.85, e = 0.2 / 0.85;
  const auto r = run_grammar_tool("next " + grammar_file("unary_cycle.txt") + " --prefix \"a\" --json");
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["distribution"]["a"].get<double>() == doctest::Approx(a / (1 + e)).epsilon(1e-12));
  CHECK(j["distribution"]["b"].get<double>() == doctest::Approx(b / (1 + e)).epsilon(1e-12));
  CHECK(j["end"].get<double>() == doctest::Approx(2 * e / (1 + e)).epsilon(1e-12));
  const auto bad = run_grammar_tool("next " + grammar_file("unary_cycle.txt") + " --prefix \"a a a\"", true);
  CHECK(bad.status == 1);
  CHECK(bad.out.find("probability 0") != std::string::npos);
}

TEST_CASE("induct grammar stats --json and sample") {
  const auto r = run_grammar_tool("stats " + grammar_file("geometric.txt") + " --json");
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  const double p = 0.7, h = -p * std::log2(p) - (1 - p) * std::log2(1 - p);
  CHECK(j["expected_length"].get<double>() == doctest::Approx(1 / (1 - p)).epsilon(1e-12));
  CHECK(j["derivational_entropy_bits"].get<double>() == doctest::Approx(h / (1 - p)).epsilon(1e-12));
  CHECK(j["spectral_radius"].get<double>() == doctest::Approx(p).epsilon(1e-12));

  const auto s1 = run_grammar_tool("sample " + grammar_file("toy_english.txt") + " --count 20 --seed 3");
  const auto s2 = run_grammar_tool("sample " + grammar_file("toy_english.txt") + " --count 20 --seed 3");
  REQUIRE(s1.status == 0);
  CHECK(s1.out == s2.out);
  int lines = 0;
  for (char c : s1.out) lines += c == '\n';
  CHECK(lines == 20);
  const auto js = nlohmann::json::parse(run_grammar_tool("sample " + grammar_file("geometric.txt") + " --count 5 --tree --json").out);
  REQUIRE(js["samples"].size() == 5);
  for (std::size_t i = 0; i < 5; ++i) {
    // a^n has description length (n - 1) * -log2 0.7 - log2 0.3
    const auto text = js["samples"][i].get<std::string>();
    const double n = static_cast<double>((text.size() + 1) / 2);
    CHECK(js["description_length_bits"][i].get<double>() ==
          doctest::Approx(-(n - 1) * std::log2(0.7) - std::log2(0.3)).epsilon(1e-12));
  }
}
