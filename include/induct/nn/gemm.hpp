#pragma once
// General matrix product for the GPT's layers: C (=|+=) op(A) op(B), row-major C, with A and B given by
// a pointer and two strides each, so a transposed operand is only a swap of strides.
//
// float on an x86-64 CPU with AVX2 and FMA (checked at run time, so a portable build still gets it)
// runs a kernel in the style of BLIS/GotoBLAS: a 6 x 16 register-blocked micro-kernel (12 ymm
// accumulators, one FMA per accumulator per k) over B packed into panels of 16 columns and A packed into
// panels of 6 rows; either operand is read in place instead where packing would not pay (small N for A,
// small M for B: the attention heads). Portable Eigen runs SSE2 here, a quarter of the FMA peak; this
// kernel is what lets the training step reach the SGEMM-bound limit (bench/RESULTS.md).
// Everything else (double, other CPUs) goes to Eigen. The product is single-threaded: the layers
// split rows between OpenMP threads themselves (layers.hpp), which keeps results independent of
// scheduling. Each output element is summed over k in increasing order of blocks, with the same
// arithmetic whichever rows a call gets, so a fixed build and CPU give bit-identical results however the
// rows are split between threads.
#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>

#include <Eigen/Core>

#include "induct/nn/simd.hpp"

namespace induct::nn {

/// One operand of a product: element (i, j) is data[i * row_stride + j * column_stride].
template <class S>
struct matrix_operand {
  const S* data;
  std::ptrdiff_t row_stride;
  std::ptrdiff_t column_stride;

  /// The transpose of this operand (no copy).
  [[nodiscard]] matrix_operand transposed() const noexcept { return {data, column_stride, row_stride}; }
};

/// A row-major matrix with leading dimension `ld`, as an operand.
template <class S>
matrix_operand<S> rows_of(const S* data, std::ptrdiff_t ld) noexcept {
  return {data, ld, 1};
}

/// Zero structure the product may exploit (the skipped terms are exactly zero or not wanted).
enum class gemm_structure {
  general,
  a_lower,   ///< A(i, p) = 0 for p > i (e.g. causal attention probabilities): k runs to i only
  a_upper,   ///< A(i, p) = 0 for p < i (a transposed a_lower): k runs from i
  c_lower,   ///< only C(i, j) with j <= i is wanted; entries above the diagonal are left unspecified
};

/// Backend of a gemm call: automatic (the AVX2/FMA kernel for float where the CPU has it, else Eigen) or
/// Eigen always (the tests compare the two).
enum class gemm_backend { automatic, eigen };

namespace detail {

template <class S>
void gemm_eigen(int M, int N, int K, matrix_operand<S> a, matrix_operand<S> b, S* c, std::ptrdiff_t ldc,
                bool accumulate) {
  using matrix = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using stride = Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>;
  // Row-major Map: outer stride = row stride, inner stride = column stride.
  Eigen::Map<const matrix, Eigen::Unaligned, stride> A(a.data, M, K, stride(a.row_stride, a.column_stride));
  Eigen::Map<const matrix, Eigen::Unaligned, stride> B(b.data, K, N, stride(b.row_stride, b.column_stride));
  Eigen::Map<matrix, Eigen::Unaligned, Eigen::OuterStride<>> C(c, M, N, Eigen::OuterStride<>(ldc));
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (!accumulate) C.setZero();
    return;
  }
  if (accumulate)
    C.noalias() += A * B;
  else
    C.noalias() = A * B;
}

#if INDUCT_HAVE_AVX2_KERNELS


namespace avx2 {

inline constexpr int mr = 6;      // rows of the micro-tile
inline constexpr int nr = 16;     // columns of the micro-tile (two ymm registers)
inline constexpr int kc = 256;    // depth of a packed block (A panel 6 KiB, B panel 16 KiB: L1)
inline constexpr int mc = 144;    // rows of a packed A block (144 KiB: L2)
inline constexpr int nc = 4080;   // columns of a packed B block (L3)

/// Per-thread packing buffers, grown once and reused (no allocation in the steady state).
struct packing_buffers {
  struct free_deleter {
    void operator()(float* p) const noexcept { std::free(p); }
  };
  std::unique_ptr<float, free_deleter> a, b;
  std::size_t a_size = 0, b_size = 0;

  static float* grow(std::unique_ptr<float, free_deleter>& buffer, std::size_t& size, std::size_t wanted) {
    if (wanted > size) {
      const std::size_t bytes = (wanted * sizeof(float) + 63) / 64 * 64;
      auto* p = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (p == nullptr) throw std::bad_alloc();
      buffer.reset(p);
      size = wanted;
    }
    return buffer.get();
  }
};

inline packing_buffers& thread_buffers() {
  static thread_local packing_buffers buffers;
  return buffers;
}

/// Packs rows [0, m) x depth [0, k) of A into panels of mr rows: panel r holds A(r*mr + i, p) at
/// [r * mr * k + p * mr + i], rows past m zero-filled.
__attribute__((target("avx2,fma"))) inline void pack_a(float* packed, const float* a, std::ptrdiff_t rs,
                                                      std::ptrdiff_t cs, int m, int k) {
  for (int r0 = 0; r0 < m; r0 += mr) {
    const int rows = std::min(mr, m - r0);
    float* out = packed + static_cast<std::size_t>(r0) * k;
    if (rows == mr && cs == 1) {
      const float* row[mr];
      for (int i = 0; i < mr; ++i) row[i] = a + (r0 + i) * rs;
      for (int p = 0; p < k; ++p)
        for (int i = 0; i < mr; ++i) out[p * mr + i] = row[i][p];
    } else if (rows == mr && rs == 1) {  // transposed A: the six values of each p are contiguous
      for (int p = 0; p < k; ++p) std::memcpy(out + p * mr, a + p * cs + r0, mr * sizeof(float));
    } else {
      for (int p = 0; p < k; ++p) {
        const float* column = a + p * cs + r0 * rs;
        int i = 0;
        for (; i < rows; ++i) out[p * mr + i] = column[i * rs];
        for (; i < mr; ++i) out[p * mr + i] = 0.0f;
      }
    }
  }
}

/// out[r * out_stride + c] = in[c * in_stride + r] for an 8 x 8 block (in: 8 rows of 8 floats).
__attribute__((target("avx2,fma"))) inline void transpose_8x8(const float* in, std::ptrdiff_t in_stride, float* out,
                                                             std::ptrdiff_t out_stride) {
  __m256 r[8], t[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(in + i * in_stride);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    r[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_ps(out + i * out_stride, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
    _mm256_storeu_ps(out + (i + 4) * out_stride, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
  }
}

/// Packs depth [0, k) x columns [0, n) of B into panels of nr columns: panel s holds B(p, s*nr + j) at
/// [s * nr * k + p * nr + j], columns past n zero-filled.
__attribute__((target("avx2,fma"))) inline void pack_b(float* packed, const float* b, std::ptrdiff_t rs,
                                                      std::ptrdiff_t cs, int k, int n) {
  for (int s0 = 0; s0 < n; s0 += nr) {
    const int cols = std::min(nr, n - s0);
    float* out = packed + static_cast<std::size_t>(s0) * k;
    if (cols == nr && cs == 1) {
      for (int p = 0; p < k; ++p) {
        const float* src = b + p * rs + s0;
        _mm256_store_ps(out + p * nr, _mm256_loadu_ps(src));
        _mm256_store_ps(out + p * nr + 8, _mm256_loadu_ps(src + 8));
      }
    } else if (rs == 1 && cols == nr) {  // transposed B (a weight used as W^T, k^T): 8 x 8 transposes
      int p = 0;
      for (; p + 8 <= k; p += 8)
        for (int j0 = 0; j0 < nr; j0 += 8) transpose_8x8(b + (s0 + j0) * cs + p, cs, out + p * nr + j0, nr);
      for (; p < k; ++p)
        for (int j = 0; j < nr; ++j) out[p * nr + j] = b[(s0 + j) * cs + p];
    } else if (rs == 1) {
      for (int j = 0; j < nr; ++j) {
        if (j < cols) {
          const float* src = b + (s0 + j) * cs;
          for (int p = 0; p < k; ++p) out[p * nr + j] = src[p];
        } else {
          for (int p = 0; p < k; ++p) out[p * nr + j] = 0.0f;
        }
      }
    } else {
      for (int p = 0; p < k; ++p) {
        int j = 0;
        for (; j < cols; ++j) out[p * nr + j] = b[p * rs + (s0 + j) * cs];
        for (; j < nr; ++j) out[p * nr + j] = 0.0f;
      }
    }
  }
}

/// The 6 x 16 micro-kernel: C(0..m, 0..n) (=|+=) sum_{p < k} A(:, p) B(p, :), with B(p, :) the 16 floats at
/// bp + p * b_row_stride (a packed panel has b_row_stride = nr) and
/// A either a packed panel (A(i, p) at a[p * mr + i]) or, when InPlace, six full rows read where they are
/// (A(i, p) at a[i * a_row_stride + p]). Not inlined: the loop needs all 16 ymm registers and few others.
template <bool InPlace>
__attribute__((target("avx2,fma"), noinline)) void micro_kernel(int k, const float* a, std::ptrdiff_t a_row_stride,
                                                               const float* bp, std::ptrdiff_t b_row_stride, float* c,
                                                               std::ptrdiff_t ldc, int m, int n, bool accumulate) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(),
         c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(),
         c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps(),
         c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  const float* a0 = a;                     // rows 0..2 at a0, a0 + rs, a0 + 2 rs (in place)
  const float* a3 = a + 3 * a_row_stride;  // rows 3..5 likewise
  const std::ptrdiff_t rs = a_row_stride;
#pragma GCC unroll 4
  for (int p = 0; p < k; ++p) {
    const __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
    bp += b_row_stride;
    __m256 x = _mm256_broadcast_ss(InPlace ? a0 : a + 0);
    c00 = _mm256_fmadd_ps(x, b0, c00);
    c01 = _mm256_fmadd_ps(x, b1, c01);
    x = _mm256_broadcast_ss(InPlace ? a0 + rs : a + 1);
    c10 = _mm256_fmadd_ps(x, b0, c10);
    c11 = _mm256_fmadd_ps(x, b1, c11);
    x = _mm256_broadcast_ss(InPlace ? a0 + 2 * rs : a + 2);
    c20 = _mm256_fmadd_ps(x, b0, c20);
    c21 = _mm256_fmadd_ps(x, b1, c21);
    x = _mm256_broadcast_ss(InPlace ? a3 : a + 3);
    c30 = _mm256_fmadd_ps(x, b0, c30);
    c31 = _mm256_fmadd_ps(x, b1, c31);
    x = _mm256_broadcast_ss(InPlace ? a3 + rs : a + 4);
    c40 = _mm256_fmadd_ps(x, b0, c40);
    c41 = _mm256_fmadd_ps(x, b1, c41);
    x = _mm256_broadcast_ss(InPlace ? a3 + 2 * rs : a + 5);
    c50 = _mm256_fmadd_ps(x, b0, c50);
    c51 = _mm256_fmadd_ps(x, b1, c51);
    if constexpr (InPlace) {
      ++a0;
      ++a3;
    } else {
      a += mr;
    }
  }
  if (m == mr && n == nr) {
    const __m256 acc[mr][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    for (int i = 0; i < mr; ++i) {
      float* row = c + i * ldc;
      if (accumulate) {
        _mm256_storeu_ps(row, _mm256_add_ps(_mm256_loadu_ps(row), acc[i][0]));
        _mm256_storeu_ps(row + 8, _mm256_add_ps(_mm256_loadu_ps(row + 8), acc[i][1]));
      } else {
        _mm256_storeu_ps(row, acc[i][0]);
        _mm256_storeu_ps(row + 8, acc[i][1]);
      }
    }
    return;
  }
  alignas(32) float tile[mr][nr];
  _mm256_store_ps(tile[0], c00), _mm256_store_ps(tile[0] + 8, c01);
  _mm256_store_ps(tile[1], c10), _mm256_store_ps(tile[1] + 8, c11);
  _mm256_store_ps(tile[2], c20), _mm256_store_ps(tile[2] + 8, c21);
  _mm256_store_ps(tile[3], c30), _mm256_store_ps(tile[3] + 8, c31);
  _mm256_store_ps(tile[4], c40), _mm256_store_ps(tile[4] + 8, c41);
  _mm256_store_ps(tile[5], c50), _mm256_store_ps(tile[5] + 8, c51);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) c[i * ldc + j] = accumulate ? c[i * ldc + j] + tile[i][j] : tile[i][j];
}

__attribute__((target("avx2,fma"))) inline void gemm(int M, int N, int K, matrix_operand<float> a,
                                                    matrix_operand<float> b, float* c, std::ptrdiff_t ldc,
                                                    bool accumulate, gemm_structure structure) {
  auto& buffers = thread_buffers();
  if (K == 0) {
    if (!accumulate)
      for (int i = 0; i < M; ++i) std::fill(c + i * ldc, c + i * ldc + N, 0.0f);
    return;
  }
  const int kc_max = std::min(K, kc), mc_max = std::min((M + mr - 1) / mr * mr, mc);
  float* packed_a = packing_buffers::grow(buffers.a, buffers.a_size, static_cast<std::size_t>(mc_max) * kc_max);
  const int nc_max = std::min((N + nr - 1) / nr * nr, nc);
  float* packed_b = packing_buffers::grow(buffers.b, buffers.b_size, static_cast<std::size_t>(nc_max) * kc_max);
  for (int jc = 0; jc < N; jc += nc) {
    const int n_block = std::min(nc, N - jc);
    for (int pc = 0; pc < K; pc += kc) {
      const int k_block = std::min(kc, K - pc);
      const bool add = accumulate || pc > 0;
      // B with contiguous rows is read in place when few rows of A reuse it (attention heads: M = T);
      // otherwise packing it once pays for itself over M / 6 micro-kernel calls.
      const bool b_in_place = b.column_stride == 1 && M <= mc && n_block % nr == 0;
      if (!b_in_place)
        pack_b(packed_b, b.data + pc * b.row_stride + jc * b.column_stride, b.row_stride, b.column_stride, k_block,
             n_block);
      for (int ic = 0; ic < M; ic += mc) {
        const int m_block = std::min(mc, M - ic);
        // Row-major A is read in place (six row streams) when N is small: packing costs one pass over A,
        // which the product amortises only over N / 16 micro-kernel calls (attention heads have N = 32).
        // Otherwise, for transposed A, and for row strides that are multiples of 4 KiB (the six streams
        // would alias in L1), A is packed; so is a block's last partial panel of rows.
        const float* a_block = a.data + ic * a.row_stride + pc * a.column_stride;
        const bool in_place = a.column_stride == 1 && N < 512 && a.row_stride % 1024 != 0;
        const int full_rows = in_place ? m_block / mr * mr : 0;
        if (!in_place)
          pack_a(packed_a, a_block, a.row_stride, a.column_stride, m_block, k_block);
        else if (full_rows < m_block)
          pack_a(packed_a + static_cast<std::size_t>(full_rows) * k_block, a_block + full_rows * a.row_stride,
                 a.row_stride, 1, m_block - full_rows, k_block);
        for (int jr = 0; jr < n_block; jr += nr) {
          const int cols = std::min(nr, n_block - jr);
          for (int ir = 0; ir < m_block; ir += mr) {
            const int rows = std::min(mr, m_block - ir);
            const int row0 = ic + ir, col0 = jc + jr;
            if (structure == gemm_structure::c_lower && col0 > row0 + rows - 1) continue;
            // Depth range [p0, p1) of this block that can be non-zero for rows row0 .. row0 + rows - 1.
            int p0 = 0, p1 = k_block;
            if (structure == gemm_structure::a_lower) p1 = std::clamp(row0 + rows - pc, 0, k_block);
            if (structure == gemm_structure::a_upper) p0 = std::clamp(row0 - pc, 0, k_block);
            float* tile = c + static_cast<std::ptrdiff_t>(row0) * ldc + col0;
            if (p1 <= p0) {  // an all-zero block contributes nothing
              if (!add)
                for (int i = 0; i < rows; ++i) std::fill(tile + i * ldc, tile + i * ldc + cols, 0.0f);
              continue;
            }
            const float* b_panel = b_in_place ? b.data + (pc + p0) * b.row_stride + jc + jr
                                              : packed_b + static_cast<std::size_t>(jr) * k_block + p0 * nr;
            const std::ptrdiff_t b_step = b_in_place ? b.row_stride : nr;
            if (ir < full_rows)
              micro_kernel<true>(p1 - p0, a_block + ir * a.row_stride + p0, a.row_stride, b_panel, b_step, tile, ldc, rows,
                                 cols, add);
            else
              micro_kernel<false>(p1 - p0, packed_a + static_cast<std::size_t>(ir) * k_block + p0 * mr, 0, b_panel, b_step,
                                  tile, ldc, rows, cols, add);
          }
        }
      }
    }
  }
}

}  // namespace avx2
#endif  // INDUCT_HAVE_AVX2_KERNELS

}  // namespace detail

/// The kernel gemm<float> runs on this CPU: "avx2-fma" (packed FMA kernel) or "eigen".
inline const char* gemm_kernel_name() noexcept {
#if INDUCT_HAVE_AVX2_KERNELS
  if (simd::cpu_has_avx2_fma()) return "avx2-fma";
#endif
  return "eigen";
}

/// C (=|+=) op(A) op(B): op(A) is M x K, op(B) is K x N, C is M x N row-major with leading dimension ldc
/// (C += when accumulate). `structure` lets the product skip terms known to be zero or unwanted; the
/// result is the same as the general product wherever the structure's promise holds (Eigen computes
/// the general product). C must not overlap A or B.
template <class S>
void gemm(int M, int N, int K, matrix_operand<S> a, matrix_operand<S> b, S* c, std::ptrdiff_t ldc, bool accumulate,
          gemm_structure structure = gemm_structure::general, gemm_backend backend = gemm_backend::automatic) {
#if INDUCT_HAVE_AVX2_KERNELS
  if constexpr (std::is_same_v<S, float>) {
    if (backend == gemm_backend::automatic && simd::cpu_has_avx2_fma()) {
      detail::avx2::gemm(M, N, K, a, b, c, ldc, accumulate, structure);
      return;
    }
  }
#endif
  (void)structure;
  (void)backend;
  detail::gemm_eigen(M, N, K, a, b, c, ldc, accumulate);
}

}  // namespace induct::nn
