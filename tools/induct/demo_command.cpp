// induct demo: the whole pipeline on the SPEC's default setup (experiment/demo.hpp).
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "config_options.hpp"
#include "induct/core/resources.hpp"
#include "induct/experiment/corpus_training.hpp"
#include "induct/experiment/demo.hpp"
#include "tool.hpp"

namespace induct::tool {

void add_demo_command(CLI::App& app, invocation& chosen) {
  const experiment::run_config shown = experiment::default_demo_config();
  auto* command = add_command(
      &app, "demo", "sample a corpus, train a small GPT, measure in-context learning against the theory",
      "Runs the whole pipeline with no arguments, on the SPEC's default setup (64 entities, 8 functions, chains of "
      "depth <= 4, default segment shares and list lengths): samples a 16M-token corpus, trains a 2-layer GPT "
      "(width 64, context 88, 12,000 steps, the plain next-token loss), evaluates it on lookup, compose2 (seen "
      "chains) and novel2 (chains held out of every training list), direct and stepwise, against the exact "
      "idealized predictor and Theorem 1's bound D + R_n on the cumulative answer bits and mistakes, prints a compact table and writes --out: results.csv, "
      "results.json (every column of the evaluation and the run's config), error_vs_n.svg, <task>_<format>.svg, "
      "stepwise_vs_direct.svg, summary.txt and model.safetensors. About 4 minutes on 2 cores; deterministic for a "
      "seed (on any thread count). --seeds 1,2,3 trains one model per seed (into --out/seed-S) and adds the "
      "across-seed table (mean, range, seeds-and-prompts bootstrap interval).\n\n--answer-weight and --input-weight "
      "weigh the training loss on list answers and inputs (1 and 1: the plain loss, the default). --curve-every K "
      "adds the learning curve: the evaluation at --curve-examples (on --curve-prompts prompts) every K steps, "
      "learning_curve.csv/.svg, and the step from which the query error stays <= --curve-threshold (across seeds "
      "too). --reduced-world starts from the quick variant of the miniature "
      "test instead: 16 entities, 4 functions, depth <= 2, list-heavy shares, a width-48 model, 3,000 steps; the "
      "other options apply on top of either.\nJSON: the result table, with \"training\", \"config\" and \"out\".");
  struct options {
    common_flags flags;
    std::string out = "induct-demo";
    bool reduced_world = false;
    std::uint64_t seed = 1;
    std::vector<int> seeds;
    std::uint64_t tokens = 0;
    int prompts = 0;
    std::vector<int> examples;
    double answer_weight = 0, input_weight = 0;
    std::optional<config_options<nn::gpt_config>> model;
    std::optional<config_options<nn::trainer_config>> training;
    std::optional<world_options> world;
    std::optional<config_options<experiment::learning_curve_config>> curve;
  };
  auto o = std::make_shared<options>();
  o->tokens = shown.corpus_tokens;
  o->prompts = shown.evaluation.prompts;
  o->examples = shown.evaluation.examples;
  o->answer_weight = shown.answer_loss_weight;
  o->input_weight = shown.input_loss_weight;
  command->add_option("--out", o->out, "output directory")->capture_default_str();
  command->add_flag("--reduced-world", o->reduced_world, "start from the reduced quick configuration");
  add_unsigned(command, "--seed", o->seed, "corpus and training seed", 0, std::numeric_limits<std::uint64_t>::max());
  add_int_list(command, "--seeds", o->seeds,
               "training seeds, one model each on the --seed corpus, e.g. 1,2,3 (the across-seed table)", 0, 1 << 30);
  add_unsigned(command, "--tokens", o->tokens, "corpus tokens", 1000, std::uint64_t{1} << 40);
  add_integer(command, "--prompts", o->prompts, "prompts per task, format and n", 1, 10000000);
  add_int_list(command, "--examples", o->examples, "n values, e.g. 0,1,2,4,8 or 0..8", 0, 100000);
  add_number(command, "--answer-weight", o->answer_weight, "training loss weight on tokens right after ':' (answers)",
             0.0, 1e6);
  add_number(command, "--input-weight", o->input_weight, "training loss weight on list inputs x (1 and 1: plain loss)",
             0.0, 1e6);
  o->model.emplace(command, shown.model, "Model");
  o->training.emplace(command, shown.training, "Training",
                      std::vector<std::string>{"seed", "checkpoint-every", "log-every"});
  add_common_flags(command, o->flags);
  o->world.emplace(command);
  o->curve.emplace(command, experiment::learning_curve_config{}, "Learning curve");
  on_run(command, chosen, [o, command] {
    o->flags.apply();
    experiment::run_config config =
        o->reduced_world ? experiment::reduced_demo_config() : experiment::default_demo_config();
    if (command->count("--seed")) config.corpus_seed = config.training.seed = o->seed;
    if (command->count("--tokens")) config.corpus_tokens = o->tokens;
    if (command->count("--prompts")) config.evaluation.prompts = o->prompts;
    if (command->count("--examples")) config.evaluation.examples = o->examples;
    if (command->count("--answer-weight")) config.answer_loss_weight = o->answer_weight;
    if (command->count("--input-weight")) config.input_loss_weight = o->input_weight;
    config.setup = o->world->resolve(config.setup);
    config.model = o->model->over(config.model);
    const bool lr_given = o->training->given("lr");
    config.training = o->training->over(config.training);
    if (lr_given && !o->training->given("min-lr"))
      config.training.min_learning_rate = std::min(config.training.min_learning_rate, config.training.learning_rate);
    config.training.validate();
    require_memory(experiment::training_memory_bytes(config.model, config.training.batch, config.corpus_tokens, false,
                                                     config.training.gradient_block) +
                       4.0 * static_cast<double>(config.corpus_tokens),
                   "the demo's corpus of " + std::to_string(config.corpus_tokens) + " tokens and its training");
    const std::filesystem::path out = o->out;
    std::ostream& console = o->flags.json ? std::cerr : std::cout;
    std::vector<std::uint64_t> seeds{config.training.seed};
    if (command->count("--seeds")) seeds.assign(o->seeds.begin(), o->seeds.end());
    const auto curve = o->curve->over(experiment::learning_curve_config{});
    curve.validate();
    const auto seeded = experiment::run_demo_seeds(config, seeds, out, console, true, curve);
    const auto& result = seeded.runs.front();
    if (o->flags.json) {
      nlohmann::json j = seeds.size() > 1 ? seeded.across_seeds.to_json() : result.table.to_json();
      j["training"] = result.training.to_json();
      j["training_seeds"] = seeds;
      j["config"] = config.to_json();
      j["out"] = out.string();
      if (curve.enabled())
        j["learning_curve"] = seeds.size() > 1 ? seeded.emergence_across_seeds.to_json()
                                               : experiment::emergence_table(result.curve, curve.threshold).to_json();
      print_json(j);
    }
    return 0;
  });
}

}  // namespace induct::tool
