#pragma once
// One experiment run end to end: sample a corpus from the setup, train a GPT on it, evaluate it
// on the ICL task suite against the idealized predictor. The demo and every sweep point are runs.
//
// A run is a pure function of its run_config (corpus and model seeds included): the corpus is
// drawn from random_engine::for_stream(corpus_seed, corpus_stream), training is deterministic
// for a seed, and the evaluation prompts come from their own seed.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/fields.hpp"
#include "induct/core/linkage.hpp"
#include "induct/experiment/evaluate.hpp"
#include "induct/experiment/learning_curve.hpp"
#include "induct/experiment/report.hpp"
#include "induct/nn/data_parallel.hpp"
#include "induct/nn/gpt_config.hpp"
#include "induct/nn/trainer.hpp"
#include "induct/setup/config.hpp"
#include "induct/setup/document_model.hpp"

namespace induct::nn {
template <class Scalar>
class gpt;
}  // namespace induct::nn
namespace induct::setup {
class task;
class vocabulary;
class world;
}  // namespace induct::setup

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
  // Seen chains (lookup, compose2) and held-out ones of the same depth (novel2), in both formats.
  std::vector<task_spec> tasks = {{"lookup", setup::list_format::direct},
                                  {"compose2", setup::list_format::direct},
                                  {"compose2", setup::list_format::stepwise},
                                  {"novel2", setup::list_format::direct},
                                  {"novel2", setup::list_format::stepwise}};
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
  INDUCT_DECLARE void validate() const;

  /// The run's record (hashed into sweep point keys: keep the shape). "training" is the trajectory
  /// (decay_steps resolved), "steps" beside it; "evaluation" holds examples, prompts and prompt_seed;
  /// "loss_weights" only for a weighted loss. The bookkeeping fields (checkpoint_every, log_every,
  /// validation_batches, evaluation batch and alpha) are not in it.
  INDUCT_DECLARE [[nodiscard]] nlohmann::json to_json() const;

  /// Inverse of to_json, strict: reads the keys present over the defaults (inside "training", "evaluation"
  /// and "loss_weights" too), so from_json(to_json(c)).to_json() == to_json(c). Unknown keys (also those
  /// to_json leaves out, such as training.log_every), wrong types and out-of-range values are config_errors
  /// naming the dotted key ("training.optimizer.eps", "tasks[1].format"). "tasks", when present, replaces
  /// the default list; each entry needs exactly "task" and "format". A decay_steps equal to steps comes back
  /// as 0 (= steps, the same schedule), so a changed steps moves the horizon as it does for a fresh config.
  /// The bookkeeping fields keep their defaults. Validates the result.
  INDUCT_DECLARE static run_config from_json(const nlohmann::json& j);

  [[nodiscard]] bool weighted_loss() const noexcept { return answer_loss_weight != 1.0 || input_loss_weight != 1.0; }

 private:
  INDUCT_DECLARE static std::vector<task_spec> tasks_from_json(const nlohmann::json& list);
};

struct run_result {
  result_table table;                    // evaluation_columns()
  nn::training_summary training;         // seconds and tokens/s without the learning curve's evaluations
  std::vector<double> loss_history;      // each step's training loss (nats)
  std::vector<std::string> skipped;      // (task, format, n) left out of the evaluation
  result_table curve;                    // learning_curve_columns(); no rows without a curve
  std::vector<std::string> curve_skipped;  // (task, format, n) left out of the curve
  double corpus_seconds = 0, training_seconds = 0, evaluation_seconds = 0, curve_seconds = 0;
  std::uint64_t parameters = 0;
};

/// Hooks for progress reporting; all optional.
struct run_hooks {
  std::function<void(const std::string& phase)> on_phase;             // "corpus", "train", "evaluate"
  std::function<void(const nn::step_report&)> on_step;
  std::function<void(std::size_t done, std::size_t total)> on_evaluation_progress;
  bool training_progress_bar = false;
  std::filesystem::path checkpoint;  // where to write the trained model ("" = nowhere)
  nn::communicator* processes = nullptr;  // an MPI job's ranks train as one (nn/data_parallel.hpp); null: alone
};

/// Samples the corpus of `config` into memory.
INDUCT_DECLARE std::vector<std::uint16_t> sample_corpus_tokens(const setup::world& world, std::uint64_t seed,
                                                               std::uint64_t tokens);

/// Per-token loss weights for `tokens` (the weight of predicting token i): `answer` on tokens right after
/// ':', `input` on entities right after '[' or ';' (list inputs), 1 elsewhere.
INDUCT_DECLARE std::vector<float> role_loss_weights(const std::vector<std::uint16_t>& tokens, const setup::vocabulary& vocab,
                                                    double answer, double input);

/// The evaluation tasks of a run (setup::task::by_name; novel tasks pose the held-out chains of the
/// document model's configuration).
INDUCT_DECLARE std::vector<setup::task> make_tasks(const std::vector<task_spec>& specs, const setup::document_model& document);

/// Evaluates a trained model of `world` on the task suite against the idealized predictor: the
/// evaluation step of run_experiment, and of `induct evaluate` on a model file (so both give the
/// same table for the same model, prompts and seed). Columns: evaluation_columns(), then
/// exposure_columns() (experiment/exposure.hpp; the counts from `corpus_sidecar`, missing without it).
template <class Scalar>
result_table evaluate_trained_model(nn::gpt<Scalar>& model, const setup::world& world, const std::vector<task_spec>& specs,
                                    const evaluation_options& options, std::vector<std::string>* skipped = nullptr,
                                    const nlohmann::json* corpus_sidecar = nullptr);
// Compiled mode (INDUCT_COMPILED_LIB): defined for Scalar = float only, in src/experiment_evaluation.cpp.
INDUCT_EXTERN_TEMPLATE(result_table evaluate_trained_model<float>(nn::gpt<float>&, const setup::world&,
                                                                  const std::vector<task_spec>&, const evaluation_options&,
                                                                  std::vector<std::string>*, const nlohmann::json*))

/// Runs corpus -> training -> evaluation; with an enabled `curve` also the learning curve
/// (experiment/learning_curve.hpp) along the training, which leaves the trajectory unchanged.
INDUCT_DECLARE run_result run_experiment(run_config config, const run_hooks& hooks = {},
                                         const learning_curve_config& curve = {});

/// The setup config stored in a model file written by run_experiment (or `induct train`), read from
/// its header only; file_error naming the file if it records none.
INDUCT_DECLARE setup::setup_config setup_config_of_checkpoint(const std::filesystem::path& model_file);

}  // namespace induct::experiment

#if INDUCT_HEADER_ONLY
#include "induct/experiment/detail/pipeline_impl.hpp"
#endif
