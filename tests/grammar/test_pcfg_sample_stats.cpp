#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <sstream>
#include <vector>

#include <boost/math/distributions/chi_squared.hpp>

#include "induct/core/random.hpp"
#include "induct/grammar/earley.hpp"
#include "induct/grammar/mean_count.hpp"
#include "induct/grammar/parse.hpp"
#include "induct/grammar/sample.hpp"
#include "induct/grammar/validate.hpp"
#include "pcfg_brute_force.hpp"

using namespace induct::grammar;

namespace {

pcfg load(const char* text) {
  pcfg g = parse_grammar(text);
  validate(g);
  return g;
}

double binary_entropy(double p) { return -p * std::log2(p) - (1 - p) * std::log2(1 - p); }

}  // namespace

TEST_CASE("sampler: reproducible per seed, derivation tree consistent with the string") {
  const pcfg g = load("S -> NP VP\nNP -> \"the\" N 0.6 | NP \"and\" NP 0.1 | <eps> 0.3\nN -> \"cat\" | \"dog\"\nVP -> \"runs\" 0.5 | \"sees\" NP 0.5\n");
  sampler a(g), b(g);
  induct::random_engine r1(42), r2(42), r3(43);
  std::vector<symbol_id> x, y, z;
  derivation tree;
  bool any_difference = false;
  for (int i = 0; i < 500; ++i) {
    a.sample(r1, x);
    b.sample(r2, y, tree);
    CHECK(x == y);  // the tree variant draws the same random numbers
    CHECK(yield(g, tree) == y);
    CHECK(std::isfinite(derivation_log2_probability(g, tree)));
    a.sample(r3, z);
    any_difference = any_difference || z != x;
  }
  CHECK(any_difference);
  // Golden first string for seed 7 (bit-identical across platforms: only random_engine draws are used).
  induct::random_engine r7(7);
  CHECK(join_tokens(g, a.sample(r7)) == "runs");
  CHECK(join_tokens(g, a.sample(r7)) == "sees the dog");
  CHECK(join_tokens(g, a.sample(r7)) == "the cat runs");
}

TEST_CASE("sampler frequencies match exact inside probabilities (chi-square, false-alarm rate 1e-6)") {
  // A finite ambiguous grammar with epsilon and unit rules: every string's exact probability by enumeration.
  const pcfg g = load(
      "S -> A B 0.4 | B 0.2 | \"a\" A 0.3 | C 0.1\n"
      "A -> \"a\" 0.4 | <eps> 0.35 | C 0.25\n"
      "B -> \"b\" 0.5 | C C 0.3 | A \"b\" \"a\" 0.2\n"
      "C -> \"b\" \"a\" 0.3 | <eps> 0.3 | \"a\" 0.4\n");
  const auto exact = induct_test::string_distribution(g);
  sampler s(g);
  induct::random_engine rng(2024);
  std::map<std::vector<symbol_id>, long> counts;
  const long draws = 200000;
  std::vector<symbol_id> w;
  for (long i = 0; i < draws; ++i) {
    s.sample(rng, w);
    ++counts[w];
  }
  double chi2 = 0;
  for (const auto& [string, p] : exact) {
    const double expected = static_cast<double>(p) * draws;
    const double observed = static_cast<double>(counts[string]);
    chi2 += (observed - expected) * (observed - expected) / expected;
  }
  CHECK(counts.size() == exact.size());  // nothing outside the language
  const double degrees = static_cast<double>(exact.size() - 1);
  const double threshold = boost::math::quantile(boost::math::complement(boost::math::chi_squared(degrees), 1e-6));
  INFO("chi2 " << chi2 << " threshold " << threshold << " df " << degrees);
  CHECK(chi2 < threshold);
  // Sensitivity: against a perturbed law (one string's probability moved by 2%), the same counts fail.
  double chi2_wrong = 0;
  bool moved = false;
  for (const auto& [string, p] : exact) {
    double q = static_cast<double>(p);
    if (!moved && q > 0.05) {
      q *= 1.02;
      moved = true;
    }
    const double expected = q * draws;
    const double observed = static_cast<double>(counts[string]);
    chi2_wrong += (observed - expected) * (observed - expected) / expected;
  }
  CHECK(chi2_wrong > chi2);
}

TEST_CASE("statistics: closed forms of geometric and binary-branching grammars") {
  for (double p : {0.1, 0.5, 0.9}) {
    std::ostringstream text;
    text.precision(17);
    text << "S -> \"a\" S " << p << " | \"a\" " << 1 - p << '\n';
    pcfg g = parse_grammar(text.str());
    validate(g);
    const auto stats = compute_statistics(g);
    CHECK(stats.spectral_radius == doctest::Approx(p).epsilon(1e-12));
    CHECK(stats.expected_length == doctest::Approx(1 / (1 - p)).epsilon(1e-12));
    CHECK(stats.derivational_entropy_bits == doctest::Approx(binary_entropy(p) / (1 - p)).epsilon(1e-12));
    CHECK(stats.expected_rule_counts[0] == doctest::Approx(p / (1 - p)).epsilon(1e-12));
  }
  // S -> S S 0.2 | "a" 0.8: M = 0.4, visits 1 / 0.6, length 0.8 / 0.6, entropy h(0.2) / 0.6.
  pcfg b = parse_grammar("S -> S S 0.2 | \"a\" 0.8\n");
  validate(b);
  const auto stats = compute_statistics(b);
  CHECK(stats.expected_visits[0] == doctest::Approx(1 / 0.6).epsilon(1e-12));
  CHECK(stats.expected_length == doctest::Approx(0.8 / 0.6).epsilon(1e-12));
  CHECK(stats.derivational_entropy_bits == doctest::Approx(binary_entropy(0.2) / 0.6).epsilon(1e-12));
  // Sampled mean length agrees with the closed form (10^5 draws; sd of the mean ~ 0.01).
  sampler s(b);
  induct::random_engine rng(5);
  std::vector<symbol_id> w;
  double total = 0;
  for (int i = 0; i < 100000; ++i) {
    s.sample(rng, w);
    total += static_cast<double>(w.size());
  }
  CHECK(total / 100000 == doctest::Approx(0.8 / 0.6).epsilon(0.03));
  // Derivational entropy equals the mean of -log2 P(tau) over sampled trees (law of large numbers).
  derivation tree;
  double information = 0;
  for (int i = 0; i < 100000; ++i) {
    s.sample(rng, w, tree);
    information += description_length_bits(b, tree);
  }
  CHECK(information / 100000 == doctest::Approx(binary_entropy(0.2) / 0.6).epsilon(0.03));
}

TEST_CASE("statistics: a two-nonterminal grammar against a hand-solved linear system") {
  // S -> A A 0.5 | "s" 0.5 ; A -> S "x" 0.25 | "a" 0.75
  // visits: vS = 1 + 0.25 vA, vA = 2 * 0.5 vS = vS  =>  vS = vA = 4/3.
  pcfg g = parse_grammar("S -> A A 0.5 | \"s\" 0.5\nA -> S \"x\" 0.25 | \"a\" 0.75\n");
  validate(g);
  const auto stats = compute_statistics(g);
  CHECK(stats.expected_visits[0] == doctest::Approx(4.0 / 3).epsilon(1e-12));
  CHECK(stats.expected_visits[1] == doctest::Approx(4.0 / 3).epsilon(1e-12));
  // length: vS * 0.5 * 1 + vA * (0.25 * 1 + 0.75 * 1) = 4/3 * 1.5 = 2
  CHECK(stats.expected_length == doctest::Approx(2.0).epsilon(1e-12));
  CHECK(stats.derivational_entropy_bits == doctest::Approx(4.0 / 3 * (1 + binary_entropy(0.25))).epsilon(1e-12));
}
