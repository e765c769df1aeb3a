// KV-cache decoding against full recomputation, greedy generation, next-token log-probabilities,
// hidden states, and bitwise determinism of training steps, across thread counts too.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include <omp.h>

#include "induct/core/random.hpp"
#include "induct/nn/adamw.hpp"
#include "induct/nn/generate.hpp"
#include "induct/nn/gpt.hpp"

namespace {

using induct::nn::gpt;
using induct::nn::gpt_config;

gpt_config small_config() {
  return gpt_config{.vocab_size = 13, .context_length = 12, .layers = 2, .width = 16, .heads = 4};
}

// Parameters of order one so logits are far from uniform and greedy choices are well separated.
template <class Scalar>
void randomize(gpt<Scalar>& model, std::uint64_t seed) {
  induct::random_engine rng(seed);
  for (auto& p : model.parameters()) p = static_cast<Scalar>(0.3 * rng.normal());
}

// Greedy decoding by full recomputation: forward the whole sequence, take the last row's argmax.
template <class Scalar>
std::vector<std::int32_t> greedy_by_recomputation(gpt<Scalar>& model, std::vector<std::int32_t> sequence, int count) {
  std::vector<std::int32_t> out;
  const int V = model.config().vocab_size;
  for (int i = 0; i < count; ++i) {
    const int T = static_cast<int>(sequence.size());
    model.forward(sequence.data(), nullptr, 1, T);
    const Scalar* last = model.logits() + static_cast<std::size_t>(T - 1) * V;
    int best = 0;
    for (int v = 1; v < V; ++v)
      if (last[v] > last[best]) best = v;
    out.push_back(best);
    sequence.push_back(best);
  }
  return out;
}

}  // namespace

TEST_CASE("kv cache logits equal the full forward at every position") {
  gpt<double> model(small_config());
  randomize(model, 21);
  const std::vector<std::int32_t> tokens = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8};
  const int T = static_cast<int>(tokens.size()), V = 13;
  model.forward(tokens.data(), nullptr, 1, T);
  const std::vector<double> full(model.logits(), model.logits() + T * V);
  induct::nn::kv_cache_decoder<double> decoder(model);
  double max_error = 0;
  for (int t = 0; t < T; ++t) {
    const auto logits = decoder.append(tokens[static_cast<std::size_t>(t)]);
    for (int v = 0; v < V; ++v) max_error = std::max(max_error, std::abs(logits[v] - full[t * V + v]));
  }
  CHECK(max_error < 1e-12);
  CHECK_THROWS_AS(decoder.append(0), induct::error);  // context full
  decoder.reset();
  CHECK_THROWS_AS(decoder.append(13), induct::error);  // outside the vocabulary

  gpt<float> float_model(small_config());
  randomize(float_model, 21);
  float_model.forward(tokens.data(), nullptr, 1, T);
  const std::vector<float> float_full(float_model.logits(), float_model.logits() + T * V);
  induct::nn::kv_cache_decoder<float> float_decoder(float_model);
  float float_error = 0;
  for (int t = 0; t < T; ++t) {
    const auto logits = float_decoder.append(tokens[static_cast<std::size_t>(t)]);
    for (int v = 0; v < V; ++v) float_error = std::max(float_error, std::abs(logits[v] - float_full[t * V + v]));
  }
  CHECK(float_error < 1e-5f);
}

TEST_CASE("greedy generation with the kv cache equals full recomputation; stop token and context end") {
  gpt<double> model(small_config());
  randomize(model, 33);
  const std::vector<std::int32_t> prompt = {2, 7, 1};
  // 3 prompt + 9 generated tokens fill the 12-token context; the 10th is predicted from the full context.
  const auto expected = greedy_by_recomputation(model, prompt, 10);
  const auto generated = induct::nn::generate_greedy<double>(model, prompt, 9);
  CHECK(generated.tokens == std::vector<std::int32_t>(expected.begin(), expected.begin() + 9));
  CHECK(generated.reason == induct::nn::stop_reason::max_tokens);

  const auto full = induct::nn::generate_greedy<double>(model, prompt, 50);
  CHECK(full.tokens == expected);
  CHECK(full.reason == induct::nn::stop_reason::context_full);

  const std::int32_t stop = expected[4];
  std::size_t first_stop = 0;
  while (expected[first_stop] != stop) ++first_stop;
  const std::vector<std::int32_t> stops = {stop};
  const auto stopped = induct::nn::generate_greedy<double>(model, prompt, 9, stops);
  CHECK(stopped.reason == induct::nn::stop_reason::stop_token);
  CHECK(stopped.tokens == std::vector<std::int32_t>(expected.begin(), expected.begin() + first_stop + 1));

  const std::vector<std::int32_t> too_long(13, 1);
  CHECK_THROWS_AS(induct::nn::generate_greedy<double>(model, too_long, 1), induct::error);
  CHECK_THROWS_AS(induct::nn::generate_greedy<double>(model, {}, 1), induct::error);
}

TEST_CASE("next-token log-probabilities are the log-softmax of the last logits") {
  gpt<double> model(small_config());
  randomize(model, 5);
  const std::vector<std::int32_t> prompt = {4, 4, 0, 12};
  const auto lp = induct::nn::next_token_log_probs<double>(model, prompt);
  REQUIRE(lp.size() == 13);
  // Independent reference: the kv-cache logits, normalised in long double.
  induct::nn::kv_cache_decoder<double> decoder(model);
  std::span<const double> logits;
  for (auto t : prompt) logits = decoder.append(t);
  long double z = 0;
  for (double l : logits) z += std::exp(static_cast<long double>(l));
  long double total = 0;
  for (int v = 0; v < 13; ++v) {
    CHECK(lp[v] == doctest::Approx(static_cast<double>(logits[v] - std::log(z))).epsilon(1e-12));
    total += std::exp(static_cast<long double>(lp[v]));
  }
  CHECK(static_cast<double>(total) == doctest::Approx(1.0).epsilon(1e-12));
}

TEST_CASE("hidden states: the last one, through ln_f and lm_head, gives the logits") {
  gpt<double> model(small_config());
  randomize(model, 9);
  const std::vector<std::int32_t> tokens = {1, 2, 3, 4, 5, 6, 7, 8};
  model.forward(tokens.data(), nullptr, 2, 4);
  CHECK_THROWS_AS((void)model.hidden_state(0), induct::error);  // recording off
  model.set_record_hidden(true);
  model.forward(tokens.data(), nullptr, 2, 4);
  CHECK_THROWS_AS((void)model.hidden_state(3), induct::error);
  const auto x0 = model.hidden_state(0);
  CHECK(x0.rows() == 8);
  CHECK(x0.cols() == 16);
  // Row 5 is batch 1, time 1: wte[6] + wpe[1].
  CHECK(x0(5, 3) == doctest::Approx(model.parameter("transformer.wte.weight")(6, 3) +
                                    model.parameter("transformer.wpe.weight")(1, 3)));
  const auto last = model.hidden_state(2);
  const auto w = model.parameter("transformer.ln_f.weight");
  const auto b = model.parameter("transformer.ln_f.bias");
  const auto head = model.parameter("lm_head.weight");
  for (int i = 0; i < 8; ++i) {
    const Eigen::RowVectorXd x = last.row(i);
    const double mean = x.mean();
    const double var = (x.array() - mean).square().mean();
    const Eigen::RowVectorXd y = ((x.array() - mean) / std::sqrt(var + 1e-5)).matrix().cwiseProduct(w) + b;
    const Eigen::RowVectorXd logits = y * head.transpose();
    for (int v = 0; v < 13; ++v) CHECK(model.logits()[i * 13 + v] == doctest::Approx(logits(v)).epsilon(1e-12));
  }
}

TEST_CASE("forward_patched: the model's own vectors change nothing; another vector changes only later positions") {
  gpt<float> model(small_config());  // 2 layers, width 16, vocabulary 13
  model.initialize(3);
  const int B = 2, T = 4, V = 13;
  const std::vector<std::int32_t> tokens = {1, 2, 3, 4, 5, 6, 7, 8};
  model.set_record_hidden(true);
  model.forward(tokens.data(), nullptr, B, T);
  const std::vector<float> clean(model.logits(), model.logits() + B * T * V);
  std::vector<std::vector<float>> hidden;  // x_0, x_1, x_2: [B*T, 16] each
  for (int l = 0; l <= 2; ++l) {
    const auto h = model.hidden_state(l);
    hidden.emplace_back(h.data(), h.data() + h.size());
  }
  auto row_of = [&](int layer, int row) { return std::span<const float>(hidden[layer].data() + row * 16, 16); };
  using patch = gpt<float>::residual_patch;
  // Patching with the vector the model itself computes there: bit-identical logits, at every layer.
  for (int layer = 0; layer <= 2; ++layer) {
    const std::vector<patch> same = {{layer, 2, row_of(layer, 2)}, {layer, 7, row_of(layer, 7)}};
    model.forward_patched(tokens.data(), B, T, same);
    CHECK(std::vector<float>(model.logits(), model.logits() + B * T * V) == clean);
  }
  // Another vector (x_1 of batch 1, time 1) at batch 0, time 1 after block 1: positions 1..3 of batch 0 change,
  // position 0 and all of batch 1 do not (causal attention).
  const std::vector<patch> other = {{1, 1, row_of(1, 5)}};
  model.forward_patched(tokens.data(), B, T, other);
  for (int row = 0; row < B * T; ++row) {
    const std::vector<float> got(model.logits() + row * V, model.logits() + (row + 1) * V);
    const std::vector<float> want(clean.begin() + row * V, clean.begin() + (row + 1) * V);
    INFO("row " << row);
    CHECK((got == want) == (row == 0 || row >= 4));
  }
  CHECK(model.hidden_state(1).row(1) == model.hidden_state(1).row(5));  // the recorded stream is the patched one
  // After the last block a row's logits are ln_f and lm_head of that row alone: those of the source row.
  const std::vector<patch> last = {{2, 0, row_of(2, 6)}};
  model.forward_patched(tokens.data(), B, T, last);
  CHECK(std::vector<float>(model.logits(), model.logits() + V) == std::vector<float>(clean.begin() + 6 * V, clean.begin() + 7 * V));
  // Bad patches, and backward after a patched forward, are refused.
  CHECK_THROWS_AS(model.forward_patched(tokens.data(), B, T, std::vector<patch>{{3, 0, row_of(0, 0)}}), induct::error);
  CHECK_THROWS_AS(model.forward_patched(tokens.data(), B, T, std::vector<patch>{{0, 8, row_of(0, 0)}}), induct::error);
  CHECK_THROWS_AS(model.forward_patched(tokens.data(), B, T, std::vector<patch>{{0, 0, row_of(0, 0).first(15)}}),
                  induct::error);
  CHECK_THROWS_AS(model.backward(), induct::error);
}

TEST_CASE("training steps are bitwise deterministic and the same on 1, 2, 3 and 4 threads") {
  // N = 8 * 64 = 512 rows: 2 row chunks for the weight gradients (a chunk's rows split further on 3 and
  // 4 threads), 8 for the LayerNorm ones (split 8 / 4+4 / 3+3+2 / 2+2+2+2).
  const gpt_config config{.vocab_size = 64, .context_length = 64, .layers = 2, .width = 64, .heads = 2};
  const int B = 8, T = 64;
  induct::random_engine rng(1);
  std::vector<std::int32_t> tokens(B * T * 3), targets(B * T * 3);
  for (auto& t : tokens) t = static_cast<std::int32_t>(rng.below(64));
  for (auto& t : targets) t = static_cast<std::int32_t>(rng.below(64));
  auto run = [&] {
    gpt<float> model(config);
    model.initialize(42);
    induct::nn::adamw<float> optimizer(model.layout());
    std::vector<float> out;
    for (int step = 0; step < 3; ++step) {
      model.zero_gradients();
      out.push_back(model.forward(tokens.data() + step * B * T, targets.data() + step * B * T, B, T));
      model.backward();
      out.push_back(static_cast<float>(induct::nn::clip_gradient_norm<float>(model.gradients(), 1.0)));
      if (step == 2) out.insert(out.end(), model.gradients().begin(), model.gradients().end());
      optimizer.step(model.parameters(), model.gradients(), 1e-3);
    }
    out.insert(out.end(), model.parameters().begin(), model.parameters().end());
    return out;
  };
  const int saved = omp_get_max_threads();
  omp_set_num_threads(2);
  const auto two = run();
  CHECK(run() == two);
  for (int threads : {1, 3, 4}) {
    omp_set_num_threads(threads);
    INFO("threads = " << threads);
    CHECK(run() == two);
  }
  omp_set_num_threads(saved);
  CHECK(std::isfinite(two.front()));
}
