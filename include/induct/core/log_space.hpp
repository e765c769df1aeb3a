#pragma once
// Log-space arithmetic with explicit infinities: log(0) = -inf is a value, never an error. The one
// softmax / log-softmax over logits of the library (model evaluation, next-token log-probabilities,
// linear probes), with the max factored out and accumulated in double:
//   m = max_j x_j,  S = sum_j exp(x_j - m),  log p_i = x_i - m - log S,  p_i = exp(x_i - m) / S.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string>

#include "induct/core/error.hpp"

namespace induct {

template <class Real = double>
inline constexpr Real negative_infinity = -std::numeric_limits<Real>::infinity();

/// log(exp(a) + exp(b)), exact at -inf: log_add(-inf, b) = b.
template <class Real>
Real log_add(Real a, Real b) noexcept {
  if (a < b) std::swap(a, b);
  if (a == -std::numeric_limits<Real>::infinity()) return a;
  return a + std::log1p(std::exp(b - a));
}

/// log(sum_i exp(x_i)) with the max factored out; -inf for an empty or all -inf input.
template <class Real>
Real log_sum_exp(std::span<const Real> values) noexcept {
  Real peak = -std::numeric_limits<Real>::infinity();
  for (Real v : values) peak = std::max(peak, v);
  if (peak == -std::numeric_limits<Real>::infinity()) return peak;
  if (peak == std::numeric_limits<Real>::infinity()) return peak;
  Real sum = 0;
  for (Real v : values) sum += std::exp(v - peak);
  return peak + std::log(sum);
}

/// The normalizer of a softmax over logits x_0..x_{n-1}: m = max_j x_j and S = sum_j exp(x_j - m), taken in
/// double, j in order (so 1 <= S <= n when m is finite), and log S. A logit of -inf gets p = 0 and
/// log p = -inf. When no logit is finite (all -inf, or any +inf or NaN) S is NaN or m is not finite, and every
/// p and log p below is NaN: the distribution is undefined.
struct softmax_normalizer {
  double peak = -std::numeric_limits<double>::infinity();     // m
  double sum = 0;                                             // S
  double log_sum = -std::numeric_limits<double>::infinity();  // log S

  /// log p = logit - m - log S (evaluated left to right, in double).
  [[nodiscard]] double log_probability(double logit) const noexcept { return logit - peak - log_sum; }
  /// p = exp(logit - m) / S.
  [[nodiscard]] double probability(double logit) const noexcept { return std::exp(logit - peak) / sum; }
};

/// The normalizer of logits (float or double; widened to double before any arithmetic). Reads each logit
/// twice (max, then sum); costs n exp.
template <class Logit>
[[nodiscard]] softmax_normalizer softmax_normalizer_of(std::span<const Logit> logits) noexcept {
  softmax_normalizer z;
  for (Logit x : logits) z.peak = std::max(z.peak, static_cast<double>(x));
  for (Logit x : logits) z.sum += std::exp(static_cast<double>(x) - z.peak);
  z.log_sum = std::log(z.sum);
  return z;
}

namespace log_space_detail {
inline void check_sizes(const char* function, std::size_t logits, std::size_t out) {
  if (logits != out)
    throw error(std::string(function) + ": " + std::to_string(logits) + " logits but an output of " +
                std::to_string(out));
}
}  // namespace log_space_detail

/// Sets out_i = log p_i = x_i - m - log S for every i (softmax_normalizer_of) and returns the normalizer.
/// out.size() must equal logits.size() (else induct::error). out may be the logits themselves (in place,
/// Logit = double: each x_i is read before out_i is written); no other overlap.
template <class Logit>
softmax_normalizer log_softmax(std::span<const Logit> logits, std::span<double> out) {
  log_space_detail::check_sizes("log_softmax", logits.size(), out.size());
  const softmax_normalizer z = softmax_normalizer_of(logits);
  for (std::size_t i = 0; i < logits.size(); ++i) out[i] = z.log_probability(static_cast<double>(logits[i]));
  return z;
}

/// Sets out_i = p_i = exp(x_i - m) / S for every i and returns the normalizer; sizes and aliasing as
/// log_softmax. Costs 2n exp.
template <class Logit>
softmax_normalizer softmax(std::span<const Logit> logits, std::span<double> out) {
  log_space_detail::check_sizes("softmax", logits.size(), out.size());
  const softmax_normalizer z = softmax_normalizer_of(logits);
  for (std::size_t i = 0; i < logits.size(); ++i) out[i] = z.probability(static_cast<double>(logits[i]));
  return z;
}

/// Natural log to log base 2.
template <class Real>
constexpr Real nats_to_bits(Real nats) noexcept {
  return nats / static_cast<Real>(0.693147180559945309417232121458176568L);
}

/// -log2(p) in bits; +inf for p = 0.
template <class Real>
Real surprisal_bits(Real probability) noexcept {
  return -std::log2(probability);
}

}  // namespace induct
