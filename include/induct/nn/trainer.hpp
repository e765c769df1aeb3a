#pragma once
// The GPT training loop. Step s (0-based) does, in nanoGPT's order:
//   batch_s = next random windows;  loss_s = forward(batch_s);  gradients = backward();
//   n_s = global gradient norm, gradients *= min(1, clip / (n_s + 1e-6));  lr_s = schedule(s);  AdamW step.
// Everything a step depends on (parameters, AdamW moments and counter, the data sampler's engine state,
// s) is in the checkpoint, so resuming from step k gives bit-for-bit the parameters of an uninterrupted
// run, on any thread count (layers.hpp sums in a fixed order) and any rank count (the block tree fixes
// the order across blocks; every rank steps the same AdamW on the same gradient, rank 0 alone writes
// checkpoints and log lines). A non-finite loss or gradient stops
// training with a training_diverged error naming the step and the first bad tensor; checkpoints are only
// written from finite parameters, so the last good one survives.
// Faults (issue 15): the checkpoint pair commits as a unit (checkpoint.hpp), so a kill at any instant
// leaves one that resume continues exactly; train() checks the checkpoint folder (exists, writable,
// room for a pair and its temporaries) before the first step; when core/interrupt.hpp's handlers are
// installed, SIGINT or SIGTERM ends train() after the step in flight with a checkpoint and `interrupted`.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/core/fields.hpp"
#include "induct/core/linkage.hpp"
#include "induct/nn/adamw.hpp"
#include "induct/nn/checkpoint.hpp"
#include "induct/nn/data.hpp"
#include "induct/nn/data_parallel.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/nn/gpt_config.hpp"
#include "induct/nn/lr_schedule.hpp"
#include "induct/nn/parameters.hpp"

namespace induct::nn {

/// Hyper-parameters of a training run (model shape is gpt_config's).
struct trainer_config {
  int batch = 16;
  int gradient_block = 8;  // sequences per leaf of the gradient's summation tree (data_parallel.hpp)
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
    visit(field_info{"gradient_block", "gradient-block",
                     "sequences per block of the gradient's fixed summation tree (results do not depend on "
                     "threads or MPI ranks; ranks split the blocks)", 1, 1 << 20},
          self.gradient_block);
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
  INDUCT_DECLARE void validate() const;

  /// Every field (the trajectory, steps and the bookkeeping fields).
  INDUCT_DECLARE [[nodiscard]] nlohmann::json to_json() const;

  /// Reads the fields present in `j` over the defaults, then validates; strict as setup_config's.
  INDUCT_DECLARE static trainer_config from_json(const nlohmann::json& j);

  /// Inverse of trajectory_json: `trajectory` must hold exactly its keys (optimizer too), the other fields
  /// take their defaults and steps is `steps` (a state file's trainer_config is {"trajectory": ..., "steps": N}).
  /// decay_steps comes back as stored (resolved, > 0), so trajectory_json() reproduces `trajectory`.
  /// config_error naming the key (under `path`, e.g. "training.seed") otherwise.
  INDUCT_DECLARE static trainer_config from_trajectory_json(const nlohmann::json& trajectory, std::int64_t steps,
                                                            std::string_view path = {});

  /// The configuration a state file's trainer_config records ({"trajectory": ..., "steps": N,
  /// "checkpoint_every": K, "log_every": L, "validation_batches": V}): from_trajectory_json, then the three
  /// bookkeeping fields where recorded (older state files lack them: defaults). config_error naming the key.
  INDUCT_DECLARE static trainer_config from_checkpoint_json(const nlohmann::json& stored, std::string_view path = {});

  [[nodiscard]] lr_schedule schedule() const {
    return {learning_rate, min_learning_rate, warmup_steps, decay_steps > 0 ? decay_steps : steps};
  }

  /// The fields that define the trajectory (a resumed run must agree on them).
  INDUCT_DECLARE [[nodiscard]] nlohmann::json trajectory_json() const;
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
  INDUCT_DECLARE [[nodiscard]] nlohmann::json to_json() const;
};

template <class Scalar>
class trainer {
 public:
  /// A fresh run: the model is initialised from config.seed and the data sampler seeded from it.
  trainer(const gpt_config& model_config, trainer_config config, token_windows data);

  /// Continues the run checkpointed at `model_path`. `config` may change steps, checkpoint_every,
  /// log_every and validation_batches; every trajectory field must equal the stored one, and the data
  /// must be the same (fingerprint), else config_error / file_error saying which.
  static trainer resume(const std::filesystem::path& model_path, const gpt_config* expected_model,
                        trainer_config config, token_windows data);

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
  /// The processes this run's steps are split over (default single_process(); `comm` must outlive the
  /// trainer). Every rank must construct the same trainer and call train(): the gradient exchange is
  /// collective. Only rank 0 writes checkpoints, log lines and the progress bar.
  void set_communicator(communicator& comm) { gradient_ = batch_gradient<Scalar>(config_.gradient_block, comm); }
  [[nodiscard]] bool writes_files() const noexcept { return gradient_.comm().rank() == 0; }
  /// Changes the planned number of steps (the cosine horizon stays fixed).
  void set_steps(std::int64_t steps) {
    if (steps < 0) throw config_error("steps", "must be >= 0");
    config_.steps = steps;
  }

  /// Runs steps until config.steps, checkpointing every config.checkpoint_every steps and at the end,
  /// then measures the validation loss. With a checkpoint path: file_error before the first step when its
  /// folder is missing or not writable, resource_error when the disk cannot hold a checkpoint pair; after
  /// an interrupt request (core/interrupt.hpp) it checkpoints the finished step and throws `interrupted`.
  training_summary train();

  /// Mean loss over up to config.validation_batches batches of the validation split's windows, weighted
  /// by target count (or loss weight); (NaN, 0) when the split has no whole window.
  std::pair<double, std::size_t> validation_loss();

  /// Writes the checkpoint pair now (to the checkpoint path), refusing non-finite parameters.
  void checkpoint();

  /// Step of the last checkpoint this trainer wrote or resumed from (-1 if none).
  [[nodiscard]] std::int64_t last_checkpoint_step() const noexcept { return last_checkpoint_step_; }

 private:
  trainer(trainer_config config, token_windows data, gpt<Scalar> model);

  static std::string new_run_id();

  const Scalar* weights(const token_batch& batch) {
    if constexpr (std::is_same_v<Scalar, float>) {
      return batch.loss_weights.data();
    } else {
      weight_buffer_.assign(batch.loss_weights.begin(), batch.loss_weights.end());
      return weight_buffer_.data();
    }
  }

  [[noreturn]] void diverged(const std::string& what, const std::string& detail);
  [[noreturn]] void stop_for_interrupt(int signal_number);
  void prepare_checkpoint_folder() const;

  void log_line(const step_report& r);

  trainer_config config_;
  token_windows data_;
  gpt<Scalar> model_;
  adamw<Scalar> optimizer_;
  batch_gradient<Scalar> gradient_;
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
INDUCT_EXTERN_TEMPLATE(class trainer<float>)

}  // namespace induct::nn

#if INDUCT_HEADER_ONLY
#include "induct/nn/detail/trainer_impl.hpp"
#endif
