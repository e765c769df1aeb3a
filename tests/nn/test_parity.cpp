// Parity with PyTorch: tests/golden/gpt_parity.safetensors holds PyTorch's (float64) weights,
// logits, loss, every gradient and 10 AdamW steps for a tiny config (tests/golden/make_gpt_golden.py).
// The Eigen model must match in double (to 1e-9) and in float (to 1e-4), relative to each
// tensor's largest magnitude.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/nn/adamw.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/nn/lr_schedule.hpp"
#include "induct/nn/safetensors.hpp"

using namespace induct::nn;

namespace {

const safetensors_file& golden() {
  static const safetensors_file file = safetensors_file::read(std::string(INDUCT_GOLDEN_DIR) + "/gpt_parity.safetensors");
  return file;
}

/// max |a - b| / max |b|: a tensor-wise relative error that small entries cannot blow up.
template <class A>
double relative_error(const A* actual, const std::vector<double>& expected) {
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(actual[i]) - expected[i]));
    scale = std::max(scale, std::abs(expected[i]));
  }
  return scale > 0 ? diff / scale : diff;
}

template <class Scalar>
gpt<Scalar> golden_model() {
  const auto config = gpt_config::from_json(nlohmann::json::parse(golden().metadata_value("config")));
  gpt<Scalar> model(config);
  for (const auto& t : model.layout()) {
    const auto values = golden().values<Scalar>(t.name, t.shape);
    std::copy(values.begin(), values.end(), model.parameters().begin() + static_cast<long>(t.offset));
  }
  return model;
}

template <class Scalar>
void check_forward_backward(double tolerance) {
  auto model = golden_model<Scalar>();
  const auto& g = golden();
  const auto tokens = g.values<std::int32_t>("input.tokens");
  const auto targets = g.values<std::int32_t>("input.targets");
  const int B = static_cast<int>(g.entry("input.tokens").shape[0]);
  const int T = static_cast<int>(g.entry("input.tokens").shape[1]);
  REQUIRE(B == 3);
  REQUIRE(T == 8);

  const Scalar loss = model.forward(tokens.data(), targets.data(), B, T);
  CHECK(std::abs(static_cast<double>(loss) - g.values<double>("output.loss")[0]) <= tolerance * g.values<double>("output.loss")[0]);
  CHECK(relative_error(model.logits(), g.values<double>("output.logits")) <= tolerance);
  model.zero_gradients();
  model.backward();
  for (const auto& t : model.layout()) {
    CAPTURE(t.name);
    CHECK(relative_error(model.gradients().data() + t.offset, g.values<double>("grad." + t.name)) <= tolerance);
  }

  // Ignored targets (-1) drop out of the mean, as PyTorch's ignore_index.
  const auto masked = g.values<std::int32_t>("input.targets_masked");
  const double loss_masked = static_cast<double>(model.forward(tokens.data(), masked.data(), B, T));
  CHECK(std::abs(loss_masked - g.values<double>("output.loss_masked")[0]) <= tolerance * std::abs(loss_masked));

  // Weighted mean sum(w l) / sum(w), and its gradient.
  const auto weights = g.values<Scalar>("input.loss_weights");
  const double loss_weighted = static_cast<double>(model.forward(tokens.data(), targets.data(), B, T, weights.data()));
  CHECK(std::abs(loss_weighted - g.values<double>("output.loss_weighted")[0]) <= tolerance * std::abs(loss_weighted));
  model.zero_gradients();
  model.backward();
  for (const char* name : {"transformer.wte.weight", "lm_head.weight"}) {
    CAPTURE(name);
    const auto& t = find_tensor(model.layout(), name);
    CHECK(relative_error(model.gradients().data() + t.offset, g.values<double>(std::string("grad_weighted.") + name)) <= tolerance);
  }
}

template <class Scalar>
void check_adamw_steps(double tolerance) {
  auto model = golden_model<Scalar>();
  const auto& g = golden();
  const auto tokens = g.values<std::int32_t>("input.tokens");
  const auto targets = g.values<std::int32_t>("input.targets");
  const auto adam = nlohmann::json::parse(g.metadata_value("adamw"));
  const auto schedule_json = nlohmann::json::parse(g.metadata_value("schedule"));
  const auto expected_lr = g.values<double>("adamw.lr");
  const auto expected_loss = g.values<double>("adamw.loss");
  const auto expected_norm = g.values<double>("adamw.grad_norm");

  lr_schedule schedule;
  schedule.max_lr = schedule_json["learning_rate"].get<double>();
  schedule.min_lr = schedule_json["min_lr"].get<double>();
  schedule.warmup_steps = schedule_json["warmup_iters"].get<std::int64_t>();
  schedule.decay_steps = schedule_json["lr_decay_iters"].get<std::int64_t>();

  adamw_config hyper;
  hyper.beta1 = adam["beta1"].get<double>();
  hyper.beta2 = adam["beta2"].get<double>();
  hyper.eps = adam["eps"].get<double>();
  hyper.weight_decay = adam["weight_decay"].get<double>();
  adamw<Scalar> optimizer(model.layout(), hyper);
  for (std::size_t step = 0; step < expected_loss.size(); ++step) {
    CAPTURE(step);
    const double lr = schedule(static_cast<std::int64_t>(step));
    CHECK(std::abs(lr - expected_lr[step]) <= 1e-15);
    const double loss = static_cast<double>(model.forward(tokens.data(), targets.data(), 3, 8));
    CHECK(std::abs(loss - expected_loss[step]) <= tolerance * expected_loss[step]);
    model.zero_gradients();
    model.backward();
    const double norm = static_cast<double>(clip_gradient_norm(model.gradients(), adam["grad_clip"].get<double>()));
    CHECK(std::abs(norm - expected_norm[step]) <= tolerance * expected_norm[step]);
    optimizer.step(model.parameters(), model.gradients(), lr);
  }
  for (const auto& t : model.layout()) {
    CAPTURE(t.name);
    auto expected = g.values<double>("final." + t.name);
    std::vector<Scalar> actual(model.parameters().begin() + static_cast<std::ptrdiff_t>(t.offset),
                               model.parameters().begin() + static_cast<std::ptrdiff_t>(t.offset + t.size));
    if (t.name.ends_with("attn.c_attn.bias")) {
      // The key bias has gradient exactly 0 (softmax ignores a shift common to a query's scores), so Adam
      // turns rounding noise g ~ 1e-9 into steps of about lr * g / (|g| + eps): float cannot match there.
      // Compare the query and value biases only; double (1e-9) checks the whole tensor.
      const auto C = static_cast<std::size_t>(model.config().width);
      if constexpr (std::is_same_v<Scalar, float>) {
        expected.erase(expected.begin() + static_cast<std::ptrdiff_t>(C), expected.begin() + static_cast<std::ptrdiff_t>(2 * C));
        actual.erase(actual.begin() + static_cast<std::ptrdiff_t>(C), actual.begin() + static_cast<std::ptrdiff_t>(2 * C));
      }
    }
    CHECK(relative_error(actual.data(), expected) <= tolerance);
  }
}

}  // namespace

TEST_CASE("parity with PyTorch: logits, loss, masked and weighted loss, every gradient (double)") {
  check_forward_backward<double>(1e-9);
}

TEST_CASE("parity with PyTorch: logits, loss, masked and weighted loss, every gradient (float)") {
  check_forward_backward<float>(1e-4);
}

TEST_CASE("parity with PyTorch: 10 AdamW steps with clipping and warmup/cosine schedule (double)") {
  check_adamw_steps<double>(1e-9);
}

TEST_CASE("parity with PyTorch: 10 AdamW steps with clipping and warmup/cosine schedule (float)") {
  check_adamw_steps<float>(1e-4);
}
