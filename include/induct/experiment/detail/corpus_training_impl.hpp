#pragma once
// Definitions for experiment/corpus_training.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/core/error.hpp"
#include "induct/core/fields.hpp"
#include "induct/core/resources.hpp"
#include "induct/experiment/evaluation_plots.hpp"
#include "induct/experiment/exposure.hpp"
#include "induct/experiment/svg_plot.hpp"
#include "induct/experiment/pipeline.hpp"
#include "induct/experiment/corpus_training.hpp"
#include "induct/nn/checkpoint.hpp"
#include "induct/nn/data.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/nn/gpt_config.hpp"
#include "induct/nn/trainer.hpp"
#include "induct/setup/config.hpp"
#include "induct/setup/corpus.hpp"
#include "induct/setup/grammar_corpus.hpp"
#include "induct/setup/vocabulary.hpp"
#include "induct/setup/world.hpp"

namespace induct::experiment {

INDUCT_DEFINE double training_memory_bytes(const nn::gpt_config& model, int batch, std::uint64_t corpus_tokens,
                                           bool weighted, int gradient_block) {
  const double P = static_cast<double>(nn::parameter_count(model));
  const int block = gradient_block <= 0 ? batch : std::min(batch, gradient_block);
  const int blocks = (batch + block - 1) / block;
  int height = 0;
  while ((1 << height) < blocks) ++height;
  const double step = static_cast<double>(nn::gpt<float>::step_memory_floats(model, block, model.context_length));
  return 4.0 * ((4.0 + height + 1.0) * P + step) + (weighted ? 6.0 : 2.0) * static_cast<double>(corpus_tokens);
}

INDUCT_DEFINE stored_training read_stored_training(const std::filesystem::path& checkpoint) {
  if (!std::filesystem::exists(checkpoint))
    throw file_error(checkpoint.string(), "--resume given but there is no checkpoint to resume");
  stored_training stored;
  const auto header = nn::read_checkpoint_metadata(checkpoint);
  stored.model = header.config;
  const auto [answer, input] = recorded_loss_weights(header.info, nlohmann::json(), checkpoint.string());
  stored.answer_loss_weight = answer;
  stored.input_loss_weight = input;
  const nlohmann::json trainer = nn::read_state_trainer_json(checkpoint);
  try {
    stored.training = nn::trainer_config::from_checkpoint_json(trainer);
  } catch (const nlohmann::json::exception& e) {
    throw file_error(nn::state_path_for(checkpoint).string(), std::string("corrupt 'trainer_config' metadata: ") + e.what());
  } catch (const config_error& e) {
    throw file_error(nn::state_path_for(checkpoint).string(), std::string("corrupt 'trainer_config' metadata: ") + e.what());
  }
  return stored;
}

INDUCT_DEFINE std::string training_figures_text(const nn::training_summary& summary) {
  char text[320];
  const long long window = std::min<long long>(100, summary.steps);
  char validation[96] = "no validation split";
  if (std::isfinite(summary.validation_loss))
    std::snprintf(validation, sizeof validation, "validation loss %.4f nats (%zu held-out tokens)", summary.validation_loss,
                  summary.validation_tokens);
  std::snprintf(text, sizeof text, "training loss %.4f nats (mean of the last %lld steps), %s, %.0f tokens/s over %.3g s",
                summary.final_loss, window, validation, summary.tokens_per_second, summary.seconds);
  return text;
}

INDUCT_DEFINE corpus_training_result train_on_corpus(corpus_training run, const training_output& output) {
  std::error_code ec;
  if (!run.resume && !run.overwrite && std::filesystem::exists(run.checkpoint, ec))
    throw file_error(run.checkpoint.string(), "a checkpoint is already there; continue it with --resume, or start "
                                              "over and replace it with --force");
  const setup::corpus_header header = setup::read_corpus_header(run.corpus);
  run.model.vocab_size = static_cast<int>(header.vocabulary_size);
  run.model.validate();
  run.training.validate();
  if (!(std::isfinite(run.answer_loss_weight) && run.answer_loss_weight >= 0.0))
    throw config_error("answer_loss_weight", "must be finite and >= 0, got " + format_number(run.answer_loss_weight));
  if (!(std::isfinite(run.input_loss_weight) && run.input_loss_weight >= 0.0))
    throw config_error("input_loss_weight", "must be finite and >= 0, got " + format_number(run.input_loss_weight));
  if (run.resume) {
    // The loss is part of the trajectory: a resumed run continues the one it was started with.
    const stored_training stored = read_stored_training(run.checkpoint);
    if (stored.answer_loss_weight != run.answer_loss_weight || stored.input_loss_weight != run.input_loss_weight)
      throw config_error("answer_loss_weight", "the checkpoint was trained with loss weights answer " +
                                                   format_number(stored.answer_loss_weight) + ", input " +
                                                   format_number(stored.input_loss_weight) + "; a resumed run keeps them (given " +
                                                   format_number(run.answer_loss_weight) + ", " +
                                                   format_number(run.input_loss_weight) + ")");
  }
  require_memory(training_memory_bytes(run.model, run.training.batch, header.token_count, run.weighted_loss(),
                                       run.training.gradient_block),
                 "training a " + std::to_string(run.model.layers) + "-layer, width-" + std::to_string(run.model.width) +
                     " model at context " + std::to_string(run.model.context_length) + ", batch " +
                     std::to_string(run.training.batch) + ", on " + std::to_string(header.token_count) + " tokens");

  // The world the corpus records (validated before any training step).
  std::vector<std::pair<const char*, std::string>> world_metadata;
  std::optional<setup::vocabulary> vocabulary;  // the sidecar's, when there is one
  const auto sidecar_path = setup::corpus_sidecar_path(run.corpus);
  const bool grammar_corpus = std::filesystem::exists(sidecar_path) &&
                              setup::is_grammar_corpus_sidecar(setup::read_corpus_sidecar(sidecar_path));
  if (grammar_corpus) {
    const nlohmann::json sidecar = setup::read_corpus_sidecar(sidecar_path);
    setup::check_corpus_sidecar_header(sidecar, header, sidecar_path);
    const setup::corpus_grammar g = setup::grammar_corpus_sidecar_grammar(sidecar, sidecar_path);
    world_metadata = {{nn::checkpoint_keys::vocabulary, nlohmann::json(g.vocabulary()).dump()},
                      {nn::checkpoint_keys::grammar, g.text()},
                      {nn::checkpoint_keys::grammar_fingerprint, g.fingerprint()}};
    if (run.weighted_loss())
      throw config_error("answer_loss_weight", "the weighted loss (--answer-weight, --input-weight) weighs the answers "
                                               "and inputs of the controlled setup's lists; corpus " +
                                                   run.corpus.string() + " was sampled from a grammar, which has neither");
  } else if (std::filesystem::exists(sidecar_path)) {
    const nlohmann::json sidecar = setup::read_corpus_sidecar(sidecar_path);
    setup::check_corpus_sidecar_header(sidecar, header, sidecar_path);
    const setup::setup_config setup = setup::corpus_sidecar_setup(sidecar, sidecar_path);
    const setup::world world(setup);
    if (world.vocab().size() != header.vocabulary_size)
      throw file_error(sidecar_path.string(), "sidecar config gives " + std::to_string(world.vocab().size()) +
                                                  " tokens but the corpus header says " +
                                                  std::to_string(header.vocabulary_size));
    world_metadata = {{nn::checkpoint_keys::vocabulary, nlohmann::json(world.vocab().names()).dump()},
                      {nn::checkpoint_keys::setup_config, setup.to_json().dump()},
                      {nn::checkpoint_keys::world_fingerprint, world.fingerprint()}};
    vocabulary = world.vocab();
  }
  if (run.weighted_loss() && !vocabulary)
    throw file_error(sidecar_path.string(), "the weighted loss (--answer-weight, --input-weight) needs the corpus sidecar "
                                            "to tell answers and inputs from other tokens, and there is none");
  world_metadata.emplace_back(nn::checkpoint_keys::loss_weights,
                              nlohmann::json{{"answer", run.answer_loss_weight}, {"input", run.input_loss_weight}}.dump());

  auto data = [&] {
    if (!run.weighted_loss()) return nn::corpus_windows(run.corpus, run.model.vocab_size, run.validation_fraction);
    auto tokens = setup::read_corpus_tokens(run.corpus);
    auto weights = role_loss_weights(tokens, *vocabulary, run.answer_loss_weight, run.input_loss_weight);
    return nn::token_windows(std::move(tokens), run.model.vocab_size, run.validation_fraction, std::move(weights),
                             run.corpus.string());
  }();
  nn::communicator& processes = output.processes ? *output.processes : nn::single_process();
  const bool writes_files = processes.rank() == 0;
  if (run.resume && processes.size() > 1) {  // rank 0 completes an interrupted save before anyone reads
    if (writes_files) nn::recover_checkpoint(run.checkpoint);
    processes.barrier();
  }
  std::optional<nn::trainer<float>> trainer;
  if (run.resume) {
    trainer.emplace(nn::trainer<float>::resume(run.checkpoint, &run.model, run.training, std::move(data)));
  } else {
    trainer.emplace(run.model, run.training, std::move(data));
    for (const auto& [key, value] : world_metadata) trainer->set_metadata(key, value);
    trainer->set_metadata(nn::checkpoint_keys::corpus, run.corpus.string());
    trainer->set_metadata(nn::checkpoint_keys::corpus_fingerprint, setup::corpus_fingerprint(header));
  }
  trainer->set_communicator(processes);
  trainer->set_checkpoint_path(run.checkpoint);
  trainer->set_progress(output.progress_bar);
  trainer->set_log(output.log);
  corpus_training_result result;
  result.summary = trainer->train();
  result.run_id = trainer->run_id();
  result.model = trainer->model().config();
  result.parameters = trainer->model().parameters().size();
  result.loss_history = trainer->loss_history();
  std::string title = "Training loss of ";  // appends: GCC 12 warns falsely on "a" + std::string
  title += run.checkpoint.filename().string();
  if (writes_files)
    write_text_atomically(run.checkpoint.string() + ".loss.svg",
                          render_svg(training_loss_chart(result.loss_history, result.summary.validation_loss, title)));
  return result;
}

}  // namespace induct::experiment
