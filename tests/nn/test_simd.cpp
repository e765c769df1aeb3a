// The AVX2 element-wise kernels (nn/simd.hpp) against long-double references: exp's relative error,
// tanh's absolute error, softmax rows of every tail length, and GELU with its derivative.
#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <vector>

#include "induct/core/random.hpp"
#include "induct/nn/simd.hpp"

#if INDUCT_HAVE_AVX2_KERNELS
namespace {

/// y = f(x) lane-wise with the AVX2 kernel (x.size() a multiple of 8).
template <bool Tanh>
__attribute__((target("avx2,fma"))) std::vector<float> apply(const std::vector<float>& x) {
  std::vector<float> y(x.size());
  for (std::size_t i = 0; i + 8 <= x.size(); i += 8) {
    const __m256 v = _mm256_loadu_ps(x.data() + i);
    _mm256_storeu_ps(y.data() + i, Tanh ? induct::nn::simd::avx2::tanh(v) : induct::nn::simd::avx2::exp(v));
  }
  return y;
}

}  // namespace

TEST_CASE("simd: exp within 2 ulp on [-87, 88], 0 below, tanh within 3e-7") {
  if (!induct::nn::simd::cpu_has_avx2_fma()) {
    MESSAGE("no AVX2/FMA on this CPU: kernels not used, not tested");
    return;
  }
  std::vector<float> x;
  for (int i = 0; i <= 80000; ++i) x.push_back(-87.0f + 175.0f * static_cast<float>(i) / 80000.0f);
  x.resize(x.size() / 8 * 8);
  const auto e = apply<false>(x);
  double worst = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const long double exact = std::exp(static_cast<long double>(x[i]));
    worst = std::max(worst, static_cast<double>(std::fabs(e[i] - exact) / exact));
  }
  CHECK(worst < 2.5e-7);  // 2 ulp of float is 2.4e-7 relative
  const auto tiny = apply<false>(std::vector<float>(8, -100.0f));
  CHECK(tiny[0] == 0.0f);
  const auto big = apply<false>(std::vector<float>(8, 1000.0f));
  CHECK(std::isfinite(big[0]));

  std::vector<float> u;
  for (int i = 0; i <= 40000; ++i) u.push_back(-20.0f + 40.0f * static_cast<float>(i) / 40000.0f);
  u.resize(u.size() / 8 * 8);
  const auto t = apply<true>(u);
  double worst_tanh = 0;
  for (std::size_t i = 0; i < u.size(); ++i)
    worst_tanh = std::max(worst_tanh, static_cast<double>(std::fabs(t[i] - std::tanh(static_cast<long double>(u[i])))));
  CHECK(worst_tanh < 3e-7);
  CHECK(apply<true>(std::vector<float>(8, -0.0f))[0] == 0.0f);
}

TEST_CASE("simd: softmax rows of every length match long double") {
  if (!induct::nn::simd::cpu_has_avx2_fma()) return;
  induct::random_engine rng(5);
  for (std::size_t count = 1; count <= 41; ++count) {
    std::vector<float> row(count + 3, 123.0f);  // the 3 floats past the row must stay untouched
    for (std::size_t j = 0; j < count; ++j) row[j] = static_cast<float>(rng.normal() * 4.0);
    const std::vector<float> input = row;
    induct::nn::simd::avx2::softmax_row(row.data(), count, 0.37f);
    long double max = input[0], total = 0;
    for (std::size_t j = 0; j < count; ++j) max = std::max<long double>(max, input[j]);
    for (std::size_t j = 0; j < count; ++j) total += std::exp((input[j] - max) * 0.37L);
    for (std::size_t j = 0; j < count; ++j) {
      const long double exact = std::exp((input[j] - max) * 0.37L) / total;
      CHECK(std::fabs(row[j] - exact) <= 1e-6L * exact + 1e-12L);
    }
    for (std::size_t j = count; j < row.size(); ++j) CHECK(row[j] == 123.0f);
  }
}

TEST_CASE("simd: shifted exp (the cross-entropy's softmax) of every length matches long double") {
  if (!induct::nn::simd::cpu_has_avx2_fma()) return;
  induct::random_engine rng(11);
  for (std::size_t n = 1; n <= 70; n += 3) {
    std::vector<float> z(n), out(n + 2, 7.0f);
    for (auto& x : z) x = static_cast<float>(rng.normal() * 5);
    const float total = induct::nn::simd::avx2::shifted_exp(out.data(), z.data(), n, 1.5f, 0.25f);
    long double exact_total = 0;
    for (std::size_t j = 0; j < n; ++j) {
      const long double e = std::exp(static_cast<long double>(z[j]) - 1.5L);
      exact_total += e;
      CHECK(std::fabs(out[j] - 0.25L * e) <= 1e-6L * 0.25L * e);
    }
    CHECK(std::fabs(total - exact_total) <= 1e-6L * exact_total);
    CHECK(out[n] == 7.0f);  // nothing past n is written
    CHECK(out[n + 1] == 7.0f);
    CHECK(induct::nn::simd::avx2::shifted_exp(nullptr, z.data(), n, 1.5f, 1.0f) == total);
  }
}

TEST_CASE("simd: GELU and its derivative match the tanh formula in long double") {
  if (!induct::nn::simd::cpu_has_avx2_fma()) return;
  std::vector<float> x;
  for (int i = 0; i <= 2005; ++i) x.push_back(-12.0f + 24.0f * static_cast<float>(i) / 2005.0f);  // a ragged tail
  std::vector<float> y(x.size()), d = x;
  induct::nn::simd::avx2::gelu(y.data(), d.data(), d.data(), x.size());  // derivative overwrites its input
  const long double k = 0.7978845608028654L, a = 0.044715L;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const long double v = x[i], th = std::tanh(k * (v + a * v * v * v));
    const long double gelu = 0.5L * v * (1 + th);
    const long double derivative = 0.5L * (1 + th) + 0.5L * v * (1 - th * th) * k * (1 + 3 * a * v * v);
    CHECK(std::fabs(y[i] - gelu) <= 4e-6L * (1 + std::fabs(v)));
    CHECK(std::fabs(d[i] - derivative) <= 4e-6L * (1 + std::fabs(v)));
  }
}
TEST_CASE("simd: LayerNorm rows, forward and backward, match long double") {
  if (!induct::nn::simd::cpu_has_avx2_fma()) return;
  induct::random_engine rng(6);
  for (std::size_t n : {1u, 7u, 8u, 13u, 64u, 67u}) {
    std::vector<float> x(n), w(n), b(n), dy(n), y(n), dx(n, 0.25f);
    for (std::size_t i = 0; i < n; ++i) {
      x[i] = static_cast<float>(rng.normal() * 3 + 1);
      w[i] = static_cast<float>(rng.normal());
      b[i] = static_cast<float>(rng.normal());
      dy[i] = static_cast<float>(rng.normal());
    }
    float mean = 0, rstd = 0;
    induct::nn::simd::avx2::layernorm_row(y.data(), mean, rstd, x.data(), w.data(), b.data(), n, 1e-5f);
    long double m = 0, v = 0;
    for (const float xi : x) m += xi;
    m /= n;
    for (const float xi : x) v += (xi - m) * (xi - m);
    v /= n;
    const long double s = 1 / std::sqrt(v + 1e-5L);
    CHECK(std::fabs(mean - m) <= 1e-6L * (1 + std::fabs(m)));
    CHECK(std::fabs(rstd - s) <= 1e-5L * s);
    long double g_mean = 0, gx_mean = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const long double xhat = (x[i] - m) * s;
      CHECK(std::fabs(y[i] - (xhat * w[i] + b[i])) <= 1e-5L * (1 + std::fabs(xhat * w[i]) + std::fabs(b[i])));
      g_mean += dy[i] * static_cast<long double>(w[i]) / n;
      gx_mean += dy[i] * static_cast<long double>(w[i]) * xhat / n;
    }
    induct::nn::simd::avx2::layernorm_backward_row(dx.data(), dy.data(), x.data(), w.data(), mean, rstd, n);
    for (std::size_t i = 0; i < n; ++i) {
      const long double xhat = (x[i] - m) * s;
      const long double exact = 0.25L + s * (dy[i] * static_cast<long double>(w[i]) - g_mean - xhat * gx_mean);
      CHECK(std::fabs(dx[i] - exact) <= 2e-5L * (1 + std::fabs(exact)));
    }
  }
}
#endif
