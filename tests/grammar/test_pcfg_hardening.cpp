// Issue 15, "inputs that lie are refused": byte-order marks, duplicate rules, non-finite probabilities,
// the limits of later commands, digits in messages, capped problem lists naming the file, and mean counts
// computed block by block (against the dense reference) on grammars too large for a dense matrix.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "induct/core/random.hpp"
#include "induct/grammar/epsilon_free.hpp"
#include "induct/grammar/mean_count.hpp"
#include "induct/grammar/parse.hpp"
#include "induct/grammar/sample.hpp"
#include "induct/grammar/validate.hpp"
#include "induct/grammar/viterbi.hpp"
#include "mean_count_dense_reference.hpp"
#include "null_probability_reference.hpp"

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

/// prefix + i, by appends (GCC 12 warns falsely on "literal" + std::string).
std::string numbered(const char* prefix, int i) {
  std::string out = prefix;
  out += std::to_string(i);
  return out;
}

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

std::size_t count_lines(const std::string& text) {
  std::size_t lines = 1;
  for (char c : text) lines += c == '\n' ? 1 : 0;
  return lines;
}

}  // namespace

TEST_CASE("hardening: a UTF-8 byte-order mark is skipped, a UTF-16 one refused") {
  const pcfg g = parse_grammar("\xEF\xBB\xBFS -> \"a\" 1.0\n");
  CHECK(g.name(g.start()) == "S");
  CHECK(g.find_nonterminal("S").has_value());
  // columns count from after the mark, as an editor shows them
  CHECK(contains(parse_message("\xEF\xBB\xBFS \"a\"\n"), "g.txt:1:3: expected '->'"));
  CHECK(contains(parse_message("\xFF\xFES -> \"a\"\n"), "g.txt:1:1: the file is UTF-16"));
  // through the file reader too
  const auto path = std::filesystem::temp_directory_path() / "induct_test_bom.cfg";
  {
    std::ofstream out(path, std::ios::binary);
    out << "\xEF\xBB\xBF%start T\nS -> \"a\"\nT -> S S 0.5 | \"b\" 0.5\n";
  }
  const pcfg f = read_grammar_file(path);
  CHECK(f.name(f.start()) == "T");
  std::filesystem::remove(path);
}

TEST_CASE("hardening: the same rule twice is an error naming both lines") {
  CHECK(contains(parse_message("S -> \"a\" 0.5\nS -> \"a\" 0.5\n"),
                 "g.txt:2:6: duplicate rule 'S -> \"a\"': the same rule is on line 1"));
  CHECK(contains(parse_message("S -> A \"b\"\nA -> \"a\"\nS -> A \"b\"\n"), "g.txt:3:6: duplicate rule 'S -> A \"b\"'"));
  CHECK(contains(parse_message("S -> \"a\" | \"b\" | \"a\"\n"), "g.txt:1:18: duplicate rule 'S -> \"a\"': the same rule is on line 1 already"));
  CHECK(contains(parse_message("S -> <eps> 0.5 | \"a\" 0.25\nS -> ε 0.25\n"), "duplicate rule 'S -> <eps>'"));
  // not duplicates: a terminal and a nonterminal of the same name, different left sides, different order
  CHECK_NOTHROW(parse_grammar("S -> \"A\" 0.5 | A 0.5\nA -> \"a\"\n"));
  CHECK_NOTHROW(parse_grammar("S -> A B 0.5 | B A 0.5\nA -> \"a\"\nB -> \"a\"\n"));
}

TEST_CASE("hardening: a non-finite probability is refused at its line and column") {
  for (const char* spelling : {"nan", "NaN", "NAN", "-nan", "nan(123)", "inf", "Inf", "-inf", "+inf", "infinity", "-Infinity"}) {
    CAPTURE(spelling);
    const std::string text = std::string("S -> \"b\" 0.5\nS -> \"a\" ") + spelling + "\n";
    CHECK(contains(parse_message(text), std::string("g.txt:2:10: non-finite probability '") + spelling + "'"));
  }
  CHECK(contains(parse_message("S -> \"a\" 1e999\n"), "g.txt:1:10: probability '1e999' is out of the range of a double"));
  // the spellings are numbers in every position, so never names (one reading of `S -> A nan`)
  CHECK(contains(parse_message("nan -> \"a\"\n"), "g.txt:1:1: expected a nonterminal name as the left side, got 'nan'"));
  CHECK(contains(parse_message("S -> Inf \"a\"\n"), "g.txt:1:6: a probability must be the last item of a rule, got 'Inf'"));
  CHECK(contains(parse_message("S -> A nan\nA -> \"a\"\n"), "g.txt:1:8: non-finite probability 'nan'"));
  CHECK(contains(parse_message("%start inf\nS -> \"a\"\n"), "g.txt:1:8: expected a nonterminal name as the start symbol"));
  // names that merely start like them stay names
  const pcfg g = parse_grammar("S -> nanny info NaN_1 Infinite infinityX nan()x\nnanny -> \"a\"\ninfo -> \"b\"\n"
                               "NaN_1 -> \"c\"\nInfinite -> \"d\"\ninfinityX -> \"e\"\nnan()x -> \"f\"\n");
  CHECK(g.nonterminal_count() == 7);
  CHECK(g.find_nonterminal("nanny").has_value());
  CHECK(g.find_nonterminal("nan()x").has_value());
  // and a quoted "nan" is an ordinary terminal
  CHECK(parse_grammar("S -> \"nan\" \"inf\"\n").terminal_count() == 2);
}

TEST_CASE("hardening: validate enforces the limits later commands enforce") {
  // 21 nullable symbols: eliminate_epsilon (logprob, next) refuses it, so validate (check) must too
  auto nullable_rule = [](int k) {
    std::string text = "S ->";
    for (int i = 0; i < k; ++i) text += " A";
    text += " \"x\"\nA -> \"a\" 0.5 | <eps> 0.5\n";
    return text;
  };
  const std::string message = validate_message(nullable_rule(21));
  CHECK(contains(message, "g.txt: grammar exceeds limits of the exact algorithms:"));
  CHECK(contains(message, "rule of 'S' (line 1) has 21 nullable symbols (at most 20)"));
  {
    pcfg g = parse_grammar(nullable_rule(21), "g.txt");
    CHECK_THROWS_AS(eliminate_epsilon(g), induct::grammar_error);
  }
  pcfg twenty = parse_grammar(nullable_rule(20));
  CHECK_NOTHROW(validate(twenty));
  CHECK_NOTHROW(eliminate_epsilon(twenty));
  // a left side that derives only eps is skipped by eliminate_epsilon, so it is not counted either
  std::string only_eps = "S -> \"x\" 0.5 | E \"y\" 0.5\nE ->";
  for (int i = 0; i < 25; ++i) only_eps += " Z";
  only_eps += "\nZ -> <eps>\n";
  pcfg eps = parse_grammar(only_eps);
  CHECK_NOTHROW(validate(eps));
  CHECK_NOTHROW(eliminate_epsilon(eps));

  // the Viterbi item keys: (rules + symbols) * (longest right side + 1) < 2^31
  pcfg big;
  const symbol_id s = big.nonterminal("S"), x = big.nonterminal("X"), a = big.terminal("a");
  big.add_rule(s, {x}, 0.5);
  big.add_rule(s, std::vector<symbol_id>(50000, a), 0.5);
  const int alternatives = 21500;
  for (int i = 0; i < alternatives; ++i) big.add_rule(x, {big.terminal(numbered("t", i))}, 1.0 / alternatives);
  REQUIRE(viterbi_key_count(big) >= max_viterbi_keys);
  try {
    validate(big);
    FAIL("no error");
  } catch (const induct::grammar_error& e) {
    CHECK(contains(e.what(), "Viterbi parsing needs < 2147483648"));
  }
  const std::vector<symbol_id> w{a};
  CHECK_THROWS_AS(viterbi_parse(big, w), induct::error);
}

TEST_CASE("hardening: nullable counts from the linear fixed points equal the pass-until-stable reference") {
  std::mt19937_64 rng(21);
  for (int trial = 0; trial < 200; ++trial) {
    pcfg g;
    const int n = 1 + static_cast<int>(rng() % 10);
    std::vector<symbol_id> nt;
    for (int i = 0; i < n; ++i) nt.push_back(g.nonterminal(numbered("N", i)));
    const symbol_id a = g.terminal("a");
    for (int i = 0; i < n; ++i)
      for (int r = 0, rules = 1 + static_cast<int>(rng() % 3); r < rules; ++r) {
        std::vector<symbol_id> rhs;
        for (int k = 0, length = static_cast<int>(rng() % 4); k < length; ++k)
          rhs.push_back(rng() % 5 == 0 ? a : nt[rng() % static_cast<std::uint64_t>(n)]);
        g.add_rule(nt[static_cast<std::size_t>(i)], rhs, 0.5);
      }
    // reference: sweep all rules until nothing changes
    std::vector<char> nullable(g.symbol_count(), 0), nonempty(g.symbol_count(), 0);
    for (bool changed = true; changed;) {
      changed = false;
      for (const auto& r : g.rules()) {
        bool all = true, some = false;
        for (symbol_id s : r.rhs) {
          all = all && g.is_nonterminal(s) && nullable[s];
          some = some || g.is_terminal(s) || nonempty[s];
        }
        if (all && !nullable[r.lhs]) nullable[r.lhs] = changed = true;
        if (some && !nonempty[r.lhs]) nonempty[r.lhs] = changed = true;
      }
    }
    const auto counts = nullable_occurrences(g);
    for (std::size_t r = 0; r < g.rule_count(); ++r) {
      const auto& rule = g.rules()[r];
      std::size_t expected = 0;
      if (nonempty[rule.lhs])
        for (symbol_id s : rule.rhs) expected += g.is_nonterminal(s) && nullable[s] && nonempty[s] ? 1 : 0;
      CHECK(counts[r] == expected);
    }
  }
  // a 20,001-long unit chain listed top-down: productive in one pass over the occurrences
  std::string chain;
  for (int i = 0; i < 20000; ++i) chain += numbered("N", i) + " -> " + numbered("N", i + 1) + "\n";
  chain += "N20000 -> \"a\"\n";
  pcfg g = parse_grammar(chain);
  CHECK(validate(g).spectral_radius == 0.0);
}

TEST_CASE("hardening: null probabilities component by component equal whole-system Newton") {
  std::mt19937_64 rng(33);
  std::uniform_real_distribution<double> unit(0.05, 1.0);
  for (int trial = 0; trial < 200; ++trial) {
    CAPTURE(trial);
    pcfg g;
    const int n = 1 + static_cast<int>(rng() % 10);
    std::vector<symbol_id> nt;
    for (int i = 0; i < n; ++i) nt.push_back(g.nonterminal(numbered("N", i)));
    const symbol_id a = g.terminal("a");
    for (int i = 0; i < n; ++i) {
      const int rules = 1 + static_cast<int>(rng() % 3);
      std::vector<double> weights;
      double total = 0;
      for (int r = 0; r < rules; ++r) total += weights.emplace_back(unit(rng));
      for (int r = 0; r < rules; ++r) {
        std::vector<symbol_id> rhs;
        for (int k = 0, length = static_cast<int>(rng() % 3); k < length; ++k)
          rhs.push_back(rng() % 4 == 0 ? a : nt[rng() % static_cast<std::uint64_t>(n)]);
        g.add_rule(nt[static_cast<std::size_t>(i)], rhs, weights[static_cast<std::size_t>(r)] / total * 0.8);
      }
    }
    const auto e = null_probabilities(g);
    const auto reference = induct_test::null_probabilities_reference(g);
    for (std::size_t s = 0; s < e.size(); ++s) CHECK(static_cast<double>(e[s]) == doctest::Approx(static_cast<double>(reference[s])).epsilon(1e-14).scale(1.0));
  }
  // a 10,001-long nullable chain: N_i -> N_{i+1} 0.5 | <eps> 0.5, N_last -> "a": e_i = 1 - 0.5^(n-1-i);
  // whole-system Newton needed a 10,000^2 long double Jacobian (1.6 GB) per step
  const int n = 10001;
  std::string text;
  for (int i = 0; i + 1 < n; ++i) text += numbered("N", i) + " -> " + numbered("N", i + 1) + " 0.5 | <eps> 0.5\n";
  text += numbered("N", n - 1) + " -> \"a\"\n";
  pcfg chain = parse_grammar(text);
  const auto e = null_probabilities(chain);
  CHECK(e[*chain.find_nonterminal(numbered("N", n - 1))] == 0.0L);
  CHECK(e[*chain.find_nonterminal(numbered("N", n - 2))] == 0.5L);
  CHECK(e[*chain.find_nonterminal(numbered("N", n - 11))] == doctest::Approx(1.0 - std::ldexp(1.0, -10)).epsilon(1e-15));
}

TEST_CASE("hardening: figures in messages have every digit they need") {
  // |sum - 1| = 1e-13 above a tolerance of 1e-14: "%.12g" printed it as "sum 1"
  validation_options tight;
  tight.tolerance = 1e-14;
  const std::string sum = validate_message("S -> \"a\" 0.5 | \"b\" 0.5000000000001\n", tight);
  CHECK(contains(sum, "S (line 1): sum 1.0000000000001"));
  CHECK(contains(sum, "(tolerance 1e-14;"));
  // rho = 1.0000000000001 printed as "1 >= 1" before
  CHECK(contains(validate_message("S -> S S 0.50000000000005 | \"a\" 0.49999999999995\n"),
                 "spectral radius of the mean-count matrix is 1.0000000000001 >= 1"));
  // compute_statistics printed std::to_string's six decimals ("1.000000")
  pcfg g = parse_grammar("S -> S S 0.50000005 | \"a\" 0.49999995\n", "g.txt");
  try {
    compute_statistics(g);
    FAIL("no error");
  } catch (const induct::grammar_error& e) {
    CHECK(contains(e.what(), "g.txt: inconsistent grammar: spectral radius of the mean-count matrix is 1.0000001 >= 1"));
  }
  // just below 1 is kept as computed, not rounded to 1
  pcfg below = parse_grammar("S -> S S 0.4999999 | \"a\" 0.5000001\n");
  CHECK(validate(below).spectral_radius == 2 * 0.4999999);
}

TEST_CASE("hardening: every validation error names the file; lists stop at 20 with a count of the rest") {
  CHECK(validate_message("S -> A 0.5 | \"b\" 0.4\nA -> \"a\" 1\n").rfind("g.txt: rule probabilities", 0) == 0);
  CHECK(validate_message("S -> A \"b\"\nS -> \"c\"\n").rfind("g.txt: undefined nonterminals", 0) == 0);
  CHECK(validate_message("S -> \"a\" 0.5 | A 0.5\nA -> A \"b\"\n").rfind("g.txt: unproductive", 0) == 0);
  CHECK(validate_message("S -> \"a\"\nB -> \"b\"\n").rfind("g.txt: unreachable", 0) == 0);
  CHECK(validate_message("S -> S S 0.6 | \"a\" 0.4\n").rfind("g.txt: inconsistent", 0) == 0);
  {
    pcfg g = parse_grammar("S -> \"a\"\n", "g.txt");
    g.set_probability(0, std::nan(""));
    try {
      validate(g);
      FAIL("no error");
    } catch (const induct::grammar_error& e) {
      CHECK(std::string(e.what()).rfind("g.txt: rule probabilities must be finite", 0) == 0);
    }
  }
  // a grammar built in code has no file: no prefix
  pcfg code;
  code.add_rule(code.nonterminal("S"), {code.terminal("a")}, 0.5);
  try {
    validate(code);
    FAIL("no error");
  } catch (const induct::grammar_error& e) {
    CHECK(std::string(e.what()).rfind("rule probabilities", 0) == 0);
  }
  // 1,254 improper left sides: 20 listed, then the count of the rest
  std::string many = "S -> \"a\" 0.5\n";
  for (int i = 0; i < 1253; ++i) many += numbered("A", i) + " -> \"a\" 0.5\n";
  const std::string message = validate_message(many);
  CHECK(count_lines(message) == 1 + 20 + 1);
  CHECK(contains(message, "\n  A18 (line 20): sum 0.5\n  ... and 1234 more"));
  // the lines of one symbol are capped the same way
  std::string long_lines;
  for (int i = 0; i < 30; ++i) long_lines += numbered("S -> \"t", i) + "\" 0.01\n";
  CHECK(contains(validate_message(long_lines), "S (lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, "
                                               "19, 20 and 10 more): sum 0.3"));
  // the sampler's runaway-derivation error names the file too
  {
    pcfg geometric = parse_grammar("S -> \"a\" S 0.999 | \"a\" 0.001\n", "g.txt");
    sample_options few;
    few.max_symbols = 10;
    sampler s(geometric, few);
    induct::random_engine rng(1);
    try {
      for (int i = 0; i < 100; ++i) s.sample(rng);
      FAIL("no error");
    } catch (const induct::grammar_error& e) {
      CHECK(std::string(e.what()).rfind("g.txt: sampled derivation exceeded 10 expansions", 0) == 0);
    }
  }
  // a huge name is cut
  const std::string name(5000, 'N');
  const std::string long_name = validate_message("S -> \"a\"\n" + name + " -> \"b\"\n");
  CHECK(long_name.size() < 200);
  CHECK(contains(long_name, std::string(60, 'N') + "... (line 2)"));
}

TEST_CASE("hardening: mean counts by strongly connected block equal the dense reference on random grammars") {
  std::mt19937_64 rng(15);
  int compared_visits = 0;
  for (int trial = 0; trial < 300; ++trial) {
    CAPTURE(trial);
    pcfg g;
    const int n = 1 + static_cast<int>(rng() % 12);
    std::vector<symbol_id> nt;
    for (int i = 0; i < n; ++i) nt.push_back(g.nonterminal(numbered("N", i)));
    const symbol_id a = g.terminal("a"), b = g.terminal("b");
    std::uniform_real_distribution<double> unit(0.05, 1.0);
    for (int i = 0; i < n; ++i) {
      const int rules = 1 + static_cast<int>(rng() % 3);
      std::vector<double> weights;
      for (int r = 0; r < rules; ++r) weights.push_back(unit(rng));
      double total = 0;
      for (double w : weights) total += w;
      for (int r = 0; r < rules; ++r) {
        std::vector<symbol_id> rhs;
        const int length = static_cast<int>(rng() % 4);
        for (int k = 0; k < length; ++k) {
          // mostly forward (chains and DAGs), sometimes back (cycles of several sizes)
          const auto roll = rng() % 10;
          if (roll < 4) rhs.push_back(rng() % 2 ? a : b);
          else if (roll < 8 && i + 1 < n) rhs.push_back(nt[static_cast<std::size_t>(i + 1 + static_cast<int>(rng() % static_cast<std::uint64_t>(n - i - 1)))]);
          else rhs.push_back(nt[rng() % static_cast<std::uint64_t>(n)]);
        }
        g.add_rule(nt[static_cast<std::size_t>(i)], rhs, weights[static_cast<std::size_t>(r)] / total * (trial % 2 ? 0.6 : 1.0));
      }
    }
    const auto dense = induct_test::dense_reference(g);
    const double rho = mean_count_spectral_radius(g);
    if (rho > 1e-3) CHECK(rho == doctest::Approx(dense.spectral_radius).epsilon(1e-9));
    else CHECK(dense.spectral_radius < 1e-3);  // a nilpotent M: the dense solver's error is ~eps^(1/n), not 0
    if (!(rho < 0.999) || dense.expected_visits.empty()) continue;
    const auto stats = compute_statistics(g);
    REQUIRE(stats.expected_visits.size() == dense.expected_visits.size());
    for (std::size_t k = 0; k < stats.expected_visits.size(); ++k)
      CHECK(stats.expected_visits[k] == doctest::Approx(dense.expected_visits[k]).epsilon(1e-9).scale(1.0));
    ++compared_visits;
  }
  CHECK(compared_visits > 100);
}

TEST_CASE("hardening: blocks above 256 nonterminals (sparse: power steps, bisection) equal the dense reference") {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 4; ++trial) {
    CAPTURE(trial);
    // a ring through k nonterminals (one block) with random chords, terminal exits and weights
    const int k = 257 + 60 * trial;
    pcfg g;
    std::vector<symbol_id> nt;
    for (int i = 0; i < k; ++i) nt.push_back(g.nonterminal(numbered("R", i)));
    const symbol_id a = g.terminal("a");
    std::uniform_real_distribution<double> unit(0.05, 1.0);
    const double scale = trial % 2 ? 0.9 : 1.3;  // rho below and above 1
    for (int i = 0; i < k; ++i) {
      const symbol_id next = nt[static_cast<std::size_t>((i + 1) % k)];
      const symbol_id chord = nt[rng() % static_cast<std::uint64_t>(k)];
      const double w1 = unit(rng), w2 = unit(rng), w3 = unit(rng), total = w1 + w2 + w3;
      g.add_rule(nt[static_cast<std::size_t>(i)], {next}, scale * w1 / total);
      g.add_rule(nt[static_cast<std::size_t>(i)], {chord, a, next}, scale * w2 / total);
      g.add_rule(nt[static_cast<std::size_t>(i)], {a}, w3 / total);
    }
    const auto dense = induct_test::dense_reference(g);
    CHECK(mean_count_spectral_radius(g) == doctest::Approx(dense.spectral_radius).epsilon(1e-10));
    if (dense.expected_visits.empty()) continue;
    const auto stats = compute_statistics(g);
    for (std::size_t i = 0; i < stats.expected_visits.size(); ++i)
      CHECK(stats.expected_visits[i] == doctest::Approx(dense.expected_visits[i]).epsilon(1e-9).scale(1.0));
  }
}

TEST_CASE("hardening: a long weighted cycle (eigenvalues all around |z| = rho) against its closed form") {
  // N_i -> N_{i+1 mod k} p_i | "a" 1 - p_i: M = diag(p) P, whose k eigenvalues are rho e^{2 pi i j / k} with
  // rho = (prod p_i)^(1/k): power steps cannot separate them, the bisection must.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> unit(0.1, 0.9);
  const int k = 5000;
  std::vector<double> p(k);
  double log_sum = 0.0;
  for (auto& q : p) {
    q = unit(rng);
    log_sum += std::log(q);
  }
  pcfg g;
  std::vector<symbol_id> nt;
  for (int i = 0; i < k; ++i) nt.push_back(g.nonterminal(numbered("N", i)));
  const symbol_id a = g.terminal("a");
  for (int i = 0; i < k; ++i) {
    g.add_rule(nt[static_cast<std::size_t>(i)], {nt[static_cast<std::size_t>((i + 1) % k)]}, p[static_cast<std::size_t>(i)]);
    g.add_rule(nt[static_cast<std::size_t>(i)], {a}, 1.0 - p[static_cast<std::size_t>(i)]);
  }
  CHECK(mean_count_spectral_radius(g) == doctest::Approx(std::exp(log_sum / k)).epsilon(1e-12));
  // visits: v_0 = 1 / (1 - prod p), v_{i+1} = p_i v_i
  const auto stats = compute_statistics(g);
  double v = 1.0 / (1.0 - std::exp(log_sum));
  for (int i = 0; i < 50; ++i) {
    CHECK(stats.expected_visits[static_cast<std::size_t>(i)] == doctest::Approx(v).epsilon(1e-12));
    v *= p[static_cast<std::size_t>(i)];
  }
  CHECK(stats.expected_length == doctest::Approx(1.0).epsilon(1e-12));
}

TEST_CASE("hardening: a 10,001-nonterminal cycle is one sparse block") {
  // N_i -> N_{i+1 mod n} 0.5 | "a" 0.5: M = 0.5 P (P a cyclic permutation), rho = 0.5; v_i = 0.5^i / (1 - 0.5^n)
  const int n = 10001;
  std::string text;
  for (int i = 0; i < n; ++i) text += numbered("N", i) + " -> " + numbered("N", (i + 1) % n) + " 0.5 | \"a\" 0.5\n";
  pcfg g = parse_grammar(text, "cycle.cfg");
  CHECK(validate(g).spectral_radius == doctest::Approx(0.5).epsilon(1e-14));
  const auto stats = compute_statistics(g);
  CHECK(stats.expected_visits[0] == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(stats.expected_visits[20] == doctest::Approx(std::ldexp(1.0, -20)).epsilon(1e-12));
  CHECK(stats.expected_length == doctest::Approx(1.0).epsilon(1e-12));
}

TEST_CASE("hardening: a 10,001-nonterminal chain in seconds, without an n x n matrix") {
  // N_i -> N_{i+1} 0.5 | "a" 0.5: visits 0.5^i, every block a lone nonterminal without a self-loop (rho 0).
  // The dense form needed 10,001^2 doubles (800 MB) several times over.
  const int n = 10001;
  std::string text;
  for (int i = 0; i + 1 < n; ++i) text += numbered("N", i) + " -> " + numbered("N", i + 1) + " 0.5 | \"a\" 0.5\n";
  text += numbered("N", n - 1) + " -> \"a\" 1.0\n";
  pcfg g = parse_grammar(text, "chain.cfg");
  CHECK(validate(g).spectral_radius == 0.0);
  const auto stats = compute_statistics(g);
  CHECK(stats.expected_visits[0] == 1.0);
  CHECK(stats.expected_visits[10] == std::ldexp(1.0, -10));
  CHECK(stats.expected_length == doctest::Approx(1.0).epsilon(1e-12));  // exactly one "a" per string
  CHECK(stats.expected_derivation_size == doctest::Approx(2.0).epsilon(1e-12));
  // one cycle through the whole chain is one block of 10,001: refused before allocating if it cannot fit
  // (not exercised here: it fits on most machines and would take minutes)
}
