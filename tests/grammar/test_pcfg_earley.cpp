#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "induct/core/random.hpp"
#include "induct/grammar/earley.hpp"
#include "induct/grammar/epsilon_free.hpp"
#include "induct/grammar/parse.hpp"
#include "induct/grammar/validate.hpp"
#include "induct/grammar/viterbi.hpp"
#include "earley_parity.hpp"
#include "pcfg_brute_force.hpp"

using namespace induct::grammar;
using induct_test::check_leo_matches_reference;
using induct_test::prefix_mass;
using induct_test::string_distribution;

namespace {

constexpr long double relative_tolerance = 1e-12L;

void check_close(long double actual, long double expected, const std::string& what) {
  INFO(what << ": actual " << static_cast<double>(actual) << " expected " << static_cast<double>(expected));
  CHECK(std::abs(actual - expected) <= relative_tolerance * std::abs(expected) + 1e-300L);
}

/// log2 values: relative 1e-12 with an absolute floor of 1e-12 bits (inputs are doubles that sum to 1 only to ~1e-16).
void check_log_close(long double actual, long double expected, const std::string& what) {
  INFO(what << ": actual " << static_cast<double>(actual) << " expected " << static_cast<double>(expected));
  CHECK(std::abs(actual - expected) <= relative_tolerance * std::max(1.0L, std::abs(expected)));
}

/// 'text' (built by appending: GCC 12 warns falsely (-Wrestrict) on "x" + std::string&&).
std::string quoted(const std::string& text) {
  std::string out = "'";
  out += text;
  out += "'";
  return out;
}

std::vector<symbol_id> ids(const pcfg& g, const std::string& text) {
  std::vector<symbol_id> out;
  for (const auto& name : split_tokens(text)) out.push_back(*g.find_terminal(name));
  return out;
}

/// Compares inside, prefix, next-token, end and Viterbi against brute-force enumeration for every
/// string of the (finite) language and every prefix of it.
void check_against_enumeration(const pcfg& g) {
  const auto exact = string_distribution(g, false);
  const auto best = string_distribution(g, true);
  const earley_grammar compiled(g);
  std::set<std::vector<symbol_id>> prefixes;
  long double total = 0.0L;
  for (const auto& [w, p] : exact) {
    total += p;
    for (std::size_t k = 0; k <= w.size(); ++k) prefixes.insert(std::vector<symbol_id>(w.begin(), w.begin() + static_cast<long>(k)));
    const std::string name = quoted(join_tokens(g, w));
    check_leo_matches_reference(compiled, w, "leo " + name);
    check_close(std::exp2(inside_log2(compiled, w)), p, "inside " + name);
    const viterbi_result v = viterbi_parse(g, w);
    REQUIRE(v.found);
    check_close(std::exp2(v.log2_probability), best.at(w), "viterbi " + name);
    check_close(std::exp2(static_cast<long double>(derivation_log2_probability(g, v.tree))), best.at(w), "viterbi tree " + name);
    CHECK(yield(g, v.tree) == w);
  }
  check_close(total, 1.0L, "total mass");
  for (const auto& prefix : prefixes) {
    const std::string name = quoted(join_tokens(g, prefix));
    const long double mass = prefix_mass(exact, prefix);
    earley_state s(compiled);
    for (symbol_id t : prefix) s.advance(t);
    check_close(std::exp2(s.prefix_log2()), mass, "prefix " + name);
    const auto distribution = s.next_tokens();
    long double sum = distribution.end;
    for (const auto& [t, p] : distribution.tokens) {
      std::vector<symbol_id> extended = prefix;
      extended.push_back(t);
      check_close(p, prefix_mass(exact, extended) / mass, "next '" + g.name(t) + "' after " + name);
      check_close(s.next_token_probability(t), p, "single next after " + name);
      sum += p;
    }
    // every continuation the enumeration knows is listed
    for (symbol_id t = 0; t < g.symbol_count(); ++t) {
      if (!g.is_terminal(t)) continue;
      std::vector<symbol_id> extended = prefix;
      extended.push_back(t);
      if (prefix_mass(exact, extended) > 0) CHECK(distribution.probability(t) > 0);
    }
    const auto it = exact.find(prefix);
    check_close(distribution.end, it == exact.end() ? 0.0L : it->second / mass, "end after " + name);
    check_close(sum, 1.0L, "distribution sum after " + name);
  }
}

/// A random acyclic grammar: N_i uses only N_j with j > i; rules of length 0..3 over terminals x, y, z.
pcfg random_acyclic_grammar(std::uint64_t seed) {
  induct::random_engine rng(seed);
  std::ostringstream text;
  const int nonterminals = 5;
  for (int i = 0; i < nonterminals; ++i) {
    const int rules = 1 + static_cast<int>(rng.below(3));
    std::set<std::string> written;  // a rule drawn twice is written once (the parser refuses duplicates)
    for (int r = 0; r < rules; ++r) {
      std::ostringstream line;
      line << 'N' << i << " ->";
      const int length = (i == nonterminals - 1 && r == 0) ? 1 : static_cast<int>(rng.below(4));
      if (length == 0) line << " <eps>";
      for (int k = 0; k < length; ++k) {
        if (i + 1 < nonterminals && rng.bernoulli(0.6))
          line << " N" << i + 1 + static_cast<int>(rng.below(static_cast<std::uint64_t>(nonterminals - 1 - i)));
        else
          line << " \"" << static_cast<char>('x' + rng.below(3)) << '"';
      }
      if (written.insert(line.str()).second) text << line.str() << '\n';
    }
  }
  pcfg g = parse_grammar(text.str());
  // Weights: random positive, normalised per left side.
  for (std::size_t r = 0; r < g.rule_count(); ++r) g.set_probability(r, 0.2 + rng.uniform());
  validation_options options;
  options.normalise = true;
  pcfg copy = g;
  try {
    validate(copy, options);
  } catch (const induct::grammar_error&) {
    // unreachable symbols: a new start symbol reaching all of them
    std::ostringstream extended;
    extended << "%start Top\nTop -> N0 0.5";
    for (int i = 1; i < nonterminals; ++i) extended << " | N" << i << ' ' << 0.5 / (nonterminals - 1);
    const std::string body = format_grammar(g);
    extended << '\n' << body.substr(body.find('\n') + 1);  // without its %start line
    copy = parse_grammar(extended.str());
    validate(copy, options);
  }
  return copy;
}

}  // namespace

TEST_CASE("earley and viterbi match brute-force enumeration on a finite ambiguous grammar with epsilon and unit rules") {
  pcfg g = parse_grammar(
      "S -> A B 0.4 | B 0.2 | \"a\" A 0.3 | C 0.1\n"
      "A -> \"a\" 0.4 | <eps> 0.35 | C 0.25\n"
      "B -> \"b\" 0.5 | C C 0.3 | A \"b\" \"a\" 0.2\n"
      "C -> \"b\" \"a\" 0.3 | <eps> 0.3 | \"a\" 0.4\n");
  validate(g);
  check_against_enumeration(g);
}

TEST_CASE("earley and viterbi match brute-force enumeration on random acyclic grammars") {
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    INFO("seed " << seed);
    check_against_enumeration(random_acyclic_grammar(seed));
  }
}

TEST_CASE("unary cycle with epsilon: hand-derived geometric series") {
  // A -> B 0.5 | "a" 0.5 ; B -> A 0.3 | "b" 0.3 | <eps> 0.4 ; the cycle A -> B -> A has weight 0.15:
  // a = P(A =>* "a") = 0.5 / (1 - 0.15), b = 0.15 / 0.85, e = P(A =>* eps) = 0.2 / 0.85.
  pcfg g = parse_grammar("S -> A A\nA -> B 0.5 | \"a\" 0.5\nB -> A 0.3 | \"b\" 0.3 | <eps> 0.4\n");
  validate(g);
  const earley_grammar compiled(g);
  const long double a = 0.5L / 0.85L, b = 0.15L / 0.85L, e = 0.2L / 0.85L;
  CHECK(a + b + e == doctest::Approx(1.0).epsilon(1e-15));
  for (const char* w : {"a", "a b", "b b", "a b a", "b a a b"}) check_leo_matches_reference(compiled, ids(g, w), w);
  check_close(compiled.empty_string_probability(), e * e, "P(eps)");
  check_close(std::exp2(inside_log2(compiled, ids(g, "a"))), 2 * a * e, "P(a)");
  check_close(std::exp2(inside_log2(compiled, ids(g, "a b"))), a * b, "P(a b)");
  check_close(std::exp2(inside_log2(compiled, ids(g, "b b"))), b * b, "P(b b)");
  CHECK(inside_log2(compiled, ids(g, "a b a")) == -std::numeric_limits<long double>::infinity());
  check_close(std::exp2(prefix_log2(compiled, ids(g, "a"))), a * (2 * e + a + b), "P(a ...)");
  const auto after_a = next_tokens(compiled, ids(g, "a"));
  check_close(after_a.probability(*g.find_terminal("a")), a * a / (a * (1 + e)), "next a | a");
  check_close(after_a.probability(*g.find_terminal("b")), a * b / (a * (1 + e)), "next b | a");
  check_close(after_a.end, 2 * a * e / (a * (1 + e)), "end | a");
  const auto first = next_tokens(compiled, std::vector<symbol_id>{});
  check_close(first.end, e * e, "end | empty");
  check_close(first.probability(*g.find_terminal("a")), a * (1 + e), "first a");
  // Viterbi of "b": S -> A A, A -> B -> "b" (0.15) and A -> B -> eps (0.2): 0.03; inside is 2 * b * e.
  const auto v = viterbi_parse(g, ids(g, "b"));
  REQUIRE(v.found);
  check_close(std::exp2(v.log2_probability), 0.15L * 0.2L, "viterbi b");
  check_close(std::exp2(inside_log2(compiled, ids(g, "b"))), 2 * b * e, "inside b");
  CHECK(to_bracketed(g, v.tree).find("(B \"b\")") != std::string::npos);
}

TEST_CASE("closed forms: right- and left-recursive geometric grammars over long strings") {
  const double p = 0.7;
  pcfg right = parse_grammar("S -> \"a\" S 0.7 | \"a\" 0.3\n");
  pcfg left = parse_grammar("S -> S \"a\" 0.7 | \"b\" 0.3\n");
  validate(right);
  validate(left);
  const earley_grammar cr(right), cl(left);
  earley_state sr(cr), sl(cl);
  sl.advance(std::string_view("b"));
  check_close(std::exp2(sl.string_log2()), 0.3L, "P(b)");
  for (int n = 1; n <= 3000; ++n) {
    sr.advance(std::string_view("a"));
    sl.advance(std::string_view("a"));
    if (n % 500 == 0 || n < 5) {
      // log2 P(a^n) = (n - 1) log2 p + log2 (1 - p); prefix (n - 1) log2 p: far below double's range
      check_log_close(sr.string_log2(), (n - 1) * std::log2(static_cast<long double>(p)) + std::log2(0.3L), "right inside");
      check_log_close(sr.prefix_log2(), (n - 1) * std::log2(static_cast<long double>(p)), "right prefix");
      check_log_close(sl.string_log2(), n * std::log2(static_cast<long double>(p)) + std::log2(0.3L), "left inside");
      check_log_close(sl.prefix_log2(), n * std::log2(static_cast<long double>(p)), "left prefix");
      check_close(sr.end_probability(), 0.3L, "right end");
      check_close(sl.end_probability(), 0.3L, "left end");
      check_close(sl.next_token_probability(*left.find_terminal("a")), 0.7L, "left next");
    }
  }
  check_leo_matches_reference(cr, std::vector<symbol_id>(3000, *right.find_terminal("a")), "right a^3000");
  std::vector<symbol_id> left_string(3000, *left.find_terminal("a"));
  left_string.front() = *left.find_terminal("b");
  check_leo_matches_reference(cl, left_string, "left b a^2999");
  // Viterbi equals inside for an unambiguous grammar.
  const std::vector<symbol_id> w(50, *right.find_terminal("a"));
  const auto v = viterbi_parse(right, w);
  REQUIRE(v.found);
  check_log_close(v.log2_probability, inside_log2(cr, w), "viterbi = inside (unambiguous)");
  CHECK(v.tree.rules.size() == 50);
}

TEST_CASE("ambiguous grammar: inside sums derivations, Viterbi takes the best one") {
  // S -> S S 0.3 | "a" 0.7 : "a a a" has two trees, each 0.3^2 0.7^3.
  pcfg g = parse_grammar("S -> S S 0.3 | \"a\" 0.7\n");
  validate(g);
  const earley_grammar compiled(g);
  const auto w = ids(g, "a a a");
  const long double tree = 0.09L * 0.343L;
  check_close(std::exp2(inside_log2(compiled, w)), 2 * tree, "inside");
  const auto v = viterbi_parse(g, w);
  REQUIRE(v.found);
  check_close(std::exp2(v.log2_probability), tree, "viterbi");
  check_close(description_length_bits(g, v.tree), -std::log2(tree), "description length");
  check_leo_matches_reference(compiled, ids(g, "a a a a a a a a"), "a^8");
  // Catalan: "a"^4 has 5 trees.
  check_close(std::exp2(inside_log2(compiled, ids(g, "a a a a"))), 5 * 0.027L * 0.2401L, "inside a^4");
}

TEST_CASE("impossible prefixes and unknown tokens give probability 0 and a clear error for conditionals") {
  pcfg g = parse_grammar("S -> \"a\" \"b\"\n");
  validate(g);
  const earley_grammar compiled(g);
  earley_state s(compiled);
  s.advance(std::string_view("b"));
  CHECK_FALSE(s.possible());
  CHECK(s.prefix_log2() == -std::numeric_limits<long double>::infinity());
  CHECK_THROWS_WITH_AS(s.next_tokens(), doctest::Contains("token 1 'b' cannot follow the prefix"), induct::error);
  earley_state u(compiled);
  u.advance(std::string_view("zzz"));
  CHECK_FALSE(u.possible());
  CHECK(u.why_impossible().find("'zzz' is not a terminal") != std::string::npos);
  CHECK_FALSE(viterbi_parse(g, ids(g, "b a")).found);
  check_leo_matches_reference(compiled, ids(g, "a b a"), "a b a");
  check_leo_matches_reference(compiled, ids(g, "b a"), "b a");
}

TEST_CASE("recursive epsilon: A -> A A | <eps> | \"a\", null probability by Newton, inside in closed form") {
  // e = 0.3 e^2 + 0.2 (least root); x = P("a") = 0.5 + 0.3 * 2 e x; y = P("a a") = 0.3 (x^2 + 2 e y).
  // In the epsilon-free grammar A -> A A with a nullable child becomes the unit cycle A -> A.
  pcfg g = parse_grammar("A -> A A 0.3 | <eps> 0.2 | \"a\" 0.5\n");
  validate(g);
  const long double e = (1.0L - std::sqrt(1.0L - 4 * 0.3L * 0.2L)) / (2 * 0.3L);
  const auto null = null_probabilities(g);
  check_close(null[g.start()], e, "null probability");
  const long double x = 0.5L / (1 - 0.6L * e);
  const long double y = 0.3L * x * x / (1 - 0.6L * e);
  const earley_grammar compiled(g);
  check_leo_matches_reference(compiled, ids(g, "a a a a a"), "a^5");
  check_close(compiled.empty_string_probability(), e, "P(eps)");
  check_close(std::exp2(inside_log2(compiled, ids(g, "a"))), x, "P(a)");
  check_close(std::exp2(inside_log2(compiled, ids(g, "a a"))), y, "P(a a)");
  // All strings are a^n: P(a^n ...) = 1 - sum_{k<n} P(a^k).
  check_close(std::exp2(prefix_log2(compiled, ids(g, "a a"))), 1 - e - x, "P(a a ...)");
  const auto after = next_tokens(compiled, ids(g, "a"));
  check_close(after.end, x / (1 - e), "end | a");
  check_close(after.probability(*g.find_terminal("a")), (1 - e - x) / (1 - e), "next a | a");
  // Viterbi: the best empty derivation is A -> <eps> (0.2 > 0.3 * 0.2^2), so best("a") = 0.5.
  check_close(std::exp2(viterbi_parse(g, ids(g, "a")).log2_probability), 0.5L, "viterbi a");
  check_close(std::exp2(viterbi_parse(g, std::vector<symbol_id>{}).log2_probability), 0.2L, "viterbi eps");
}
