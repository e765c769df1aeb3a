// gemm against a naive long-double triple loop, for every operand layout, edge sizes around the kernel's
// tile (6 x 16) and block (k = 256, m = 144) sizes, accumulate on and off, and the zero structures.
#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "induct/core/random.hpp"
#include "induct/nn/gemm.hpp"

namespace {

using induct::nn::gemm_backend;
using induct::nn::gemm_structure;
using induct::nn::matrix_operand;

struct stored_matrix {
  int rows, cols;
  bool transposed_storage;  // stored as its transpose (column-major), read through swapped strides
  std::vector<float> data;

  stored_matrix(int r, int c, bool transposed, induct::random_engine& rng)
      : rows(r), cols(c), transposed_storage(transposed), data(static_cast<std::size_t>(r) * c) {
    for (auto& x : data) x = static_cast<float>(rng.uniform() * 2.0 - 1.0);
  }
  [[nodiscard]] matrix_operand<float> operand() const {
    return transposed_storage ? matrix_operand<float>{data.data(), 1, rows} : matrix_operand<float>{data.data(), cols, 1};
  }
  [[nodiscard]] float at(int i, int j) const {
    return transposed_storage ? data[static_cast<std::size_t>(j) * rows + i] : data[static_cast<std::size_t>(i) * cols + j];
  }
  void set(int i, int j, float v) {
    (transposed_storage ? data[static_cast<std::size_t>(j) * rows + i] : data[static_cast<std::size_t>(i) * cols + j]) = v;
  }
};

/// Runs one product on both backends and checks every wanted element against long-double sums.
void check_product(int M, int N, int K, bool a_transposed, bool b_transposed, bool accumulate, gemm_structure structure,
                   induct::random_engine& rng) {
  stored_matrix a(M, K, a_transposed, rng), b(K, N, b_transposed, rng);
  if (structure == gemm_structure::a_lower || structure == gemm_structure::a_upper)
    for (int i = 0; i < M; ++i)
      for (int p = 0; p < K; ++p)
        if ((structure == gemm_structure::a_lower && p > i) || (structure == gemm_structure::a_upper && p < i))
          a.set(i, p, 0.0f);
  const int ldc = N + 3;  // a leading dimension wider than the product
  std::vector<float> initial(static_cast<std::size_t>(M) * ldc);
  for (auto& x : initial) x = static_cast<float>(rng.uniform());
  for (const auto backend : {gemm_backend::automatic, gemm_backend::eigen}) {
    std::vector<float> c = initial;
    induct::nn::gemm(M, N, K, a.operand(), b.operand(), c.data(), ldc, accumulate, structure, backend);
    double worst = 0;
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) {
        if (structure == gemm_structure::c_lower && j > i) continue;
        long double sum = accumulate ? initial[static_cast<std::size_t>(i) * ldc + j] : 0.0L;
        long double magnitude = std::fabs(sum);
        for (int p = 0; p < K; ++p) {
          sum += static_cast<long double>(a.at(i, p)) * b.at(p, j);
          magnitude += std::fabs(static_cast<long double>(a.at(i, p)) * b.at(p, j));
        }
        const double error = static_cast<double>(std::fabs(c[static_cast<std::size_t>(i) * ldc + j] - sum) /
                                                  (magnitude + 1e-30L));
        worst = std::max(worst, error);
      }
    INFO("M=" << M << " N=" << N << " K=" << K << " aT=" << a_transposed << " bT=" << b_transposed
              << " acc=" << accumulate << " structure=" << static_cast<int>(structure)
              << " backend=" << (backend == gemm_backend::eigen ? "eigen" : induct::nn::gemm_kernel_name()));
    CHECK(worst < 4e-6);  // float rounding relative to the sum of |terms|
    // Padding columns beyond N are never touched.
    for (int i = 0; i < M; ++i)
      for (int j = N; j < ldc; ++j)
        CHECK(c[static_cast<std::size_t>(i) * ldc + j] == initial[static_cast<std::size_t>(i) * ldc + j]);
  }
}

}  // namespace

TEST_CASE("gemm: every operand layout and edge size matches a long-double product") {
  induct::random_engine rng(7);
  const int sizes[] = {1, 5, 6, 7, 16, 17, 33};
  for (int M : sizes)
    for (int N : sizes)
      for (int K : {1, 6, 17})
        for (int layout = 0; layout < 4; ++layout)
          check_product(M, N, K, (layout & 1) != 0, (layout & 2) != 0, (M + N + K) % 2 == 0, gemm_structure::general,
                        rng);
}

TEST_CASE("gemm: sizes across the kernel's k, m and n blocks") {
  induct::random_engine rng(8);
  check_product(150, 40, 600, false, true, false, gemm_structure::general, rng);   // 3 k-blocks, 2 m-blocks
  check_product(290, 37, 257, true, false, true, gemm_structure::general, rng);    // dweight-style transposed A
  check_product(13, 4100, 20, false, false, false, gemm_structure::general, rng);  // 2 n-blocks
}

TEST_CASE("gemm: zero structures give the general product where they promise it") {
  induct::random_engine rng(9);
  for (const auto structure : {gemm_structure::a_lower, gemm_structure::a_upper, gemm_structure::c_lower})
    for (int T : {1, 5, 16, 64, 70, 300})
      for (int layout = 0; layout < 4; ++layout) {
        const int K = structure == gemm_structure::c_lower ? 32 : T;
        check_product(T, structure == gemm_structure::c_lower ? T : 32, K, (layout & 1) != 0, (layout & 2) != 0,
                      layout == 3, structure, rng);
      }
}

TEST_CASE("gemm: an empty depth sets C to zero or leaves it") {
  std::vector<float> c = {1, 2, 3, 4};
  const float dummy = 0;
  induct::nn::gemm(2, 2, 0, matrix_operand<float>{&dummy, 0, 1}, matrix_operand<float>{&dummy, 2, 1}, c.data(), 2, true);
  CHECK(c == std::vector<float>{1, 2, 3, 4});
  induct::nn::gemm(2, 2, 0, matrix_operand<float>{&dummy, 0, 1}, matrix_operand<float>{&dummy, 2, 1}, c.data(), 2, false);
  CHECK(c == std::vector<float>{0, 0, 0, 0});
  MESSAGE("gemm<float> kernel on this CPU: " << std::string(induct::nn::gemm_kernel_name()));
}
