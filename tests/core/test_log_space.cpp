// log_softmax and softmax (core/log_space.hpp) against a slow reference in long double, which needs no
// max factored out for |x| up to about 11000 (expl overflows past LDBL_MAX ~ 1e4932).
#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/core/log_space.hpp"
#include "induct/core/random.hpp"

namespace {

/// log p_i = x_i - log(sum_j exp(x_j)), straight from the definition, in long double.
template <class Logit>
std::vector<long double> reference_log_softmax(const std::vector<Logit>& x) {
  long double total = 0;
  for (Logit v : x) total += std::exp(static_cast<long double>(v));
  std::vector<long double> out;
  for (Logit v : x) out.push_back(static_cast<long double>(v) - std::log(total));
  return out;
}

template <class Logit>
void check_against_reference(const std::vector<Logit>& x) {
  std::vector<double> log_p(x.size()), p(x.size());
  const auto z = induct::log_softmax(std::span<const Logit>(x), std::span<double>(log_p));
  induct::softmax(std::span<const Logit>(x), std::span<double>(p));
  const auto reference = reference_log_softmax(x);
  long double total = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    INFO("logit " << i << " = " << static_cast<double>(x[i]));
    // Absolute in log space (the factored max makes the error ~ eps * max|x|), relative in probability.
    const double scale = std::max(1.0, std::abs(z.peak));
    CHECK(std::abs(log_p[i] - static_cast<double>(reference[i])) <= 8 * std::numeric_limits<double>::epsilon() * scale);
    CHECK(p[i] == doctest::Approx(static_cast<double>(std::exp(reference[i]))).epsilon(1e-13 * scale));
    // Same normalizer, so the two outputs agree: p_i = exp(x_i - m) / S and log p_i = x_i - m - log S.
    CHECK(log_p[i] == z.log_probability(static_cast<double>(x[i])));
    CHECK(p[i] == z.probability(static_cast<double>(x[i])));
    total += static_cast<long double>(p[i]);
  }
  CHECK(static_cast<double>(total) == doctest::Approx(1.0).epsilon(1e-14));
}

}  // namespace

TEST_CASE("log_softmax and softmax match the long double definition (float and double logits)") {
  induct::random_engine rng(7);
  for (int n : {1, 2, 5, 64, 110}) {
    std::vector<double> x(static_cast<std::size_t>(n));
    std::vector<float> xf(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      x[i] = 6.0 * rng.normal();
      xf[i] = static_cast<float>(x[i]);
    }
    check_against_reference(x);
    check_against_reference(xf);
  }
}

TEST_CASE("log_softmax: large logits do not overflow (the max is factored out)") {
  // exp(1000) overflows double; the naive formula gives inf - inf = NaN.
  check_against_reference(std::vector<double>{1000.0, 1001.0, 999.5, -1000.0});
  check_against_reference(std::vector<float>{3.0e3f, 3.0e3f - 2.0f, -3.0e3f});
  std::vector<double> log_p(2);
  induct::log_softmax(std::span<const double>(std::vector<double>{1e300, 0.0}), std::span<double>(log_p));
  CHECK(log_p[0] == 0.0);
  CHECK(log_p[1] == -1e300);
  // Equal logits: exactly uniform.
  const std::vector<double> equal(4, 12345.0);
  std::vector<double> p(4);
  induct::softmax(std::span<const double>(equal), std::span<double>(p));
  for (double v : p) CHECK(v == 0.25);
}

TEST_CASE("log_softmax: -inf logits get log p = -inf and p = 0; no finite logit gives NaN") {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> x{-inf, std::log(1.0), -inf, std::log(3.0)};
  std::vector<double> log_p(4), p(4);
  induct::log_softmax(std::span<const double>(x), std::span<double>(log_p));
  induct::softmax(std::span<const double>(x), std::span<double>(p));
  CHECK(log_p[0] == -inf);
  CHECK(log_p[2] == -inf);
  CHECK(p[0] == 0.0);
  CHECK(p[2] == 0.0);
  CHECK(log_p[1] == doctest::Approx(std::log(0.25)).epsilon(1e-15));
  CHECK(log_p[3] == doctest::Approx(std::log(0.75)).epsilon(1e-15));
  CHECK(p[3] == doctest::Approx(0.75).epsilon(1e-15));

  // The distribution is undefined: all -inf, a +inf, a NaN.
  for (const auto& bad : {std::vector<double>{-inf, -inf}, std::vector<double>{inf, 0.0},
                          std::vector<double>{std::nan(""), 0.0}}) {
    std::vector<double> out(bad.size());
    induct::log_softmax(std::span<const double>(bad), std::span<double>(out));
    for (double v : out) CHECK(std::isnan(v));
    induct::softmax(std::span<const double>(bad), std::span<double>(out));
    for (double v : out) CHECK(std::isnan(v));
  }
  // Empty: nothing to write.
  std::vector<double> none;
  CHECK_NOTHROW(induct::log_softmax(std::span<const double>(none), std::span<double>(none)));
}

TEST_CASE("log_softmax: in place on double logits gives the same bits; sizes must agree") {
  induct::random_engine rng(11);
  std::vector<double> x(37);
  for (auto& v : x) v = 3.0 * rng.normal();
  std::vector<double> out(x.size());
  induct::log_softmax(std::span<const double>(x), std::span<double>(out));
  std::vector<double> in_place = x;
  induct::log_softmax(std::span<const double>(in_place), std::span<double>(in_place));
  CHECK(in_place == out);
  induct::softmax(std::span<const double>(x), std::span<double>(out));
  in_place = x;
  induct::softmax(std::span<const double>(in_place), std::span<double>(in_place));
  CHECK(in_place == out);

  std::vector<double> short_out(x.size() - 1);
  CHECK_THROWS_AS(induct::log_softmax(std::span<const double>(x), std::span<double>(short_out)), induct::error);
  CHECK_THROWS_AS(induct::softmax(std::span<const double>(x), std::span<double>(short_out)), induct::error);
}
