#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "induct/nn/trainer.hpp"
#include "induct/setup/corpus.hpp"
#include "induct/setup/world.hpp"

using namespace induct::nn;

namespace {

std::filesystem::path scratch(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("induct_test_trainer_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir / name;
}

gpt_config tiny_model() {
  gpt_config c;
  c.vocab_size = 11;
  c.context_length = 8;
  c.layers = 2;
  c.width = 16;
  c.heads = 2;
  return c;
}

/// Tokens 0..9 (token 10 never occurs): a noisy cycle, learnable but not trivial.
std::vector<std::uint16_t> corpus(std::size_t n, std::uint64_t seed = 3) {
  induct::random_engine rng(seed);
  std::vector<std::uint16_t> tokens(n);
  for (std::size_t i = 0; i < n; ++i)
    tokens[i] = static_cast<std::uint16_t>(rng.bernoulli(0.2) ? rng.below(10) : i % 10);
  return tokens;
}

trainer_config tiny_training(std::int64_t steps) {
  trainer_config c;
  c.batch = 4;
  c.steps = steps;
  c.learning_rate = 3e-3;
  c.min_learning_rate = 3e-4;
  c.warmup_steps = 3;
  c.seed = 7;
  c.log_every = 0;
  c.validation_batches = 4;
  return c;
}

bool same_bits(std::span<const float> a, std::span<const float> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

struct simulated_crash {};

}  // namespace

TEST_CASE("data: windows are corpus slices, targets shifted by one, inside the training split") {
  const auto tokens = corpus(1000);
  token_windows data(tokens, 11, 0.1);
  CHECK(data.training_tokens() == 900);
  CHECK(data.validation_tokens() == 100);
  data.seed(5);
  token_batch batch;
  std::set<std::size_t> starts;
  for (int k = 0; k < 50; ++k) {
    data.next_training_batch(3, 8, batch);
    REQUIRE(batch.inputs.size() == 24);
    for (int b = 0; b < 3; ++b) {
      // Find the window's start: the unique s whose slice matches (the cycle makes most slices distinct).
      bool found = false;
      for (std::size_t s = 0; s + 9 <= 900 && !found; ++s) {
        bool match = true;
        for (int t = 0; t < 8 && match; ++t)
          match = batch.inputs[static_cast<std::size_t>(b * 8 + t)] == tokens[s + static_cast<std::size_t>(t)] &&
                  batch.targets[static_cast<std::size_t>(b * 8 + t)] == tokens[s + static_cast<std::size_t>(t) + 1];
        if (match) {
          found = true;
          starts.insert(s);
        }
      }
      CHECK(found);
    }
  }
  CHECK(starts.size() > 100);  // 150 windows from ~890 starts: mostly distinct
  CHECK(batch.loss_weights.empty());
}

TEST_CASE("data: the sampler position restores the exact stream; seeds differ") {
  token_windows a(corpus(500), 11), b(corpus(500), 11);
  a.seed(1);
  b.seed(1);
  token_batch x, y;
  a.next_training_batch(2, 4, x);
  const auto saved = a.position();
  CHECK(saved.batches_drawn == 1);
  a.next_training_batch(2, 4, x);
  b.set_position(saved);
  b.next_training_batch(2, 4, y);
  CHECK(x.inputs == y.inputs);
  b.seed(2);
  b.next_training_batch(2, 4, y);
  a.seed(1);
  a.next_training_batch(2, 4, x);
  CHECK(x.inputs != y.inputs);
}

TEST_CASE("data: validation windows tile the held-out tail; weights follow targets; bad input refused") {
  std::vector<std::uint16_t> tokens(100);
  std::vector<float> weights(100);
  for (int i = 0; i < 100; ++i) {
    tokens[static_cast<std::size_t>(i)] = static_cast<std::uint16_t>(i % 7);
    weights[static_cast<std::size_t>(i)] = static_cast<float>(i);
  }
  token_windows data(tokens, 7, 0.2, weights);
  CHECK(data.training_tokens() == 80);
  CHECK(data.validation_windows(6) == 3);  // 20 tokens: windows at 80, 86, 92 (each needs 7)
  token_batch batch;
  CHECK(data.validation_batch(0, 2, 6, batch) == 2);
  CHECK(batch.inputs[0] == 80 % 7);
  CHECK(batch.inputs[6] == 86 % 7);
  CHECK(batch.targets[6] == 87 % 7);
  CHECK(batch.loss_weights[6] == 87.0f);  // the weight of the target token
  CHECK(data.validation_batch(2, 2, 6, batch) == 1);
  CHECK(batch.inputs[0] == 92 % 7);
  CHECK(data.validation_batch(3, 2, 6, batch) == 0);

  CHECK_THROWS_WITH_AS(token_windows(std::vector<std::uint16_t>{1, 2, 9}, 7), doctest::Contains("token 9 at position 2"),
                       induct::error);
  CHECK_THROWS_AS(token_windows(tokens, 7, 1.0), induct::config_error);
  CHECK_THROWS_AS(token_windows(tokens, 7, 0.1, std::vector<float>(3, 1.0f)), induct::config_error);
  token_windows small(std::vector<std::uint16_t>{1, 2, 3, 4}, 7, 0.0);
  small.seed(1);
  CHECK_THROWS_WITH_AS(small.next_training_batch(1, 4, batch), doctest::Contains("fewer than one window"), induct::error);
}

TEST_CASE("data: corpus files of the setup module load through the setup reader") {
  const induct::setup::world w;
  const auto path = scratch("corpus.tok");
  induct::setup::write_corpus(w, 4, 3000, path);
  auto data = corpus_windows(path, static_cast<int>(w.vocab().size()));
  CHECK(data.size() == 3000);
  CHECK(data.validation_tokens() == 150);
  CHECK_THROWS_WITH_AS((void)corpus_windows(path, 10), doctest::Contains("does not fit the model's vocab_size 10"),
                       induct::file_error);
}

TEST_CASE("trainer: the loss falls on a learnable stream and JSON log lines report each K steps") {
  auto config = tiny_training(60);
  config.learning_rate = 1e-2;
  config.min_learning_rate = 1e-3;
  config.log_every = 20;
  trainer<float> t(tiny_model(), config, token_windows(corpus(4000), 11));
  t.set_progress(false);
  std::ostringstream log;
  t.set_log(&log);
  const auto summary = t.train();
  CHECK(summary.steps == 60);
  REQUIRE(t.loss_history().size() == 60);
  CHECK(t.loss_history().front() > 2.2);  // about log(11) = 2.40 at initialisation
  // Next token = previous + 1 (mod 10) with probability 0.82, else one of the 9 others (0.02 each):
  // entropy 0.87 nats, against log(11) = 2.40 for a model that has learnt nothing.
  double last = 0;
  for (std::size_t i = 50; i < 60; ++i) last += t.loss_history()[i] / 10;
  MESSAGE("mean loss of steps 51-60: ", last, ", validation loss: ", summary.validation_loss);
  CHECK(last < 1.6);
  CHECK(std::isfinite(summary.validation_loss));
  CHECK(summary.validation_loss < 1.6);
  CHECK(summary.validation_loss > 0.8);
  std::istringstream lines(log.str());
  std::string line;
  std::vector<nlohmann::json> records;
  while (std::getline(lines, line)) records.push_back(nlohmann::json::parse(line));
  REQUIRE(records.size() == 3);
  CHECK(records[1]["step"] == 40);
  CHECK(records[1]["loss"].get<double>() == t.loss_history()[39]);
  CHECK(records[0]["lr"].get<double>() == config.schedule()(19));
}

TEST_CASE("trainer: validation loss is the target-weighted mean over the held-out windows") {
  auto tokens = corpus(600);
  trainer<float> t(tiny_model(), tiny_training(0), token_windows(tokens, 11, 0.1));
  t.set_progress(false);
  const auto [loss, count] = t.validation_loss();
  // 60 held-out tokens: windows of 9 at 540, 548, ..., 588 (floor(59 / 8) = 7), all in 2 batches of 4.
  CHECK(count == 7 * 8);
  double sum = 0;
  for (int w = 0; w < 7; ++w) {
    std::vector<std::int32_t> in(8), out(8);
    for (int i = 0; i < 8; ++i) {
      in[static_cast<std::size_t>(i)] = tokens[static_cast<std::size_t>(540 + 8 * w + i)];
      out[static_cast<std::size_t>(i)] = tokens[static_cast<std::size_t>(541 + 8 * w + i)];
    }
    sum += static_cast<double>(t.model().forward(in.data(), out.data(), 1, 8));
  }
  CHECK(loss == doctest::Approx(sum / 7).epsilon(1e-6));
}

TEST_CASE("trainer: resume after a crash is bitwise identical to an uninterrupted run") {
  const auto tokens = corpus(3000);
  constexpr std::int64_t steps = 24;
  trainer<float> straight(tiny_model(), tiny_training(steps), token_windows(tokens, 11));
  straight.set_progress(false);
  straight.train();

  const auto path = scratch("resume.safetensors");
  auto config = tiny_training(steps);
  config.checkpoint_every = 10;
  {
    trainer<float> first(tiny_model(), config, token_windows(tokens, 11));
    first.set_progress(false);
    first.set_checkpoint_path(path);
    first.set_metadata(checkpoint_keys::vocabulary, "[]");
    first.set_step_callback([](const step_report& r) {
      if (r.step == 13) throw simulated_crash{};
    });
    CHECK_THROWS_AS(first.train(), simulated_crash);
  }
  const gpt_config expected = tiny_model();
  auto resumed = trainer<float>::resume(path, &expected, config, token_windows(tokens, 11));
  CHECK(resumed.step() == 10);
  resumed.set_progress(false);
  resumed.train();
  CHECK(resumed.step() == steps);
  CHECK(same_bits(resumed.model().parameters(), straight.model().parameters()));
  CHECK(resumed.loss_history() == straight.loss_history());
  // A 1-step perturbation is visible: the comparison can fail.
  CHECK(!same_bits(std::span<const float>(resumed.model().parameters()).first(100),
                   std::span<const float>(trainer<float>(tiny_model(), tiny_training(1), token_windows(tokens, 11)).model().parameters()).first(100)));

  // The final checkpoint reloads with the same run id and metadata.
  const auto final_checkpoint = load_checkpoint<float>(path);
  CHECK(final_checkpoint.info.step == steps);
  CHECK(final_checkpoint.info.run_id == resumed.run_id());
  CHECK(final_checkpoint.info.extra.at(checkpoint_keys::vocabulary) == "[]");
  CHECK(same_bits(final_checkpoint.model.parameters(), straight.model().parameters()));

  SUBCASE("extending a finished run keeps the cosine horizon") {
    auto longer = config;
    longer.steps = steps + 4;
    auto more = trainer<float>::resume(path, &expected, longer, token_windows(tokens, 11));
    CHECK(more.config().schedule().decay_steps == steps);
  }
  SUBCASE("a changed trajectory setting is refused naming it") {
    auto other = config;
    other.learning_rate = 5e-3;
    CHECK_THROWS_WITH_AS(trainer<float>::resume(path, &expected, other, token_windows(tokens, 11)),
                         doctest::Contains("learning_rate"), induct::config_error);
  }
  SUBCASE("other data is refused") {
    CHECK_THROWS_WITH_AS(trainer<float>::resume(path, &expected, config, token_windows(corpus(3000, 4), 11)),
                         doctest::Contains("resume on different data"), induct::file_error);
  }
  SUBCASE("another validation split is refused") {
    CHECK_THROWS_WITH_AS(trainer<float>::resume(path, &expected, config, token_windows(tokens, 11, 0.1)),
                         doctest::Contains("validation"), induct::config_error);
  }
  SUBCASE("another model shape is refused") {
    gpt_config wider = tiny_model();
    wider.width = 32;
    CHECK_THROWS_WITH_AS(trainer<float>::resume(path, &wider, config, token_windows(tokens, 11)),
                         doctest::Contains("mismatched checkpoint"), induct::file_error);
  }
}

TEST_CASE("trainer: a NaN stops training naming the step and the value, keeping the last good checkpoint") {
  const auto tokens = corpus(2000);
  const auto path = scratch("nan.safetensors");
  auto config = tiny_training(20);
  config.checkpoint_every = 4;

  SUBCASE("non-finite loss") {
    trainer<float> t(tiny_model(), config, token_windows(tokens, 11));
    t.set_progress(false);
    t.set_checkpoint_path(path);
    t.set_step_callback([&t](const step_report& r) {
      if (r.step == 5) t.model().parameter("lm_head.weight")(3, 2) = std::nanf("");
    });
    try {
      t.train();
      FAIL("training should have stopped");
    } catch (const training_diverged& e) {
      CHECK(e.step() == 6);
      CHECK(e.bad_value() == "loss");
      const std::string message = e.what();
      CHECK(message.find("training diverged at step 6: the training loss is nan") != std::string::npos);
      CHECK(message.find("last good checkpoint (step 4)") != std::string::npos);
    }
    const auto kept = load_checkpoint<float>(path);
    CHECK(kept.info.step == 4);
    CHECK(first_non_finite_tensor<float>(kept.model.layout(), kept.model.parameters()).empty());
  }
  SUBCASE("a non-finite parameter the loss never sees is caught before it is checkpointed") {
    trainer<float> t(tiny_model(), config, token_windows(tokens, 11));
    t.set_progress(false);
    t.set_checkpoint_path(path);
    t.set_step_callback([&t](const step_report& r) {
      if (r.step == 2) t.model().parameter("transformer.wte.weight")(10, 0) = INFINITY;  // token 10 never occurs
    });
    try {
      t.train();
      FAIL("training should have stopped");
    } catch (const training_diverged& e) {
      CHECK(e.bad_value() == "parameter transformer.wte.weight");
      CHECK(std::string(e.what()).find("no checkpoint was written") != std::string::npos);
    }
  }
  SUBCASE("the first non-finite gradient tensor is named") {
    gpt<float> model(tiny_model());
    std::vector<float> gradients(model.parameters().size(), 0.0f);
    CHECK(first_non_finite_tensor<float>(model.layout(), gradients).empty());
    gradients[find_tensor(model.layout(), "transformer.h.1.mlp.c_fc.bias").offset + 3] = -INFINITY;
    gradients[find_tensor(model.layout(), "lm_head.weight").offset] = std::nanf("");
    CHECK(first_non_finite_tensor<float>(model.layout(), gradients) == "transformer.h.1.mlp.c_fc.bias");
  }
}
