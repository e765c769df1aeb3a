#pragma once
// Subcommands of the experiment module for the induct tool: demo, evaluate, sweep, probe.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/args.hpp"
#include "induct/core/atomic_file.hpp"
#include "induct/core/progress.hpp"
#include "induct/experiment/demo.hpp"
#include "induct/experiment/scaling.hpp"
#include "induct/experiment/structure_probe.hpp"
#include "induct/nn/checkpoint.hpp"
#include "induct/setup/corpus.hpp"

namespace induct::cli {

namespace experiment_cli {

/// Run options shared by demo and sweep (over `config`).
inline const std::set<std::string> run_options = {"out",   "seed",  "tokens",  "steps",  "layers",   "width",
                                                  "heads", "context", "lr",    "batch",  "prompts",  "examples",
                                                  "warmup", "world-seed", "reduced-world", "answer-weight",
                                                  "input-weight", "setup"};

/// --setup: a JSON object (inline, or a file name) of setup fields over the SPEC defaults ('{}' is the default world).
inline setup::setup_config setup_option(const args& a) {
  const std::string text = a.require("setup");
  const std::string json_text = (!text.empty() && text.front() == '{') ? text : read_text_file(text);
  try {
    return setup::setup_config::from_json(nlohmann::json::parse(json_text));
  } catch (const nlohmann::json::exception& e) {
    throw usage_error("--setup is not valid JSON: " + std::string(e.what()));
  }
}

inline void apply_run_options(const args& a, experiment::run_config& c) {
  if (a.has("seed")) {
    const auto seed = a.get_uint64("seed", 1);
    c.corpus_seed = seed;
    c.training.seed = seed;
  }
  if (a.has("setup")) c.setup = setup_option(a);
  c.setup.world_seed = a.get_uint64("world-seed", c.setup.world_seed);
  c.corpus_tokens = static_cast<std::uint64_t>(a.get_int("tokens", static_cast<long long>(c.corpus_tokens)));
  c.training.steps = a.get_int("steps", c.training.steps);
  c.training.warmup_steps = a.get_int("warmup", c.training.warmup_steps);
  c.model.layers = static_cast<int>(a.get_int("layers", c.model.layers));
  c.model.width = static_cast<int>(a.get_int("width", c.model.width));
  c.model.heads = static_cast<int>(a.get_int("heads", c.model.heads));
  c.model.context_length = static_cast<int>(a.get_int("context", c.model.context_length));
  c.training.learning_rate = a.get_double("lr", c.training.learning_rate);
  c.training.min_learning_rate = std::min(c.training.min_learning_rate, c.training.learning_rate);
  c.training.batch = static_cast<int>(a.get_int("batch", c.training.batch));
  c.answer_loss_weight = a.get_double("answer-weight", c.answer_loss_weight);
  c.input_loss_weight = a.get_double("input-weight", c.input_loss_weight);
  if (!(c.answer_loss_weight >= 0 && c.input_loss_weight >= 0)) throw usage_error("--answer-weight and --input-weight must be >= 0");
  c.evaluation.prompts = static_cast<int>(a.get_int("prompts", c.evaluation.prompts));
  if (a.has("examples")) c.evaluation.examples = a.get_range("examples", "");
  if (c.corpus_tokens < 1000) throw usage_error("--tokens must be at least 1000");
  c.setup.validate();
  c.training.validate();
}

inline int run_demo(const args& a) {
  a.check(run_options);
  experiment::run_config config =
      a.flag("reduced-world") ? experiment::reduced_demo_config() : experiment::default_demo_config();
  apply_run_options(a, config);
  const std::filesystem::path out = a.get("out", "induct-demo");
  const bool json = a.flag("json");
  std::ostream& console = json ? std::cerr : std::cout;
  const auto result = experiment::run_demo(config, out, console, true);
  if (json) {
    nlohmann::json j = result.table.to_json();
    j["training"] = result.training.to_json();
    j["config"] = config.to_json();
    j["out"] = out.string();
    std::cout << dump_json(j) << "\n";
  }
  return 0;
}

inline int run_sweep(const args& a) {
  a.check({"grid", "out", "shard", "max-points"});
  const std::string grid_name = a.require("grid");
  nlohmann::json grid;
  if (grid_name == "small" || grid_name == "paper") {
    grid = experiment::preset_grid(grid_name);
  } else {
    try {
      grid = nlohmann::json::parse(read_text_file(grid_name));
    } catch (const nlohmann::json::parse_error& e) {
      throw file_error(grid_name, std::string("grid is not valid JSON: ") + e.what());
    }
  }
  const auto points = experiment::grid_points(grid);
  experiment::sweep_runner runner(a.require("out"));
  experiment::sweep_options options;
  if (a.has("max-points")) options.max_new_points = static_cast<std::size_t>(a.get_int("max-points", 0));
  if (a.has("shard")) {
    const std::string shard = a.get("shard", "");
    const auto slash = shard.find('/');
    if (slash == std::string::npos) throw usage_error("--shard must be I/N, e.g. 0/4");
    try {
      options.shard_index = std::stoul(shard.substr(0, slash));
      options.shard_count = std::stoul(shard.substr(slash + 1));
    } catch (const std::exception&) {
      throw usage_error("--shard must be I/N with integers, got '" + shard + "'");
    }
  }
  const bool json = a.flag("json");
  std::ostream& console = json ? std::cerr : std::cout;
  options.on_point_start = [&](std::size_t i, std::size_t count, const nlohmann::json& point) {
    console << "[" << i + 1 << "/" << count << "] point " << experiment::point_key(point) << ": "
            << experiment::model_label(point) << ", " << experiment::token_label(point["tokens"].get<std::uint64_t>())
            << " tokens\n";
    console.flush();
  };
  const auto summary = runner.run(points, [&](const nlohmann::json& point) {
    return experiment::run_sweep_point(point, runner.directory());
  }, options);
  const auto table = experiment::write_sweep_outputs(runner, points, grid);
  console << "points: " << summary.total << " in the grid, " << summary.reused << " already done, " << summary.computed
          << " computed now, " << summary.pending << " pending\n"
          << "wrote " << (runner.directory() / "table.csv").string() << ", table.json, emergence.svg, stepwise_vs_direct.svg\n";
  if (json) {
    nlohmann::json j = table.to_json();
    j["summary"] = {{"total", summary.total}, {"reused", summary.reused}, {"computed", summary.computed},
                    {"pending", summary.pending}};
    std::cout << dump_json(j) << "\n";
  }
  return 0;
}

/// The world a model file records in its "setup_config" metadata (written by run_experiment and train), if any.
inline std::optional<setup::setup_config> recorded_setup(const nn::checkpoint_info& info, const std::filesystem::path& model_path) {
  const auto it = info.extra.find("setup_config");
  if (it == info.extra.end()) return std::nullopt;
  try {
    return setup::setup_config::from_json(nlohmann::json::parse(it->second));
  } catch (const nlohmann::json::exception& e) {
    throw file_error(model_path.string(), std::string("corrupt 'setup_config' metadata: ") + e.what());
  }
}

/// The fields in which two setups differ, as "entities 16 (other 64), ..."; empty if they agree.
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

/// Comma-separated names, each one of `allowed`, none twice.
inline std::vector<std::string> name_list(const std::string& option, const std::string& text,
                                          const std::vector<std::string>& allowed) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const std::string name = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      std::string expected;
      for (const auto& n : allowed) expected += (expected.empty() ? "" : ", ") + n;
      throw usage_error("--" + option + ": unknown name '" + name + "' (expected " + expected + ")");
    }
    if (std::find(names.begin(), names.end(), name) != names.end())
      throw usage_error("--" + option + ": '" + name + "' given twice");
    names.push_back(name);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return names;
}

inline int run_evaluate(const args& a) {
  a.check({"model", "out", "tasks", "formats", "examples", "prompts", "seed", "setup", "corpus"});
  const std::filesystem::path model_path = a.require("model");
  const std::filesystem::path out = a.get("out", "induct-evaluate");
  nn::checkpoint_info info;
  auto model = nn::read_model_checkpoint<float>(model_path, &info);

  // The world: the one recorded in the file; --setup must agree with it, or stands in for a file without one.
  const auto recorded = recorded_setup(info, model_path);
  setup::setup_config setup_config;
  if (a.has("setup")) {
    setup_config = setup_option(a);
    setup_config.validate();
    if (recorded) {
      const std::string differences = setup_differences(*recorded, setup_config, "--setup");
      if (!differences.empty())
        throw file_error(model_path.string(), "the model was trained on another world than --setup gives: " + differences);
    }
  } else if (recorded) {
    setup_config = *recorded;
  } else {
    throw file_error(model_path.string(),
                     "the model file has no 'setup_config' metadata (the world it was trained on): pass --setup JSON|FILE, "
                     "or evaluate a model written by `induct demo` or by `induct train` on a corpus with its sidecar");
  }
  const setup::world world(setup_config);
  if (const auto names = info.extra.find("vocabulary"); names != info.extra.end()) {
    nlohmann::json recorded_names;
    try {
      recorded_names = nlohmann::json::parse(names->second);
    } catch (const nlohmann::json::exception& e) {
      throw file_error(model_path.string(), std::string("corrupt 'vocabulary' metadata: ") + e.what());
    }
    if (recorded_names != nlohmann::json(world.vocab().names()))
      throw file_error(model_path.string(), "the model's recorded vocabulary differs from that of the world it is evaluated in");
  }
  if (!recorded && model.config().vocab_size != static_cast<int>(world.vocab().size()))
    throw file_error(model_path.string(), "the model has a vocabulary of " + std::to_string(model.config().vocab_size) +
                                              " tokens, the --setup world " + std::to_string(world.vocab().size()));

  // Defaults: the evaluation of the run that trained the model (demo, sweep), else the SPEC suite.
  nlohmann::json run = nullptr;
  if (const auto it = info.extra.find("run_config"); it != info.extra.end()) {
    try {
      run = nlohmann::json::parse(it->second);
    } catch (const nlohmann::json::exception& e) {
      throw file_error(model_path.string(), std::string("corrupt 'run_config' metadata: ") + e.what());
    }
  }
  std::vector<experiment::task_spec> tasks = experiment::run_config{}.tasks;
  experiment::evaluation_options options;
  try {
    if (run.is_object() && run.contains("tasks")) {
      tasks.clear();
      for (const auto& t : run.at("tasks"))
        tasks.push_back({t.at("task").get<std::string>(), setup::parse_list_format(t.at("format").get<std::string>())});
    }
    if (run.is_object() && run.contains("evaluation")) {
      const auto& e = run.at("evaluation");
      options.examples = e.at("examples").get<std::vector<int>>();
      options.prompts = e.at("prompts").get<int>();
      options.prompt_seed = e.at("prompt_seed").get<std::uint64_t>();
    }
  } catch (const nlohmann::json::exception& e) {
    throw file_error(model_path.string(), std::string("corrupt 'run_config' metadata: ") + e.what());
  }
  if (a.has("tasks") || a.has("formats")) {
    tasks.clear();
    const auto names = name_list("tasks", a.get("tasks", "lookup,compose2"), {"lookup", "compose2", "compose3", "novel"});
    const auto formats = name_list("formats", a.get("formats", "direct,stepwise"), {"direct", "stepwise"});
    for (const auto& name : names)
      for (const auto& format : formats) tasks.push_back({name, setup::parse_list_format(format)});
  }
  if (a.has("examples")) options.examples = a.get_range("examples", "");
  for (int n : options.examples)
    if (n < 0) throw usage_error("--examples must be >= 0, got " + std::to_string(n));
  options.prompts = static_cast<int>(a.get_int("prompts", options.prompts));
  if (options.prompts < 1) throw usage_error("--prompts must be at least 1");
  options.prompt_seed = a.get_uint64("seed", options.prompt_seed);

  // Tasks the world can pose: a chain deeper than max_depth has prior 0; novel needs the training corpus.
  std::optional<nlohmann::json> sidecar;
  for (const auto& t : tasks) {
    const int depth = t.name == "compose2" ? 2 : t.name == "compose3" ? 3 : 1;
    if (depth > world.config().max_depth)
      throw config_error("tasks", "task " + t.name + " needs chains of depth " + std::to_string(depth) +
                                      ", but the model's world has max_depth " + std::to_string(world.config().max_depth));
    if (t.name == "novel" && !sidecar) {
      if (!a.has("corpus")) throw usage_error("task novel needs --corpus FILE (its sidecar lists the chains seen as lists)");
      const auto sidecar_path = setup::corpus_sidecar_path(a.require("corpus"));
      sidecar = setup::read_corpus_sidecar(sidecar_path);
      if (!sidecar->contains("config")) throw file_error(sidecar_path.string(), "corpus sidecar has no \"config\"");
      const std::string differences =
          setup_differences(world.config(), setup::setup_config::from_json(sidecar->at("config")), "corpus");
      if (!differences.empty())
        throw file_error(sidecar_path.string(), "the corpus was sampled from another world than the model's: " + differences);
    }
  }

  const bool json = a.flag("json");
  std::ostream& console = json ? std::cerr : std::cout;
  console << "evaluating " << model_path.string() << " (" << model.config().layers << " layers, width "
          << model.config().width << ", step " << info.step << ") in its world of " << world.entity_count()
          << " entities and " << world.function_count() << " functions, on " << options.prompts
          << " prompts per task, format and n (seed " << options.prompt_seed << ")\n";
  console.flush();
  progress_bar bar("evaluate", 1.0);
  options.progress = [&](std::size_t done, std::size_t total) {
    bar.update(static_cast<double>(done) / static_cast<double>(total));
  };
  std::vector<std::string> skipped;
  const auto start = std::chrono::steady_clock::now();
  const auto table =
      experiment::evaluate_trained_model(model, world, tasks, options, &skipped, sidecar ? &*sidecar : nullptr);
  bar.finish();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const auto& s : skipped) console << "skipped " << s << "\n";
  if (table.row_count() == 0)
    throw config_error("examples", "no (task, format, n) fits the model's context of " +
                                       std::to_string(model.config().context_length) + " tokens");

  nlohmann::json task_list = nlohmann::json::array();
  for (const auto& t : tasks) task_list.push_back({{"task", t.name}, {"format", setup::to_string(t.format)}});
  nlohmann::json metadata = {{"model", model_path.string()},
                             {"run_id", info.run_id},
                             {"step", info.step},
                             {"model_config", model.config().to_json()},
                             {"setup", world.config().to_json()},
                             {"tasks", task_list},
                             {"evaluation", {{"examples", options.examples},
                                             {"prompts", options.prompts},
                                             {"prompt_seed", options.prompt_seed}}},
                             {"skipped", skipped},
                             {"seconds", {{"evaluation", seconds}}}};
  if (!run.is_null()) metadata["config"] = run;
  experiment::write_evaluation_outputs(out, table, metadata, "Predicted (bound, idealized) against measured (" +
                                                                 model_path.filename().string() + ")");
  console << "\n" << experiment::compact_table(table).to_text(3) << "\n" << experiment::icl_verdict(table)
          << "wrote " << (out / "results.csv").string() << ", results.json, error_vs_n.svg, the per-task plots and summary.txt\n";
  if (json) {
    nlohmann::json j = table.to_json();
    j["metadata"] = metadata;
    std::cout << dump_json(j) << "\n";
  }
  return 0;
}

inline int run_probe(const args& a) {
  a.check({"model", "out", "prompts", "examples", "seed", "l2"});
  const std::filesystem::path model_path = a.require("model");
  const std::filesystem::path out = a.get("out", "induct-probe");
  nn::checkpoint_info info;
  auto model = nn::read_model_checkpoint<float>(model_path, &info);
  const auto setup_config = recorded_setup(info, model_path);
  if (!setup_config)
    throw file_error(model_path.string(), "the model file has no 'setup_config' metadata (train it with `induct demo`, or `induct train` on a corpus with its sidecar)");
  const setup::world world(*setup_config);
  experiment::structure_probe_options options;
  options.prompts_per_task = static_cast<int>(a.get_int("prompts", options.prompts_per_task));
  options.examples = static_cast<int>(a.get_int("examples", options.examples));
  options.prompt_seed = a.get_uint64("seed", options.prompt_seed);
  options.probe.l2 = a.get_double("l2", options.probe.l2);
  if (options.prompts_per_task < 4) throw usage_error("--prompts must be at least 4");
  const auto result = experiment::probe_structure(model, world, options);
  std::filesystem::create_directories(out);
  const nlohmann::json metadata = {{"model", model_path.string()},
                                   {"examples", options.examples},
                                   {"prompts_per_task", options.prompts_per_task},
                                   {"prompt_seed", options.prompt_seed},
                                   {"l2", options.probe.l2},
                                   {"icl_accuracy", result.icl_accuracy},
                                   {"icl_prompts", result.icl_prompts}};
  experiment::write_csv(out / "probes.csv", result.table);
  experiment::write_json(out / "probes.json", result.table, metadata);
  char title[160];
  std::snprintf(title, sizeof title, "Linear probes by layer (model's ICL accuracy on these prompts: %.2f)",
                result.icl_accuracy);
  write_text_atomically(out / "probes.svg", experiment::render_svg(experiment::probe_chart(result.table, title), 760, 420));
  if (a.flag("json")) {
    nlohmann::json j = result.table.to_json();
    j["metadata"] = metadata;
    std::cout << dump_json(j) << "\n";
  } else {
    std::cout << result.table.to_text(3) << "\nICL accuracy on the direct probe prompts (n = " << options.examples
              << "): " << result.icl_accuracy << "\n";
    for (std::size_t r = 0; r < result.table.row_count(); ++r)
      if (result.table.text(r, "feature") == "hidden_f1" && result.table.number(r, "layer") == 0) {
        std::cout << "hidden_f1: a probe must beat the q-only control " << result.table.number(r, "q_only_control")
                  << " (majority baseline " << result.table.number(r, "majority_baseline") << ") to read more than q\n";
        break;
      }
    std::cout << "wrote " << (out / "probes.csv").string() << ", probes.json, probes.svg\n";
  }
  return 0;
}

}  // namespace experiment_cli

inline void register_experiment_commands(command_table& commands) {
  commands.push_back(
      {"demo", "sample a corpus, train a small GPT, measure in-context learning against the theory",
       R"(usage: induct demo [--out DIR] [--seed S] [options]

Runs the whole pipeline with no arguments, on the SPEC's default setup (64 entities, 8 functions,
chains of depth <= 4, default segment shares and list lengths): samples a 16M-token corpus, trains a
2-layer GPT (width 64, context 80, 12,000 steps), evaluates it on lookup and compose2 (direct and
stepwise) against the exact idealized predictor and the bound (D + R_n)/n, prints a compact table
and writes DIR (default induct-demo/): results.csv, results.json (every column of the evaluation and
the run's config), error_vs_n.svg, <task>_<format>.svg, stepwise_vs_direct.svg, summary.txt and
model.safetensors. About 2.5 minutes on 2 cores; deterministic for a seed (on any thread count).

The training loss weighs list answers (the token after ':') 3x and gives list inputs x weight 0
(they are uniform random); with the plain loss the same model needs several times more steps to
leave its plateau (docs/results.md). --reduced-world runs the quick variant of the miniature test
instead: 16 entities, 4 functions, depth <= 2, list-heavy shares, a width-48 model, 3,000 steps.

options:
  --out DIR          output directory (default induct-demo)
  --seed S           corpus and training seed (default 1)
  --world-seed W     world seed (default 1)
  --tokens N         corpus tokens (default 1.6e7)
  --steps N          training steps (default 12000)
  --batch B          sequences per step (default 16)
  --lr X             peak learning rate (default 5e-3)
  --warmup N         warmup steps (default 200)
  --layers L --width C --heads H --context T   model shape (default 2, 64, 4, 80)
  --prompts N        prompts per task, format and n (default 100)
  --examples LIST    n values, e.g. 0,1,2,4,8 or 0..8 (default 0,1,2,4,8)
  --setup JSON|FILE  setup fields over the SPEC defaults, e.g.
                     '{"share_fact":0.4,"share_direct_list":0.45,"share_stepwise_list":0.1,"share_filler":0.05}'
  --reduced-world    start from the reduced quick configuration (other options apply on top)
  --answer-weight W  training loss weight on tokens right after ':' (list answers; default 3)
  --input-weight W   training loss weight on list inputs x (default 0; 1 and 1 = plain loss)
  --json             print the result table as JSON on stdout (progress goes to stderr)
)",
       {"reduced-world"},
       experiment_cli::run_demo});
  commands.push_back(
      {"evaluate", "evaluate a trained model file on the ICL task suite against the idealized predictor and the bounds",
       R"(usage: induct evaluate --model FILE [--out DIR] [--tasks LIST] [--formats LIST] [--examples LIST]
                       [--prompts N] [--seed S] [--setup JSON|FILE] [--corpus FILE] [--json]

Evaluates an already-trained model (written by `induct demo`, or by `induct train` on a corpus
with its sidecar; sweep points keep no model file) as the demo evaluates the model it trains,
with the same code: per task, format and n, the error rate at the query with its
Clopper-Pearson 95% interval, the answer log-loss, the excess loss K over the exact idealized
predictor and the per-token KL from it, beside the bound (D + R_n)/n, the idealized predictor's
exact error and the model-specific bound D + R_n + K. Stepwise lists are scored on the final
value of greedy generation and on every step. n values whose prompt and answer do not fit the
model's context are skipped (and listed).

The world (entities, functions, document grammar) is the one the model file records in its
'setup_config' metadata. A file without it needs --setup; a --setup that differs from the recorded
world is an error naming the fields that differ.

By default the tasks, n values, prompt count and prompt seed are those of the run that trained the
model (its 'run_config' metadata), so `induct evaluate --model induct-demo/model.safetensors`
reproduces the demo's results.csv (bit for bit with the same build and CPU kernels, on any thread
count); for other models: lookup and compose2 (direct) and compose2
(stepwise), n in 0,1,2,3,4,6,8,12,16,24,32, 1000 prompts, seed 2024. --tasks or --formats
evaluate every listed task in every listed format (either defaulting to lookup,compose2 and
direct,stepwise).

Writes DIR (default induct-evaluate/): results.csv, results.json (every column of the evaluation;
metadata: the model, its world, the tasks and the evaluation settings), error_vs_n.svg,
<task>_<format>.svg, stepwise_vs_direct.svg (if a task is stepwise) and summary.txt; prints the
compact table (n, bound, idealized, measured with interval).

options:
  --model FILE       model file (safetensors with induct metadata)
  --out DIR          output directory (default induct-evaluate)
  --tasks LIST       comma list of lookup, compose2, compose3, novel (a task deeper than the
                     world's max_depth is an error)
  --formats LIST     comma list of direct, stepwise
  --examples LIST    n values, e.g. 0,1,2,4,8 or 0..8
  --prompts N        prompts per task, format and n
  --seed S           prompt seed (the same seed gives the same prompts to every model)
  --setup JSON|FILE  the model's world as setup fields over the SPEC defaults (must agree with
                     the recorded world; required if the file records none)
  --corpus FILE      for task novel: the training corpus, whose sidecar FILE.json lists the
                     chains seen as lists (its world must be the model's)
  --json             print the result table (with its metadata) as JSON on stdout; the table
                     and progress go to stderr
)",
       {},
       experiment_cli::run_evaluate});
  commands.push_back(
      {"sweep", "scaling sweep over model sizes and training tokens (resumable, shardable)",
       R"(usage: induct sweep --grid small|paper|FILE --out DIR [--shard I/N] [--max-points N] [--json]

Trains and evaluates one model per design point (model size x training tokens). Each point is an
independent job keyed by the hash of its config; its result is written atomically to
DIR/points/<key>.json (its full evaluation to DIR/evaluations/<key>.csv). Rerunning the same
command skips finished points, so a killed sweep loses at most the point in flight. Writes
DIR/table.csv and table.json (one row per finished point), DIR/emergence.svg (lookup error at
n = 16 per model and data) and DIR/stepwise_vs_direct.svg (compose2 at n = 8, both formats).

Grids: small (3 models x 3 token counts on the default setup, about 30 minutes on 2 cores), paper (layers 1..8, width
32..256, tokens 1e5..1e8), or a JSON file:
  {"models": [{"layers": 2, "width": 64, "heads": 4}], "tokens": [1e5, 1e6],
   "base": {"context": 96, "batch": 16, "lr": 0.002, "prompts": 100, "examples": [0, 8, 16],
            "seed": 1, "shares": "demo"|"default"}}

options:
  --grid G          small, paper or a grid file
  --out DIR         sweep directory (created; reused to resume)
  --shard I/N       compute only points with index % N == I (spread a grid over N machines)
  --max-points N    compute at most N new points in this run
  --json            print the assembled table as JSON on stdout
)",
       {},
       experiment_cli::run_sweep});
  commands.push_back(
      {"probe", "linear probes for the prompt's structure on every layer of a trained model",
       R"(usage: induct probe --model FILE [--out DIR] [--prompts N] [--examples n] [--seed S] [--l2 X] [--json]

Runs prompts of lookup, compose2 and compose3 (direct) and compose2 (stepwise) with n examples
through the model (a model file written by `induct demo` or `induct train`, which records its
world), and fits multinomial logistic-regression probes (L2, held-out split by prompt) on the
residual stream after the embeddings (layer 0) and after every block, for: token role, item
index, the list's first function and depth, and in direct composite lists the hidden
intermediate value f_1(q) at the query. Writes DIR/probes.csv, probes.json (with the model's ICL
accuracy on the same prompts) and probes.svg (accuracy by layer beside the majority baselines).
Because f_1(q) varies with q, which the residual stream carries, hidden_f1 also has a q-only
control (column q_only_control): the held-out accuracy of predicting, for each q, the training
split's most frequent f_1(q); a hidden_f1 probe above it reads more than q.

options:
  --model FILE      model file (safetensors with induct metadata)
  --out DIR         output directory (default induct-probe)
  --prompts N       prompts per task and format (default 300)
  --examples n      examples per prompt (default 6)
  --seed S          prompt seed (default 4242)
  --l2 X            L2 penalty of the probes (default 1e-3)
  --json            print the probe table as JSON on stdout
)",
       {},
       experiment_cli::run_probe});
}

}  // namespace induct::cli
