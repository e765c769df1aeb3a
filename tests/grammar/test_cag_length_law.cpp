#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "induct/core/random.hpp"
#include "induct/grammar/length_law.hpp"

using induct::grammar::length_law;

TEST_CASE("length_law geometric truncated: closed form, survival, hazard chain reproduces pmf") {
  const auto law = length_law::geometric(6.0, 32);
  const double q = 1.0 - 1.0 / 6.0;
  const double norm = 1.0 - std::pow(q, 32);
  double total = 0;
  for (int n = 1; n <= 32; ++n) {
    CHECK(law.pmf(n) == doctest::Approx((1 - q) * std::pow(q, n - 1) / norm).epsilon(1e-14));
    CHECK(law.log2_pmf(n) == doctest::Approx(std::log2(law.pmf(n))).epsilon(1e-14));
    total += law.pmf(n);
    // prod_{i<n} h(i) * (1 - h(n)) = p(n): the grounding identity.
    double chain = 1;
    for (int i = 1; i < n; ++i) chain *= law.continue_probability(i);
    chain *= 1 - law.continue_probability(n);
    CHECK(chain == doctest::Approx(law.pmf(n)).epsilon(1e-12));
  }
  CHECK(total == doctest::Approx(1.0).epsilon(1e-15));
  CHECK(law.pmf(0) == 0.0);
  CHECK(law.pmf(33) == 0.0);
  CHECK(law.survival(0) == 1.0);
  CHECK(law.survival(32) == 0.0);
  CHECK(law.survival(5) == doctest::Approx((std::pow(q, 5) - std::pow(q, 32)) / norm).epsilon(1e-13));
  // hazard is q below the cut: P(n > i | n >= i) = (q^i - q^32) / (q^(i-1) - q^32)
  CHECK(law.continue_probability(3) == doctest::Approx((std::pow(q, 3) - std::pow(q, 32)) / (std::pow(q, 2) - std::pow(q, 32))));
  CHECK(law.continue_probability(32) == 0.0);
  CHECK(law.max_length() == 32);
  CHECK(law.to_json()["law"] == "geometric");
}

TEST_CASE("length_law unbounded geometric and zipf and table") {
  const auto g = length_law::geometric(4.0);
  CHECK_FALSE(g.bounded());
  CHECK(g.constant_hazard_from() == 1);
  CHECK(g.continue_probability(1000) == doctest::Approx(0.75));
  CHECK(g.mean() == doctest::Approx(4.0));
  CHECK(g.pmf(3) == doctest::Approx(0.25 * 0.75 * 0.75));
  CHECK(g.survival(3) == doctest::Approx(0.75 * 0.75 * 0.75));

  const auto z = length_law::zipf(2.0, 5);
  double h = 0;
  for (int n = 1; n <= 5; ++n) h += 1.0 / (n * n);
  CHECK(z.pmf(1) == doctest::Approx(1.0 / h));
  CHECK(z.pmf(5) == doctest::Approx(1.0 / 25 / h));
  CHECK(z.mean() == doctest::Approx((1 + 1.0 / 2 + 1.0 / 3 + 1.0 / 4 + 1.0 / 5) / h));

  const auto t = length_law::table({1.0, 0.0, 3.0, 0.0});
  CHECK(t.max_length() == 3);  // zero tail dropped
  CHECK(t.pmf(2) == 0.0);
  CHECK(t.pmf(3) == doctest::Approx(0.75));
  CHECK(t.continue_probability(1) == doctest::Approx(0.75));
  CHECK(t.continue_probability(2) == doctest::Approx(1.0));

  CHECK_THROWS_AS(length_law::geometric(0.5), induct::error);
  CHECK_THROWS_AS(length_law::zipf(-1.0, 4), induct::error);
  CHECK_THROWS_AS(length_law::table({0.0, 0.0}), induct::error);
}

TEST_CASE("length_law sampling frequencies match pmf (chi-square, false-alarm rate 1e-6)") {
  // chi-square critical value for 5 degrees of freedom at 1e-6 upper tail: 35.89.
  for (const auto& law : {length_law::geometric(2.5, 6), length_law::zipf(1.5, 6), length_law::table({1, 2, 3, 4, 5, 6})}) {
    induct::random_engine rng(7);
    std::vector<double> counts(6, 0.0);
    const int draws = 200000;
    for (int i = 0; i < draws; ++i) counts[static_cast<std::size_t>(law.sample(rng) - 1)] += 1;
    double chi2 = 0;
    for (int n = 1; n <= 6; ++n) {
      const double expected = draws * law.pmf(n);
      chi2 += (counts[static_cast<std::size_t>(n - 1)] - expected) * (counts[static_cast<std::size_t>(n - 1)] - expected) / expected;
    }
    CHECK(chi2 < 35.89);
  }
  // The unbounded law: mean of draws within 6 standard errors.
  const auto g = length_law::geometric(3.0);
  induct::random_engine rng(3);
  double sum = 0;
  const int draws = 100000;
  for (int i = 0; i < draws; ++i) sum += g.sample(rng);
  // var = q / (1-q)^2 = (2/3) * 9 = 6
  CHECK(std::abs(sum / draws - 3.0) < 6 * std::sqrt(6.0 / draws));
}
