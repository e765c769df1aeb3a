#pragma once
// Statistics for comparing a measured model with the exact idealized predictor:
// the exact binomial (Clopper-Pearson) confidence interval, and the entropy and KL divergence
// of next-token distributions, in bits, with explicit zeros and infinities.
//
//   Clopper-Pearson (1934), level 1 - alpha, k successes in n trials:
//     low  = B^-1(alpha/2;     k,     n - k + 1)   (0 when k = 0)
//     high = B^-1(1 - alpha/2; k + 1, n - k)       (1 when k = n)
//   with B^-1(p; a, b) the inverse regularized incomplete beta function (Boost.Math ibeta_inv).
//
//   H(p)      = -sum_t p(t) log2 p(t),              0 log 0 = 0
//   KL(p||q)  =  sum_t p(t) log2(p(t) / q(t)),      terms with p(t) = 0 are 0;
//                                                   +inf as soon as p(t) > 0 = q(t).
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>

#include "induct/core/linkage.hpp"

namespace induct::theory {

/// A two-sided confidence interval for a binomial proportion.
struct proportion_interval {
  double estimate;  // k / n
  double low;
  double high;
};

/// Exact Clopper-Pearson interval for k successes in n trials at confidence 1 - alpha.
/// Throws induct::error for n = 0, k > n or alpha outside (0, 1).
INDUCT_DECLARE proportion_interval clopper_pearson(std::uint64_t successes, std::uint64_t trials, double alpha = 0.05);

/// Shannon entropy in bits of a distribution given as probabilities (0 log 0 = 0).
INDUCT_DECLARE double entropy_bits(std::span<const double> p);

/// KL(p || q) in bits; +inf when p puts mass where q has none. Sizes must match.
INDUCT_DECLARE double kl_divergence_bits(std::span<const double> p, std::span<const double> q);

/// Cross-entropy H(p, q) = H(p) + KL(p || q) in bits (the expected log-loss of q on draws from p).
INDUCT_DECLARE double cross_entropy_bits(std::span<const double> p, std::span<const double> q);

}  // namespace induct::theory

#if INDUCT_HEADER_ONLY
#include "induct/theory/detail/statistics_impl.hpp"
#endif
