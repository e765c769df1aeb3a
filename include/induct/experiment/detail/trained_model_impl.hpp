#pragma once
// Definitions for experiment/trained_model.hpp (see induct/core/linkage.hpp for the two modes).
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
#include "induct/experiment/trained_model.hpp"
#include "induct/nn/checkpoint.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/nn/token_text.hpp"
#include "induct/setup/config.hpp"
#include "induct/setup/corpus.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/setup/world.hpp"

namespace induct::experiment {

INDUCT_DEFINE std::string setup_differences(const setup::setup_config& ours, const setup::setup_config& other,
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

namespace trained_model_detail {

/// The records of a model file from its identity and config; file_error naming `file` on corrupt ones.
INDUCT_DETAIL trained_model_metadata metadata_of(const std::filesystem::path& file, nn::checkpoint_info info,
                                                 const nn::gpt_config& config) {
  namespace keys = nn::checkpoint_keys;
  const std::string source = file.string();
  trained_model_metadata m;
  m.file = file;
  m.config = config;
  if (const auto recorded = nn::json_metadata(info, keys::setup_config, source)) {
    try {
      m.setup = setup::setup_config::from_record(*recorded);
    } catch (const nlohmann::json::exception& e) {
      throw file_error(source, std::string("corrupt 'setup_config' metadata: ") + e.what());
    } catch (const config_error& e) {
      throw file_error(source, std::string("corrupt 'setup_config' metadata: ") + e.what());
    }
  }
  m.vocabulary = nn::recorded_token_names(info, source, config.vocab_size);
  if (const auto it = info.extra.find(keys::world_fingerprint); it != info.extra.end()) m.world_fingerprint = it->second;
  m.run_config = nn::json_metadata(info, keys::run_config, source).value_or(nlohmann::json(nullptr));
  if (const auto it = info.extra.find(keys::grammar_fingerprint); it != info.extra.end()) m.grammar_fingerprint = it->second;
  if (const auto it = info.extra.find(keys::grammar); it != info.extra.end()) m.grammar_text = it->second;
  m.info = std::move(info);
  return m;
}

}  // namespace trained_model_detail

INDUCT_DEFINE trained_model_metadata read_trained_model_metadata(const std::filesystem::path& model_file) {
  auto header = nn::read_checkpoint_metadata(model_file);
  return trained_model_detail::metadata_of(model_file, std::move(header.info), header.config);
}

INDUCT_DEFINE setup::world world_of(const trained_model_metadata& metadata, const setup::setup_config* setup_override) {
  const std::string source = metadata.file.string();
  if (metadata.grammar_fingerprint)
    throw file_error(source, "the model was trained on a corpus of a grammar (grammar fingerprint " +
                                 *metadata.grammar_fingerprint +
                                 "), not in a world of the controlled setup: evaluate it with `induct evaluate "
                                 "--grammar FILE --model MODEL`");
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

INDUCT_DEFINE trained_model load_trained_model(const std::filesystem::path& model_file,
                                               const setup::setup_config* setup_override) {
  trained_model_metadata metadata = read_trained_model_metadata(model_file);
  setup::world world = world_of(metadata, setup_override);
  nn::checkpoint_info info;
  auto model = nn::read_model_checkpoint<float>(model_file, &info, &metadata.config);
  // The header read twice must agree (a file replaced in between is refused, not mixed).
  if (info.run_id != metadata.info.run_id || info.step != metadata.info.step || info.extra != metadata.info.extra)
    throw file_error(model_file.string(), "the model file changed while it was being read");
  return {std::move(model), std::move(metadata), std::move(world)};
}

INDUCT_DEFINE evaluation_plan evaluation_plan_of(const trained_model_metadata& metadata) {
  // run_config(), not run_config{}: GCC 12 crashes (ICE in check_noexcept_r) on `run_config{}.tasks` in a
  // function template (header-only mode); both are the default run_config.
  evaluation_plan plan{run_config().tasks, evaluation_options{}};
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

INDUCT_DEFINE void check_tasks_posable(const std::vector<task_spec>& tasks, const setup::world& world) {
  for (const auto& t : tasks) {
    const int depth = task_depth(t.name);
    if (depth > world.config().max_depth)
      throw config_error("tasks", "task " + t.name + " needs chains of depth " + std::to_string(depth) +
                                      ", but the model's world has max_depth " + std::to_string(world.config().max_depth));
  }
}

INDUCT_DEFINE nlohmann::json training_corpus_sidecar(const std::filesystem::path& corpus, const setup::world& world,
                                                     const trained_model_metadata* model) {
  const auto sidecar_path = setup::corpus_sidecar_path(corpus);
  auto sidecar = setup::read_corpus_sidecar(sidecar_path);
  // Its config, checked against its own fingerprint; equal configs then mean equal worlds.
  const setup::setup_config corpus_setup = setup::corpus_sidecar_setup(sidecar, sidecar_path);
  const std::string differences = setup_differences(world.config(), corpus_setup, "corpus");
  if (!differences.empty())
    throw file_error(sidecar_path.string(), "the corpus was sampled from another world than the model's: " + differences);
  // The same world, and then the same file content as the training corpus (when the model records it).
  if (model != nullptr) {
    const auto recorded = model->info.extra.find(nn::checkpoint_keys::corpus_fingerprint);
    if (recorded != model->info.extra.end()) {
      const std::string given = setup::corpus_fingerprint(setup::read_corpus_header(corpus));
      if (given != recorded->second)
        throw file_error(corpus.string(), "is not the corpus the model was trained on: the model records " +
                                              recorded->second + ", this file is " + given);
    }
  }
  return sidecar;
}

INDUCT_DEFINE std::uint64_t training_seed_of(const trained_model_metadata& metadata, std::uint64_t fallback) {
  const nlohmann::json& run = metadata.run_config;
  if (!run.is_object() || !run.contains("training") || !run["training"].is_object() || !run["training"].contains("seed"))
    return fallback;
  const auto& seed = run["training"]["seed"];
  if (!seed.is_number_unsigned())
    throw file_error(metadata.file.string(), "corrupt 'run_config' metadata: training.seed must be a non-negative integer");
  return seed.get<std::uint64_t>();
}

INDUCT_DEFINE nlohmann::json recorded_corpus_sidecar(const trained_model& trained) {
  const nlohmann::json& run = trained.metadata.run_config;
  if (!run.is_object() || !run.contains("corpus_seed") || !run.contains("corpus_tokens")) return nullptr;
  const auto& seed = run["corpus_seed"];
  const auto& tokens = run["corpus_tokens"];
  if (!seed.is_number_unsigned() || !tokens.is_number_unsigned())
    throw file_error(trained.metadata.file.string(), "corrupt 'run_config' metadata: corpus_seed and corpus_tokens must be "
                                                     "non-negative integers");
  const auto stats = setup::sample_corpus_stream(trained.world, seed.get<std::uint64_t>(), tokens.get<std::uint64_t>(),
                                                 [](const setup::token_id*, std::size_t) {}, [](std::uint64_t) {});
  return setup::corpus_sidecar_json(trained.world, seed.get<std::uint64_t>(), stats);
}

INDUCT_DEFINE nlohmann::json evaluation_metadata(const std::filesystem::path& model_file, const trained_model& trained,
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
