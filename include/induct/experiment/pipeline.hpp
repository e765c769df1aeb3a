#pragma once
// One experiment run end to end: sample a corpus from the setup, train a GPT on it, evaluate it
// on the ICL task suite against the idealized predictor. The demo and every sweep point are runs.
//
// A run is a pure function of its run_config (corpus and model seeds included): the corpus is
// drawn from random_engine::for_stream(corpus_seed, corpus_stream), training is deterministic
// for a seed, and the evaluation prompts come from their own seed.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/experiment/evaluate.hpp"
#include "induct/experiment/report.hpp"
#include "induct/nn/checkpoint.hpp"
#include "induct/nn/data.hpp"
#include "induct/nn/gpt_config.hpp"
#include "induct/nn/trainer.hpp"
#include "induct/setup/config.hpp"
#include "induct/setup/corpus.hpp"
#include "induct/setup/world.hpp"
#include "induct/theory/idealized_predictor.hpp"

namespace induct::experiment {

/// Task names with formats, e.g. {"lookup", "direct"}.
struct task_spec {
  std::string name;
  setup::list_format format = setup::list_format::direct;
};

struct run_config {
  setup::setup_config setup;                 // world and document grammar
  std::uint64_t corpus_tokens = 4'000'000;   // training corpus size
  std::uint64_t corpus_seed = 1;
  nn::gpt_config model;                      // vocab_size is set from the world
  nn::trainer_config training;
  double validation_fraction = 0.02;
  // Training loss weights by token role (1 = plain next-token loss). Inputs x of list items are uniform
  // draws whose loss is pure gradient noise; answers carry the in-context signal.
  double answer_loss_weight = 1.0;  // on tokens right after ':' (direct answers, first steps)
  double input_loss_weight = 1.0;   // on list inputs x (entities right after '[' or ';')
  std::vector<task_spec> tasks = {{"lookup", setup::list_format::direct},
                                  {"compose2", setup::list_format::direct},
                                  {"compose2", setup::list_format::stepwise}};
  evaluation_options evaluation;

  [[nodiscard]] nlohmann::json to_json() const {
    nlohmann::json task_list = nlohmann::json::array();
    for (const auto& t : tasks) task_list.push_back({{"task", t.name}, {"format", setup::to_string(t.format)}});
    nlohmann::json j = {{"setup", setup.to_json()},
            {"corpus_tokens", corpus_tokens},
            {"corpus_seed", corpus_seed},
            {"model", model.to_json()},
            {"training", training.trajectory_json()},
            {"steps", training.steps},
            {"validation_fraction", validation_fraction},
            {"tasks", task_list},
            {"evaluation", {{"examples", evaluation.examples},
                            {"prompts", evaluation.prompts},
                            {"prompt_seed", evaluation.prompt_seed}}}};
    // Only when set, so that the keys of unweighted sweep points stay as they were.
    if (weighted_loss()) j["loss_weights"] = {{"answer", answer_loss_weight}, {"input", input_loss_weight}};
    return j;
  }

  [[nodiscard]] bool weighted_loss() const noexcept { return answer_loss_weight != 1.0 || input_loss_weight != 1.0; }
};

struct run_result {
  result_table table;                    // evaluation_columns()
  nn::training_summary training;
  std::vector<std::string> skipped;      // (task, format, n) left out of the evaluation
  double corpus_seconds = 0, training_seconds = 0, evaluation_seconds = 0;
  std::uint64_t parameters = 0;
};

/// Hooks for progress reporting; all optional.
struct run_hooks {
  std::function<void(const std::string& phase)> on_phase;             // "corpus", "train", "evaluate"
  std::function<void(const nn::step_report&)> on_step;
  std::function<void(std::size_t done, std::size_t total)> on_evaluation_progress;
  bool training_progress_bar = false;
  std::filesystem::path checkpoint;  // where to write the trained model ("" = nowhere)
};

/// Samples the corpus of `config` into memory.
inline std::vector<std::uint16_t> sample_corpus_tokens(const setup::world& world, std::uint64_t seed, std::uint64_t tokens) {
  std::vector<std::uint16_t> out;
  out.reserve(static_cast<std::size_t>(tokens));
  setup::sample_corpus_stream(
      world, seed, tokens, [&](const setup::token_id* data, std::size_t count) { out.insert(out.end(), data, data + count); },
      [](std::uint64_t) {});
  return out;
}

/// Per-token loss weights for `tokens` (the weight of predicting token i): `answer` on tokens right after
/// ':', `input` on entities right after '[' or ';' (list inputs), 1 elsewhere.
inline std::vector<float> role_loss_weights(const std::vector<std::uint16_t>& tokens, const setup::vocabulary& vocab,
                                            double answer, double input) {
  if (!(std::isfinite(answer) && answer >= 0.0)) throw config_error("answer_loss_weight", "must be finite and >= 0");
  if (!(std::isfinite(input) && input >= 0.0)) throw config_error("input_loss_weight", "must be finite and >= 0");
  std::vector<float> weights(tokens.size(), 1.0f);
  for (std::size_t i = 1; i < tokens.size(); ++i) {
    const auto previous = tokens[i - 1];
    if (previous == setup::vocabulary::colon) weights[i] = static_cast<float>(answer);
    else if ((previous == setup::vocabulary::open_list || previous == setup::vocabulary::semicolon) &&
             vocab.entity_index(tokens[i]))
      weights[i] = static_cast<float>(input);
  }
  return weights;
}

/// The evaluation tasks of a run; novel needs the sidecar of a corpus (the chains it saw as lists).
inline std::vector<setup::task> make_tasks(const std::vector<task_spec>& specs, const setup::document_model& document,
                                           const nlohmann::json* corpus_sidecar = nullptr) {
  std::vector<setup::task> tasks;
  for (const auto& s : specs) tasks.push_back(setup::task::by_name(s.name, s.format, document, corpus_sidecar));
  return tasks;
}

/// Evaluates a trained model of `world` on the task suite against the idealized predictor: the
/// evaluation step of run_experiment, and of `induct evaluate` on a model file (so both give the
/// same table for the same model, prompts and seed).
template <class Scalar>
result_table evaluate_trained_model(nn::gpt<Scalar>& model, const setup::world& world, const std::vector<task_spec>& specs,
                                    const evaluation_options& options, std::vector<std::string>* skipped = nullptr,
                                    const nlohmann::json* corpus_sidecar = nullptr) {
  const theory::idealized_list_model ideal(world);
  return evaluate_model(model, ideal, make_tasks(specs, ideal.document(), corpus_sidecar), options, skipped);
}

/// Runs corpus -> training -> evaluation.
inline run_result run_experiment(run_config config, const run_hooks& hooks = {}) {
  using clock = std::chrono::steady_clock;
  const setup::world world(config.setup);
  config.model.vocab_size = static_cast<int>(world.vocab().size());
  config.model.validate();
  run_result result;

  if (hooks.on_phase) hooks.on_phase("corpus");
  auto t0 = clock::now();
  auto tokens = sample_corpus_tokens(world, config.corpus_seed, config.corpus_tokens);
  result.corpus_seconds = std::chrono::duration<double>(clock::now() - t0).count();

  if (hooks.on_phase) hooks.on_phase("train");
  t0 = clock::now();
  auto weights = config.weighted_loss()
                     ? role_loss_weights(tokens, world.vocab(), config.answer_loss_weight, config.input_loss_weight)
                     : std::vector<float>{};
  nn::token_windows data(std::move(tokens), config.model.vocab_size, config.validation_fraction, std::move(weights),
                         "corpus(seed=" + std::to_string(config.corpus_seed) + ")");
  nn::trainer<float> trainer(config.model, config.training, std::move(data));
  trainer.set_metadata(nn::checkpoint_keys::setup_config, config.setup.to_json().dump());
  trainer.set_metadata(nn::checkpoint_keys::run_config, config.to_json().dump());
  trainer.set_progress(hooks.training_progress_bar);
  if (hooks.on_step) trainer.set_step_callback(hooks.on_step);
  result.training = trainer.train();
  result.training_seconds = std::chrono::duration<double>(clock::now() - t0).count();
  result.parameters = trainer.model().parameters().size();
  if (!hooks.checkpoint.empty()) {
    nn::checkpoint_info info{trainer.run_id(), trainer.step(), {}};
    nn::set_json_metadata(info, nn::checkpoint_keys::setup_config, config.setup.to_json());
    nn::set_json_metadata(info, nn::checkpoint_keys::run_config, config.to_json());
    nn::set_json_metadata(info, nn::checkpoint_keys::vocabulary, world.vocab().names());
    info.extra[nn::checkpoint_keys::world_fingerprint] = world.fingerprint();
    nn::write_model_checkpoint(hooks.checkpoint, trainer.model(), info);
  }

  if (hooks.on_phase) hooks.on_phase("evaluate");
  t0 = clock::now();
  auto options = config.evaluation;
  if (hooks.on_evaluation_progress) options.progress = hooks.on_evaluation_progress;
  result.table = evaluate_trained_model(trainer.model(), world, config.tasks, options, &result.skipped);
  result.evaluation_seconds = std::chrono::duration<double>(clock::now() - t0).count();
  return result;
}

/// The setup config stored in a model file written by run_experiment (or `induct train`), read from
/// its header only; file_error naming the file if it records none.
inline setup::setup_config setup_config_of_checkpoint(const std::filesystem::path& model_file) {
  const auto metadata = nn::read_checkpoint_metadata(model_file);
  const auto recorded = nn::json_metadata(metadata.info, nn::checkpoint_keys::setup_config, model_file.string());
  if (!recorded)
    throw file_error(model_file.string(), "the model file has no 'setup_config' metadata: pass the world options explicitly");
  try {
    return setup::setup_config::from_json(*recorded);
  } catch (const nlohmann::json::exception& e) {
    throw file_error(model_file.string(), std::string("corrupt 'setup_config' metadata: ") + e.what());
  }
}

}  // namespace induct::experiment
