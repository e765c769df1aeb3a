// Finite-difference gradient check of the GPT in double: every entry of every parameter tensor.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "induct/core/random.hpp"
#include "induct/nn/gpt.hpp"

namespace {

using induct::nn::gpt;
using induct::nn::gpt_config;

gpt_config tiny_config() {
  gpt_config c;
  c.vocab_size = 11;
  c.context_length = 5;
  c.layers = 2;
  c.width = 8;
  c.heads = 2;
  return c;
}

// Parameters of order one (not the 0.02 of GPT-2 init) so every path, biases included, carries gradient.
void randomize(gpt<double>& model, std::uint64_t seed) {
  induct::random_engine rng(seed);
  for (auto& p : model.parameters()) p = 0.5 * rng.normal();
  for (const auto& t : model.layout())
    if (t.name.find(".ln_") != std::string::npos && t.name.ends_with(".weight"))
      for (std::size_t i = 0; i < t.size; ++i) model.parameters()[t.offset + i] += 1.0;
}

struct check_result {
  double max_relative_error = 0;
  std::string worst_tensor;
  int checked = 0;
};

// Five-point central differences (error O(h^4)) for every parameter; relative error |a - n| / max(|a|, |n|) over
// entries whose gradient is not negligible (others must agree in absolute terms).
check_result gradient_check(gpt<double>& model, const std::vector<std::int32_t>& tokens,
                            const std::vector<std::int32_t>& targets, int B, int T, const double* weights) {
  model.zero_gradients();
  model.forward(tokens.data(), targets.data(), B, T, weights);
  model.backward();
  const std::vector<double> analytic(model.gradients().begin(), model.gradients().end());
  check_result result;
  const double h = 1e-3;
  auto params = model.parameters();
  for (const auto& t : model.layout()) {
    for (std::size_t i = t.offset; i < t.offset + t.size; ++i) {
      const double saved = params[i];
      auto loss_at = [&](double value) {
        params[i] = value;
        return model.forward(tokens.data(), targets.data(), B, T, weights);
      };
      const double d1 = loss_at(saved + h) - loss_at(saved - h);
      const double d2 = loss_at(saved + 2 * h) - loss_at(saved - 2 * h);
      params[i] = saved;
      const double numeric = (8 * d1 - d2) / (12 * h);
      const double scale = std::max(std::abs(analytic[i]), std::abs(numeric));
      ++result.checked;
      if (scale < 1e-5) {
        CHECK_MESSAGE(std::abs(analytic[i] - numeric) < 1e-11, t.name, " entry ", i - t.offset);
        continue;
      }
      const double rel = std::abs(analytic[i] - numeric) / scale;
      if (rel > result.max_relative_error) {
        result.max_relative_error = rel;
        result.worst_tensor = t.name + "[" + std::to_string(i - t.offset) + "]";
      }
    }
  }
  return result;
}

}  // namespace

TEST_CASE("gpt gradients match central finite differences for every parameter (double)") {
  const auto config = tiny_config();
  gpt<double> model(config);
  randomize(model, 7);
  const int B = 2, T = 5;
  induct::random_engine rng(11);
  std::vector<std::int32_t> tokens(B * T), targets(B * T);
  for (auto& t : tokens) t = static_cast<std::int32_t>(rng.below(11));
  for (auto& t : targets) t = static_cast<std::int32_t>(rng.below(11));

  SUBCASE("uniform weights") {
    const auto r = gradient_check(model, tokens, targets, B, T, nullptr);
    INFO("worst: ", r.worst_tensor, " relative error ", r.max_relative_error);
    CHECK(r.checked == static_cast<int>(induct::nn::parameter_count(config)));
    CHECK(r.max_relative_error < 1e-6);
  }
  SUBCASE("loss weights, a zero weight and an ignored target") {
    std::vector<double> weights(B * T);
    for (auto& w : weights) w = 2.0 * rng.uniform();
    weights[3] = 0.0;
    targets[6] = -1;
    const auto r = gradient_check(model, tokens, targets, B, T, weights.data());
    INFO("worst: ", r.worst_tensor, " relative error ", r.max_relative_error);
    CHECK(r.max_relative_error < 1e-6);
  }
  SUBCASE("shorter sequence than the context") {
    std::vector<std::int32_t> short_tokens(tokens.begin(), tokens.begin() + 3 * B);
    std::vector<std::int32_t> short_targets(targets.begin(), targets.begin() + 3 * B);
    const auto r = gradient_check(model, short_tokens, short_targets, B, 3, nullptr);
    INFO("worst: ", r.worst_tensor, " relative error ", r.max_relative_error);
    CHECK(r.max_relative_error < 1e-6);
  }
}

TEST_CASE("gelu layer: values, derivative against finite differences, fused recompute") {
  std::vector<double> x = {-4.0, -1.5, -0.3, 0.0, 0.2, 1.0, 2.5, 6.0};
  const auto n = x.size();
  std::vector<double> y(n), dy(n, 1.0), dx(n), recomputed(n), derivative = x;
  induct::nn::layers::gelu_forward(y.data(), x.data(), n);
  induct::nn::layers::gelu_backward(dx.data(), x.data(), dy.data(), n);
  induct::nn::layers::gelu_recompute_with_derivative(recomputed.data(), derivative.data(), n);
  auto gelu = [](double v) {
    return 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / std::numbers::pi) * (v + 0.044715 * v * v * v)));
  };
  for (std::size_t i = 0; i < n; ++i) {
    CHECK(y[i] == doctest::Approx(gelu(x[i])).epsilon(1e-14));
    CHECK(recomputed[i] == y[i]);
    const double h = 1e-5;
    const double numeric = (gelu(x[i] + h) - gelu(x[i] - h)) / (2 * h);
    CHECK(dx[i] == doctest::Approx(numeric).epsilon(1e-8));
    CHECK(derivative[i] == doctest::Approx(dx[i]).epsilon(1e-14));
  }
  CHECK(y[1] == doctest::Approx(-0.10042842301976707).epsilon(1e-12));  // torch: F.gelu(-1.5, approximate='tanh')
}
