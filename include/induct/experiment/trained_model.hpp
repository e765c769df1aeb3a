#pragma once
// A trained model file and the world it was trained in, checked against each other.
//
// A model file (nn/checkpoint.hpp) written by run_experiment (the demo) or by `induct train` on a
// corpus with its sidecar records, besides its weights and gpt_config, the world it learned
// (nn::checkpoint_keys): "setup_config" (setup::setup_config JSON), "vocabulary" (token names),
// "world_fingerprint" (setup::world::fingerprint()) and, from a run, "run_config" (its tasks and
// evaluation settings). load_trained_model rebuilds that world and accepts the pair only when
//   recorded setup == the caller's setup (when both exist; every differing field is named),
//   recorded vocabulary == world.vocab().names(),  recorded fingerprint == world.fingerprint(),
//   model vocab_size == |world vocabulary|,
// so every later use (evaluation, probes, decoding names) sees the model's own world.
// read_trained_model_metadata reads the same records from the file's header alone (no weights).
//
// evaluation_plan_of gives the evaluation a model records (its run's tasks, n values, prompt count
// and seed), else the SPEC suite's defaults (run_config{}.tasks, evaluation_options{}), so that
// evaluating the demo's model file reproduces the demo's results.csv.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/linkage.hpp"
#include "induct/experiment/evaluate.hpp"
#include "induct/experiment/pipeline.hpp"
#include "induct/nn/checkpoint.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/nn/gpt_config.hpp"
#include "induct/setup/config.hpp"
#include "induct/setup/world.hpp"

namespace induct::experiment {

/// The fields in which two setups differ, as "entities 16 (other 64), ..." with `other_name` for
/// "other", in the order of ours.to_json(); empty if they agree.
INDUCT_DECLARE std::string setup_differences(const setup::setup_config& ours, const setup::setup_config& other,
                                             const std::string& other_name);

/// What a model file records, from its header only.
struct trained_model_metadata {
  std::filesystem::path file;                    // the model file it was read from (named in errors)
  nn::checkpoint_info info;                      // run id, step, every extra key
  nn::gpt_config config;
  std::optional<setup::setup_config> setup;      // "setup_config"
  std::vector<std::string> vocabulary;           // "vocabulary" (empty if absent); size == config.vocab_size
  std::optional<std::string> world_fingerprint;  // "world_fingerprint"
  nlohmann::json run_config;                     // "run_config" JSON, or null
  std::optional<std::string> grammar_fingerprint;  // "grammar_fingerprint": trained on a grammar corpus
  std::string grammar_text;                        // "grammar" (canonical text; empty if absent)
};

/// The records of `model_file` from its header only (no weights read, hence no CRC check).
/// file_error naming the file: a truncated or non-induct file, or a corrupt record (setup_config,
/// vocabulary not a list of config.vocab_size names, run_config not JSON).
INDUCT_DECLARE trained_model_metadata read_trained_model_metadata(const std::filesystem::path& model_file);

/// A model with its records and the world it was trained in.
struct trained_model {
  nn::gpt<float> model;
  trained_model_metadata metadata;
  setup::world world;
};

/// The world a model of `metadata` was trained in: its recorded setup; `setup_override` (from the
/// user) must agree with it, or stands in when none is recorded. The recorded vocabulary and
/// fingerprint must be the world's, and config.vocab_size its vocabulary's size. file_error naming
/// the model file for each refusal (a differing override names every differing field); config_error
/// for an invalid override. A model trained on a grammar corpus (grammar_fingerprint set) has no world:
/// file_error naming its grammar fingerprint and `induct evaluate --grammar`.
INDUCT_DECLARE setup::world world_of(const trained_model_metadata& metadata,
                                     const setup::setup_config* setup_override = nullptr);

/// The model of `model_file` (weights CRC-checked, nn::read_model_checkpoint) and the world it was
/// trained in, checked as world_of checks them. The world is built before the weights are read,
/// so a refused pair costs no weight loading.
INDUCT_DECLARE trained_model load_trained_model(const std::filesystem::path& model_file,
                                                const setup::setup_config* setup_override = nullptr);

/// The tasks and evaluation settings of an evaluation.
struct evaluation_plan {
  std::vector<task_spec> tasks;
  evaluation_options options;
};

/// The evaluation a model records: the tasks and the evaluation's n values, prompt count and prompt
/// seed of its "run_config" (each where present), else the SPEC suite's (run_config{}.tasks,
/// evaluation_options{}). file_error naming the model file on a corrupt run_config.
INDUCT_DECLARE evaluation_plan evaluation_plan_of(const trained_model_metadata& metadata);

/// Chain depth of a named task: compose2 2, compose3 3, novelK K, novel 2 (its smallest held-out depth
/// by default), lookup 1.
inline int task_depth(const std::string& name) {
  if (name == "compose2" || name == "novel") return 2;
  if (name == "compose3") return 3;
  if (name.size() > 5 && name.size() < 10 && name.compare(0, 5, "novel") == 0 &&
      name.find_first_not_of("0123456789", 5) == std::string::npos)
    return std::stoi(name.substr(5));
  return 1;
}

/// Refuses (config_error, field "tasks") a task the world cannot pose: a chain deeper than its
/// max_depth has prior 0.
INDUCT_DECLARE void check_tasks_posable(const std::vector<task_spec>& tasks, const setup::world& world);

/// The sidecar of a model's training corpus (setup::corpus_sidecar_path), for the corpus exposure columns
/// of an evaluation (how often each chain and its primitives occurred), after checking that the corpus was
/// sampled from `world`: file_error naming the sidecar if it lacks "config" or "world_fingerprint", if the
/// fingerprint is not its config's (setup::corpus_sidecar_setup), or if its config differs from the world's
/// (every differing field named).
/// With `model`, also that `corpus` is the one it was trained on when its file records a
/// "corpus_fingerprint" (induct train): file_error naming the corpus and both fingerprints otherwise.
INDUCT_DECLARE nlohmann::json training_corpus_sidecar(const std::filesystem::path& corpus, const setup::world& world,
                                                      const trained_model_metadata* model = nullptr);

/// The training seed a model's run_config records ("training"."seed"), or `fallback` for a model without
/// one (e.g. its number in a list of models); file_error on a corrupt value.
INDUCT_DECLARE std::uint64_t training_seed_of(const trained_model_metadata& metadata, std::uint64_t fallback);

/// The corpus sidecar of the run that trained a model, recomputed: a run_config records its corpus
/// (corpus_seed, corpus_tokens), and the corpus is a pure function of them and the world, so sampling it
/// again gives the counts run_experiment saw (a few seconds at 1e8 tokens). Null for a model without
/// them (`induct train` on a corpus file: pass the corpus instead); file_error on corrupt values.
INDUCT_DECLARE nlohmann::json recorded_corpus_sidecar(const trained_model& trained);

/// The metadata of an evaluation (results.json's "metadata"): the model, its world, the tasks, the evaluation
/// settings, what was skipped and how long it took, and the run_config the model records, if any.
INDUCT_DECLARE nlohmann::json evaluation_metadata(const std::filesystem::path& model_file, const trained_model& trained,
                                                  const evaluation_plan& plan, const std::vector<std::string>& skipped,
                                                  double seconds);

}  // namespace induct::experiment

#if INDUCT_HEADER_ONLY
#include "induct/experiment/detail/trained_model_impl.hpp"
#endif
