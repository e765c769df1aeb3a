#pragma once
// Definitions for theory/statistics.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <boost/math/special_functions/beta.hpp>

#include "induct/core/error.hpp"
#include "induct/core/random.hpp"
#include "induct/theory/statistics.hpp"

namespace induct::theory {

INDUCT_DEFINE proportion_interval clopper_pearson(std::uint64_t successes, std::uint64_t trials, double alpha) {
  if (trials == 0) throw error("clopper_pearson: no trials (n = 0): the proportion is undefined");
  if (successes > trials)
    throw error("clopper_pearson: successes " + std::to_string(successes) + " exceed trials " + std::to_string(trials));
  if (!(alpha > 0.0 && alpha < 1.0)) throw error("clopper_pearson: alpha must be in (0, 1), got " + std::to_string(alpha));
  const auto k = static_cast<double>(successes);
  const auto n = static_cast<double>(trials);
  proportion_interval interval{k / n, 0.0, 1.0};
  // The beta quantiles are only defined for positive shape parameters: the edges are exact limits.
  if (successes > 0) interval.low = boost::math::ibeta_inv(k, n - k + 1.0, alpha / 2.0);
  if (successes < trials) interval.high = boost::math::ibeta_inv(k + 1.0, n - k, 1.0 - alpha / 2.0);
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
