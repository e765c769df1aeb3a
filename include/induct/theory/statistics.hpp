#pragma once
// Statistics for comparing a measured model with the exact idealized predictor:
// the exact binomial (Clopper-Pearson) confidence interval, and the entropy and KL divergence
// of next-token distributions, in bits, with explicit zeros and infinities.
//
//   Clopper-Pearson (1934), level 1 - alpha, k successes in n trials:
//     low  = B^-1(alpha/2;     k,     n - k + 1)   (0 when k = 0)
//     high = B^-1(1 - alpha/2; k + 1, n - k)       (1 when k = n)
//   with B^-1(p; a, b) the inverse regularized incomplete beta function: I_x(a, b) from its continued
//   fraction with Loader's binomial-pmf prefactor, inverted by bisection to adjacent doubles (no Boost.Math:
//   its special-function headers alone cost 160 MB of compiler memory in every includer).
//
//   H(p)      = -sum_t p(t) log2 p(t),              0 log 0 = 0
//   KL(p||q)  =  sum_t p(t) log2(p(t) / q(t)),      terms with p(t) = 0 are 0;
//                                                   +inf as soon as p(t) > 0 = q(t).
//
//   Seeds-and-prompts bootstrap of an error rate measured on S training seeds, seed s with k_s errors
//   in N_s prompts (two-stage: seeds, then prompts within each seed, both with replacement):
//     replicate r:  s_1..s_S ~ U{1..S} iid;  e_j = errors in N_{s_j} prompts drawn with replacement from
//                   seed s_j's (so e_j ~ Binomial(N_{s_j}, k_{s_j} / N_{s_j}));  v_r = sum_j e_j / sum_j N_{s_j}
//     interval:     the alpha/2 and 1 - alpha/2 empirical quantiles (nearest rank) of v_1..v_R.
//   It widens with the spread between seeds, which a per-seed Clopper-Pearson interval cannot see.
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

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

/// The sorted bootstrap replicates v_1 <= ... <= v_R of the seeds-and-prompts bootstrap (header comment),
/// drawn from random_engine(seed). `errors[s] <= prompts[s]`, prompts[s] >= 1, at least one seed; error otherwise.
INDUCT_DECLARE std::vector<double> seed_bootstrap_replicates(std::span<const std::uint64_t> errors,
                                                             std::span<const std::uint64_t> prompts, int replicates,
                                                             std::uint64_t seed);

/// The percentile interval of the seeds-and-prompts bootstrap at confidence 1 - alpha; `estimate` is the
/// pooled rate sum k_s / sum N_s.
INDUCT_DECLARE proportion_interval seed_bootstrap_interval(std::span<const std::uint64_t> errors,
                                                           std::span<const std::uint64_t> prompts, double alpha = 0.05,
                                                           int replicates = 2000, std::uint64_t seed = 1);

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
