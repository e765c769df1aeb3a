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
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/core/fields.hpp"
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

  /// The run's own fields, once (core/fields.hpp); setup, model, training and evaluation have their own
  /// lists. In the JSON the loss weights sit under "loss_weights" as "answer" and "input".
  template <class Self, class Visit>
  static void for_each_run_field(Self& self, Visit&& visit) {
    visit(field_info{"corpus_tokens", "tokens", "training corpus size in tokens", 1}, self.corpus_tokens);
    visit(field_info{"corpus_seed", "corpus-seed", "seed of the corpus sample"}, self.corpus_seed);
    visit(field_info{"validation_fraction", "validation-fraction", "held-out share of the corpus, < 1", 0, 1},
          self.validation_fraction);
    visit(field_info{"answer_loss_weight", "answer-weight", "training loss weight of list answers (after ':')", 0,
                     finite_max},
          self.answer_loss_weight);
    visit(field_info{"input_loss_weight", "input-weight", "training loss weight of list inputs x", 0, finite_max},
          self.input_loss_weight);
  }

  /// Throws config_error naming the first invalid field: the run's fields, then setup, model, training,
  /// evaluation, each task's name (non-empty).
  void validate() const {
    for_each_run_field(*this, [](const field_info& info, const auto& member) {
      if (!within_bounds(static_cast<double>(member), info))
        throw config_error(info.name, "must be " + describe_bounds(info) + ", got " + format_number(static_cast<double>(member)));
    });
    if (!(validation_fraction < 1.0))
      throw config_error("validation_fraction", "must be in [0, 1), got " + format_number(validation_fraction));
    setup.validate();
    model.validate();
    training.validate();
    evaluation.validate();
    for (std::size_t i = 0; i < tasks.size(); ++i)
      if (tasks[i].name.empty()) throw config_error("tasks[" + std::to_string(i) + "].task", "must not be empty");
  }

  /// The run's record (hashed into sweep point keys: keep the shape). "training" is the trajectory
  /// (decay_steps resolved), "steps" beside it; "evaluation" holds examples, prompts and prompt_seed;
  /// "loss_weights" only for a weighted loss. The bookkeeping fields (checkpoint_every, log_every,
  /// validation_batches, evaluation batch and alpha) are not in it.
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

  /// Inverse of to_json, strict: reads the keys present over the defaults (inside "training", "evaluation"
  /// and "loss_weights" too), so from_json(to_json(c)).to_json() == to_json(c). Unknown keys (also those
  /// to_json leaves out, such as training.log_every), wrong types and out-of-range values are config_errors
  /// naming the dotted key ("training.optimizer.eps", "tasks[1].format"). "tasks", when present, replaces
  /// the default list; each entry needs exactly "task" and "format". A decay_steps equal to steps comes back
  /// as 0 (= steps, the same schedule), so a changed steps moves the horizon as it does for a fresh config.
  /// The bookkeeping fields keep their defaults. Validates the result.
  static run_config from_json(const nlohmann::json& j) {
    run_config c;
    if (!j.is_object()) throw config_error("<root>", "run config must be a JSON object, got " + std::string(j.type_name()));
    for (const auto& [key, value] : j.items()) {
      if (key == "setup") {
        fields_from_json(c.setup, value, "setup");
      } else if (key == "model") {
        fields_from_json(c.model, value, "model");
      } else if (key == "training") {
        require_known_keys(c.training.trajectory_json(), value, "training");
        fields_from_json(c.training, value, "training");
      } else if (key == "steps") {
        read_field(*find_field<nn::trainer_config>("steps"), c.training.steps, value, "steps");
      } else if (key == "evaluation") {
        require_known_keys(nlohmann::json{{"examples", 0}, {"prompts", 0}, {"prompt_seed", 0}}, value, "evaluation");
        fields_from_json(c.evaluation, value, "evaluation");
      } else if (key == "tasks") {
        c.tasks = tasks_from_json(value);
      } else if (key == "loss_weights") {
        require_known_keys(nlohmann::json{{"answer", 0}, {"input", 0}}, value, "loss_weights");
        for_each_run_field(c, [&](const field_info& info, auto& member) {
          const std::string_view name = info.name;
          const char* short_key = name == "answer_loss_weight" ? "answer" : name == "input_loss_weight" ? "input" : nullptr;
          if (short_key && value.contains(short_key))
            read_field(info, member, value[short_key], std::string("loss_weights.") + short_key);
        });
      } else {
        bool found = false;
        for_each_run_field(c, [&](const field_info& info, auto& member) {
          const std::string_view name = info.name;
          if (found || name != key || name == "answer_loss_weight" || name == "input_loss_weight") return;
          found = true;
          read_field(info, member, value, key);
        });
        if (!found) throw config_error(key, "unknown field");
      }
    }
    if (c.training.decay_steps == c.training.steps) c.training.decay_steps = 0;
    c.validate();
    return c;
  }

  [[nodiscard]] bool weighted_loss() const noexcept { return answer_loss_weight != 1.0 || input_loss_weight != 1.0; }

 private:
  static std::vector<task_spec> tasks_from_json(const nlohmann::json& list) {
    if (!list.is_array()) throw config_error("tasks", "must be an array of {\"task\", \"format\"} objects, got " + std::string(list.type_name()));
    std::vector<task_spec> out;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string at = "tasks[" + std::to_string(i) + "]";
      require_same_keys(nlohmann::json{{"task", ""}, {"format", ""}}, list[i], at);
      task_spec t;
      read_field(field_info{"task", nullptr, "task name"}, t.name, list[i]["task"], at + ".task");
      read_field(field_info{"format", nullptr, "list format"}, t.format, list[i]["format"], at + ".format");
      out.push_back(std::move(t));
    }
    return out;
  }
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
