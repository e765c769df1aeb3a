#pragma once
// Log-space arithmetic with explicit infinities: log(0) = -inf is a value, never an error.
#include <algorithm>
#include <cmath>
#include <limits>
#include <span>

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
