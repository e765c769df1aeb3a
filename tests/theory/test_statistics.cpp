// Clopper-Pearson intervals against published tables; entropy and KL with zeros and infinities; the
// seeds-and-prompts bootstrap against its exact law.
#include <doctest/doctest.h>

#include <boost/math/special_functions/beta.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/theory/statistics.hpp"

using induct::theory::clopper_pearson;

TEST_CASE("clopper-pearson: published 95% intervals") {
  // Exact binomial intervals as tabulated (e.g. Clopper and Pearson 1934; any exact-binomial table).
  auto i0 = clopper_pearson(0, 10);
  CHECK(i0.low == 0.0);
  CHECK(i0.high == doctest::Approx(0.3085).epsilon(1e-4));
  auto i5 = clopper_pearson(5, 10);
  CHECK(i5.low == doctest::Approx(0.1871).epsilon(2e-4));
  CHECK(i5.high == doctest::Approx(0.8129).epsilon(1e-4));
  auto i10 = clopper_pearson(10, 10);
  CHECK(i10.low == doctest::Approx(0.6915).epsilon(1e-4));
  CHECK(i10.high == 1.0);
  auto i1 = clopper_pearson(1, 10);
  CHECK(i1.low == doctest::Approx(0.00253).epsilon(2e-3));
  CHECK(i1.high == doctest::Approx(0.4450).epsilon(1e-4));
  // k = 0 has the closed form 1 - (alpha/2)^(1/n); k = n its mirror.
  auto z = clopper_pearson(0, 1000);
  CHECK(z.high == doctest::Approx(1.0 - std::pow(0.025, 1.0 / 1000.0)).epsilon(1e-12));
  auto full = clopper_pearson(1000, 1000);
  CHECK(full.low == doctest::Approx(std::pow(0.025, 1.0 / 1000.0)).epsilon(1e-12));
  // A 99% interval is wider than the 95% one.
  auto wide = clopper_pearson(5, 10, 0.01);
  CHECK(wide.low < i5.low);
  CHECK(wide.high > i5.high);
}

TEST_CASE("clopper-pearson: the bounds solve the binomial tail equations, as Boost.Math's ibeta_inv does") {
  // Independent check 1: at the bounds the exact binomial tails, summed term by term in long double,
  // equal alpha/2: P(X >= k; n, low) = alpha/2 and P(X <= k; n, high) = alpha/2.
  const auto tail_at_least = [](int k, int n, long double p) {
    long double sum = 0.0L;
    for (int i = k; i <= n; ++i)
      sum += std::exp(std::lgamma(n + 1.0L) - std::lgamma(i + 1.0L) - std::lgamma(n - i + 1.0L) + i * std::log(p) +
                      (n - i) * std::log1p(-p));
    return sum;
  };
  for (int n : {1, 2, 7, 30, 200})
    for (int k = 0; k <= n; k += (n > 30 ? 17 : 1))
      for (double alpha : {0.05, 0.01, 0.3}) {
        CAPTURE(n);
        CAPTURE(k);
        CAPTURE(alpha);
        const auto interval = clopper_pearson(static_cast<std::uint64_t>(k), static_cast<std::uint64_t>(n), alpha);
        if (k > 0) CHECK(static_cast<double>(tail_at_least(k, n, interval.low)) == doctest::Approx(alpha / 2).epsilon(1e-9));
        if (k < n)
          CHECK(static_cast<double>(1.0L - tail_at_least(k + 1, n, interval.high)) ==
                doctest::Approx(alpha / 2).epsilon(1e-9));
      }
  // Independent check 2: Boost.Math (the previous implementation), low = ibeta_inv(k, n - k + 1, alpha/2) and
  // high = ibetac_inv(k + 1, n - k, alpha/2) (the complement form: ibeta_inv(.., 1 - alpha/2) itself is
  // off by 2e-12 at n = 10, alpha = 1e-6 against the closed form 1 - (alpha/2)^(1/n)), also for n where the
  // term-by-term sum is out of reach. The bisection's I_x loses digits to x near 1 in the upper bound
  // for large n, hence the looser tolerance there.
  for (std::uint64_t n : std::vector<std::uint64_t>{1, 10, 1000, 123457, 10000000, 3000000000})
    for (std::uint64_t k : std::vector<std::uint64_t>{0, 1, 2, n / 3, n / 2, n - 1, n})
      for (double alpha : {0.05, 1e-6, 0.5}) {
        if (k > n) continue;
        CAPTURE(n);
        CAPTURE(k);
        CAPTURE(alpha);
        const auto interval = clopper_pearson(k, n, alpha);
        const auto kd = static_cast<double>(k), nd = static_cast<double>(n);
        const double tolerance = n <= 123457 ? 1e-12 : n <= 10000000 ? 2e-10 : 2e-8;
        if (k > 0) CHECK(interval.low == doctest::Approx(boost::math::ibeta_inv(kd, nd - kd + 1, alpha / 2)).epsilon(1e-14));
        if (k < n)
          CHECK(interval.high == doctest::Approx(boost::math::ibetac_inv(kd + 1, nd - kd, alpha / 2)).epsilon(tolerance));
      }
}

TEST_CASE("clopper-pearson: invalid input is an error") {
  CHECK_THROWS_AS(clopper_pearson(0, 0), induct::error);
  CHECK_THROWS_AS(clopper_pearson(11, 10), induct::error);
  CHECK_THROWS_AS(clopper_pearson(1, 10, 0.0), induct::error);
  CHECK_THROWS_AS(clopper_pearson(1, 10, 1.5), induct::error);
}

TEST_CASE("entropy and KL divergence in bits with explicit zeros and infinities") {
  using induct::theory::cross_entropy_bits;
  using induct::theory::entropy_bits;
  using induct::theory::kl_divergence_bits;
  const std::vector<double> uniform4{0.25, 0.25, 0.25, 0.25};
  const std::vector<double> point{0.0, 1.0, 0.0, 0.0};
  const std::vector<double> half{0.5, 0.5, 0.0, 0.0};
  CHECK(entropy_bits(uniform4) == doctest::Approx(2.0).epsilon(1e-15));
  CHECK(entropy_bits(point) == 0.0);  // 0 log 0 = 0
  CHECK(entropy_bits(half) == doctest::Approx(1.0).epsilon(1e-15));
  CHECK(kl_divergence_bits(point, uniform4) == doctest::Approx(2.0).epsilon(1e-15));
  CHECK(kl_divergence_bits(half, uniform4) == doctest::Approx(1.0).epsilon(1e-15));
  CHECK(kl_divergence_bits(uniform4, uniform4) == 0.0);
  CHECK(std::isinf(kl_divergence_bits(uniform4, half)));  // p > 0 where q = 0
  CHECK(kl_divergence_bits(point, half) == doctest::Approx(1.0).epsilon(1e-15));
  CHECK(std::isinf(cross_entropy_bits(uniform4, point)));
  CHECK(cross_entropy_bits(half, uniform4) == doctest::Approx(2.0).epsilon(1e-15));
  // KL(p||q) for Bernoulli(0.9) vs Bernoulli(0.5): 1 - H(0.9).
  const std::vector<double> p{0.9, 0.1}, q{0.5, 0.5};
  const double h09 = -(0.9 * std::log2(0.9) + 0.1 * std::log2(0.1));
  CHECK(kl_divergence_bits(p, q) == doctest::Approx(1.0 - h09).epsilon(1e-14));
  const std::vector<double> short_q{1.0};
  CHECK_THROWS_AS(kl_divergence_bits(p, short_q), induct::error);
  const std::vector<double> negative{-0.1, 1.1};
  CHECK_THROWS_AS(entropy_bits(negative), induct::error);
  const std::vector<double> not_a_number{std::numeric_limits<double>::quiet_NaN(), 1.0};
  CHECK_THROWS_AS(kl_divergence_bits(not_a_number, q), induct::error);
}

TEST_CASE("seeds-and-prompts bootstrap: replicates follow the two-stage law exactly (brute force), spread widens it") {
  // Two seeds: 1 error in 2 prompts, 2 errors in 3. The law of one replicate, by enumeration: seeds
  // (a, b) uniform with replacement, then e ~ Binomial(N_a, k_a / N_a) + Binomial(N_b, k_b / N_b).
  const std::vector<std::uint64_t> errors{1, 2}, prompts{2, 3};
  std::map<double, double> exact;  // value -> probability
  const auto binomial = [](int n, int k, double p) {
    return std::tgamma(n + 1.0) / (std::tgamma(k + 1.0) * std::tgamma(n - k + 1.0)) * std::pow(p, k) * std::pow(1 - p, n - k);
  };
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) {
      const int na = int(prompts[a]), nb = int(prompts[b]);
      const double pa = double(errors[a]) / na, pb = double(errors[b]) / nb;
      for (int ea = 0; ea <= na; ++ea)
        for (int eb = 0; eb <= nb; ++eb)
          exact[double(ea + eb) / (na + nb)] += 0.25 * binomial(na, ea, pa) * binomial(nb, eb, pb);
    }
  const int replicates = 40000;
  const auto values = induct::theory::seed_bootstrap_replicates(errors, prompts, replicates, 7);
  REQUIRE(values.size() == std::size_t(replicates));
  CHECK(std::is_sorted(values.begin(), values.end()));
  // Kolmogorov distance: P(sup |F_R - F| > 0.015) <= 2 exp(-2 R 0.015^2) < 1e-7 (Dvoretzky-Kiefer-Wolfowitz).
  double cdf = 0, largest = 0;
  for (const auto& [value, probability] : exact) {
    cdf += probability;
    const auto below = std::upper_bound(values.begin(), values.end(), value + 1e-12) - values.begin();
    largest = std::max(largest, std::abs(double(below) / replicates - cdf));
  }
  CHECK(cdf == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(largest < 0.015);
  // Every replicate is one of the enumerated values.
  for (double v : values) CHECK(exact.count(v) == 1);

  // Seeds that disagree: 0, 50 and 100 errors in 100 prompts each. The pooled Clopper-Pearson interval of
  // 150/300 is about +-0.06; the bootstrap over seeds spans most of [0, 1].
  const std::vector<std::uint64_t> spread{0, 50, 100}, hundred{100, 100, 100};
  const auto wide = induct::theory::seed_bootstrap_interval(spread, hundred);
  CHECK(wide.estimate == doctest::Approx(0.5));
  CHECK(wide.low < 0.2);
  CHECK(wide.high > 0.8);
  const auto pooled = induct::theory::clopper_pearson(150, 300);
  CHECK(pooled.high - pooled.low < 0.13);
  // Seeds that agree: close to the pooled binomial interval.
  const std::vector<std::uint64_t> agree{50, 50, 50};
  const auto narrow = induct::theory::seed_bootstrap_interval(agree, hundred);
  CHECK(narrow.high - narrow.low < 0.15);
  CHECK(narrow.low > 0.38);
  // Deterministic for a seed; bad input is an error.
  CHECK(induct::theory::seed_bootstrap_interval(spread, hundred).low == wide.low);
  const std::vector<std::uint64_t> none, too_many{3}, one{2};
  CHECK_THROWS_AS(induct::theory::seed_bootstrap_interval(none, none), induct::error);
  CHECK_THROWS_AS(induct::theory::seed_bootstrap_interval(too_many, one), induct::error);
  CHECK_THROWS_AS(induct::theory::seed_bootstrap_interval(one, one, 0.0), induct::error);
}
