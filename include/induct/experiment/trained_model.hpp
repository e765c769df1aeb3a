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
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/experiment/evaluate.hpp"
#include "induct/experiment/pipeline.hpp"
#include "induct/nn/checkpoint.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/nn/token_text.hpp"
#include "induct/setup/config.hpp"
#include "induct/setup/corpus.hpp"
#include "induct/setup/world.hpp"

namespace induct::experiment {

/// The fields in which two setups differ, as "entities 16 (other 64), ..." with `other_name` for
/// "other", in the order of ours.to_json(); empty if they agree.
inline std::string setup_differences(const setup::setup_config& ours, const setup::setup_config& other,
                                     const std::string& other_name) {
  const auto a = ours.to_json(), b = other.to_json();
  std::string text;
  for (const auto& [key, value] : a.items()) {
    const auto found = b.find(key);
    const std::string theirs = found == b.end() ? "<absent>" : found->dump();
    if (found != b.end() && *found == value) continue;
    if (!text.empty()) text += ", ";
    text += key + " " + value.dump() + " (" + other_name + " " + theirs + ")";
  }
  return text;
}

/// What a model file records, from its header only.
struct trained_model_metadata {
  std::filesystem::path file;                    // the model file it was read from (named in errors)
  nn::checkpoint_info info;                      // run id, step, every extra key
  nn::gpt_config config;
  std::optional<setup::setup_config> setup;      // "setup_config"
  std::vector<std::string> vocabulary;           // "vocabulary" (empty if absent); size == config.vocab_size
  std::optional<std::string> world_fingerprint;  // "world_fingerprint"
  nlohmann::json run_config;                     // "run_config" JSON, or null
};

namespace trained_model_detail {

/// The records of a model file from its identity and config; file_error naming `file` on corrupt ones.
inline trained_model_metadata metadata_of(const std::filesystem::path& file, nn::checkpoint_info info,
                                          const nn::gpt_config& config) {
  namespace keys = nn::checkpoint_keys;
  const std::string source = file.string();
  trained_model_metadata m;
  m.file = file;
  m.config = config;
  if (const auto recorded = nn::json_metadata(info, keys::setup_config, source)) {
    try {
      m.setup = setup::setup_config::from_json(*recorded);
    } catch (const nlohmann::json::exception& e) {
      throw file_error(source, std::string("corrupt 'setup_config' metadata: ") + e.what());
    } catch (const config_error& e) {
      throw file_error(source, std::string("corrupt 'setup_config' metadata: ") + e.what());
    }
  }
  m.vocabulary = nn::recorded_token_names(info, source, config.vocab_size);
  if (const auto it = info.extra.find(keys::world_fingerprint); it != info.extra.end()) m.world_fingerprint = it->second;
  m.run_config = nn::json_metadata(info, keys::run_config, source).value_or(nlohmann::json(nullptr));
  m.info = std::move(info);
  return m;
}

}  // namespace trained_model_detail

/// The records of `model_file` from its header only (no weights read, hence no CRC check).
/// file_error naming the file: a truncated or non-induct file, or a corrupt record (setup_config,
/// vocabulary not a list of config.vocab_size names, run_config not JSON).
inline trained_model_metadata read_trained_model_metadata(const std::filesystem::path& model_file) {
  auto header = nn::read_checkpoint_metadata(model_file);
  return trained_model_detail::metadata_of(model_file, std::move(header.info), header.config);
}

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
/// for an invalid override.
inline setup::world world_of(const trained_model_metadata& metadata, const setup::setup_config* setup_override = nullptr) {
  const std::string source = metadata.file.string();
  setup::setup_config config;
  if (setup_override != nullptr) {
    setup_override->validate();
    if (metadata.setup) {
      const std::string differences = setup_differences(*metadata.setup, *setup_override, "given");
      if (!differences.empty())
        throw file_error(source, "the model was trained on another world than the given setup: " + differences);
    }
    config = *setup_override;
  } else if (metadata.setup) {
    config = *metadata.setup;
  } else {
    throw file_error(source,
                     "the model file has no 'setup_config' metadata (the world it was trained on): give its setup "
                     "(--setup JSON|FILE), or use a model written by `induct demo` or by `induct train` on a corpus "
                     "with its sidecar");
  }
  setup::world world(config);
  if (!metadata.vocabulary.empty() && metadata.vocabulary != world.vocab().names())
    throw file_error(source, "the model's recorded vocabulary differs from that of the world it is evaluated in");
  if (metadata.world_fingerprint && *metadata.world_fingerprint != world.fingerprint())
    throw file_error(source, "the model's recorded world fingerprint " + *metadata.world_fingerprint +
                                 " differs from that of the world of its setup, " + world.fingerprint() +
                                 " (the same setup config generated other tables)");
  if (metadata.config.vocab_size != static_cast<int>(world.vocab().size()))
    throw file_error(source, "the model has a vocabulary of " + std::to_string(metadata.config.vocab_size) +
                                 " tokens, its world " + std::to_string(world.vocab().size()));
  return world;
}

/// The model of `model_file` (weights CRC-checked, nn::read_model_checkpoint) and the world it was
/// trained in, checked as world_of checks them. The world is built before the weights are read,
/// so a refused pair costs no weight loading.
inline trained_model load_trained_model(const std::filesystem::path& model_file,
                                        const setup::setup_config* setup_override = nullptr) {
  trained_model_metadata metadata = read_trained_model_metadata(model_file);
  setup::world world = world_of(metadata, setup_override);
  nn::checkpoint_info info;
  auto model = nn::read_model_checkpoint<float>(model_file, &info, &metadata.config);
  // The header read twice must agree (a file replaced in between is refused, not mixed).
  if (info.run_id != metadata.info.run_id || info.step != metadata.info.step || info.extra != metadata.info.extra)
    throw file_error(model_file.string(), "the model file changed while it was being read");
  return {std::move(model), std::move(metadata), std::move(world)};
}

/// The tasks and evaluation settings of an evaluation.
struct evaluation_plan {
  std::vector<task_spec> tasks;
  evaluation_options options;
};

/// The evaluation a model records: the tasks and the evaluation's n values, prompt count and prompt
/// seed of its "run_config" (each where present), else the SPEC suite's (run_config{}.tasks,
/// evaluation_options{}). file_error naming the model file on a corrupt run_config.
inline evaluation_plan evaluation_plan_of(const trained_model_metadata& metadata) {
  evaluation_plan plan{run_config{}.tasks, evaluation_options{}};
  const nlohmann::json& run = metadata.run_config;
  try {
    if (run.is_object() && run.contains("tasks")) {
      plan.tasks.clear();
      for (const auto& t : run.at("tasks"))
        plan.tasks.push_back({t.at("task").get<std::string>(), setup::parse_list_format(t.at("format").get<std::string>())});
    }
    if (run.is_object() && run.contains("evaluation")) {
      const auto& e = run.at("evaluation");
      plan.options.examples = e.at("examples").get<std::vector<int>>();
      plan.options.prompts = e.at("prompts").get<int>();
      plan.options.prompt_seed = e.at("prompt_seed").get<std::uint64_t>();
    }
  } catch (const nlohmann::json::exception& e) {
    throw file_error(metadata.file.string(), std::string("corrupt 'run_config' metadata: ") + e.what());
  } catch (const file_error&) {
    throw;
  } catch (const error& e) {
    throw file_error(metadata.file.string(), std::string("corrupt 'run_config' metadata: ") + e.what());
  }
  return plan;
}

/// Chain depth a task needs: 2 for compose2, 3 for compose3, 1 for lookup and novel.
inline int task_depth(const std::string& name) { return name == "compose2" ? 2 : name == "compose3" ? 3 : 1; }

/// Refuses (config_error, field "tasks") a task the world cannot pose: a chain deeper than its
/// max_depth has prior 0.
inline void check_tasks_posable(const std::vector<task_spec>& tasks, const setup::world& world) {
  for (const auto& t : tasks) {
    const int depth = task_depth(t.name);
    if (depth > world.config().max_depth)
      throw config_error("tasks", "task " + t.name + " needs chains of depth " + std::to_string(depth) +
                                      ", but the model's world has max_depth " + std::to_string(world.config().max_depth));
  }
}

/// True if a task of `tasks` is novel (which needs the training corpus's sidecar).
inline bool tasks_need_corpus(const std::vector<task_spec>& tasks) {
  for (const auto& t : tasks)
    if (t.name == "novel") return true;
  return false;
}

/// The sidecar of `corpus` (setup::corpus_sidecar_path), for task novel (the chains seen as lists),
/// after checking that the corpus was sampled from `world`: file_error naming the sidecar if it lacks
/// "config" or "world_fingerprint", if the fingerprint is not its config's (setup::corpus_sidecar_setup),
/// or if its config differs from the world's (every differing field named).
inline nlohmann::json novel_task_sidecar(const std::filesystem::path& corpus, const setup::world& world) {
  const auto sidecar_path = setup::corpus_sidecar_path(corpus);
  auto sidecar = setup::read_corpus_sidecar(sidecar_path);
  // Its config, checked against its own fingerprint; equal configs then mean equal worlds.
  const setup::setup_config corpus_setup = setup::corpus_sidecar_setup(sidecar, sidecar_path);
  const std::string differences = setup_differences(world.config(), corpus_setup, "corpus");
  if (!differences.empty())
    throw file_error(sidecar_path.string(), "the corpus was sampled from another world than the model's: " + differences);
  return sidecar;
}

/// The metadata of an evaluation (results.json's "metadata"): the model, its world, the tasks, the evaluation
/// settings, what was skipped and how long it took, and the run_config the model records, if any.
inline nlohmann::json evaluation_metadata(const std::filesystem::path& model_file, const trained_model& trained,
                                          const evaluation_plan& plan, const std::vector<std::string>& skipped,
                                          double seconds) {
  nlohmann::json task_list = nlohmann::json::array();
  for (const auto& t : plan.tasks) task_list.push_back({{"task", t.name}, {"format", setup::to_string(t.format)}});
  nlohmann::json metadata = {{"model", model_file.string()},
                             {"run_id", trained.metadata.info.run_id},
                             {"step", trained.metadata.info.step},
                             {"model_config", trained.model.config().to_json()},
                             {"setup", trained.world.config().to_json()},
                             {"tasks", task_list},
                             {"evaluation", {{"examples", plan.options.examples},
                                             {"prompts", plan.options.prompts},
                                             {"prompt_seed", plan.options.prompt_seed}}},
                             {"skipped", skipped},
                             {"seconds", {{"evaluation", seconds}}}};
  if (!trained.metadata.run_config.is_null()) metadata["config"] = trained.metadata.run_config;
  return metadata;
}

}  // namespace induct::experiment
