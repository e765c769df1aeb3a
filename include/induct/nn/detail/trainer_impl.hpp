#pragma once
// Definitions for nn/trainer.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <ostream>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <omp.h>

#include "induct/core/error.hpp"
#include "induct/core/interrupt.hpp"
#include "induct/core/resources.hpp"
#include "induct/core/fields.hpp"
#include "induct/core/hash.hpp"
#include "induct/core/progress.hpp"
#include "induct/nn/adamw.hpp"
#include "induct/nn/checkpoint.hpp"
#include "induct/nn/data.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/nn/trainer.hpp"

namespace induct::nn {

INDUCT_DEFINE void trainer_config::validate() const {
  check_field_bounds(*this);
  if (!(min_learning_rate <= learning_rate))
    throw config_error("min_learning_rate", "must be <= learning_rate " + format_number(learning_rate) + ", got " +
                                                format_number(min_learning_rate));
  schedule().validate();
  optimizer.validate();
}

INDUCT_DEFINE nlohmann::json trainer_config::to_json() const { return fields_to_json(*this); }

INDUCT_DEFINE trainer_config trainer_config::from_json(const nlohmann::json& j) {
  trainer_config c;
  fields_from_json(c, j);
  c.validate();
  return c;
}

INDUCT_DEFINE trainer_config trainer_config::from_trajectory_json(const nlohmann::json& trajectory, std::int64_t steps,
                                                                std::string_view path) {
  trainer_config c;
  c.steps = steps;
  require_same_keys(c.trajectory_json(), trajectory, path);
  fields_from_json(c, trajectory, path);
  c.validate();
  return c;
}

INDUCT_DEFINE trainer_config trainer_config::from_checkpoint_json(const nlohmann::json& stored, std::string_view path) {
  const std::string prefix = path.empty() ? std::string() : std::string(path) + ".";
  if (!stored.is_object() || !stored.contains("trajectory") || !stored.contains("steps") ||
      !stored["steps"].is_number_integer())
    throw config_error(prefix + "trajectory", "a state file's trainer_config needs \"trajectory\" and an integer \"steps\"");
  trainer_config c = from_trajectory_json(stored["trajectory"], stored["steps"].get<std::int64_t>(), path);
  nlohmann::json bookkeeping = nlohmann::json::object();
  for (const char* key : {"checkpoint_every", "log_every", "validation_batches"})
    if (stored.contains(key)) bookkeeping[key] = stored[key];
  fields_from_json(c, bookkeeping, path);
  c.validate();
  return c;
}

INDUCT_DEFINE nlohmann::json trainer_config::trajectory_json() const {
  return {{"batch", batch},
          {"gradient_block", gradient_block},
          {"learning_rate", learning_rate},
          {"min_learning_rate", min_learning_rate},
          {"warmup_steps", warmup_steps},
          {"decay_steps", decay_steps > 0 ? decay_steps : steps},
          {"optimizer", optimizer.to_json()},
          {"grad_clip", grad_clip},
          {"seed", seed}};
}

INDUCT_DEFINE nlohmann::json training_summary::to_json() const {
  nlohmann::json j = {{"steps", steps}, {"final_loss", final_loss}, {"validation_tokens", validation_tokens},
                      {"tokens_per_s", tokens_per_second}, {"seconds", seconds}};
  j["validation_loss"] = std::isfinite(validation_loss) ? nlohmann::json(validation_loss) : nlohmann::json(nullptr);
  return j;
}

template <class Scalar>
trainer<Scalar>::trainer(const gpt_config& model_config, trainer_config config, token_windows data)
    : config_(std::move(config)), data_(std::move(data)), model_(model_config),
      optimizer_(model_.layout(), config_.optimizer), gradient_(config_.gradient_block) {
  config_.validate();
  if (config_.decay_steps == 0) config_.decay_steps = config_.steps;  // fix the horizon for resumes
  model_.initialize(config_.seed);
  data_.seed(config_.seed);
  run_id_ = new_run_id();
}

template <class Scalar>
trainer<Scalar> trainer<Scalar>::resume(const std::filesystem::path& model_path, const gpt_config* expected_model,
                                        trainer_config config, token_windows data) {
  recover_checkpoint(model_path);  // a save killed between its renames, stale temporaries
  auto checkpoint = load_checkpoint<Scalar>(model_path, expected_model);
  const nlohmann::json& stored = checkpoint.state.trainer_config;
  if (!stored.is_object() || !stored.contains("trajectory") || !stored["trajectory"].is_object() ||
      !stored["trajectory"].contains("decay_steps") || !stored["trajectory"]["decay_steps"].is_number_integer())
    throw file_error(state_path_for(model_path).string(),
                     "corrupt training state: trainer_config lacks the run's trajectory settings");
  if (config.decay_steps == 0) config.decay_steps = stored["trajectory"]["decay_steps"].get<std::int64_t>();
  const auto wanted = config.trajectory_json();
  for (const auto& [key, value] : stored["trajectory"].items())
    if (!wanted.contains(key) || wanted[key] != value)
      throw config_error(key, "differs from the checkpointed run (" + value.dump() + " there, " +
                                  (wanted.contains(key) ? wanted[key].dump() : std::string("absent")) +
                                  " now); resume needs the same trajectory settings");
  const nlohmann::json& source = checkpoint.state.data_source;
  const auto fingerprint = source.value("fingerprint", std::uint64_t{0});
  if (fingerprint != data.fingerprint())
    throw file_error(model_path.string(), "resume on different data: the checkpoint was trained on '" +
                                              source.value("source", std::string("?")) +
                                              "' (CRC-32 " + std::to_string(fingerprint) + "), not '" +
                                              data.source() + "' (CRC-32 " + std::to_string(data.fingerprint()) + ")");
  const auto held_out = source.value("validation_tokens", data.validation_tokens());
  if (held_out != data.validation_tokens())
    throw config_error("validation_fraction", "the checkpointed run held out " + std::to_string(held_out) +
                                                  " tokens for validation, this one " +
                                                  std::to_string(data.validation_tokens()) +
                                                  "; the training split must not change on resume");
  trainer t(std::move(config), std::move(data), std::move(checkpoint.model));
  t.run_id_ = checkpoint.info.run_id;
  t.step_ = checkpoint.info.step;
  t.extra_metadata_ = checkpoint.info.extra;
  t.checkpoint_path_ = model_path;
  t.last_checkpoint_step_ = t.step_;
  std::copy(checkpoint.state.adam_m.begin(), checkpoint.state.adam_m.end(), t.optimizer_.first_moment().begin());
  std::copy(checkpoint.state.adam_v.begin(), checkpoint.state.adam_v.end(), t.optimizer_.second_moment().begin());
  t.optimizer_.set_step_count(checkpoint.state.adam_step);
  t.data_.set_position(checkpoint.state.data);
  t.loss_history_ = std::move(checkpoint.state.loss_history);
  if (static_cast<std::int64_t>(t.loss_history_.size()) != t.step_)
    throw file_error(state_path_for(model_path).string(), "corrupt training state: " +
                                                             std::to_string(t.loss_history_.size()) +
                                                             " losses recorded for step " + std::to_string(t.step_));
  return t;
}

template <class Scalar>
training_summary trainer<Scalar>::train() {
  const int B = config_.batch, T = model_.config().context_length;
  communicator& comm = gradient_.comm();
  std::exception_ptr refusal;  // rank 0's refusal ends every rank before the first collective step
  if (!checkpoint_path_.empty() && writes_files()) try {
      prepare_checkpoint_folder();
    } catch (...) {
      refusal = std::current_exception();
    }
  if (any_rank(comm, refusal != nullptr)) {
    if (refusal) std::rethrow_exception(refusal);
    throw error("train: rank 0 refused to start (its message says why)");
  }
  model_.reserve(std::min(B, config_.gradient_block), T);
  const auto schedule = config_.schedule();
  progress_bar bar("train", static_cast<double>(config_.steps),
                   show_progress_ && writes_files() && ::isatty(2) != 0);
  const auto start = std::chrono::steady_clock::now();
  const std::int64_t first_step = step_;
  token_batch batch;
  while (step_ < config_.steps) {
    data_.next_training_batch(B, T, batch);  // every rank draws the whole batch: one data stream
    const Scalar loss = gradient_.compute(model_, batch);
    if (!std::isfinite(loss)) diverged("loss", "the training loss is " + std::to_string(static_cast<double>(loss)));
    if (const auto bad = first_non_finite_tensor<Scalar>(model_.layout(), model_.gradients()); !bad.empty())
      diverged("gradient of " + bad, "the gradient of " + bad + " is not finite (loss " +
                                         std::to_string(static_cast<double>(loss)) + ")");
    const double norm = config_.grad_clip > 0 ? clip_gradient_norm(model_.gradients(), config_.grad_clip)
                                              : gradient_norm(std::span<const Scalar>(model_.gradients()));
    const double lr = schedule(step_);
    optimizer_.step(model_.parameters(), model_.gradients(), lr);
    loss_history_.push_back(static_cast<double>(loss));
    ++step_;

    step_report report;
    report.step = step_;
    report.loss = static_cast<double>(loss);
    report.learning_rate = lr;
    report.gradient_norm = norm;
    report.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    report.tokens_per_second = report.elapsed_seconds > 0
                                   ? static_cast<double>(step_ - first_step) * B * T / report.elapsed_seconds
                                   : 0.0;
    if (log_ && writes_files() && config_.log_every > 0 && (step_ % config_.log_every == 0 || step_ == config_.steps))
      log_line(report);
    if (config_.checkpoint_every > 0 && step_ % config_.checkpoint_every == 0 && step_ < config_.steps) checkpoint();
    if (callback_) callback_(report);
    char detail[128];
    std::snprintf(detail, sizeof detail, "step %lld loss %.4f | %.0f tok/s", static_cast<long long>(step_),
                  report.loss, report.tokens_per_second);
    bar.update(static_cast<double>(step_), detail);
    // Ranks stop after the same step: a signal seen by one rank is agreed on by all.
    if (const int signal_number = interrupt_requested(); any_rank(comm, signal_number != 0)) {
      bar.finish();
      stop_for_interrupt(signal_number != 0 ? signal_number : SIGTERM);
    }
  }
  bar.finish();
  if (!checkpoint_path_.empty()) checkpoint();
  training_summary summary;
  summary.steps = step_;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  summary.tokens_per_second =
      summary.seconds > 0 ? static_cast<double>(step_ - first_step) * B * T / summary.seconds : 0.0;
  const std::size_t tail = std::min<std::size_t>(100, loss_history_.size());
  double sum = 0;
  for (std::size_t i = loss_history_.size() - tail; i < loss_history_.size(); ++i) sum += loss_history_[i];
  summary.final_loss = tail ? sum / static_cast<double>(tail) : std::nan("");
  std::tie(summary.validation_loss, summary.validation_tokens) = validation_loss();
  return summary;
}

template <class Scalar>
std::pair<double, std::size_t> trainer<Scalar>::validation_loss() {
  const int B = config_.batch, T = model_.config().context_length;
  const std::size_t windows = data_.validation_windows(T);
  if (windows == 0 || config_.validation_batches == 0) return {std::nan(""), 0};
  token_batch batch;
  double weighted = 0, total_weight = 0;
  std::size_t tokens = 0;
  for (int b = 0; b < config_.validation_batches; ++b) {
    const int rows = data_.validation_batch(static_cast<std::size_t>(b) * static_cast<std::size_t>(B), B, T, batch);
    if (rows == 0) break;
    const Scalar* w = batch.loss_weights.empty() ? nullptr : weights(batch);
    const double loss = static_cast<double>(model_.forward(batch.inputs.data(), batch.targets.data(), rows, T, w));
    double weight = static_cast<double>(rows) * T;
    if (w) {
      weight = 0;
      for (int i = 0; i < rows * T; ++i) weight += static_cast<double>(w[i]);
    }
    weighted += loss * weight;
    total_weight += weight;
    tokens += static_cast<std::size_t>(rows) * static_cast<std::size_t>(T);
  }
  return {total_weight > 0 ? weighted / total_weight : std::nan(""), tokens};
}

template <class Scalar>
void trainer<Scalar>::checkpoint() {
  if (checkpoint_path_.empty()) throw error("trainer checkpoint: no checkpoint path set");
  if (!writes_files()) {  // rank 0 writes the (identical) state of every rank
    last_checkpoint_step_ = step_;
    return;
  }
  if (const auto bad = first_non_finite_tensor<Scalar>(model_.layout(), model_.parameters()); !bad.empty())
    diverged("parameter " + bad, "parameter " + bad + " is not finite; checkpoint not written");
  training_state<Scalar> state;
  state.adam_m.assign(optimizer_.first_moment().begin(), optimizer_.first_moment().end());
  state.adam_v.assign(optimizer_.second_moment().begin(), optimizer_.second_moment().end());
  state.adam_step = optimizer_.step_count();
  state.data = data_.position();
  state.loss_history = loss_history_;
  // threads: recorded for the record (results do not depend on it: layers.hpp sums in a fixed order).
  // The bookkeeping fields too, so that a resume given none of them continues as this run did.
  state.trainer_config = {{"trajectory", config_.trajectory_json()},
                          {"steps", config_.steps},
                          {"checkpoint_every", config_.checkpoint_every},
                          {"log_every", config_.log_every},
                          {"validation_batches", config_.validation_batches},
                          {"threads", omp_get_max_threads()},
                          {"ranks", gradient_.comm().size()}};
  state.data_source = {{"source", data_.source()},
                       {"fingerprint", data_.fingerprint()},
                       {"tokens", data_.size()},
                       {"validation_tokens", data_.validation_tokens()}};
  save_checkpoint(checkpoint_path_, model_, {run_id_, step_, extra_metadata_}, state);
  last_checkpoint_step_ = step_;
}

template <class Scalar>
trainer<Scalar>::trainer(trainer_config config, token_windows data, gpt<Scalar> model)
    : config_(std::move(config)), data_(std::move(data)), model_(std::move(model)),
      optimizer_(model_.layout(), config_.optimizer), gradient_(config_.gradient_block) {
  config_.validate();
}

template <class Scalar>
std::string trainer<Scalar>::new_run_id() {
  std::random_device device;
  const std::uint64_t high = device(), low = device();
  const auto now = static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  return to_hex(((high << 32) ^ low) ^ (now * 0x9e3779b97f4a7c15ULL));
}

template <class Scalar>
void trainer<Scalar>::stop_for_interrupt(int signal_number) {
  std::string message = std::string("interrupted by ") + signal_name(signal_number) + " after step " +
                        std::to_string(step_) + " of " + std::to_string(config_.steps);
  if (checkpoint_path_.empty()) {
    message += "; nothing saved (no checkpoint path)";
  } else {
    checkpoint();
    gradient_.comm().barrier();  // no rank ends the job before rank 0's checkpoint is on disk
    message += ": checkpoint written to " + checkpoint_path_.string() +
               "; continue with the same command and --resume";
  }
  throw interrupted(signal_number, message);
}

template <class Scalar>
void trainer<Scalar>::prepare_checkpoint_folder() const {
  const std::filesystem::path folder =
      checkpoint_path_.has_parent_path() ? checkpoint_path_.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec))
    throw file_error(checkpoint_path_.string(), "the folder '" + folder.string() +
                                                    "' does not exist; create it before training (nothing was trained)");
  if (::access(folder.c_str(), W_OK) != 0)
    throw file_error(checkpoint_path_.string(), "the folder '" + folder.string() + "' is not writable (nothing was trained)");
  recover_checkpoint(checkpoint_path_);
  // A pair (weights, two AdamW moments, the loss history, headers) plus its temporaries during a save.
  const double parameters = static_cast<double>(model_.parameters().size());
  const double pair = 3.0 * sizeof(Scalar) * parameters + 8.0 * static_cast<double>(config_.steps) + 1048576.0;
  require_disk(2.0 * pair, checkpoint_path_, "checkpointing this run");
}

template <class Scalar>
void trainer<Scalar>::diverged(const std::string& what, const std::string& detail) {
  std::string message = "training diverged at step " + std::to_string(step_ + 1) + ": " + detail;
  if (last_checkpoint_step_ >= 0)
    message += "; the last good checkpoint (step " + std::to_string(last_checkpoint_step_) + ") is " +
               checkpoint_path_.string();
  else
    message += "; no checkpoint was written";
  throw training_diverged(step_ + 1, what, message);
}

template <class Scalar>
void trainer<Scalar>::log_line(const step_report& r) {
  nlohmann::json j = {{"step", r.step},           {"loss", r.loss},
                      {"lr", r.learning_rate},    {"grad_norm", r.gradient_norm},
                      {"tokens_per_s", r.tokens_per_second}, {"elapsed_s", r.elapsed_seconds}};
  terminal_line::write_log_line(*log_, j.dump());  // clears and redraws the bar: never on one line with it
}

}  // namespace induct::nn
