#pragma once
// AVX2/FMA kernels for the GPT's element-wise float layers (softmax rows, GELU, LayerNorm rows), chosen at run time
// like gemm.hpp's kernel, so a portable build uses them on any CPU that has the instructions. Portable
// Eigen evaluates exp and tanh with SSE2 (four lanes, no FMA); these use eight lanes and FMA.
//
// exp(x) = 2^n e^r with n = round(x log2 e), r = x - n ln 2 (ln 2 split in two parts, Cody-Waite) and
// e^r a degree-6 polynomial on |r| <= ln2 / 2 (Cephes expf coefficients): relative error <= 2 ulp on
// [-87.3, 88]; below that the result is 0, and x above 88 is taken as 88 (no overflow to inf).
// GELU's tanh goes through the logistic function on the same exp (see gelu). tests/nn/test_simd.cpp
// checks every kernel against long double. Row sums use eight lane-wise partial sums (GCC does not
// vectorise an ordered float sum), in a fixed order.
#include <cmath>
#include <cstddef>

#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
#define INDUCT_HAVE_AVX2_KERNELS 1
#include <immintrin.h>
#else
#define INDUCT_HAVE_AVX2_KERNELS 0
#endif

namespace induct::nn::simd {

/// True when this CPU runs the AVX2/FMA kernels (x86-64 with AVX2 and FMA, detected once).
inline bool cpu_has_avx2_fma() noexcept {
#if INDUCT_HAVE_AVX2_KERNELS
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return has;
#else
  return false;
#endif
}

#if INDUCT_HAVE_AVX2_KERNELS
namespace avx2 {

/// e^x on eight lanes (see the header comment for the method and its error).
__attribute__((target("avx2,fma"))) inline __m256 exp(__m256 x) noexcept {
  const __m256 hi = _mm256_set1_ps(88.0f), lo = _mm256_set1_ps(-87.3365f);
  const __m256 below = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
  x = _mm256_max_ps(_mm256_min_ps(x, hi), lo);
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  // 2^n by building the exponent field; n in [-126, 128] after the clamp (2^128 is split as 2 * 2^127).
  const __m256i k = _mm256_cvtps_epi32(n);
  const __m256i half_k = _mm256_srai_epi32(k, 1);
  const __m256 two_a = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(half_k, _mm256_set1_epi32(127)), 23));
  const __m256 two_b =
      _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(k, half_k), _mm256_set1_epi32(127)), 23));
  const __m256 result = _mm256_mul_ps(_mm256_mul_ps(p, two_a), two_b);
  return _mm256_andnot_ps(below, result);  // exp(x) underflows to 0 below -87.3
}

/// Lanes [0, count) of a float array as a vector, the others 0 (count < 8).
__attribute__((target("avx2,fma"))) inline __m256i tail_mask(std::size_t count) noexcept {
  const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), index);
}

/// Horizontal sum / max of eight lanes.
__attribute__((target("avx2,fma"))) inline float sum(__m256 v) noexcept {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
__attribute__((target("avx2,fma"))) inline float max(__m256 v) noexcept {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/// row[0..count) = softmax(scale * row[0..count)), count >= 1.
__attribute__((target("avx2,fma"))) inline void softmax_row(float* row, std::size_t count, float scale) noexcept {
  const std::size_t full = count / 8 * 8;
  const __m256i mask = tail_mask(count - full);
  __m256 m = _mm256_set1_ps(row[0]);
  for (std::size_t j = 0; j < full; j += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(row + j));
  if (full < count) m = _mm256_max_ps(m, _mm256_blendv_ps(m, _mm256_maskload_ps(row + full, mask), _mm256_castsi256_ps(mask)));
  const __m256 row_max = _mm256_set1_ps(max(m)), vscale = _mm256_set1_ps(scale);
  __m256 total = _mm256_setzero_ps();
  for (std::size_t j = 0; j < full; j += 8) {
    const __m256 e = exp(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(row + j), row_max), vscale));
    total = _mm256_add_ps(total, e);
    _mm256_storeu_ps(row + j, e);
  }
  if (full < count) {
    const __m256 e = _mm256_and_ps(
        exp(_mm256_mul_ps(_mm256_sub_ps(_mm256_maskload_ps(row + full, mask), row_max), vscale)), _mm256_castsi256_ps(mask));
    total = _mm256_add_ps(total, e);
    _mm256_maskstore_ps(row + full, mask, e);
  }
  const __m256 inverse = _mm256_set1_ps(1.0f / sum(total));
  for (std::size_t j = 0; j < full; j += 8) _mm256_storeu_ps(row + j, _mm256_mul_ps(_mm256_loadu_ps(row + j), inverse));
  if (full < count) _mm256_maskstore_ps(row + full, mask, _mm256_mul_ps(_mm256_maskload_ps(row + full, mask), inverse));
}

/// 2^t on eight lanes for t clamped to [-126, 126] (normal floats throughout): 2^n 2^f with n = round(t),
/// f = t - n in [-1/2, 1/2] and 2^f a degree-6 polynomial (Cephes exp2f coefficients), relative error
/// <= 2 ulp. Cheaper than exp when the caller can fold log2(e) into its own constants (GELU does).
__attribute__((target("avx2,fma"))) inline __m256 exp2_clamped(__m256 t) noexcept {
  t = _mm256_max_ps(_mm256_min_ps(t, _mm256_set1_ps(126.0f)), _mm256_set1_ps(-126.0f));
  const __m256 n = _mm256_round_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m256 f = _mm256_sub_ps(t, n);
  __m256 p = _mm256_set1_ps(1.535336188319500e-4f);
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.339887440266574e-3f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(9.618437357674640e-3f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(5.550332471162809e-2f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(2.402264791363012e-1f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(6.931472028550421e-1f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f));
  const __m256i exponent = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(exponent));
}

/// Softmax backward of one row, in place: d[j] = scale p[j] (d[j] - sum_i d[i] p[i]) for j < count (the
/// dot product in eight lane-wise partial sums, fixed order).
__attribute__((target("avx2,fma"))) inline void softmax_backward_row(float* d, const float* p, std::size_t count,
                                                                    float scale) noexcept {
  const std::size_t full = count / 8 * 8;
  const __m256i mask = tail_mask(count - full);
  __m256 dot = _mm256_setzero_ps();
  for (std::size_t j = 0; j < full; j += 8) dot = _mm256_fmadd_ps(_mm256_loadu_ps(d + j), _mm256_loadu_ps(p + j), dot);
  if (full < count)
    dot = _mm256_fmadd_ps(_mm256_maskload_ps(d + full, mask), _mm256_maskload_ps(p + full, mask), dot);
  const __m256 total = _mm256_set1_ps(sum(dot)), vscale = _mm256_set1_ps(scale);
  for (std::size_t j = 0; j < full; j += 8) {
    const __m256 pj = _mm256_mul_ps(_mm256_loadu_ps(p + j), vscale);
    _mm256_storeu_ps(d + j, _mm256_mul_ps(pj, _mm256_sub_ps(_mm256_loadu_ps(d + j), total)));
  }
  if (full < count) {
    const __m256 pj = _mm256_mul_ps(_mm256_maskload_ps(p + full, mask), vscale);
    _mm256_maskstore_ps(d + full, mask, _mm256_mul_ps(pj, _mm256_sub_ps(_mm256_maskload_ps(d + full, mask), total)));
  }
}

/// GELU on eight lanes, evaluated as the logistic function it equals:
///   gelu(x) = 0.5 x (1 + tanh u) = x s,  s = 1 / (1 + e^{-2u}),  u = sqrt(2/pi) (x + 0.044715 x^3),
///   gelu'(x) = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) u' = s + 2 x s (1 - s) sqrt(2/pi) (1 + 3 * 0.044715 x^2),
/// with s (1 - s) = e^{-2u} s^2. One exp2 (e^{-2u} = 2^{x (c1 + c3 x^2)}, constants folded) and one
/// correctly rounded division instead of tanh's exp and division, whose latency made GELU a tenth of a
/// small model's training step. Only IEEE-exact instructions: rcp_ps (an approximation whose bits differ
/// between Intel and AMD) made the trained weights depend on the CPU kind. Sets derivative only when
/// WithDerivative.
template <bool WithDerivative>
__attribute__((target("avx2,fma"))) inline __m256 gelu_lanes(__m256 x, __m256& derivative) noexcept {
  constexpr float k = 0.7978845608028654f, log2_e = 1.4426950408889634f, a = 0.044715f;
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 x2 = _mm256_mul_ps(x, x);
  // e = e^{-2u} is at most 2^126, so 1 + e and its reciprocal stay normal.
  const __m256 e = exp2_clamped(
      _mm256_mul_ps(x, _mm256_fmadd_ps(_mm256_set1_ps(-2.0f * k * log2_e * a), x2, _mm256_set1_ps(-2.0f * k * log2_e))));
  const __m256 denominator = _mm256_add_ps(one, e);
  const __m256 s = _mm256_div_ps(one, denominator);
  if constexpr (WithDerivative) {
    const __m256 s_one_minus_s = _mm256_mul_ps(s, _mm256_mul_ps(e, s));
    const __m256 du = _mm256_mul_ps(_mm256_set1_ps(2.0f * k), _mm256_fmadd_ps(_mm256_set1_ps(3.0f * a), x2, one));
    derivative = _mm256_fmadd_ps(_mm256_mul_ps(x, s_one_minus_s), du, s);
  }
  return _mm256_mul_ps(x, s);
}

/// GELU (tanh form, see gelu_lanes) over [0, n): out = gelu(x), and derivative = gelu'(x) when derivative
/// != null; out and derivative may alias x (each lane is read before it is written).
template <bool WithDerivative>
__attribute__((target("avx2,fma"))) inline void gelu_array(float* out, float* derivative, const float* x_in,
                                                          std::size_t n) noexcept {
  __m256 d{};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 y = gelu_lanes<WithDerivative>(_mm256_loadu_ps(x_in + i), d);
    _mm256_storeu_ps(out + i, y);
    if constexpr (WithDerivative) _mm256_storeu_ps(derivative + i, d);
  }
  if (i < n) {
    const __m256i mask = tail_mask(n - i);
    const __m256 y = gelu_lanes<WithDerivative>(_mm256_maskload_ps(x_in + i, mask), d);
    _mm256_maskstore_ps(out + i, mask, y);
    if constexpr (WithDerivative) _mm256_maskstore_ps(derivative + i, mask, d);
  }
}

/// gelu_array with the derivative when derivative != null.
inline void gelu(float* out, float* derivative, const float* x_in, std::size_t n) noexcept {
  if (derivative != nullptr)
    gelu_array<true>(out, derivative, x_in, n);
  else
    gelu_array<false>(out, nullptr, x_in, n);
}

/// out[j] = scale * exp(x[j] - shift) for j < n (out may be x); returns the sum of exp(x[j] - shift)
/// (eight lane-wise partial sums, fixed order). The cross-entropy's softmax: shift = max or log-sum-exp.
__attribute__((target("avx2,fma"))) inline float shifted_exp(float* out, const float* x, std::size_t n, float shift,
                                                            float scale) noexcept {
  const __m256 vshift = _mm256_set1_ps(shift), vscale = _mm256_set1_ps(scale);
  __m256 total = _mm256_setzero_ps();
  for (std::size_t i = 0; i < n; i += 8) {
    const std::size_t lanes = n - i < 8 ? n - i : 8;
    const __m256i mask = tail_mask(lanes);
    const __m256 v = lanes == 8 ? _mm256_loadu_ps(x + i) : _mm256_maskload_ps(x + i, mask);
    __m256 e = exp(_mm256_sub_ps(v, vshift));
    if (lanes < 8) e = _mm256_and_ps(e, _mm256_castsi256_ps(mask));
    total = _mm256_add_ps(total, e);
    if (out != nullptr) {
      if (lanes == 8)
        _mm256_storeu_ps(out + i, _mm256_mul_ps(e, vscale));
      else
        _mm256_maskstore_ps(out + i, mask, _mm256_mul_ps(e, vscale));
    }
  }
  return sum(total);
}

/// Sum of x[0..n) in eight lane-wise partial sums, added in a fixed order.
__attribute__((target("avx2,fma"))) inline float sum(const float* x, std::size_t n) noexcept {
  __m256 total = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) total = _mm256_add_ps(total, _mm256_loadu_ps(x + i));
  float rest = 0;
  for (; i < n; ++i) rest += x[i];
  return sum(total) + rest;
}

/// One LayerNorm row (see layers::layernorm_forward): mean, rstd = 1/sqrt(biased var + eps), and
/// y = (x - mean) rstd weight + bias when y != null.
__attribute__((target("avx2,fma"))) inline void layernorm_row(float* y, float& mean, float& rstd, const float* x,
                                                             const float* weight, const float* bias, std::size_t n,
                                                             float eps) noexcept {
  const float m = sum(x, n) / static_cast<float>(n);
  const __m256 vm = _mm256_set1_ps(m);
  __m256 squares = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + i), vm);
    squares = _mm256_fmadd_ps(d, d, squares);
  }
  float rest = 0;
  for (; i < n; ++i) rest += (x[i] - m) * (x[i] - m);
  const float s = 1.0f / std::sqrt((sum(squares) + rest) / static_cast<float>(n) + eps);
  mean = m;
  rstd = s;
  if (y == nullptr) return;
  const __m256 vs = _mm256_set1_ps(s);
  for (i = 0; i + 8 <= n; i += 8) {
    const __m256 xhat = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm), vs);
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(xhat, _mm256_loadu_ps(weight + i), _mm256_loadu_ps(bias + i)));
  }
  for (; i < n; ++i) y[i] = (x[i] - m) * s * weight[i] + bias[i];
}

/// One LayerNorm backward row: dx += rstd (g - mean(g) - xhat mean(g xhat)), g = dy weight,
/// xhat = (x - mean) rstd; and the row's parameter-gradient terms dweight += dy xhat, dbias += dy.
__attribute__((target("avx2,fma"))) inline void layernorm_backward_row(float* dx, float* dweight, float* dbias,
                                                                      const float* dy, const float* x,
                                                                      const float* weight, float mean, float rstd,
                                                                      std::size_t n) noexcept {
  const __m256 vm = _mm256_set1_ps(mean), vs = _mm256_set1_ps(rstd);
  __m256 g_total = _mm256_setzero_ps(), gx_total = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 g = _mm256_mul_ps(_mm256_loadu_ps(dy + i), _mm256_loadu_ps(weight + i));
    const __m256 xhat = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm), vs);
    g_total = _mm256_add_ps(g_total, g);
    gx_total = _mm256_fmadd_ps(g, xhat, gx_total);
  }
  float g_rest = 0, gx_rest = 0;
  for (std::size_t j = i; j < n; ++j) {
    const float g = dy[j] * weight[j];
    g_rest += g;
    gx_rest += g * (x[j] - mean) * rstd;
  }
  const float g_mean = (sum(g_total) + g_rest) / static_cast<float>(n);
  const float gx_mean = (sum(gx_total) + gx_rest) / static_cast<float>(n);
  const __m256 vg = _mm256_set1_ps(g_mean), vgx = _mm256_set1_ps(gx_mean);
  for (i = 0; i + 8 <= n; i += 8) {
    const __m256 xhat = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm), vs);
    const __m256 d = _mm256_loadu_ps(dy + i);
    const __m256 g = _mm256_mul_ps(d, _mm256_loadu_ps(weight + i));
    const __m256 t = _mm256_fnmadd_ps(xhat, vgx, _mm256_sub_ps(g, vg));
    _mm256_storeu_ps(dx + i, _mm256_fmadd_ps(vs, t, _mm256_loadu_ps(dx + i)));
    _mm256_storeu_ps(dweight + i, _mm256_fmadd_ps(d, xhat, _mm256_loadu_ps(dweight + i)));
    _mm256_storeu_ps(dbias + i, _mm256_add_ps(d, _mm256_loadu_ps(dbias + i)));
  }
  for (; i < n; ++i) {
    const float xhat = (x[i] - mean) * rstd;
    dx[i] += rstd * (dy[i] * weight[i] - g_mean - xhat * gx_mean);
    dweight[i] += dy[i] * xhat;
    dbias[i] += dy[i];
  }
}

/// AdamW's element update (nn/adamw.hpp) over [0, n), eight lanes with sqrt and division as IEEE as
/// the scalar loop's:  p *= decay;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
///                     p -= step_size * m / (sqrt(v) / correction2_sqrt + eps).
struct adamw_coefficients {
  float decay, b1, one_minus_b1, b2, one_minus_b2, step_size, correction2_sqrt, eps;
};
__attribute__((target("avx2,fma"))) inline void adamw_update(float* p, const float* g, float* m, float* v,
                                                            std::size_t n, const adamw_coefficients& c) noexcept {
  const __m256 decay = _mm256_set1_ps(c.decay), b1 = _mm256_set1_ps(c.b1), one_minus_b1 = _mm256_set1_ps(c.one_minus_b1),
               b2 = _mm256_set1_ps(c.b2), one_minus_b2 = _mm256_set1_ps(c.one_minus_b2),
               step_size = _mm256_set1_ps(c.step_size), correction2_sqrt = _mm256_set1_ps(c.correction2_sqrt),
               eps = _mm256_set1_ps(c.eps);
  for (std::size_t i = 0; i < n; i += 8) {
    const std::size_t lanes = n - i < 8 ? n - i : 8;
    const __m256i mask = tail_mask(lanes);
    const bool full = lanes == 8;
    const __m256 gi = full ? _mm256_loadu_ps(g + i) : _mm256_maskload_ps(g + i, mask);
    const __m256 m0 = full ? _mm256_loadu_ps(m + i) : _mm256_maskload_ps(m + i, mask);
    const __m256 v0 = full ? _mm256_loadu_ps(v + i) : _mm256_maskload_ps(v + i, mask);
    const __m256 p0 = full ? _mm256_loadu_ps(p + i) : _mm256_maskload_ps(p + i, mask);
    const __m256 mi = _mm256_add_ps(_mm256_mul_ps(m0, b1), _mm256_mul_ps(one_minus_b1, gi));
    const __m256 vi = _mm256_add_ps(_mm256_mul_ps(v0, b2), _mm256_mul_ps(_mm256_mul_ps(one_minus_b2, gi), gi));
    const __m256 denominator = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), correction2_sqrt), eps);
    const __m256 pi = _mm256_sub_ps(_mm256_mul_ps(p0, decay), _mm256_mul_ps(step_size, _mm256_div_ps(mi, denominator)));
    if (full) {
      _mm256_storeu_ps(m + i, mi);
      _mm256_storeu_ps(v + i, vi);
      _mm256_storeu_ps(p + i, pi);
    } else {
      _mm256_maskstore_ps(m + i, mask, mi);
      _mm256_maskstore_ps(v + i, mask, vi);
      _mm256_maskstore_ps(p + i, mask, pi);
    }
  }
}

}  // namespace avx2
#endif  // INDUCT_HAVE_AVX2_KERNELS

}  // namespace induct::nn::simd
