// Layer-level checks of the threaded layers: the embedding layers give the values of a plain serial loop
// (the channel split must not reorder any sum); the Linear and LayerNorm backward, whose parameter
// gradients are summed in row chunks, match a double reference and give the same bits on 1, 2 and 3 threads.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include <omp.h>

#include "induct/core/random.hpp"
#include "induct/nn/layers.hpp"

TEST_CASE("embedding forward and backward: thread count does not change a bit") {
  const int B = 8, T = 64, C = 48, V = 5;  // few tokens: many rows share a wte row
  induct::random_engine rng(3);
  std::vector<std::int32_t> tokens(static_cast<std::size_t>(B) * T);
  for (auto& t : tokens) t = static_cast<std::int32_t>(rng.below(V));
  std::vector<float> wte(static_cast<std::size_t>(V) * C), wpe(static_cast<std::size_t>(T) * C),
      dout(static_cast<std::size_t>(B) * T * C);
  for (auto& x : wte) x = static_cast<float>(rng.normal());
  for (auto& x : wpe) x = static_cast<float>(rng.normal());
  for (auto& x : dout) x = static_cast<float>(rng.normal());

  // Serial reference: rows in (b, t) order.
  std::vector<float> out_ref(dout.size()), dwte_ref(wte.size(), 0.5f), dwpe_ref(wpe.size(), 0.25f);
  for (int i = 0; i < B * T; ++i)
    for (int c = 0; c < C; ++c) {
      out_ref[static_cast<std::size_t>(i) * C + c] = wte[static_cast<std::size_t>(tokens[i]) * C + c] + wpe[static_cast<std::size_t>(i % T) * C + c];
      dwte_ref[static_cast<std::size_t>(tokens[i]) * C + c] += dout[static_cast<std::size_t>(i) * C + c];
      dwpe_ref[static_cast<std::size_t>(i % T) * C + c] += dout[static_cast<std::size_t>(i) * C + c];
    }
  const int saved = omp_get_max_threads();
  for (int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    std::vector<float> out(dout.size()), dwte(wte.size(), 0.5f), dwpe(wpe.size(), 0.25f);
    induct::nn::layers::embedding_forward(out.data(), tokens.data(), wte.data(), wpe.data(), B, T, C);
    induct::nn::layers::embedding_backward(dwte.data(), dwpe.data(), dout.data(), tokens.data(), B, T, C);
    INFO("threads = " << threads);
    CHECK(out == out_ref);
    CHECK(dwte == dwte_ref);
    CHECK(dwpe == dwpe_ref);
  }
  omp_set_num_threads(saved);
}

namespace {

std::vector<float> normal_vector(induct::random_engine& rng, std::size_t n) {
  std::vector<float> v(n);
  for (auto& x : v) x = static_cast<float>(rng.normal());
  return v;
}

}  // namespace

TEST_CASE("linear backward: chunked weight gradients match double, dinp may alias inp, same bits on any threads") {
  const int N = 333, IC = 40, OC = 56;  // 2 row chunks (split further on 3 threads); a parallel region
  induct::random_engine rng(11);
  const auto dout = normal_vector(rng, static_cast<std::size_t>(N) * OC), inp = normal_vector(rng, static_cast<std::size_t>(N) * IC),
             weight = normal_vector(rng, static_cast<std::size_t>(OC) * IC);
  std::vector<double> dw_ref(static_cast<std::size_t>(OC) * IC, 0.5), db_ref(OC, -0.25), dx_ref(static_cast<std::size_t>(N) * IC, 0.0);
  for (int i = 0; i < N; ++i)
    for (int o = 0; o < OC; ++o) {
      const double d = dout[static_cast<std::size_t>(i) * OC + o];
      db_ref[o] += d;
      for (int c = 0; c < IC; ++c) {
        dw_ref[static_cast<std::size_t>(o) * IC + c] += d * inp[static_cast<std::size_t>(i) * IC + c];
        dx_ref[static_cast<std::size_t>(i) * IC + c] += d * weight[static_cast<std::size_t>(o) * IC + c];
      }
    }
  const int saved = omp_get_max_threads();
  std::vector<float> first;
  for (int threads : {2, 1, 3, 4}) {
    omp_set_num_threads(threads);
    INFO("threads = " << threads);
    std::vector<float> dw(dw_ref.size(), 0.5f), db(db_ref.size(), -0.25f), x = inp;
    int epilogue_rows = 0;
    std::vector<float> partials(induct::nn::layers::linear_backward_scratch_size(N, IC, OC));
    induct::nn::layers::linear_backward(x.data(), dw.data(), db.data(), dout.data(), x.data(), weight.data(), N, IC, OC,
                                        partials.data(), false, [&](int r0, int r1) {
#pragma omp atomic
                                          epilogue_rows += r1 - r0;
                                        });
    CHECK(epilogue_rows == N);
    for (std::size_t i = 0; i < dw.size(); ++i) REQUIRE(std::fabs(dw[i] - dw_ref[i]) <= 1e-4 * (1 + std::fabs(dw_ref[i])));
    for (std::size_t i = 0; i < db.size(); ++i) REQUIRE(std::fabs(db[i] - db_ref[i]) <= 1e-4 * (1 + std::fabs(db_ref[i])));
    for (std::size_t i = 0; i < x.size(); ++i) REQUIRE(std::fabs(x[i] - dx_ref[i]) <= 1e-4 * (1 + std::fabs(dx_ref[i])));
    std::vector<float> all = dw;
    all.insert(all.end(), db.begin(), db.end());
    all.insert(all.end(), x.begin(), x.end());
    if (first.empty())
      first = all;
    else
      CHECK(all == first);
  }
  omp_set_num_threads(saved);
}

TEST_CASE("layernorm backward: chunked parameter gradients match double and give the same bits on any threads") {
  const int N = 601, C = 37;  // ragged: 8 row chunks, C not a multiple of 8, above the parallel threshold
  induct::random_engine rng(12);
  const auto x = normal_vector(rng, static_cast<std::size_t>(N) * C), dy = normal_vector(rng, static_cast<std::size_t>(N) * C),
             w = normal_vector(rng, static_cast<std::size_t>(C)), b = normal_vector(rng, static_cast<std::size_t>(C));
  std::vector<float> y(x.size()), mean(N), rstd(N);
  induct::nn::layers::layernorm_forward(y.data(), mean.data(), rstd.data(), x.data(), w.data(), b.data(), N, C);
  std::vector<double> dw_ref(C, 0.125), db_ref(C, 0.0), dx_ref(x.size(), 1.0);
  for (int i = 0; i < N; ++i) {
    double m = 0, v = 0;
    for (int c = 0; c < C; ++c) m += x[static_cast<std::size_t>(i) * C + c];
    m /= C;
    for (int c = 0; c < C; ++c) v += (x[static_cast<std::size_t>(i) * C + c] - m) * (x[static_cast<std::size_t>(i) * C + c] - m);
    const double s = 1 / std::sqrt(v / C + 1e-5);
    double g_mean = 0, gx_mean = 0;
    for (int c = 0; c < C; ++c) {
      const double xhat = (x[static_cast<std::size_t>(i) * C + c] - m) * s, d = dy[static_cast<std::size_t>(i) * C + c];
      g_mean += d * w[c] / C;
      gx_mean += d * w[c] * xhat / C;
      dw_ref[c] += d * xhat;
      db_ref[c] += d;
    }
    for (int c = 0; c < C; ++c) {
      const double xhat = (x[static_cast<std::size_t>(i) * C + c] - m) * s;
      dx_ref[static_cast<std::size_t>(i) * C + c] += s * (dy[static_cast<std::size_t>(i) * C + c] * w[c] - g_mean - xhat * gx_mean);
    }
  }
  const int saved = omp_get_max_threads();
  std::vector<float> first;
  for (int threads : {2, 1, 3, 4}) {
    omp_set_num_threads(threads);
    INFO("threads = " << threads);
    std::vector<float> dx(x.size(), 1.0f), dw(C, 0.125f), db(C, 0.0f);
    std::vector<float> partials(induct::nn::layers::layernorm_backward_scratch_size(N, C));
    induct::nn::layers::layernorm_backward(dx.data(), dw.data(), db.data(), dy.data(), x.data(), mean.data(), rstd.data(),
                                           w.data(), N, C, partials.data());
    for (std::size_t i = 0; i < dx.size(); ++i) REQUIRE(std::fabs(dx[i] - dx_ref[i]) <= 1e-4 * (1 + std::fabs(dx_ref[i])));
    for (int c = 0; c < C; ++c) {
      REQUIRE(std::fabs(dw[c] - dw_ref[c]) <= 1e-4 * (1 + std::fabs(dw_ref[c])));
      REQUIRE(std::fabs(db[c] - db_ref[c]) <= 1e-4 * (1 + std::fabs(db_ref[c])));
    }
    std::vector<float> all = dx;
    all.insert(all.end(), dw.begin(), dw.end());
    all.insert(all.end(), db.begin(), db.end());
    if (first.empty())
      first = all;
    else
      CHECK(all == first);
  }
  omp_set_num_threads(saved);
}

TEST_CASE("cache_line_split: a partition of the columns whose inner boundaries start cache lines") {
  alignas(64) static float rows[64 * 4 + 16];
  for (int shift = 0; shift < 16; ++shift)
    for (int C : {16, 48, 64, 256})
      for (int count = 1; count <= 5; ++count) {
        const float* base = rows + shift;
        int previous_end = 0;
        for (int part = 0; part < count; ++part) {
          const auto [begin, end] = induct::nn::layers::cache_line_split(base, C, part, count);
          INFO("shift " << shift << " C " << C << " part " << part << " of " << count);
          CHECK(begin == previous_end);
          CHECK(end >= begin);
          if (begin > 0 && begin < C) CHECK(reinterpret_cast<std::uintptr_t>(base + begin) % 64 == 0);
          previous_end = end;
        }
        CHECK(previous_end == C);
      }
  // Rows that are not a whole number of lines keep the even split.
  CHECK(induct::nn::layers::cache_line_split(rows + 3, 40, 1, 2) == induct::nn::layers::split_range(40, 1, 2));
}
