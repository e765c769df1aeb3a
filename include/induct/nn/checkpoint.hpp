#pragma once
// GPT checkpoints: a model file and a companion training-state file, both safetensors.
//
// Model file (e.g. model.safetensors): one tensor per parameter, nanoGPT names and PyTorch layouts
// (parameters.hpp), F32 for a float model, so a nanoGPT-style PyTorch model (untied lm_head, biases
// on) loads it with load_state_dict. __metadata__ (keys named once, in checkpoint_keys):
//   "format"     "induct-gpt-1"
//   "config"     gpt_config JSON
//   "run_id"     16 hex digits, fixed for a training run (kept across resumes)
//   "step"       optimizer steps taken
//   "data_crc32" CRC-32 of the data section (8 hex digits): detects corruption the format cannot
//   any other keys the caller adds (checkpoint_info::extra); those of induct's writers:
//   "vocabulary" JSON array of token names, "setup_config" setup_config JSON, "world_fingerprint"
//   setup::world::fingerprint(), "run_config" experiment::run_config JSON, "corpus" the corpus path,
//   "loss_weights" {"answer": a, "input": b} (the training loss's role weights, induct train),
//   "corpus_fingerprint" the training corpus's content (setup::corpus_fingerprint, induct train);
//   a model trained on a grammar corpus (setup/grammar_corpus.hpp) records "vocabulary", "grammar" (the
//   canonical text) and "grammar_fingerprint" instead of the world's keys.
// State file (model path + ".state"): "adam.m", "adam.v" (flat, model layout), "data.rng_state" (U64[4]),
// "loss_history" (F64, one training loss per step); __metadata__ "format" "induct-gpt-state-1",
// "run_id", "step", "model_crc32" (data_crc32 of the model file it belongs to), "data_crc32",
// "adam_step", "data_batches_drawn", "trainer_config", "data_source".
//
// read_checkpoint_metadata and read_state_trainer_json read a file's header only (no tensor data, so
// no CRC check), with the header validation of the full read.
//
// save_checkpoint commits the pair so that a kill at any instant leaves a consistent one (issue 15):
//   1. the new state goes to model + ".state.next" (atomically: temporary, fsync, rename);
//   2. the new model file replaces the old one (atomically);
//   3. ".state.next" is renamed to ".state".
// Killed before 2: the old pair is intact (".state.next" pairs with nothing and is removed). Killed
// between 2 and 3: the new model pairs with ".state.next" (same run_id, step and model CRC), which
// recover_checkpoint renames into place. A reader of the model file alone always sees a whole file.
#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/core/linkage.hpp"
#include "induct/nn/data.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/nn/gpt_config.hpp"
#include "induct/nn/parameters.hpp"
#include "induct/nn/safetensors.hpp"

namespace induct::nn {

inline constexpr const char* model_checkpoint_format = "induct-gpt-1";
inline constexpr const char* state_checkpoint_format = "induct-gpt-state-1";

/// The __metadata__ keys of checkpoint files: every reader and writer names a key through these.
namespace checkpoint_keys {
// Reserved: written and read by this header only (model file; the state file has the first, third and fourth).
inline constexpr const char* format = "format";
inline constexpr const char* config = "config";
inline constexpr const char* run_id = "run_id";
inline constexpr const char* step = "step";
inline constexpr const char* data_crc32 = "data_crc32";
inline constexpr std::array<const char*, 5> reserved = {format, config, run_id, step, data_crc32};
// State file only.
inline constexpr const char* model_crc32 = "model_crc32";
inline constexpr const char* adam_step = "adam_step";
inline constexpr const char* data_batches_drawn = "data_batches_drawn";
inline constexpr const char* trainer_config = "trainer_config";  // {"trajectory": {...}, "steps": N}
inline constexpr const char* data_source = "data_source";
// Extra keys of a model file (checkpoint_info::extra), written by `induct train` and run_experiment.
inline constexpr const char* vocabulary = "vocabulary";                // JSON array of token names
inline constexpr const char* setup_config = "setup_config";            // setup::setup_config JSON
inline constexpr const char* world_fingerprint = "world_fingerprint";  // setup::world::fingerprint()
inline constexpr const char* run_config = "run_config";                // experiment::run_config JSON
inline constexpr const char* corpus = "corpus";                        // path of the training corpus
inline constexpr const char* loss_weights = "loss_weights";            // {"answer": a, "input": b} (induct train)
inline constexpr const char* corpus_fingerprint = "corpus_fingerprint";  // setup::corpus_fingerprint (induct train)
inline constexpr const char* grammar = "grammar";                          // canonical grammar text (grammar corpus)
inline constexpr const char* grammar_fingerprint = "grammar_fingerprint";  // setup::corpus_grammar::fingerprint()

/// True for the keys a caller may not set in checkpoint_info::extra.
inline bool is_reserved(std::string_view key) noexcept {
  for (const char* r : reserved)
    if (key == r) return true;
  return false;
}
}  // namespace checkpoint_keys

/// The companion training-state file of a model checkpoint.
inline std::filesystem::path state_path_for(const std::filesystem::path& model_path) {
  return model_path.string() + ".state";
}

/// Where save_checkpoint puts a new state before the model file it pairs with is in place.
inline std::filesystem::path pending_state_path_for(const std::filesystem::path& model_path) {
  return model_path.string() + ".state.next";
}

/// Identity of a checkpoint plus free-form string metadata (token names, world config, ...).
struct checkpoint_info {
  std::string run_id;
  std::int64_t step = 0;
  std::map<std::string, std::string> extra;  // must not use checkpoint_keys::reserved
};

/// The write half of JSON-valued extra metadata: stores `value` (compact dump) under `key`.
INDUCT_DECLARE void set_json_metadata(checkpoint_info& info, const char* key, const nlohmann::json& value);

/// The read half: the JSON value stored under `key`, or nullopt when absent; file_error naming
/// `source` and the key when the text is not JSON.
INDUCT_DECLARE std::optional<nlohmann::json> json_metadata(const checkpoint_info& info, const char* key,
                                                          const std::string& source);

/// What a model file's header records: its identity (with the extra keys) and its model config.
struct checkpoint_metadata {
  checkpoint_info info;
  gpt_config config;
};

/// What training needs beyond the weights to continue bit-for-bit.
template <class Scalar>
struct training_state {
  std::vector<Scalar> adam_m;
  std::vector<Scalar> adam_v;
  std::int64_t adam_step = 0;
  data_position data;
  std::vector<double> loss_history;
  nlohmann::json trainer_config = nlohmann::json::object();
  nlohmann::json data_source = nlohmann::json::object();
};

/// The model file's writer (parameters + metadata + CRC), not yet written.
template <class Scalar>
safetensors_writer model_checkpoint_writer(const gpt<Scalar>& model, const checkpoint_info& info);
INDUCT_EXTERN_TEMPLATE(safetensors_writer model_checkpoint_writer<float>(const gpt<float>&, const checkpoint_info&))
INDUCT_EXTERN_TEMPLATE(safetensors_writer model_checkpoint_writer<double>(const gpt<double>&, const checkpoint_info&))

/// Writes only the model file (atomically), e.g. for inference or export.
template <class Scalar>
void write_model_checkpoint(const std::filesystem::path& path, const gpt<Scalar>& model, const checkpoint_info& info);
INDUCT_EXTERN_TEMPLATE(void write_model_checkpoint<float>(const std::filesystem::path&, const gpt<float>&,
                                                          const checkpoint_info&))
INDUCT_EXTERN_TEMPLATE(void write_model_checkpoint<double>(const std::filesystem::path&, const gpt<double>&,
                                                           const checkpoint_info&))

/// Reads a model file into a new model. Refuses, with a file_error saying which: a truncated or
/// malformed file, a CRC mismatch (corrupted), a non-induct file, a config differing from `expected`
/// (mismatched; when given), and missing, extra or misshapen parameter tensors.
template <class Scalar>
gpt<Scalar> read_model_checkpoint(const std::filesystem::path& path, checkpoint_info* info = nullptr,
                                  const gpt_config* expected = nullptr, std::uint32_t* data_crc32 = nullptr);
INDUCT_EXTERN_TEMPLATE(gpt<float> read_model_checkpoint<float>(const std::filesystem::path&, checkpoint_info*,
                                                               const gpt_config*, std::uint32_t*))
INDUCT_EXTERN_TEMPLATE(gpt<double> read_model_checkpoint<double>(const std::filesystem::path&, checkpoint_info*,
                                                                 const gpt_config*, std::uint32_t*))

/// Only the config of a model file (validated, CRC-checked), e.g. to pick a model before loading.
INDUCT_DECLARE gpt_config read_checkpoint_config(const std::filesystem::path& path);

/// The identity, extra keys and config of a model file from its header alone (no weights read, so no
/// CRC check; the header is validated as read_model_checkpoint validates it). file_error naming the
/// file: truncated or malformed header, a non-induct file, corrupt "config", "run_id" or "step".
INDUCT_DECLARE checkpoint_metadata read_checkpoint_metadata(const std::filesystem::path& path);

/// The "trainer_config" metadata of the state file of `model_path` ({"trajectory": {...}, "steps": N},
/// as the trainer writes it), from its header alone, e.g. for the defaults of a resumed run.
/// file_error naming the state file: absent, truncated, not an induct state file, or that metadata
/// missing, not JSON, or without an object "trajectory" and an integer "steps".
INDUCT_DECLARE nlohmann::json read_state_trainer_json(const std::filesystem::path& model_path);

/// The state file that pairs with the model file at `model_path`, from headers alone (run id, step and
/// the model's data CRC must agree): ".state", or ".state.next" when a save was killed between renaming
/// the model into place and renaming its state. file_error naming the files when the model file or a
/// pairing state is missing, or the states present belong to other steps or runs.
INDUCT_DECLARE std::filesystem::path paired_state_path(const std::filesystem::path& model_path);

/// Completes what a killed save left behind: renames a pairing ".state.next" to ".state", removes one
/// that pairs with nothing (killed before its model was written) and the temporaries of writers that
/// are no longer running. A no-op on a clean checkpoint; trainer::resume and trainer::train call it.
INDUCT_DECLARE void recover_checkpoint(const std::filesystem::path& model_path);

/// Writes the pair in the three steps of the header comment (state to ".state.next", model, rename).
template <class Scalar>
void save_checkpoint(const std::filesystem::path& model_path, const gpt<Scalar>& model, const checkpoint_info& info,
                     const training_state<Scalar>& state);
INDUCT_EXTERN_TEMPLATE(void save_checkpoint<float>(const std::filesystem::path&, const gpt<float>&,
                                                   const checkpoint_info&, const training_state<float>&))
INDUCT_EXTERN_TEMPLATE(void save_checkpoint<double>(const std::filesystem::path&, const gpt<double>&,
                                                    const checkpoint_info&, const training_state<double>&))

/// A whole checkpoint: the model, its identity and the training state.
template <class Scalar>
struct loaded_checkpoint {
  gpt<Scalar> model;
  checkpoint_info info;
  training_state<Scalar> state;
};

/// Reads and cross-checks the pair written by save_checkpoint. Refuses (file_error saying which)
/// truncated or corrupted files, a config differing from `expected` (when given), a missing state
/// file, and a pair whose run id, step or model CRC disagree.
template <class Scalar>
loaded_checkpoint<Scalar> load_checkpoint(const std::filesystem::path& model_path, const gpt_config* expected = nullptr);
INDUCT_EXTERN_TEMPLATE(loaded_checkpoint<float> load_checkpoint<float>(const std::filesystem::path&, const gpt_config*))
INDUCT_EXTERN_TEMPLATE(loaded_checkpoint<double> load_checkpoint<double>(const std::filesystem::path&, const gpt_config*))

}  // namespace induct::nn

#if INDUCT_HEADER_ONLY
#include "induct/nn/detail/checkpoint_impl.hpp"
#endif
