// The AVX2 element-wise kernels (nn/simd.hpp) against long-double references: exp's relative error,
// softmax rows of every tail length, and GELU with its derivative.
#include <doctest/doctest.h>

#include <cmath>
#include <algorithm>
#include <cstddef>
#include <vector>

#include "induct/core/random.hpp"
#include "induct/nn/simd.hpp"

#if INDUCT_HAVE_AVX2_KERNELS
namespace {

/// y = exp(x) lane-wise with the AVX2 kernel (x.size() a multiple of 8).
__attribute__((target("avx2,fma"))) std::vector<float> apply_exp(const std::vector<float>& x) {
  std::vector<float> y(x.size());
  for (std::size_t i = 0; i + 8 <= x.size(); i += 8)
    _mm256_storeu_ps(y.data() + i, induct::nn::simd::avx2::exp(_mm256_loadu_ps(x.data() + i)));
  return y;
}

/// y = 2^x lane-wise with exp2_clamped.
__attribute__((target("avx2,fma"))) std::vector<float> apply_exp2(const std::vector<float>& x) {
  std::vector<float> y(x.size());
  for (std::size_t i = 0; i + 8 <= x.size(); i += 8)
    _mm256_storeu_ps(y.data() + i, induct::nn::simd::avx2::exp2_clamped(_mm256_loadu_ps(x.data() + i)));
  return y;
}

}  // namespace

TEST_CASE("simd: exp within 2 ulp on [-87, 88], 0 below, finite above") {
  if (!induct::nn::simd::cpu_has_avx2_fma()) {
    MESSAGE("no AVX2/FMA on this CPU: kernels not used, not tested");
    return;
  }
  std::vector<float> x;
  for (int i = 0; i <= 80000; ++i) x.push_back(-87.0f + 175.0f * static_cast<float>(i) / 80000.0f);
  x.resize(x.size() / 8 * 8);
  const auto e = apply_exp(x);
  double worst = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const long double exact = std::exp(static_cast<long double>(x[i]));
    worst = std::max(worst, static_cast<double>(std::fabs(e[i] - exact) / exact));
  }
  CHECK(worst < 2.5e-7);  // 2 ulp of float is 2.4e-7 relative
  const auto tiny = apply_exp(std::vector<float>(8, -100.0f));
  CHECK(tiny[0] == 0.0f);
  const auto big = apply_exp(std::vector<float>(8, 1000.0f));
  CHECK(std::isfinite(big[0]));
}

TEST_CASE("simd: exp2 within 2 ulp on [-126, 126], clamped outside") {
  if (!induct::nn::simd::cpu_has_avx2_fma()) return;
  std::vector<float> x;
  for (int i = 0; i <= 120000; ++i) x.push_back(-126.0f + 252.0f * static_cast<float>(i) / 120000.0f);
  x.resize(x.size() / 8 * 8);
  const auto y = apply_exp2(x);
  double worst = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const long double exact = std::exp2(static_cast<long double>(x[i]));
    worst = std::max(worst, static_cast<double>(std::fabs(y[i] - exact) / exact));
  }
  CHECK(worst < 2.5e-7);
  const auto clamped = apply_exp2({-1000.0f, -127.0f, 127.0f, 1000.0f, 0.0f, 1.0f, -1.0f, 0.5f});
  CHECK(clamped[0] == std::exp2(-126.0f));
  CHECK(clamped[1] == std::exp2(-126.0f));
  CHECK(clamped[2] == std::exp2(126.0f));
  CHECK(clamped[3] == std::exp2(126.0f));
  CHECK(clamped[4] == 1.0f);
  CHECK(clamped[5] == 2.0f);
  CHECK(clamped[6] == 0.5f);
  CHECK(std::fabs(clamped[7] - std::sqrt(2.0f)) <= 2.5e-7f * std::sqrt(2.0f));
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

TEST_CASE("simd: softmax backward rows of every length match long double") {
  if (!induct::nn::simd::cpu_has_avx2_fma()) return;
  induct::random_engine rng(7);
  for (std::size_t count = 1; count <= 41; ++count) {
    std::vector<float> p(count), d(count + 3, 9.0f);  // the 3 floats past the row must stay untouched
    float total = 0;
    for (std::size_t j = 0; j < count; ++j) total += p[j] = static_cast<float>(rng.uniform()) + 0.01f;
    for (auto& x : p) x /= total;
    for (std::size_t j = 0; j < count; ++j) d[j] = static_cast<float>(rng.normal());
    const std::vector<float> input = d;
    induct::nn::simd::avx2::softmax_backward_row(d.data(), p.data(), count, 0.3f);
    long double dot = 0;
    for (std::size_t j = 0; j < count; ++j) dot += static_cast<long double>(input[j]) * p[j];
    for (std::size_t j = 0; j < count; ++j) {
      const long double exact = 0.3L * p[j] * (input[j] - dot);
      CHECK(std::fabs(d[j] - exact) <= 1e-6L * (1 + std::fabs(exact)));
    }
    for (std::size_t j = count; j < count + 3; ++j) CHECK(d[j] == 9.0f);
  }
}

TEST_CASE("simd: GELU and its derivative match the tanh formula in long double") {
  if (!induct::nn::simd::cpu_has_avx2_fma()) return;
  std::vector<float> x;
  for (int i = 0; i <= 4005; ++i) x.push_back(-12.0f + 24.0f * static_cast<float>(i) / 4005.0f);  // a ragged tail
  for (float far : {-1e4f, -90.0f, -30.0f, 30.0f, 90.0f, 1e4f, 0.0f, -0.0f}) x.push_back(far);  // saturated tails
  std::vector<float> y(x.size()), d = x, y_only(x.size());
  induct::nn::simd::avx2::gelu(y.data(), d.data(), d.data(), x.size());  // derivative overwrites its input
  induct::nn::simd::avx2::gelu(y_only.data(), nullptr, x.data(), x.size());
  const long double k = 0.7978845608028654L, a = 0.044715L;
  double worst_value = 0, worst_derivative = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const long double v = x[i], th = std::tanh(k * (v + a * v * v * v));
    const long double gelu = 0.5L * v * (1 + th);
    const long double derivative = 0.5L * (1 + th) + 0.5L * v * (1 - th * th) * k * (1 + 3 * a * v * v);
    REQUIRE(std::isfinite(y[i]));
    REQUIRE(std::isfinite(d[i]));
    worst_value = std::max(worst_value, static_cast<double>(std::fabs(y[i] - gelu) / (1 + std::fabs(v))));
    worst_derivative = std::max(worst_derivative, static_cast<double>(std::fabs(d[i] - derivative)));
    CHECK(y_only[i] == y[i]);
  }
  // A few float ulps of the result's scale: the formula is x s with s in [0, 1].
  CHECK(worst_value < 5e-7);
  CHECK(worst_derivative < 1e-6);
}

/// The GELU kernel's operations one by one in scalar IEEE arithmetic (std::fma for each fmadd; this
/// function has no FMA target, so nothing is contracted): bit-equal to the AVX2 lanes only if the kernel
/// uses no approximate instruction (rcp_ps, rsqrt_ps), whose bits differ between CPU vendors.
static float gelu_scalar_mirror(float x, float& derivative) {
  constexpr float k = 0.7978845608028654f, log2_e = 1.4426950408889634f, a = 0.044715f;
  const float x2 = x * x;
  float t = x * std::fma(-2.0f * k * log2_e * a, x2, -2.0f * k * log2_e);
  t = std::fmax(std::fmin(t, 126.0f), -126.0f);
  const float n = std::nearbyint(t), f = t - n;  // ties to even, as _MM_FROUND_TO_NEAREST_INT
  float p = 1.535336188319500e-4f;
  for (float c : {1.339887440266574e-3f, 9.618437357674640e-3f, 5.550332471162809e-2f, 2.402264791363012e-1f,
                  6.931472028550421e-1f, 1.0f})
    p = std::fma(p, f, c);
  const float e = p * std::ldexp(1.0f, static_cast<int>(n));
  const float s = 1.0f / (1.0f + e);
  const float du = (2.0f * k) * std::fma(3.0f * a, x2, 1.0f);
  derivative = std::fma(x * (s * (e * s)), du, s);
  return x * s;
}

TEST_CASE("simd: GELU is bit-equal to its scalar IEEE mirror (the same bits on every CPU kind)") {
  if (!induct::nn::simd::cpu_has_avx2_fma()) return;
  induct::random_engine rng(11);
  std::vector<float> x;
  for (int i = 0; i < 20000; ++i) x.push_back(static_cast<float>(rng.normal() * 4));
  for (float far : {-1e4f, -90.0f, -30.0f, 30.0f, 90.0f, 1e4f, 0.0f, -0.0f, 1e-30f}) x.push_back(far);
  std::vector<float> y(x.size()), d(x.size());
  induct::nn::simd::avx2::gelu(y.data(), d.data(), x.data(), x.size());
  std::size_t value_mismatches = 0, derivative_mismatches = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    float derivative = 0;
    const float value = gelu_scalar_mirror(x[i], derivative);
    value_mismatches += value != y[i];
    derivative_mismatches += derivative != d[i];
  }
  CHECK(value_mismatches == 0);
  CHECK(derivative_mismatches == 0);
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
    std::vector<float> dw(n, -0.5f), db(n, 0.75f);  // the row's terms are added to what is there
    induct::nn::simd::avx2::layernorm_backward_row(dx.data(), dw.data(), db.data(), dy.data(), x.data(), w.data(), mean,
                                                   rstd, n);
    for (std::size_t i = 0; i < n; ++i) {
      const long double xhat = (x[i] - m) * s;
      const long double exact = 0.25L + s * (dy[i] * static_cast<long double>(w[i]) - g_mean - xhat * gx_mean);
      CHECK(std::fabs(dx[i] - exact) <= 2e-5L * (1 + std::fabs(exact)));
      CHECK(std::fabs(dw[i] - (-0.5L + dy[i] * xhat)) <= 2e-5L * (1 + std::fabs(dy[i] * xhat)));
      CHECK(db[i] == 0.75f + dy[i]);
    }
  }
}
#endif
