#pragma once
// Definitions for theory/statistics.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <span>
#include <string>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/core/random.hpp"
#include "induct/theory/statistics.hpp"

namespace induct::theory {

namespace beta_detail {

// Loader's (2000) saddle-point pieces of the binomial pmf, accurate to a few ulps where lgamma differences
// of large arguments would lose digits: stirlerr(m) = ln m! - ln(sqrt(2 pi m) (m/e)^m),
// bd0(x, M) = x ln(x/M) + M - x.
INDUCT_DETAIL double stirlerr(double m) {
  if (m <= 15.0) return std::lgamma(m + 1.0) - (m + 0.5) * std::log(m) + m - 0.5 * std::log(2.0 * std::numbers::pi);
  const double mm = m * m;
  constexpr double s0 = 1.0 / 12, s1 = 1.0 / 360, s2 = 1.0 / 1260, s3 = 1.0 / 1680, s4 = 1.0 / 1188;
  if (m > 500) return (s0 - s1 / mm) / m;
  if (m > 80) return (s0 - (s1 - s2 / mm) / mm) / m;
  if (m > 35) return (s0 - (s1 - (s2 - s3 / mm) / mm) / mm) / m;
  return (s0 - (s1 - (s2 - (s3 - s4 / mm) / mm) / mm) / mm) / m;
}

INDUCT_DETAIL double bd0(double x, double mean) {
  if (std::abs(x - mean) >= 0.1 * (x + mean)) return x * std::log(x / mean) + mean - x;
  // x ln(x/M) + M - x = (x - M) v + 2x sum_(j>=1) v^(2j+1) / (2j+1), v = (x - M)/(x + M): no cancellation.
  double v = (x - mean) / (x + mean), s = (x - mean) * v, term = 2.0 * x * v;
  const double v2 = v * v;
  for (int j = 1; j < 1000; ++j) {
    term *= v2;
    const double next = s + term / (2 * j + 1);
    if (next == s) break;
    s = next;
  }
  return s;
}

// C(N, a) x^a (1-x)^(N-a), 1 <= a <= N, with y = 1 - x passed separately: whichever of x and y is small
// is exact (the other one was computed from it).
INDUCT_DETAIL double binomial_pmf(double a, double n, double x, double y) {
  if (a == n) return std::exp(n * (x < 0.5 ? std::log(x) : std::log1p(-y)));
  const double lc = stirlerr(n) - stirlerr(a) - stirlerr(n - a) - bd0(a, n * x) - bd0(n - a, n * y);
  const double lf = std::log(2.0 * std::numbers::pi) + std::log(a) + std::log1p(-a / n);
  return std::exp(lc - 0.5 * lf);
}

// I_x(a, b) for x below (a + 1) / (a + b + 2), where the continued fraction (Lentz's method) converges
// in O(sqrt(max(a, b))) terms: I = x^a (1-x)^b / (a B(a, b)) * 1 / (1 + d_1 / (1 + d_2 / (1 + ...))).
INDUCT_DETAIL double beta_fraction(double a, double b, double x, double y) {
  constexpr double tiny = 1e-300, eps = 1e-16;
  const double front = binomial_pmf(a, a + b - 1.0, x, y) * y;  // 1/(a B(a,b)) = C(a+b-1, a)
  if (front == 0.0) return 0.0;
  // 1 - (a + b) x / (a + 1), from y when x is near 1 so that 1 - x does not cancel.
  double c = 1.0, d = x < 0.5 ? 1.0 - (a + b) * x / (a + 1.0) : ((1.0 - b) + (a + b) * y) / (a + 1.0);
  if (std::abs(d) < tiny) d = tiny;
  d = 1.0 / d;
  double h = d;
  const auto step = [&](double coefficient) {
    d = 1.0 + coefficient * d;
    if (std::abs(d) < tiny) d = tiny;
    c = 1.0 + coefficient / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1.0 / d;
    h *= d * c;
    return d * c;
  };
  const double terms = 100.0 + 10.0 * std::sqrt(a + b);
  for (double m = 1.0; m <= terms; m += 1.0) {
    step(m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m)));
    if (std::abs(step(-(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0))) - 1.0) < eps) break;
  }
  return front * h;
}

// The regularized incomplete beta I_x(a, b) (a, b >= 1 whole numbers, as doubles), y = 1 - x.
INDUCT_DETAIL double regularized_beta(double a, double b, double x, double y) {
  if (x <= 0.0) return 0.0;
  if (y <= 0.0) return 1.0;
  if (x > (a + 1.0) / (a + b + 2.0)) return 1.0 - beta_fraction(b, a, y, x);  // I_x(a,b) = 1 - I_(1-x)(b,a)
  return beta_fraction(a, b, x, y);
}

// The x in (0, 1) with I_x(a, b) = target (mirrored = false), or the y in (0, 1) with I_(1-y)(a, b) = target
// (mirrored = true: y itself is the unknown, so that a small y keeps its digits): bisection down to
// adjacent doubles, since I_x rises in x and I_(1-y) falls in y.
INDUCT_DETAIL double inverse_regularized_beta(double a, double b, double target, bool mirrored) {
  double low = 0.0, high = 1.0;
  for (int i = 0; i < 2200; ++i) {
    const double mid = 0.5 * (low + high);
    if (mid <= low || mid >= high) break;
    const bool below = mirrored ? regularized_beta(a, b, 1.0 - mid, mid) > target
                                : regularized_beta(a, b, mid, 1.0 - mid) < target;
    (below ? low : high) = mid;
  }
  return 0.5 * (low + high);
}

}  // namespace beta_detail

INDUCT_DEFINE proportion_interval clopper_pearson(std::uint64_t successes, std::uint64_t trials, double alpha) {
  if (trials == 0) throw error("clopper_pearson: no trials (n = 0): the proportion is undefined");
  if (successes > trials)
    throw error("clopper_pearson: successes " + std::to_string(successes) + " exceed trials " + std::to_string(trials));
  if (!(alpha > 0.0 && alpha < 1.0)) throw error("clopper_pearson: alpha must be in (0, 1), got " + std::to_string(alpha));
  const auto k = static_cast<double>(successes);
  const auto n = static_cast<double>(trials);
  proportion_interval interval{k / n, 0.0, 1.0};
  // The beta quantiles are only defined for positive shape parameters: the edges are exact limits. The
  // upper bound p solves I_p(k + 1, n - k) = 1 - alpha/2, i.e. I_(1-p)(n - k, k + 1) = alpha/2, solved for
  // p itself so that a small p keeps its digits.
  if (successes > 0) interval.low = beta_detail::inverse_regularized_beta(k, n - k + 1.0, alpha / 2.0, false);
  if (successes < trials) interval.high = beta_detail::inverse_regularized_beta(n - k, k + 1.0, alpha / 2.0, true);
  return interval;
}

INDUCT_DEFINE std::vector<double> seed_bootstrap_replicates(std::span<const std::uint64_t> errors,
                                                            std::span<const std::uint64_t> prompts, int replicates,
                                                            std::uint64_t seed) {
  if (errors.empty() || errors.size() != prompts.size())
    throw error("seed bootstrap: needs one (errors, prompts) pair per seed, got " + std::to_string(errors.size()) +
                " and " + std::to_string(prompts.size()));
  if (replicates < 1) throw error("seed bootstrap: replicates must be >= 1, got " + std::to_string(replicates));
  for (std::size_t s = 0; s < errors.size(); ++s)
    if (prompts[s] == 0 || errors[s] > prompts[s])
      throw error("seed bootstrap: seed " + std::to_string(s) + " has " + std::to_string(errors[s]) + " errors in " +
                  std::to_string(prompts[s]) + " prompts");
  random_engine rng(seed);
  const std::size_t seeds = errors.size();
  std::vector<double> values(static_cast<std::size_t>(replicates));
  for (auto& v : values) {
    std::uint64_t wrong = 0, total = 0;
    for (std::size_t j = 0; j < seeds; ++j) {
      const std::size_t s = static_cast<std::size_t>(rng.below(seeds));
      // N_s prompts with replacement: each is one of the k_s wrong ones with probability k_s / N_s.
      for (std::uint64_t i = 0; i < prompts[s]; ++i) wrong += rng.below(prompts[s]) < errors[s] ? 1 : 0;
      total += prompts[s];
    }
    v = static_cast<double>(wrong) / static_cast<double>(total);
  }
  std::sort(values.begin(), values.end());
  return values;
}

INDUCT_DEFINE proportion_interval seed_bootstrap_interval(std::span<const std::uint64_t> errors,
                                                          std::span<const std::uint64_t> prompts, double alpha,
                                                          int replicates, std::uint64_t seed) {
  if (!(alpha > 0.0 && alpha < 1.0)) throw error("seed bootstrap: alpha must be in (0, 1), got " + std::to_string(alpha));
  const auto values = seed_bootstrap_replicates(errors, prompts, replicates, seed);
  std::uint64_t wrong = 0, total = 0;
  for (std::size_t s = 0; s < errors.size(); ++s) {
    wrong += errors[s];
    total += prompts[s];
  }
  const auto rank = [&](double q) {  // nearest rank: the smallest v with at least q R values <= it
    const double r = std::ceil(q * static_cast<double>(values.size()));
    return values[static_cast<std::size_t>(std::clamp(r, 1.0, static_cast<double>(values.size()))) - 1];
  };
  return {static_cast<double>(wrong) / static_cast<double>(total), rank(alpha / 2), rank(1 - alpha / 2)};
}

namespace detail {
inline void check_distribution(std::span<const double> p, const char* what) {
  for (std::size_t t = 0; t < p.size(); ++t)
    if (!(p[t] >= 0.0) || !std::isfinite(p[t]))
      throw error(std::string(what) + ": entry " + std::to_string(t) + " is not a probability (" +
                  std::to_string(p[t]) + ")");
}
}  // namespace detail

INDUCT_DEFINE double entropy_bits(std::span<const double> p) {
  detail::check_distribution(p, "entropy_bits");
  long double h = 0.0L;
  for (double pt : p)
    if (pt > 0.0) h -= static_cast<long double>(pt) * std::log2(static_cast<long double>(pt));
  return static_cast<double>(h);
}

INDUCT_DEFINE double kl_divergence_bits(std::span<const double> p, std::span<const double> q) {
  if (p.size() != q.size())
    throw error("kl_divergence_bits: distributions of different sizes (" + std::to_string(p.size()) + " and " +
                std::to_string(q.size()) + ")");
  detail::check_distribution(p, "kl_divergence_bits (p)");
  detail::check_distribution(q, "kl_divergence_bits (q)");
  long double kl = 0.0L;
  for (std::size_t t = 0; t < p.size(); ++t) {
    if (p[t] == 0.0) continue;
    if (q[t] == 0.0) return std::numeric_limits<double>::infinity();
    kl += static_cast<long double>(p[t]) *
          (std::log2(static_cast<long double>(p[t])) - std::log2(static_cast<long double>(q[t])));
  }
  // Rounding can leave a tiny negative value for p = q; KL is never negative.
  return kl < 0.0L ? 0.0 : static_cast<double>(kl);
}

INDUCT_DEFINE double cross_entropy_bits(std::span<const double> p, std::span<const double> q) {
  const double kl = kl_divergence_bits(p, q);
  if (std::isinf(kl)) return kl;
  return entropy_bits(p) + kl;
}

}  // namespace induct::theory
