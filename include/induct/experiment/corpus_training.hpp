#pragma once
// Training the GPT on a corpus file (setup/corpus.hpp), as `induct train` does: a new run, or the
// continuation of a checkpoint. What it adds to nn::trainer is the corpus's side:
//   - the model's vocab_size is the corpus header's vocabulary size;
//   - the corpus sidecar, when present, is validated (its world fingerprint recomputed from its config)
//     and its world recorded in the checkpoint (token names, setup config, world fingerprint), so that
//     generate, logits, evaluate and probe know the world without further flags; a grammar corpus's
//     sidecar (setup/grammar_corpus.hpp, "source": "grammar") is validated likewise (its text parses, its
//     fingerprint is the text's) and its grammar recorded instead ("vocabulary", "grammar",
//     "grammar_fingerprint"), for `induct evaluate --grammar`; the weighted loss is refused on it;
//   - the memory a run needs (parameters, gradients, AdamW moments, activations, the corpus) is checked
//     against the memory available before anything is allocated;
//   - a resumed run takes every setting it is not given from its checkpoint (stored_training);
//   - the loss is the plain next-token loss unless answer or input weights are set: then each target
//     token's loss is weighted by its role (experiment::role_loss_weights: a after ':', x after '[' or ';'),
//     which needs the sidecar's vocabulary; the weights are recorded ("loss_weights") and a resumed run
//     must use the checkpoint's.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "induct/core/linkage.hpp"
#include "induct/nn/gpt_config.hpp"
#include "induct/nn/data_parallel.hpp"
#include "induct/nn/trainer.hpp"

namespace induct::experiment {

/// Bytes a training run of `model` with `batch` windows needs, about: parameters, gradients and the two
/// AdamW moments (4 P floats), the block-tree's partial sums ((height + 1) P floats, height =
/// ceil(log2 ceil(B / gradient_block)), nn/data_parallel.hpp), the activations and backward's scratch for
/// one block of min(B, gradient_block) x T (nn::gpt's size tables), and `corpus_tokens` uint16 tokens held
/// in memory (plus one float weight each when `weighted`). gradient_block <= 0: one block of B.
INDUCT_DECLARE double training_memory_bytes(const nn::gpt_config& model, int batch, std::uint64_t corpus_tokens,
                                            bool weighted = false, int gradient_block = 0);

/// What a training run on a corpus is.
struct corpus_training {
  std::filesystem::path corpus;      // INDUCTTK token file (its sidecar FILE.json is optional)
  std::filesystem::path checkpoint;  // model file written (and its .state beside it)
  nn::gpt_config model;              // vocab_size is replaced by the corpus's
  nn::trainer_config training;
  double validation_fraction = 0.05;
  bool resume = false;               // continue `checkpoint` (model and training must match it)
  bool overwrite = false;            // a new run may replace an existing `checkpoint` (else file_error)
  double answer_loss_weight = 1.0;   // loss weight of tokens right after ':' (1 and 1: the plain loss)
  double input_loss_weight = 1.0;    // loss weight of list inputs x (entities right after '[' or ';')
  [[nodiscard]] bool weighted_loss() const noexcept { return answer_loss_weight != 1.0 || input_loss_weight != 1.0; }
};

/// The model and training configuration a checkpoint pair was written with (headers only: no weights).
struct stored_training {
  nn::gpt_config model;
  nn::trainer_config training;
  double answer_loss_weight = 1.0;  // "loss_weights" (absent: the plain loss)
  double input_loss_weight = 1.0;
};
INDUCT_DECLARE stored_training read_stored_training(const std::filesystem::path& checkpoint);

/// Where a run reports: JSON log lines every trainer_config::log_every steps, and a progress bar; and the
/// processes of a data-parallel job (nn/data_parallel.hpp; null = this process alone): every rank calls
/// train_on_corpus with the same run, and only rank 0 writes the log, the checkpoints and the loss plot.
struct training_output {
  std::ostream* log = nullptr;
  bool progress_bar = true;
  nn::communicator* processes = nullptr;
};

struct corpus_training_result {
  nn::training_summary summary;
  std::vector<double> loss_history;  // every step's training loss since step 1 (resumed runs too)
  std::string run_id;
  nn::gpt_config model;
  std::size_t parameters = 0;
};

/// The training figures of a console summary, each saying what it is: "training loss 2.3012 nats (mean of
/// the last 100 steps), validation loss 2.3468 nats (2048 held-out tokens), 41000 tokens/s over 1.9 s"
/// ("no validation split" when there is none; the window is min(100, steps), as nn::trainer averages).
INDUCT_DECLARE std::string training_figures_text(const nn::training_summary& summary);

/// Trains (or resumes) as `run` says and writes the checkpoint, and beside it CHECKPOINT.loss.svg (the
/// training loss against the step, experiment/evaluation_plots.hpp); see the header comment for what is checked.
INDUCT_DECLARE corpus_training_result train_on_corpus(corpus_training run, const training_output& output);

}  // namespace induct::experiment

#if INDUCT_HEADER_ONLY
#include "induct/experiment/detail/corpus_training_impl.hpp"
#endif
