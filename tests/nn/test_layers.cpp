// Layer-level checks of the threaded embedding layers: the same bits on one thread and on two, and the
// values of a plain serial loop (the channel split must not reorder any sum).
#include <doctest/doctest.h>

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
