// AdamW against hand-computed steps, the learning-rate schedule, gradient clipping, and a tiny GPT
// overfitting one batch.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include <omp.h>

#include "induct/core/random.hpp"
#include "induct/nn/adamw.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/nn/lr_schedule.hpp"

using induct::nn::adamw;
using induct::nn::adamw_config;
using induct::nn::tensor_info;

TEST_CASE("adamw: two steps against closed forms, decay only on rank >= 2 tensors") {
  const std::vector<tensor_info> layout = {{"w", {2, 2}, 0, 4}, {"b", {2}, 4, 2}};
  adamw_config config;  // b1 0.9, b2 0.95, eps 1e-8, wd 0.1
  adamw<double> optimizer(layout, config);
  std::vector<double> p = {0.5, -1.0, 2.0, 0.25, 0.75, -0.5};
  const std::vector<double> p0 = p;
  const std::vector<double> g1 = {0.1, -0.2, 0.3, 0.0, -0.05, 1.5};
  const std::vector<double> g2 = {-0.4, 0.1, 0.3, 0.2, 0.05, 0.5};
  const double lr = 0.01;
  optimizer.step(p, g1, lr);
  // Step 1: mhat = g, vhat = g^2, so the update is lr * g / (|g| + eps), after decay by (1 - lr wd).
  for (int i = 0; i < 6; ++i) {
    const double decay = i < 4 ? 1.0 - lr * 0.1 : 1.0;
    const double expected = p0[i] * decay - lr * g1[i] / (std::abs(g1[i]) + 1e-8);
    CHECK(p[i] == doctest::Approx(expected).epsilon(1e-13));
  }
  const std::vector<double> p1 = p;
  optimizer.step(p, g2, lr);
  // Step 2: m = 0.09 g1 + 0.1 g2 over 1 - 0.81; v = 0.0475 g1^2 + 0.05 g2^2 over 1 - 0.9025.
  for (int i = 0; i < 6; ++i) {
    const double decay = i < 4 ? 1.0 - lr * 0.1 : 1.0;
    const double mhat = (0.09 * g1[i] + 0.1 * g2[i]) / 0.19;
    const double vhat = (0.0475 * g1[i] * g1[i] + 0.05 * g2[i] * g2[i]) / 0.0975;
    const double expected = p1[i] * decay - lr * mhat / (std::sqrt(vhat) + 1e-8);
    CHECK(p[i] == doctest::Approx(expected).epsilon(1e-12));
  }
  CHECK(optimizer.step_count() == 2);
  CHECK(optimizer.first_moment()[5] == doctest::Approx(0.09 * 1.5 + 0.1 * 0.5).epsilon(1e-14));
  CHECK(optimizer.second_moment()[5] == doctest::Approx(0.0475 * 2.25 + 0.05 * 0.25).epsilon(1e-14));
  std::vector<double> wrong(5);
  CHECK_THROWS_AS(optimizer.step(wrong, g1, lr), induct::error);
  adamw_config bad;
  bad.beta2 = 1.0;
  CHECK_THROWS_AS(adamw<double>(layout, bad), induct::config_error);
}

TEST_CASE("lr_schedule: nanoGPT warmup and cosine decay") {
  induct::nn::lr_schedule s{.max_lr = 1e-3, .min_lr = 1e-4, .warmup_steps = 9, .decay_steps = 109};
  CHECK(s(0) == doctest::Approx(1e-4));       // 1e-3 * 1 / 10
  CHECK(s(4) == doctest::Approx(5e-4));
  CHECK(s(8) == doctest::Approx(9e-4));
  CHECK(s(9) == doctest::Approx(1e-3));       // cos(0)
  CHECK(s(59) == doctest::Approx(5.5e-4));    // halfway: cos(pi / 2) = 0
  CHECK(s(34) == doctest::Approx(1e-4 + 0.5 * (1 + std::cos(std::numbers::pi / 4)) * 9e-4));
  CHECK(s(109) == doctest::Approx(1e-4));
  CHECK(s(500) == doctest::Approx(1e-4));
  induct::nn::lr_schedule bad = s;
  bad.min_lr = 2e-3;
  CHECK_THROWS_AS(bad.validate(), induct::config_error);
}

TEST_CASE("gradient clipping by global norm") {
  std::vector<float> g = {3.0f, 0.0f, -4.0f};
  CHECK(induct::nn::clip_gradient_norm<float>(g, 10.0) == doctest::Approx(5.0));
  CHECK(g[0] == 3.0f);  // below the threshold: untouched
  CHECK(induct::nn::clip_gradient_norm<float>(g, 1.0) == doctest::Approx(5.0));
  CHECK(g[0] == doctest::Approx(3.0 / (5.0 + 1e-6)));
  CHECK(g[2] == doctest::Approx(-4.0 / (5.0 + 1e-6)));
  CHECK(induct::nn::gradient_norm<float>(g) == doctest::Approx(1.0).epsilon(1e-5));
  CHECK_THROWS_AS(induct::nn::clip_gradient_norm<float>(g, 0.0), induct::error);
}

TEST_CASE("a tiny GPT overfits one batch") {
  // One thread: on a loaded machine, OpenMP barriers around tiny GEMMs cost far more than the work.
  const int saved_threads = omp_get_max_threads();
  omp_set_num_threads(1);
  induct::nn::gpt_config config{.vocab_size = 11, .context_length = 8, .layers = 2, .width = 32, .heads = 2};
  induct::nn::gpt<float> model(config);
  model.initialize(3);
  const int B = 4, T = 8;
  induct::random_engine rng(5);
  std::vector<std::int32_t> tokens(B * T), targets(B * T);
  for (auto& t : tokens) t = static_cast<std::int32_t>(rng.below(11));
  for (auto& t : targets) t = static_cast<std::int32_t>(rng.below(11));
  adamw<float> optimizer(model.layout(), adamw_config{.weight_decay = 0.0});
  const float initial = model.forward(tokens.data(), targets.data(), B, T);
  CHECK(initial == doctest::Approx(std::log(11.0)).epsilon(0.05));  // near-uniform at init
  float loss = initial;
  for (int step = 0; step < 300; ++step) {
    model.zero_gradients();
    loss = model.forward(tokens.data(), targets.data(), B, T);
    model.backward();
    optimizer.step(model.parameters(), model.gradients(), 1e-2);
  }
  omp_set_num_threads(saved_threads);
  CHECK(loss < 0.05f);
}
