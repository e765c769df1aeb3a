#include <doctest/doctest.h>

#include <string>

#include "induct/grammar/parse.hpp"
#include "induct/grammar/validate.hpp"

using namespace induct::grammar;

namespace {

std::string parse_message(const std::string& text) {
  try {
    parse_grammar(text, "g.txt");
  } catch (const induct::parse_error& e) {
    return e.what();
  }
  return "";
}

std::string validate_message(const std::string& text, validation_options options = {}) {
  try {
    pcfg g = parse_grammar(text, "g.txt");
    validate(g, options);
  } catch (const induct::grammar_error& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("parse: symbols, probabilities, alternatives, epsilon, comments, escapes, uniform default") {
  const pcfg g = parse_grammar(
      "# a comment line\n"
      "S -> NP VP 0.75 | \"say \\\"hi\\\"\" 0.25   # trailing comment\n"
      "NP -> \"the\" N\n"
      "NP -> \"a\" N\n"
      "NP -> <eps>\n"
      "N -> \"cat\" 1\n"
      "VP -> ε 1.0\n");
  CHECK(g.nonterminal_count() == 4);
  CHECK(g.name(g.start()) == "S");
  REQUIRE(g.rule_count() == 7);
  CHECK(g.rules()[0].probability == 0.75);
  CHECK(g.rules()[0].source_line == 2);
  CHECK(g.rules()[1].rhs.size() == 1);
  CHECK(g.name(g.rules()[1].rhs[0]) == "say \"hi\"");
  CHECK(g.is_terminal(g.rules()[1].rhs[0]));
  for (int r = 2; r <= 4; ++r) CHECK(g.rules()[static_cast<std::size_t>(r)].probability == doctest::Approx(1.0 / 3));
  CHECK(g.rules()[4].rhs.empty());
  CHECK(g.rules()[6].rhs.empty());
  // Terminals and nonterminals are separate name spaces.
  const pcfg h = parse_grammar("S -> \"S\" S 0.5 | \"S\" 0.5\n");
  CHECK(h.terminal_count() == 1);
  CHECK(h.nonterminal_count() == 1);
}

TEST_CASE("parse: %start directive and round trip through format_grammar") {
  const pcfg g = parse_grammar("A -> \"x\"\n%start B\nB -> A A 0.5 | \"y\\\\\" 0.5\n");
  CHECK(g.name(g.start()) == "B");
  const pcfg back = parse_grammar(format_grammar(g));
  CHECK(back.name(back.start()) == "B");
  REQUIRE(back.rule_count() == g.rule_count());
  for (std::size_t r = 0; r < g.rule_count(); ++r) {
    CHECK(back.rules()[r].probability == g.rules()[r].probability);
    CHECK(back.rules()[r].rhs.size() == g.rules()[r].rhs.size());
  }
  CHECK(back.name(back.rules()[2].rhs[0]) == "y\\");
}

TEST_CASE("parse errors name file, line, column and what was expected") {
  CHECK(contains(parse_message("S -> \"a\"\nS \"b\"\n"), "g.txt:2:3: expected '->'"));
  CHECK(contains(parse_message("S -> \"a\n"), "g.txt:1:6: unterminated quoted terminal"));
  CHECK(contains(parse_message("S -> \"a\" 0.5 \"b\"\n"), "g.txt:1:10: a probability must be the last item"));
  CHECK(contains(parse_message("S -> \"a\" 0.5x\n"), "g.txt:1:10: malformed probability"));
  CHECK(contains(parse_message("S -> \"a\" 0\n"), "must be positive"));
  CHECK(contains(parse_message("S -> \"a\" 0.5\nS -> \"b\"\n"), "g.txt:2:6: rule of 'S' has no probability"));
  CHECK(contains(parse_message("S -> <eps> \"a\"\n"), "g.txt:1:6: <eps> must stand alone"));
  CHECK(contains(parse_message("S ->\n"), "g.txt:1:5: expected a right side"));
  CHECK(contains(parse_message("S -> \"\"\n"), "empty terminal"));
  CHECK(contains(parse_message("S -> \"a\" |\n"), "expected an alternative after '|'"));
  CHECK(contains(parse_message("\"S\" -> \"a\"\n"), "g.txt:1:1: expected a nonterminal left side"));
  CHECK(contains(parse_message("S -> \"a\\q\"\n"), "unknown escape"));
  CHECK(contains(parse_message("%begin S\nS -> \"a\"\n"), "g.txt:1:1: unknown directive"));
  CHECK(contains(parse_message("# only a comment\n"), "no rules"));
  CHECK(contains(parse_message("S -> \"a\"\n%start T\n"), "g.txt:2:8: start symbol 'T' has no rules"));
  // A parse_error carries the position as fields too.
  try {
    parse_grammar("S -> \"a\"\n\n  X Y\n", "f");
    FAIL("no error");
  } catch (const induct::parse_error& e) {
    CHECK(e.line() == 3);
    CHECK(e.column() == 5);
    CHECK(e.source() == "f");
  }
}

TEST_CASE("validate: each error class names the symbols and lines") {
  // improper sums
  const std::string sums = validate_message("S -> A 0.5 | \"b\" 0.4\nA -> \"a\" 1\n");
  CHECK(contains(sums, "do not sum to 1"));
  CHECK(contains(sums, "S (line 1): sum 0.9"));
  // undefined nonterminal
  const std::string undefined = validate_message("S -> A \"b\"\nS -> \"c\"\n");
  CHECK(contains(undefined, "undefined nonterminals"));
  CHECK(contains(undefined, "A used (line 1)"));
  // unproductive
  const std::string unproductive = validate_message("S -> \"a\" 0.5 | A 0.5\nA -> A \"b\"\n");
  CHECK(contains(unproductive, "unproductive"));
  CHECK(contains(unproductive, "A (line 2)"));
  // unreachable
  const std::string unreachable = validate_message("S -> \"a\"\nB -> \"b\"\nC -> B\n");
  CHECK(contains(unreachable, "unreachable"));
  CHECK(contains(unreachable, "B (line 2)"));
  CHECK(contains(unreachable, "C (line 3)"));
  // inconsistent: S -> S S 0.6 | "a" 0.4 has rho(M) = 1.2
  const std::string inconsistent = validate_message("S -> S S 0.6 | \"a\" 0.4\n");
  CHECK(contains(inconsistent, "inconsistent"));
  CHECK(contains(inconsistent, "1.2"));
  // critical (rho = 1) is also rejected
  CHECK(contains(validate_message("S -> S S 0.5 | \"a\" 0.5\n"), "inconsistent"));
  // and a good grammar passes with rho = 0.4
  pcfg ok = parse_grammar("S -> S S 0.2 | \"a\" 0.8\n");
  CHECK(validate(ok).spectral_radius == doctest::Approx(0.4).epsilon(1e-12));
}

TEST_CASE("validate: normalise only when asked, with a warning naming the left side") {
  pcfg g = parse_grammar("S -> A 2 | \"b\" 6\nA -> \"a\" 0.5\n");
  validation_options options;
  options.normalise = true;
  const auto report = validate(g, options);
  REQUIRE(report.warnings.size() == 2);
  CHECK(contains(report.warnings[0], "'S' (line 1): they summed to 8"));
  CHECK(contains(report.warnings[1], "'A' (line 2)"));
  CHECK(g.rules()[0].probability == 0.25);
  CHECK(g.rules()[1].probability == 0.75);
  CHECK(g.rules()[2].probability == 1.0);
}
