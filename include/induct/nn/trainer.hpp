#pragma once
// The GPT training loop. Step s (0-based) does, in nanoGPT's order:
//   batch_s = next random windows;  loss_s = forward(batch_s);  gradients = backward();
//   n_s = global gradient norm, gradients *= min(1, clip / (n_s + 1e-6));  lr_s = schedule(s);  AdamW step.
// Everything a step depends on (parameters, AdamW moments and counter, the data sampler's engine state,
// s) is in the checkpoint, so resuming from step k gives bit-for-bit the parameters of an uninterrupted
// run, on any thread count (layers.hpp sums in a fixed order). A non-finite loss or gradient stops
// training with a training_diverged error naming the step and the first bad tensor; checkpoints are only
// written from finite parameters, so the last good one survives.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <ostream>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <omp.h>

#include "induct/core/error.hpp"
#include "induct/core/fields.hpp"
#include "induct/core/hash.hpp"
#include "induct/core/progress.hpp"
#include "induct/nn/adamw.hpp"
#include "induct/nn/checkpoint.hpp"
#include "induct/nn/data.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/nn/lr_schedule.hpp"

namespace induct::nn {

/// Hyper-parameters of a training run (model shape is gpt_config's).
struct trainer_config {
  int batch = 16;
  std::int64_t steps = 2000;
  double learning_rate = 1e-3;
  double min_learning_rate = 1e-4;  // cosine floor
  std::int64_t warmup_steps = 100;
  std::int64_t decay_steps = 0;     // cosine horizon; 0 = steps (fixed at the start of a run)
  adamw_config optimizer;
  double grad_clip = 1.0;           // global-norm clip; 0 = off
  std::uint64_t seed = 1;           // model initialisation and data sampling
  std::int64_t checkpoint_every = 0;  // 0 = only at the end
  std::int64_t log_every = 100;       // 0 = no JSON log lines
  int validation_batches = 50;        // cap on validation batches at the end (0 = none)

  /// Every field once, in declaration order (core/fields.hpp); the optimizer's fields nest under
  /// "optimizer" (options weight-decay, beta1, beta2, eps).
  template <class Self, class Visit>
  static void for_each_field(Self& self, Visit&& visit) {
    visit(field_info{"batch", "batch", "windows per training step", 1, 1 << 20}, self.batch);
    visit(field_info{"steps", "steps", "training steps", 0}, self.steps);
    visit(field_info{"learning_rate", "lr", "peak learning rate (after warmup)", above_zero, finite_max}, self.learning_rate);
    visit(field_info{"min_learning_rate", "min-lr", "floor of the cosine decay (<= lr)", 0, finite_max},
          self.min_learning_rate);
    visit(field_info{"warmup_steps", "warmup", "steps of linear warmup", 0}, self.warmup_steps);
    visit(field_info{"decay_steps", "decay-steps", "cosine horizon in steps; 0 = steps", 0}, self.decay_steps);
    visit(field_info{"optimizer", nullptr, "AdamW settings"}, self.optimizer);
    visit(field_info{"grad_clip", "grad-clip", "global gradient-norm clip; 0 = off", 0, finite_max}, self.grad_clip);
    visit(field_info{"seed", "seed", "seed of the model initialisation and data sampling"}, self.seed);
    visit(field_info{"checkpoint_every", "checkpoint-every", "steps between checkpoints; 0 = only at the end", 0},
          self.checkpoint_every);
    visit(field_info{"log_every", "log-every", "steps between JSON log lines; 0 = none", 0}, self.log_every);
    visit(field_info{"validation_batches", "validation-batches", "cap on validation batches at the end; 0 = none", 0},
          self.validation_batches);
  }

  /// Throws config_error naming the first invalid field: the field bounds, min_learning_rate <= learning_rate,
  /// the schedule and the optimizer's own rules.
  void validate() const {
    check_field_bounds(*this);
    if (!(min_learning_rate <= learning_rate))
      throw config_error("min_learning_rate", "must be <= learning_rate " + format_number(learning_rate) + ", got " +
                                                  format_number(min_learning_rate));
    schedule().validate();
    optimizer.validate();
  }

  /// Every field (the trajectory, steps and the bookkeeping fields).
  [[nodiscard]] nlohmann::json to_json() const { return fields_to_json(*this); }

  /// Reads the fields present in `j` over the defaults, then validates; strict as setup_config's.
  static trainer_config from_json(const nlohmann::json& j) {
    trainer_config c;
    fields_from_json(c, j);
    c.validate();
    return c;
  }

  /// Inverse of trajectory_json: `trajectory` must hold exactly its keys (optimizer too), the other fields
  /// take their defaults and steps is `steps` (a state file's trainer_config is {"trajectory": ..., "steps": N}).
  /// decay_steps comes back as stored (resolved, > 0), so trajectory_json() reproduces `trajectory`.
  /// config_error naming the key (under `path`, e.g. "training.seed") otherwise.
  static trainer_config from_trajectory_json(const nlohmann::json& trajectory, std::int64_t steps,
                                             std::string_view path = {}) {
    trainer_config c;
    c.steps = steps;
    require_same_keys(c.trajectory_json(), trajectory, path);
    fields_from_json(c, trajectory, path);
    c.validate();
    return c;
  }

  [[nodiscard]] lr_schedule schedule() const {
    return {learning_rate, min_learning_rate, warmup_steps, decay_steps > 0 ? decay_steps : steps};
  }

  /// The fields that define the trajectory (a resumed run must agree on them).
  [[nodiscard]] nlohmann::json trajectory_json() const {
    return {{"batch", batch},
            {"learning_rate", learning_rate},
            {"min_learning_rate", min_learning_rate},
            {"warmup_steps", warmup_steps},
            {"decay_steps", decay_steps > 0 ? decay_steps : steps},
            {"optimizer", optimizer.to_json()},
            {"grad_clip", grad_clip},
            {"seed", seed}};
  }
};

/// Training stopped on a non-finite value.
class training_diverged : public error {
 public:
  training_diverged(std::int64_t step, std::string what_went_bad, const std::string& message)
      : error(message), step_(step), bad_(std::move(what_went_bad)) {}
  [[nodiscard]] std::int64_t step() const noexcept { return step_; }
  /// "loss", "gradient of <tensor>" or "parameter <tensor>".
  [[nodiscard]] const std::string& bad_value() const noexcept { return bad_; }

 private:
  std::int64_t step_;
  std::string bad_;
};

/// The first tensor of `layout` holding a NaN or infinity in `values`, or "" if all are finite.
template <class Scalar>
std::string first_non_finite_tensor(const std::vector<tensor_info>& layout, std::span<const Scalar> values) {
  for (const auto& t : layout)
    for (std::size_t i = t.offset; i < t.offset + t.size; ++i)
      if (!std::isfinite(values[i])) return t.name;
  return "";
}

/// What one finished step reports (to callbacks and the JSON log).
struct step_report {
  std::int64_t step = 0;   // steps done, 1-based
  double loss = 0;         // training loss of this step's batch (before the update)
  double learning_rate = 0;
  double gradient_norm = 0;  // before clipping
  double tokens_per_second = 0;
  double elapsed_seconds = 0;
};

/// Outcome of train().
struct training_summary {
  std::int64_t steps = 0;
  double final_loss = 0;        // mean training loss of the last min(100, steps) steps
  double validation_loss = std::nan("");  // NaN when there is no validation split
  std::size_t validation_tokens = 0;
  double tokens_per_second = 0;  // over this session's steps
  double seconds = 0;
  [[nodiscard]] nlohmann::json to_json() const {
    nlohmann::json j = {{"steps", steps}, {"final_loss", final_loss}, {"validation_tokens", validation_tokens},
                        {"tokens_per_s", tokens_per_second}, {"seconds", seconds}};
    j["validation_loss"] = std::isfinite(validation_loss) ? nlohmann::json(validation_loss) : nlohmann::json(nullptr);
    return j;
  }
};

template <class Scalar>
class trainer {
 public:
  /// A fresh run: the model is initialised from config.seed and the data sampler seeded from it.
  trainer(const gpt_config& model_config, trainer_config config, token_windows data)
      : config_(std::move(config)), data_(std::move(data)), model_(model_config),
        optimizer_(model_.layout(), config_.optimizer) {
    config_.validate();
    if (config_.decay_steps == 0) config_.decay_steps = config_.steps;  // fix the horizon for resumes
    model_.initialize(config_.seed);
    data_.seed(config_.seed);
    run_id_ = new_run_id();
  }

  /// Continues the run checkpointed at `model_path`. `config` may change steps, checkpoint_every,
  /// log_every and validation_batches; every trajectory field must equal the stored one, and the data
  /// must be the same (fingerprint), else config_error / file_error saying which.
  static trainer resume(const std::filesystem::path& model_path, const gpt_config* expected_model,
                        trainer_config config, token_windows data) {
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

  [[nodiscard]] gpt<Scalar>& model() noexcept { return model_; }
  [[nodiscard]] const gpt<Scalar>& model() const noexcept { return model_; }
  [[nodiscard]] const trainer_config& config() const noexcept { return config_; }
  [[nodiscard]] std::int64_t step() const noexcept { return step_; }
  [[nodiscard]] const std::vector<double>& loss_history() const noexcept { return loss_history_; }
  [[nodiscard]] const std::string& run_id() const noexcept { return run_id_; }
  [[nodiscard]] const token_windows& data() const noexcept { return data_; }

  /// Extra string metadata stored in every checkpoint's model file (e.g. "vocabulary", "setup_config").
  void set_metadata(const std::string& key, const std::string& value) { extra_metadata_[key] = value; }
  /// Where checkpoints go ("" = nowhere).
  void set_checkpoint_path(std::filesystem::path path) { checkpoint_path_ = std::move(path); }
  /// JSON log lines (one object per line) go to `log` every config.log_every steps.
  void set_log(std::ostream* log) noexcept { log_ = log; }
  /// Called after every step (e.g. for custom evaluation).
  void set_step_callback(std::function<void(const step_report&)> callback) { callback_ = std::move(callback); }
  void set_progress(bool show) noexcept { show_progress_ = show; }
  /// Changes the planned number of steps (the cosine horizon stays fixed).
  void set_steps(std::int64_t steps) {
    if (steps < 0) throw config_error("steps", "must be >= 0");
    config_.steps = steps;
  }

  /// Runs steps until config.steps, checkpointing every config.checkpoint_every steps and at the end,
  /// then measures the validation loss.
  training_summary train() {
    const int B = config_.batch, T = model_.config().context_length;
    model_.reserve(B, T);
    const auto schedule = config_.schedule();
    progress_bar bar("train", static_cast<double>(config_.steps), show_progress_ && ::isatty(2) != 0);
    const auto start = std::chrono::steady_clock::now();
    const std::int64_t first_step = step_;
    token_batch batch;
    while (step_ < config_.steps) {
      data_.next_training_batch(B, T, batch);
      const Scalar loss = model_.forward(batch.inputs.data(), batch.targets.data(), B, T,
                                         batch.loss_weights.empty() ? nullptr : weights(batch));
      if (!std::isfinite(loss)) diverged("loss", "the training loss is " + std::to_string(static_cast<double>(loss)));
      model_.zero_gradients();
      model_.backward();
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
      if (log_ && config_.log_every > 0 && (step_ % config_.log_every == 0 || step_ == config_.steps)) log_line(report);
      if (config_.checkpoint_every > 0 && step_ % config_.checkpoint_every == 0 && step_ < config_.steps) checkpoint();
      if (callback_) callback_(report);
      char detail[128];
      std::snprintf(detail, sizeof detail, "step %lld loss %.4f | %.0f tok/s", static_cast<long long>(step_),
                    report.loss, report.tokens_per_second);
      bar.update(static_cast<double>(step_), detail);
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

  /// Mean loss over up to config.validation_batches batches of the validation split's windows, weighted
  /// by target count (or loss weight); (NaN, 0) when the split has no whole window.
  std::pair<double, std::size_t> validation_loss() {
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

  /// Writes the checkpoint pair now (to the checkpoint path), refusing non-finite parameters.
  void checkpoint() {
    if (checkpoint_path_.empty()) throw error("trainer checkpoint: no checkpoint path set");
    if (const auto bad = first_non_finite_tensor<Scalar>(model_.layout(), model_.parameters()); !bad.empty())
      diverged("parameter " + bad, "parameter " + bad + " is not finite; checkpoint not written");
    training_state<Scalar> state;
    state.adam_m.assign(optimizer_.first_moment().begin(), optimizer_.first_moment().end());
    state.adam_v.assign(optimizer_.second_moment().begin(), optimizer_.second_moment().end());
    state.adam_step = optimizer_.step_count();
    state.data = data_.position();
    state.loss_history = loss_history_;
    // threads: recorded for the record (results do not depend on it: layers.hpp sums in a fixed order).
    state.trainer_config = {{"trajectory", config_.trajectory_json()}, {"steps", config_.steps},
                            {"threads", omp_get_max_threads()}};
    state.data_source = {{"source", data_.source()},
                         {"fingerprint", data_.fingerprint()},
                         {"tokens", data_.size()},
                         {"validation_tokens", data_.validation_tokens()}};
    save_checkpoint(checkpoint_path_, model_, {run_id_, step_, extra_metadata_}, state);
    last_checkpoint_step_ = step_;
  }

  /// Step of the last checkpoint this trainer wrote or resumed from (-1 if none).
  [[nodiscard]] std::int64_t last_checkpoint_step() const noexcept { return last_checkpoint_step_; }

 private:
  trainer(trainer_config config, token_windows data, gpt<Scalar> model)
      : config_(std::move(config)), data_(std::move(data)), model_(std::move(model)),
        optimizer_(model_.layout(), config_.optimizer) {
    config_.validate();
  }

  static std::string new_run_id() {
    std::random_device device;
    const std::uint64_t high = device(), low = device();
    const auto now = static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
    return to_hex(((high << 32) ^ low) ^ (now * 0x9e3779b97f4a7c15ULL));
  }

  const Scalar* weights(const token_batch& batch) {
    if constexpr (std::is_same_v<Scalar, float>) {
      return batch.loss_weights.data();
    } else {
      weight_buffer_.assign(batch.loss_weights.begin(), batch.loss_weights.end());
      return weight_buffer_.data();
    }
  }

  [[noreturn]] void diverged(const std::string& what, const std::string& detail) {
    std::string message = "training diverged at step " + std::to_string(step_ + 1) + ": " + detail;
    if (last_checkpoint_step_ >= 0)
      message += "; the last good checkpoint (step " + std::to_string(last_checkpoint_step_) + ") is " +
                 checkpoint_path_.string();
    else
      message += "; no checkpoint was written";
    throw training_diverged(step_ + 1, what, message);
  }

  void log_line(const step_report& r) {
    nlohmann::json j = {{"step", r.step},           {"loss", r.loss},
                        {"lr", r.learning_rate},    {"grad_norm", r.gradient_norm},
                        {"tokens_per_s", r.tokens_per_second}, {"elapsed_s", r.elapsed_seconds}};
    (*log_) << j.dump() << '\n';
    log_->flush();
  }

  trainer_config config_;
  token_windows data_;
  gpt<Scalar> model_;
  adamw<Scalar> optimizer_;
  std::string run_id_;
  std::int64_t step_ = 0;
  std::int64_t last_checkpoint_step_ = -1;
  std::vector<double> loss_history_;
  std::map<std::string, std::string> extra_metadata_;
  std::filesystem::path checkpoint_path_;
  std::ostream* log_ = nullptr;
  std::function<void(const step_report&)> callback_;
  bool show_progress_ = true;
  std::vector<Scalar> weight_buffer_;
};

}  // namespace induct::nn
