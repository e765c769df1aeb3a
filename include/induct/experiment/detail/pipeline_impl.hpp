#pragma once
// Definitions for experiment/pipeline.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/core/fields.hpp"
#include "induct/experiment/evaluate.hpp"
#include "induct/experiment/exposure.hpp"
#include "induct/experiment/learning_curve.hpp"
#include "induct/experiment/pipeline.hpp"
#include "induct/experiment/report.hpp"
#include "induct/nn/checkpoint.hpp"
#include "induct/nn/data.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/nn/gpt_config.hpp"
#include "induct/nn/trainer.hpp"
#include "induct/setup/config.hpp"
#include "induct/setup/corpus.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/setup/tasks.hpp"
#include "induct/setup/vocabulary.hpp"
#include "induct/setup/world.hpp"
#include "induct/theory/idealized_predictor.hpp"

namespace induct::experiment {

INDUCT_DEFINE void run_config::validate() const {
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

INDUCT_DEFINE nlohmann::json run_config::to_json() const {
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
  // Likewise the gradient block (issue 13): the default's points keep their keys.
  if (training.gradient_block == nn::trainer_config{}.gradient_block) j["training"].erase("gradient_block");
  return j;
}

INDUCT_DEFINE run_config run_config::from_json(const nlohmann::json& j) {
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
      // value captured by name: clang before 16 cannot capture a structured binding implicitly.
      for_each_run_field(c, [&, &value = value](const field_info& info, auto& member) {
        const std::string_view name = info.name;
        const char* short_key = name == "answer_loss_weight" ? "answer" : name == "input_loss_weight" ? "input" : nullptr;
        if (short_key && value.contains(short_key))
          read_field(info, member, value[short_key], std::string("loss_weights.") + short_key);
      });
    } else {
      bool found = false;
      for_each_run_field(c, [&, &key = key, &value = value](const field_info& info, auto& member) {
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

INDUCT_DEFINE std::vector<task_spec> run_config::tasks_from_json(const nlohmann::json& list) {
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

INDUCT_DEFINE std::vector<std::uint16_t> sample_corpus_tokens(const setup::world& world, std::uint64_t seed, std::uint64_t tokens) {
  std::vector<std::uint16_t> out;
  out.reserve(static_cast<std::size_t>(tokens));
  setup::sample_corpus_stream(
      world, seed, tokens, [&](const setup::token_id* data, std::size_t count) { out.insert(out.end(), data, data + count); },
      [](std::uint64_t) {});
  return out;
}

INDUCT_DEFINE std::vector<float> role_loss_weights(const std::vector<std::uint16_t>& tokens, const setup::vocabulary& vocab,
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

INDUCT_DEFINE std::vector<setup::task> make_tasks(const std::vector<task_spec>& specs, const setup::document_model& document) {
  std::vector<setup::task> tasks;
  for (const auto& s : specs) tasks.push_back(setup::task::by_name(s.name, s.format, document));
  return tasks;
}

template <class Scalar>
result_table evaluate_trained_model(nn::gpt<Scalar>& model, const setup::world& world, const std::vector<task_spec>& specs,
                                    const evaluation_options& options, std::vector<std::string>* skipped,
                                    const nlohmann::json* corpus_sidecar) {
  const theory::idealized_list_model ideal(world);
  return add_training_exposure(evaluate_model(model, ideal, make_tasks(specs, ideal.document()), options, skipped),
                               world.config(), corpus_sidecar);
}

INDUCT_DEFINE run_result run_experiment(run_config config, const run_hooks& hooks, const learning_curve_config& curve) {
  using clock = std::chrono::steady_clock;
  const setup::world world(config.setup);
  config.model.vocab_size = static_cast<int>(world.vocab().size());
  config.model.validate();
  curve.validate();
  run_result result;
  result.curve = result_table(learning_curve_columns());

  if (hooks.on_phase) hooks.on_phase("corpus");
  auto t0 = clock::now();
  std::vector<std::uint16_t> tokens;
  tokens.reserve(static_cast<std::size_t>(config.corpus_tokens));
  const auto statistics = setup::sample_corpus_stream(
      world, config.corpus_seed, config.corpus_tokens,
      [&](const setup::token_id* data, std::size_t count) { tokens.insert(tokens.end(), data, data + count); },
      [](std::uint64_t) {});
  // What the corpus showed of each task (experiment/exposure.hpp), as its sidecar would record it.
  const nlohmann::json corpus_sidecar = setup::corpus_sidecar_json(world, config.corpus_seed, statistics);
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
  if (hooks.processes) trainer.set_communicator(*hooks.processes);

  // The learning curve: the same evaluation at checkpoints, on the curve's n values and prompt count.
  std::optional<theory::idealized_list_model> ideal;
  std::vector<setup::task> curve_tasks;
  evaluation_options curve_options = config.evaluation;
  double loss_sum = 0, step_zero_seconds = 0;
  std::int64_t loss_steps = 0;
  const auto measure_curve = [&](std::int64_t step) {
    const auto start = clock::now();
    std::vector<std::string> skipped;
    const auto table = add_training_exposure(evaluate_model(trainer.model(), *ideal, curve_tasks, curve_options, &skipped),
                                             config.setup, &corpus_sidecar);
    const auto tokens_seen = static_cast<std::uint64_t>(step) * static_cast<std::uint64_t>(config.training.batch) *
                             static_cast<std::uint64_t>(config.model.context_length);
    append_curve_rows(result.curve, table, step, tokens_seen,
                      loss_steps > 0 ? loss_sum / static_cast<double>(loss_steps) : std::nan(""));
    loss_sum = 0;
    loss_steps = 0;
    if (step == 0) result.curve_skipped = std::move(skipped);
    result.curve_seconds += std::chrono::duration<double>(clock::now() - start).count();
  };
  if (curve.enabled()) {
    ideal.emplace(world);
    curve_tasks = make_tasks(config.tasks, ideal->document());
    curve_options.examples = curve.examples;
    curve_options.prompts = curve.prompts;
    curve_options.progress = nullptr;
    measure_curve(0);
    step_zero_seconds = result.curve_seconds;
  }
  if (hooks.on_step || curve.enabled())
    trainer.set_step_callback([&](const nn::step_report& report) {
      if (hooks.on_step) hooks.on_step(report);
      if (!curve.enabled()) return;
      loss_sum += report.loss;
      ++loss_steps;
      if (report.step % curve.every == 0 || report.step == config.training.steps) measure_curve(report.step);
    });
  result.training = trainer.train();
  result.training_seconds = std::chrono::duration<double>(clock::now() - t0).count();
  result.loss_history = trainer.loss_history();
  if (curve.enabled()) {  // the curve's evaluations are not training time (step 0's ran before train())
    result.training_seconds -= result.curve_seconds;
    result.training.seconds = std::max(1e-9, result.training.seconds - (result.curve_seconds - step_zero_seconds));
    result.training.tokens_per_second = static_cast<double>(result.training.steps) * config.training.batch *
                                        config.model.context_length / result.training.seconds;
  }
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
  result.table = add_loss_weights(
      evaluate_trained_model(trainer.model(), world, config.tasks, options, &result.skipped, &corpus_sidecar),
      config.answer_loss_weight, config.input_loss_weight);
  result.evaluation_seconds = std::chrono::duration<double>(clock::now() - t0).count();
  return result;
}

INDUCT_DEFINE setup::setup_config setup_config_of_checkpoint(const std::filesystem::path& model_file) {
  const auto metadata = nn::read_checkpoint_metadata(model_file);
  const auto recorded = nn::json_metadata(metadata.info, nn::checkpoint_keys::setup_config, model_file.string());
  if (!recorded)
    throw file_error(model_file.string(), "the model file has no 'setup_config' metadata: pass the world options explicitly");
  try {
    return setup::setup_config::from_record(*recorded);
  } catch (const nlohmann::json::exception& e) {
    throw file_error(model_file.string(), std::string("corrupt 'setup_config' metadata: ") + e.what());
  }
}

}  // namespace induct::experiment
