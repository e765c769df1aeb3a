#pragma once
// The layers of the GPT, each a forward and a hand-written backward over raw row-major buffers with
// explicit shapes (N = batch * time rows). Backward functions say whether they set or accumulate (+=).
// Parallel loops use static OpenMP schedules and no float atomics. Sums over rows (the weight, bias and
// LayerNorm parameter gradients) run over a fixed partition of the rows into chunks (weight_gradient_chunks,
// row_chunks) whose sums are added in chunk order, so results do not depend on the thread count at all.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <tuple>
#include <utility>

#include <Eigen/Core>

#include "induct/nn/gemm.hpp"
#include "induct/nn/simd.hpp"
#ifdef _OPENMP
#include <omp.h>
#endif

namespace induct::nn {

template <class S>
using row_matrix = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

namespace layers {

/// Rows below this many scalars run single-threaded (a parallel region costs more than it saves).
inline constexpr std::size_t parallel_threshold = 1 << 14;

inline int thread_index() noexcept {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

inline int max_threads() noexcept {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/// [begin, end) of part `index` of `count` near-equal parts of n items.
inline std::pair<int, int> split_range(int n, int index, int count) noexcept {
  const auto begin = static_cast<int>(static_cast<long long>(n) * index / count);
  const auto end = static_cast<int>(static_cast<long long>(n) * (index + 1) / count);
  return {begin, end};
}

inline int team_size() noexcept {
#ifdef _OPENMP
  return omp_get_num_threads();
#else
  return 1;
#endif
}

/// x[0..n) = 0, split between threads (gradient buffers are megabytes; a serial fill idles the team).
template <class S>
void set_zero(S* x, std::size_t n) {
  const auto count = static_cast<std::ptrdiff_t>(n);
#pragma omp parallel for schedule(static) if (n >= (std::size_t{1} << 15))
  for (std::ptrdiff_t i = 0; i < count; ++i) x[i] = S(0);
}

/// Number of row chunks for the LayerNorm parameter-gradient sums: fixed by N alone, so the summation
/// order does not depend on the thread count. With 1, 2, 4 or 8 threads each thread gets whole chunks
/// that are exactly its rows of the row-split layers before (split_range), so it sums data in its own
/// cache instead of reading half of it from the other core's (on a 2-vCPU VM that traffic cost ~10% of
/// a small model's step).
inline int row_chunks(int N) noexcept { return std::clamp(N / 64, 1, 8); }

/// Row chunks of a Linear layer's weight gradient: two halves (one per thread of a 2-core machine), as
/// each chunk but the first needs a weight-sized partial sum; more threads split a chunk's output rows.
inline int weight_gradient_chunks(int N) noexcept { return N >= 128 ? 2 : 1; }

/// Scratch scalars linear_backward needs for its chunk sums.
inline std::size_t linear_backward_scratch_size(int N, int IC, int OC) noexcept {
  return static_cast<std::size_t>(weight_gradient_chunks(N) - 1) *
         (static_cast<std::size_t>(OC) * static_cast<std::size_t>(IC) + static_cast<std::size_t>(OC));
}

/// Scratch scalars layernorm_backward needs for its chunk sums.
inline std::size_t layernorm_backward_scratch_size(int N, int C) noexcept {
  return static_cast<std::size_t>(row_chunks(N)) * 2 * static_cast<std::size_t>(C);
}

/// out[b,t,:] = wte[tokens[b,t],:] + wpe[t,:]    out [B*T, C]; tokens must be in [0, V).
template <class S>
void embedding_forward(S* out, const std::int32_t* tokens, const S* wte, const S* wpe, int B, int T, int C) {
  const int N = B * T;
#pragma omp parallel for schedule(static) if (static_cast<std::size_t>(N) * C >= parallel_threshold)
  for (int i = 0; i < N; ++i) {
    S* o = out + static_cast<std::size_t>(i) * C;
    const S* e = wte + static_cast<std::size_t>(tokens[i]) * C;
    const S* p = wpe + static_cast<std::size_t>(i % T) * C;
    for (int c = 0; c < C; ++c) o[c] = e[c] + p[c];
  }
}

/// Part `index` of `count` of the C columns of a row-major matrix with rows of C scalars at `rows`, with
/// the boundaries moved to cache-line starts when every row has the same alignment (64 bytes divide a
/// row): threads then never write the same line (false sharing would move it between cores each row).
template <class S>
std::pair<int, int> cache_line_split(const S* rows, int C, int index, int count) noexcept {
  constexpr int line = static_cast<int>(64 / sizeof(S));
  if (static_cast<std::size_t>(C) * sizeof(S) % 64 != 0 || 64 % sizeof(S) != 0) return split_range(C, index, count);
  // Column c starts a line when (phase + c) % line == 0, in every row.
  const auto phase = static_cast<int>(reinterpret_cast<std::uintptr_t>(rows) / sizeof(S) % line);
  const auto boundary = [&](int part) {
    if (part <= 0) return 0;
    if (part >= count) return C;
    const int even = split_range(C, part, count).first;
    int c = (even + phase + line / 2) / line * line - phase;  // the line start nearest the even split
    if (c < 0) c += line;
    return std::clamp(c, 0, C);
  };
  return {boundary(index), boundary(index + 1)};
}

/// dwte[tokens[b,t],:] += dout[b,t,:]; dwpe[t,:] += dout[b,t,:]  (accumulates, in (b, t) order). Threads
/// split the channels, so rows sharing a token never collide and each sum keeps the row order.
template <class S>
void embedding_backward(S* dwte, S* dwpe, const S* dout, const std::int32_t* tokens, int B, int T, int C) {
  const int N = B * T;
#pragma omp parallel if (static_cast<std::size_t>(N) * C >= parallel_threshold)
  {
    const int thread = thread_index(), threads = team_size();
    // Two passes, so that each inner loop has one destination and vectorises (dwte and dwpe might alias).
    auto [c0, c1] = cache_line_split(dwte, C, thread, threads);
    for (int i = 0; i < N; ++i) {
      const S* __restrict d = dout + static_cast<std::size_t>(i) * C;
      S* __restrict e = dwte + static_cast<std::size_t>(tokens[i]) * C;
      for (int c = c0; c < c1; ++c) e[c] += d[c];
    }
    std::tie(c0, c1) = cache_line_split(dwpe, C, thread, threads);
    for (int i = 0; i < N; ++i) {
      const S* __restrict d = dout + static_cast<std::size_t>(i) * C;
      S* __restrict p = dwpe + static_cast<std::size_t>(i % T) * C;
      for (int c = c0; c < c1; ++c) p[c] += d[c];
    }
  }
}

/// LayerNorm of rows [begin, end) on the calling thread (see layernorm_forward).
template <class S>
void layernorm_rows(S* out, S* mean, S* rstd, const S* inp, const S* weight, const S* bias, int begin, int end,
                    int C) {
  const S eps = S(1e-5);
  for (int i = begin; i < end; ++i) {
    const S* x = inp + static_cast<std::size_t>(i) * C;
    S* y = out + static_cast<std::size_t>(i) * C;
#if INDUCT_HAVE_AVX2_KERNELS
    if constexpr (std::is_same_v<S, float>)
      if (simd::cpu_has_avx2_fma()) {
        simd::avx2::layernorm_row(y, mean[i], rstd[i], x, weight, bias, static_cast<std::size_t>(C), eps);
        continue;
      }
#endif
    S m = 0;
    for (int c = 0; c < C; ++c) m += x[c];
    m /= S(C);
    S v = 0;
    for (int c = 0; c < C; ++c) v += (x[c] - m) * (x[c] - m);
    v /= S(C);
    const S s = S(1) / std::sqrt(v + eps);
    for (int c = 0; c < C; ++c) y[c] = (x[c] - m) * s * weight[c] + bias[c];
    mean[i] = m;
    rstd[i] = s;
  }
}

/// LayerNorm over the last axis: y = (x - mean) * rstd * weight + bias, rstd = 1/sqrt(var + 1e-5) with
/// the biased variance (torch.nn.LayerNorm). inp, out [N, C]; mean, rstd [N] are saved for backward.
template <class S>
void layernorm_forward(S* out, S* mean, S* rstd, const S* inp, const S* weight, const S* bias, int N, int C) {
#pragma omp parallel if (static_cast<std::size_t>(N) * C >= parallel_threshold)
  {
    const auto [r0, r1] = split_range(N, thread_index(), team_size());
    layernorm_rows(out, mean, rstd, inp, weight, bias, r0, r1, C);
  }
}

/// Recomputes a LayerNorm output from its saved statistics (backward keeps only mean and rstd).
template <class S>
void layernorm_apply(S* out, const S* inp, const S* mean, const S* rstd, const S* weight, const S* bias, int N,
                     int C) {
#pragma omp parallel for schedule(static) if (static_cast<std::size_t>(N) * C >= parallel_threshold)
  for (int i = 0; i < N; ++i) {
    const S* x = inp + static_cast<std::size_t>(i) * C;
    S* y = out + static_cast<std::size_t>(i) * C;
    for (int c = 0; c < C; ++c) y[c] = (x[c] - mean[i]) * rstd[i] * weight[c] + bias[c];
  }
}

/// LayerNorm backward with xhat = (x - mean) * rstd, g = dout * weight:
///   dinp += rstd * (g - mean(g) - xhat * mean(g * xhat))      (accumulates)
///   dweight += sum_rows dout * xhat;  dbias += sum_rows dout  (accumulates)
/// Threads take whole row chunks (row_chunks); each chunk's parameter-gradient sums (rows in order) go to
/// `partials` (layernorm_backward_scratch_size(N, C) scalars) and are added in chunk order.
template <class S>
void layernorm_backward(S* dinp, S* dweight, S* dbias, const S* dout, const S* inp, const S* mean, const S* rstd,
                        const S* weight, int N, int C, S* partials) {
  const int chunks = row_chunks(N);
  const auto width = static_cast<std::size_t>(C);  // partials: [chunk][dweight | dbias]
#pragma omp parallel if (static_cast<std::size_t>(N) * C >= parallel_threshold)
  {
#pragma omp for schedule(static)
    for (int chunk = 0; chunk < chunks; ++chunk) {
      const auto [k0, k1] = split_range(N, chunk, chunks);
      S* dw = partials + static_cast<std::size_t>(chunk) * 2 * width;
      S* db = dw + width;
      std::fill(dw, dw + 2 * width, S(0));
      for (int i = k0; i < k1; ++i) {
        const S* x = inp + static_cast<std::size_t>(i) * C;
        const S* dy = dout + static_cast<std::size_t>(i) * C;
        S* dx = dinp + static_cast<std::size_t>(i) * C;
#if INDUCT_HAVE_AVX2_KERNELS
        if constexpr (std::is_same_v<S, float>)
          if (simd::cpu_has_avx2_fma()) {
            simd::avx2::layernorm_backward_row(dx, dw, db, dy, x, weight, mean[i], rstd[i], width);
            continue;
          }
#endif
        S g_mean = 0, gx_mean = 0;
        for (int c = 0; c < C; ++c) {
          const S g = dy[c] * weight[c];
          g_mean += g;
          gx_mean += g * (x[c] - mean[i]) * rstd[i];
        }
        g_mean /= S(C);
        gx_mean /= S(C);
        for (int c = 0; c < C; ++c) {
          const S xhat = (x[c] - mean[i]) * rstd[i];
          dx[c] += rstd[i] * (dy[c] * weight[c] - g_mean - xhat * gx_mean);
          dw[c] += dy[c] * xhat;
          db[c] += dy[c];
        }
      }
    }  // implicit barrier: every chunk is summed
    const auto [c0, c1] = split_range(C, thread_index(), team_size());
    for (int chunk = 0; chunk < chunks; ++chunk) {
      const S* dw = partials + static_cast<std::size_t>(chunk) * 2 * width;
      for (int c = c0; c < c1; ++c) {
        dweight[c] += dw[c];
        dbias[c] += dw[width + static_cast<std::size_t>(c)];
      }
    }
  }
}

/// Products below this many multiply-adds run on one thread.
inline constexpr double parallel_gemm_threshold = 1 << 18;

// Threading of the Linear layers: one OpenMP team splits the rows of each product, and every thread runs
// the single-threaded gemm (gemm.hpp) on its part. Compared with a parallel GEMM this has one barrier per
// layer instead of spin-waits per block, which matters on a loaded machine, and each output element is
// computed by one thread in a fixed order (deterministic).

/// Called by linear_forward / linear_backward with each thread's finished output rows [begin, end): the
/// next element-wise layer runs there on rows still in cache, with no parallel region of its own.
struct no_epilogue {
  void operator()(int, int) const noexcept {}
};

/// nn.Linear: out = inp weight^T + bias (or out += ... when accumulate), or out = residual + inp weight^T +
/// bias when residual is given (the residual stream's add, copied row-block-wise by the thread that owns it).
/// inp [N, IC], weight [OC, IC], bias [OC] or null, residual [N, OC] or null, out [N, OC]; then
/// after_rows(begin, end) on the calling thread's rows of out.
template <class S, class Epilogue = no_epilogue>
void linear_forward(S* out, const S* inp, const S* weight, const S* bias, int N, int IC, int OC,
                    bool accumulate = false, const S* residual = nullptr, Epilogue&& after_rows = {}) {
  const double work = static_cast<double>(N) * IC * OC;
#pragma omp parallel if (work >= parallel_gemm_threshold)
  {
    const auto [r0, r1] = split_range(N, thread_index(), team_size());
    if (r1 > r0) {
      S* y = out + static_cast<std::size_t>(r0) * OC;
      if (residual != nullptr)
        std::copy(residual + static_cast<std::size_t>(r0) * OC, residual + static_cast<std::size_t>(r1) * OC, y);
      gemm(r1 - r0, OC, IC, rows_of(inp + static_cast<std::size_t>(r0) * IC, IC), rows_of(weight, IC).transposed(),
           y, OC, accumulate || residual != nullptr);
      if (bias != nullptr)
        for (int i = 0; i < r1 - r0; ++i) {
          S* row = y + static_cast<std::size_t>(i) * OC;
          for (int o = 0; o < OC; ++o) row[o] += bias[o];
        }
      after_rows(r0, r1);
    }
  }
}

/// Linear backward: dweight += dout^T inp; dbias += sum_rows dout; then dinp (= or +=) dout weight, then
/// after_dinp_rows(begin, end) on the calling thread's rows of dinp.
/// dinp may be null (not needed) and may alias inp (the weight gradient is taken first); dbias may be null.
/// The weight and bias gradients are summed per row chunk (weight_gradient_chunks: chunk 0 straight into
/// dweight, the others into `partials`, linear_backward_scratch_size(N, IC, OC) scalars, then added in
/// chunk order), so the result does not depend on the thread count; threads beyond the chunk count split
/// a chunk's rows of dweight. After the chunks' barrier threads take the rows of dinp.
template <class S, class Epilogue = no_epilogue>
void linear_backward(S* dinp, S* dweight, S* dbias, const S* dout, const S* inp, const S* weight, int N, int IC,
                     int OC, S* partials, bool accumulate_dinp = false, Epilogue&& after_dinp_rows = {}) {
  const double work = static_cast<double>(N) * IC * OC;
  const int chunks = weight_gradient_chunks(N);
  const std::size_t weight_size = static_cast<std::size_t>(OC) * IC, partial_size = weight_size + OC;
#pragma omp parallel if (work >= parallel_gemm_threshold)
  {
    const int thread = thread_index(), threads = team_size();
    const int slices = (threads + chunks - 1) / chunks;  // parts of a chunk's dweight rows
    const auto [item0, item1] = split_range(chunks * slices, thread, threads);
    for (int item = item0; item < item1; ++item) {
      const int chunk = item / slices;
      const auto [k0, k1] = split_range(N, chunk, chunks);
      const auto [o0, o1] = split_range(OC, item % slices, slices);
      S* dw = chunk == 0 ? dweight : partials + static_cast<std::size_t>(chunk - 1) * partial_size;
      if (o1 > o0)
        gemm(o1 - o0, IC, k1 - k0, rows_of(dout + static_cast<std::size_t>(k0) * OC + o0, OC).transposed(),
             rows_of(inp + static_cast<std::size_t>(k0) * IC, IC), dw + static_cast<std::size_t>(o0) * IC, IC,
             chunk == 0);
      if (dbias != nullptr) {
        // Column sums over the chunk's rows in order; 64 columns at a time in a local array the compiler
        // keeps in registers.
        S* db = chunk == 0 ? dbias : dw + weight_size;
        for (int c0 = o0; c0 < o1; c0 += 64) {
          const int width = std::min(64, o1 - c0);
          std::array<S, 64> sums{};
          if (chunk == 0)
            for (int j = 0; j < width; ++j) sums[static_cast<std::size_t>(j)] = db[c0 + j];
          for (int i = k0; i < k1; ++i) {
            const S* d = dout + static_cast<std::size_t>(i) * OC + c0;
            for (int j = 0; j < width; ++j) sums[static_cast<std::size_t>(j)] += d[j];
          }
          for (int j = 0; j < width; ++j) db[c0 + j] = sums[static_cast<std::size_t>(j)];
        }
      }
    }
#pragma omp barrier
    // Every chunk is summed and inp is no longer read (dinp may overwrite it).
    if (chunks > 1) {
      const auto [o0, o1] = split_range(OC, thread, threads);
      for (int chunk = 1; chunk < chunks; ++chunk) {
        const S* dw = partials + static_cast<std::size_t>(chunk - 1) * partial_size;
        const auto end = static_cast<std::size_t>(o1) * IC;
        for (auto i = static_cast<std::size_t>(o0) * IC; i < end; ++i) dweight[i] += dw[i];
        if (dbias != nullptr)
          for (int o = o0; o < o1; ++o) dbias[o] += dw[weight_size + static_cast<std::size_t>(o)];
      }
    }
    if (dinp != nullptr) {
      const auto [r0, r1] = split_range(N, thread, threads);
      if (r1 > r0) {
        gemm(r1 - r0, IC, OC, rows_of(dout + static_cast<std::size_t>(r0) * OC, OC), rows_of(weight, IC),
             dinp + static_cast<std::size_t>(r0) * IC, IC, accumulate_dinp);
        after_dinp_rows(r0, r1);
      }
    }
  }
}

/// Runs block(start, length) over [0, n) in blocks of 4096 scalars, split statically between threads
/// (the element-wise layers: one block fits in L1 with its output).
template <class Block>
void for_each_block(std::size_t n, Block&& block) {
  constexpr std::size_t size = 4096;
  const auto blocks = static_cast<std::ptrdiff_t>((n + size - 1) / size);
#pragma omp parallel for schedule(static) if (n >= parallel_threshold)
  for (std::ptrdiff_t i = 0; i < blocks; ++i) {
    const std::size_t start = static_cast<std::size_t>(i) * size;
    block(start, std::min(size, n - start));
  }
}

/// GELU, tanh approximation (torch nn.GELU(approximate='tanh')), on one thread over [0, n):
///   gelu(x) = 0.5 x (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3);
/// with derivative != null also its derivative (which may alias inp: each value is read first)
///   gelu'(x) = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2).
template <class S>
void gelu_block(S* out, S* derivative, const S* inp, std::size_t n) {
#if INDUCT_HAVE_AVX2_KERNELS
  if constexpr (std::is_same_v<S, float>)
    if (simd::cpu_has_avx2_fma()) {
      simd::avx2::gelu(out, derivative, inp, n);
      return;
    }
#endif
  const S k = S(0.7978845608028654), a = S(0.044715);
  for (std::size_t j = 0; j < n; j += 256) {  // a short tile keeps tanh in cache between its uses
    const auto len = static_cast<Eigen::Index>(std::min<std::size_t>(256, n - j));
    Eigen::Map<const Eigen::Array<S, Eigen::Dynamic, 1>> x(inp + j, len);
    Eigen::Array<S, 256, 1> th, x_copy;
    x_copy.head(len) = x;
    th.head(len) = (k * (x_copy.head(len) + a * x_copy.head(len).cube())).tanh();
    Eigen::Map<Eigen::Array<S, Eigen::Dynamic, 1>>(out + j, len) = S(0.5) * x_copy.head(len) * (S(1) + th.head(len));
    if (derivative != nullptr)
      Eigen::Map<Eigen::Array<S, Eigen::Dynamic, 1>>(derivative + j, len) =
          S(0.5) * (S(1) + th.head(len)) + S(0.5) * x_copy.head(len) * (S(1) - th.head(len).square()) * k *
                                               (S(1) + S(3) * a * x_copy.head(len).square());
  }
}

/// out = gelu(inp) over [0, n), split between threads (see gelu_block).
template <class S>
void gelu_forward(S* out, const S* inp, std::size_t n) {
  for_each_block(n, [&](std::size_t start, std::size_t len) { gelu_block(out + start, static_cast<S*>(nullptr), inp + start, len); });
}

/// dinp = dout * gelu'(x) (see gelu_block).  dinp may alias dout.
template <class S>
void gelu_backward(S* dinp, const S* inp, const S* dout, std::size_t n) {
  for_each_block(n, [&](std::size_t start, std::size_t len) {
    std::array<S, 4096> value, derivative;  // for_each_block's blocks are at most 4096 long
    gelu_block(value.data(), derivative.data(), inp + start, len);
    for (std::size_t j = 0; j < len; ++j) dinp[start + j] = dout[start + j] * derivative[j];
  });
}

/// Backward's recompute of a GELU: out = gelu(x) and, in place of x (dead after this), gelu'(x), so the
/// gradient needs one multiply instead of a second tanh: dinp = dout * x_after.
template <class S>
void gelu_recompute_with_derivative(S* out, S* x_then_derivative, std::size_t n) {
  for_each_block(n, [&](std::size_t start, std::size_t len) {
    gelu_block(out + start, x_then_derivative + start, x_then_derivative + start, len);
  });
}

/// In place, row t of a T x T block of scores: p[t, j] = softmax_{j <= t}(scale * p[t, j]), 0 for j > t.
/// Only the lower triangle (j <= t) of the input is read.
template <class S>
void causal_softmax_rows(S* p, int T, S scale) {
  for (int t = 0; t < T; ++t) {
    S* row = p + static_cast<std::size_t>(t) * T;
#if INDUCT_HAVE_AVX2_KERNELS
    if constexpr (std::is_same_v<S, float>)
      if (simd::cpu_has_avx2_fma()) {
        simd::avx2::softmax_row(row, static_cast<std::size_t>(t) + 1, scale);
        std::fill(row + t + 1, row + T, S(0));
        continue;
      }
#endif
    S max = row[0];
    for (int j = 1; j <= t; ++j) max = std::max(max, row[j]);
    Eigen::Map<Eigen::Array<S, Eigen::Dynamic, 1>> r(row, t + 1);
    r = ((r - max) * scale).exp();
    r /= r.sum();
    std::fill(row + t + 1, row + T, S(0));
  }
}

/// Scratch scalars the attention layers need: two T x T blocks and one T x hs block per thread.
inline std::size_t attention_scratch_size(int T, int hs) {
  return static_cast<std::size_t>(max_threads()) * static_cast<std::size_t>(T) *
         (2 * static_cast<std::size_t>(T) + static_cast<std::size_t>(hs));
}

/// One head's q, k, v (T x hs each) inside qkv [T, 3C] of one sequence: columns h*hs of each C-block.
template <class S>
struct head_operands {
  matrix_operand<S> q, k, v;
  head_operands(const S* sequence_qkv, int C, int h, int hs) {
    const S* base = sequence_qkv + static_cast<std::size_t>(h) * hs;
    q = rows_of(base, 3 * static_cast<std::ptrdiff_t>(C));
    k = rows_of(base + C, 3 * static_cast<std::ptrdiff_t>(C));
    v = rows_of(base + 2 * C, 3 * static_cast<std::ptrdiff_t>(C));
  }
};

/// p [T, T] = causal softmax(q k^T / sqrt(hs)) of one head (the causal structure halves the product).
template <class S>
void head_probabilities(S* p, const head_operands<S>& head, int T, int hs) {
  gemm(T, T, hs, head.q, head.k.transposed(), p, T, false, gemm_structure::c_lower);
  causal_softmax_rows(p, T, S(1) / std::sqrt(S(hs)));
}

/// Causal multi-head self-attention. qkv [B*T, 3C] (q, k, v blocks of C columns; head h uses columns
/// [h*hs, (h+1)*hs) of each, hs = C/H); out [B*T, C] = P v per head, heads concatenated, with
/// P = softmax_{j<=t}(q_t . k_j / sqrt(hs)). P is not stored (backward recomputes it: B*H*T*T scalars
/// per layer saved); scratch holds attention_scratch_size(T, hs) scalars.
template <class S>
void attention_forward(S* out, S* scratch, const S* qkv, int B, int T, int C, int H) {
  const int hs = C / H;
#pragma omp parallel for schedule(static) if (static_cast<std::size_t>(B) * H * T * T >= parallel_threshold)
  for (int bh = 0; bh < B * H; ++bh) {
    const int b = bh / H, h = bh % H;
    const head_operands<S> head(qkv + static_cast<std::size_t>(b) * T * 3 * C, C, h, hs);
    S* p = scratch + static_cast<std::size_t>(thread_index()) * T * (2 * static_cast<std::size_t>(T) + hs);
    head_probabilities(p, head, T, hs);
    gemm(T, hs, T, rows_of<S>(p, T), head.v, out + static_cast<std::size_t>(b) * T * C + static_cast<std::size_t>(h) * hs,
         C, false, gemm_structure::a_lower);
  }
}

/// Attention backward, in place: qkv [B*T, 3C] is overwritten by its gradient dqkv. Per head, with P
/// recomputed from q and k and dY = dout:
///   dP = dY V^T;  dS = P * (dP - rowsum(dP * P)) / sqrt(hs);  dV = P^T dY;  dQ = dS K;  dK = dS^T Q,
/// in an order that reads each of q, k, v before its gradient replaces it (dQ goes through scratch).
/// In place because the layer's qkv is dead after this: it saves a 3 N C gradient buffer.
/// scratch holds attention_scratch_size(T, C / H) scalars.
template <class S>
void attention_backward(S* qkv_then_dqkv, S* scratch, const S* dout, int B, int T, int C, int H) {
  const int hs = C / H;
  const S scale = S(1) / std::sqrt(S(hs));
  const std::ptrdiff_t row_stride = 3 * static_cast<std::ptrdiff_t>(C);
#pragma omp parallel for schedule(static) if (static_cast<std::size_t>(B) * H * T * T >= parallel_threshold)
  for (int bh = 0; bh < B * H; ++bh) {
    const int b = bh / H, h = bh % H;
    S* sequence = qkv_then_dqkv + static_cast<std::size_t>(b) * T * 3 * C;
    const head_operands<S> head(sequence, C, h, hs);
    S* q = sequence + static_cast<std::size_t>(h) * hs;
    S* k = q + C;
    S* v = q + 2 * C;
    const auto dy = rows_of(dout + static_cast<std::size_t>(b) * T * C + static_cast<std::size_t>(h) * hs,
                            static_cast<std::ptrdiff_t>(C));
    S* p = scratch + static_cast<std::size_t>(thread_index()) * T * (2 * static_cast<std::size_t>(T) + hs);
    S* ds = p + static_cast<std::size_t>(T) * T;
    S* dq = ds + static_cast<std::size_t>(T) * T;
    head_probabilities(p, head, T, hs);
    gemm(T, T, hs, dy, head.v.transposed(), ds, T, false, gemm_structure::c_lower);
    for (int t = 0; t < T; ++t) {
      S* d = ds + static_cast<std::size_t>(t) * T;
      const S* pr = p + static_cast<std::size_t>(t) * T;
      std::fill(d + t + 1, d + T, S(0));
#if INDUCT_HAVE_AVX2_KERNELS
      if constexpr (std::is_same_v<S, float>)
        if (simd::cpu_has_avx2_fma()) {
          simd::avx2::softmax_backward_row(d, pr, static_cast<std::size_t>(t) + 1, scale);
          continue;
        }
#endif
      S dot = 0;
      for (int j = 0; j <= t; ++j) dot += d[j] * pr[j];
      for (int j = 0; j <= t; ++j) d[j] = pr[j] * (d[j] - dot) * scale;
    }
    gemm(T, hs, T, rows_of<S>(p, T).transposed(), dy, v, row_stride, false, gemm_structure::a_upper);  // v dead
    gemm(T, hs, T, rows_of<S>(ds, T), head.k, dq, hs, false, gemm_structure::a_lower);
    gemm(T, hs, T, rows_of<S>(ds, T).transposed(), head.q, k, row_stride, false, gemm_structure::a_upper);  // k dead
    for (int t = 0; t < T; ++t)
      std::copy(dq + static_cast<std::size_t>(t) * hs, dq + static_cast<std::size_t>(t + 1) * hs,
                q + static_cast<std::size_t>(t) * row_stride);
  }
}

/// Per-row cross-entropy with log-softmax: lse[i] = log sum_v exp(logits[i,v]);
/// losses[i] = lse[i] - logits[i, targets[i]] (0 where targets[i] < 0).  logits [N, V].
template <class S>
void cross_entropy_forward(S* lse, S* losses, const S* logits, const std::int32_t* targets, int N, int V) {
#pragma omp parallel for schedule(static) if (static_cast<std::size_t>(N) * V >= parallel_threshold)
  for (int i = 0; i < N; ++i) {
    const S* z = logits + static_cast<std::size_t>(i) * V;
    S max = z[0];
    for (int v = 1; v < V; ++v) max = std::max(max, z[v]);
    S sum = 0;
    bool summed = false;
#if INDUCT_HAVE_AVX2_KERNELS
    if constexpr (std::is_same_v<S, float>)
      if (simd::cpu_has_avx2_fma()) {
        sum = simd::avx2::shifted_exp(nullptr, z, static_cast<std::size_t>(V), max, 1.0f);
        summed = true;
      }
#endif
    if (!summed)
      for (int v = 0; v < V; ++v) sum += std::exp(z[v] - max);
    lse[i] = max + std::log(sum);
    losses[i] = targets[i] >= 0 ? lse[i] - z[targets[i]] : S(0);
  }
}

/// dlogits[i,:] = coefficient[i] * (softmax(logits[i,:]) - onehot(targets[i]))  (sets; zero rows where
/// coefficient is 0 or targets[i] < 0).
template <class S>
void cross_entropy_backward(S* dlogits, const S* logits, const S* lse, const std::int32_t* targets,
                            const S* coefficient, int N, int V) {
#pragma omp parallel for schedule(static) if (static_cast<std::size_t>(N) * V >= parallel_threshold)
  for (int i = 0; i < N; ++i) {
    const S* z = logits + static_cast<std::size_t>(i) * V;
    S* d = dlogits + static_cast<std::size_t>(i) * V;
    const S w = coefficient[i];
    if (targets[i] < 0 || w == S(0)) {
      std::fill(d, d + V, S(0));
      continue;
    }
#if INDUCT_HAVE_AVX2_KERNELS
    if constexpr (std::is_same_v<S, float>)
      if (simd::cpu_has_avx2_fma()) {
        simd::avx2::shifted_exp(d, z, static_cast<std::size_t>(V), lse[i], w);
        d[targets[i]] -= w;
        continue;
      }
#endif
    for (int v = 0; v < V; ++v) d[v] = w * std::exp(z[v] - lse[i]);
    d[targets[i]] -= w;
  }
}

}  // namespace layers
}  // namespace induct::nn
