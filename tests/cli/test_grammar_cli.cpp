// `induct grammar check|sample|logprob|next|stats`: JSON output against hand-derived values, exit codes.
#include <doctest/doctest.h>

#include "run_shell.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
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

/// Writes `text` to <tmp>/induct_cli_<name> and returns the path.
std::string scratch_grammar(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / ("induct_cli_" + name);
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

bool has(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

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
  CHECK(sum.out.find("bad_sum.txt: rule probabilities of these left sides do not sum to 1") != std::string::npos);
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

TEST_CASE("induct grammar check: inputs that lie are refused (issue 15)") {
  // 1. a UTF-8 byte-order mark is not part of the first symbol
  const auto bom = run_grammar_tool("check " + scratch_grammar("bom.cfg", "\xEF\xBB\xBFS -> \"a\" 1.0\n") + " --json");
  REQUIRE(bom.status == 0);
  CHECK(nlohmann::json::parse(bom.out)["start"] == "S");
  // 2. the same rule twice: both lines
  const auto duplicate = run_grammar_tool("check " + scratch_grammar("dup.cfg", "S -> \"a\" 0.5\nS -> \"a\" 0.5\n"), true);
  CHECK(duplicate.status == 1);
  CHECK(has(duplicate.out, "dup.cfg:2:6: duplicate rule 'S -> \"a\"': the same rule is on line 1"));
  // 3. a non-finite probability at its line and column, in text and JSON
  const std::string nan_file = scratch_grammar("nan.cfg", "S -> \"b\" 0.5\nS -> \"a\" nan\n");
  const auto nan_text = run_grammar_tool("check " + nan_file, true);
  CHECK(nan_text.status == 1);
  CHECK(has(nan_text.out, "nan.cfg:2:10: non-finite probability 'nan'"));
  const auto nan_json = induct_test::run_shell(std::string(INDUCT_TOOL_PATH) + " grammar check " + nan_file + " --json 2>&1 >/dev/null");
  const auto error = nlohmann::json::parse(nan_json.out)["error"];
  CHECK(error["kind"] == "parse");
  CHECK(error["where"]["line"] == 2);
  CHECK(error["where"]["column"] == 10);
  const auto inf = run_grammar_tool("check " + scratch_grammar("inf.cfg", "S -> \"a\" -Inf\n"), true);
  CHECK(has(inf.out, "inf.cfg:1:10: non-finite probability '-Inf'"));
  // 4. a limit logprob enforces (at most 20 nullable symbols a rule) is reported by check
  std::string wide = "S ->";
  for (int i = 0; i < 21; ++i) wide += " A";
  wide += " \"x\"\nA -> \"a\" 0.5 | <eps> 0.5\n";
  const std::string wide_file = scratch_grammar("wide.cfg", wide);
  const auto wide_check = run_grammar_tool("check " + wide_file, true);
  CHECK(wide_check.status == 1);
  CHECK(has(wide_check.out, "wide.cfg: grammar exceeds limits of the exact algorithms:\n  rule of 'S' (line 1) has 21 nullable symbols"));
  CHECK(run_grammar_tool("logprob " + wide_file + " --string \"x\"").status == 1);
  // 5. figures with every digit: 0.9999998 is not 1, and 1.0000000000001 is not "1 >= 1"
  const auto below = run_grammar_tool("check " + scratch_grammar("below.cfg", "S -> S S 0.4999999 | \"a\" 0.5000001\n"));
  CHECK(below.status == 0);
  CHECK(has(below.out, "spectral radius 0.9999998\n"));
  const auto above = run_grammar_tool(
      "check " + scratch_grammar("above.cfg", "S -> S S 0.50000000000005 | \"a\" 0.49999999999995\n"), true);
  CHECK(above.status == 1);
  CHECK(has(above.out, "above.cfg: inconsistent grammar: the spectral radius of the mean-count matrix is 1.0000000000001 >= 1"));
  // 6. at most 20 problems, then the count of the rest
  std::string many = "S -> \"a\" 0.5\n";
  for (int i = 0; i < 1253; ++i) {
    many += 'A';
    many += std::to_string(i);
    many += " -> \"a\" 0.5\n";
  }
  const auto capped = run_grammar_tool("check " + scratch_grammar("many.cfg", many), true);
  CHECK(capped.status == 1);
  CHECK(has(capped.out, "many.cfg: rule probabilities of these left sides do not sum to 1"));
  CHECK(has(capped.out, "\n  A18 (line 20): sum 0.5\n  ... and 1234 more\n"));
  CHECK(capped.out.size() < 1000);
}

TEST_CASE("induct grammar check and stats: a chain of 10,001 nonterminals fits in 600 MB of address space") {
  // The dense mean-count matrix needed 10,001^2 doubles several times (2.4 GB): out of memory (exit 3).
  std::string chain;
  const int n = 10001;
  for (int i = 0; i + 1 < n; ++i) {
    chain += 'N';
    chain += std::to_string(i);
    chain += " -> N";
    chain += std::to_string(i + 1);
    chain += " 0.5 | \"a\" 0.5\n";
  }
  chain += 'N';
  chain += std::to_string(n - 1);
  chain += " -> \"a\" 1.0\n";
  const std::string file = scratch_grammar("chain.cfg", chain);
  const auto check = induct_test::run_shell("ulimit -v 600000; " + std::string(INDUCT_TOOL_PATH) + " grammar check " + file + " --json");
  REQUIRE(check.status == 0);
  const auto j = nlohmann::json::parse(check.out);
  CHECK(j["nonterminals"] == n);
  CHECK(j["spectral_radius"] == 0.0);
  const auto stats = induct_test::run_shell("ulimit -v 600000; " + std::string(INDUCT_TOOL_PATH) + " grammar stats " + file + " --json");
  REQUIRE(stats.status == 0);
  const auto s = nlohmann::json::parse(stats.out);
  CHECK(s["expected_length"].get<double>() == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(s["expected_visits"]["N10"].get<double>() == std::ldexp(1.0, -10));
  // closing the chain into one cycle of 10,001 makes one block, solved sparse
  std::string cycle = chain.substr(0, chain.rfind('N'));
  cycle += 'N';
  cycle += std::to_string(n - 1);
  cycle += " -> N0 0.5 | \"a\" 0.5\n";
  const std::string cycle_file = scratch_grammar("cycle.cfg", cycle);
  const auto cyclic = induct_test::run_shell("ulimit -v 600000; " + std::string(INDUCT_TOOL_PATH) + " grammar check " + cycle_file + " --json");
  REQUIRE(cyclic.status == 0);
  CHECK(nlohmann::json::parse(cyclic.out)["spectral_radius"].get<double>() == doctest::Approx(0.5).epsilon(1e-14));
}
