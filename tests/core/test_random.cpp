#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <vector>

#include "induct/core/hash.hpp"
#include "induct/core/log_space.hpp"
#include "induct/core/random.hpp"

TEST_CASE("random_engine is reproducible and its first outputs are pinned across platforms") {
  induct::random_engine a(42), b(42), c(43);
  std::array<std::uint64_t, 3> first{};
  for (auto& x : first) x = a();
  for (auto x : first) CHECK(b() == x);
  CHECK(c() != first[0]);
  // Pinned values: a change to seeding or the generator changes every corpus, so it must be deliberate.
  induct::random_engine pinned(1);
  std::uint64_t s = 1;
  const std::uint64_t w0 = induct::splitmix64(s), w1 = induct::splitmix64(s);
  (void)w0;
  const std::uint64_t expected = std::rotl(w1 * 5, 7) * 9;
  CHECK(pinned() == expected);
}

TEST_CASE("below() is uniform: chi-square over 10 bins at a 1e-6 false-alarm rate") {
  induct::random_engine rng(7);
  std::array<int, 10> counts{};
  const int n = 200000;
  for (int i = 0; i < n; ++i) ++counts[rng.below(10)];
  double chi2 = 0;
  for (int k : counts) chi2 += (k - n / 10.0) * (k - n / 10.0) / (n / 10.0);
  CHECK(chi2 < 43.0);  // chi-square(9) quantile at 1 - 1e-6 is about 42.9
}

TEST_CASE("alias_table matches its weights") {
  const std::vector<double> w{0.1, 0.0, 0.6, 0.3};
  induct::alias_table table(w);
  induct::random_engine rng(3);
  std::array<int, 4> counts{};
  const int n = 400000;
  for (int i = 0; i < n; ++i) ++counts[table(rng)];
  CHECK(counts[1] == 0);
  for (int k = 0; k < 4; ++k) CHECK(std::abs(counts[k] / double(n) - w[k]) < 0.005);
}

TEST_CASE("log-space helpers handle infinities exactly") {
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(induct::log_add(-inf, -inf) == -inf);
  CHECK(induct::log_add(-inf, 1.5) == 1.5);
  CHECK(induct::log_add(std::log(0.25), std::log(0.75)) == doctest::Approx(0.0).epsilon(1e-15));
  const std::vector<double> v{-inf, std::log(2.0), std::log(6.0)};
  CHECK(induct::log_sum_exp<double>(v) == doctest::Approx(std::log(8.0)));
  CHECK(induct::surprisal_bits(0.0) == inf);
}

TEST_CASE("crc32 matches the standard check value") {
  const char* text = "123456789";
  CHECK(induct::crc32_update(0, text, 9) == 0xCBF43926U);
  CHECK(induct::fnv1a64("") == 0xcbf29ce484222325ULL);
  CHECK(induct::fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
}
