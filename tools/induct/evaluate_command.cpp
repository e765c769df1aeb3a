// induct evaluate: a trained model file against the idealized predictor and the bounds, with the demo's code.
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config_options.hpp"
#include "induct/core/progress.hpp"
#include "induct/experiment/evaluation_outputs.hpp"
#include "induct/experiment/exposure.hpp"
#include "induct/experiment/grammar_evaluation.hpp"
#include "induct/experiment/seeds.hpp"
#include "induct/experiment/trained_model.hpp"
#include "induct/grammar/parse.hpp"
#include "tool.hpp"

namespace induct::tool {
namespace {

/// `induct evaluate --grammar FILE`: one library call (experiment::evaluate_model_on_grammar), its files, a summary.
int evaluate_on_grammar(const std::string& model_file, const std::string& grammar_file,
                        const experiment::grammar_evaluation_config& config, const std::string& strings_file,
                        const std::filesystem::path& out, bool json) {
  const auto run = experiment::evaluate_model_on_grammar(model_file, grammar::read_grammar_file(grammar_file), config,
                                                         strings_file);
  std::string title = "Loss per item: exact against ";  // appends: GCC 12 warns falsely on "a" + std::string
  title += std::filesystem::path(model_file).filename().string();
  experiment::write_grammar_evaluation(out, run.evaluation, run.metadata, title);
  if (json) {
    nlohmann::json j = run.evaluation.by_item.to_json();
    j["metadata"] = run.metadata;
    print_json(j);
    return 0;
  }
  const auto& m = run.metadata;
  const auto mean = [&m](const char* key, int digits = 4) {  // null in JSON: no position evaluated
    return m[key].is_null() ? fixed(NAN, digits) : fixed(m[key].get<double>(), digits);
  };
  std::cout << "evaluated " << model_file << " on " << run.evaluation.strings << " strings of " << grammar_file
            << " (grammar " << m["grammar_fingerprint"].get<std::string>() << "), " << m["positions"].get<std::size_t>()
            << " positions; skipped " << run.evaluation.skipped.size() << " longer than the context\n"
            << "per position: KL(exact || model) " << mean("mean_kl_bits") << " bits, model excess "
            << mean("mean_excess_bits") << " bits, exact entropy " << mean("mean_exact_entropy_bits")
            << " bits, argmax agreement " << mean("argmax_agreement", 3) << "\n";
  if (run.evaluation.by_item.row_count() > 0)
    std::cout << "per item of " << m["iterated"].dump() << " (loss in bits, mean over strings):\n"
              << run.evaluation.by_item.to_text(3);
  else
    std::cout << "no iteration: the grammar has no right-recursive list rule (name one with --iterate)\n";
  std::cout << "wrote " << (out / "by_item.csv").string() << ", by_position.csv, positions.csv, grammar_evaluation.json and "
            << "items.svg\n";
  return 0;
}

}  // namespace

void add_evaluate_command(CLI::App& app, invocation& chosen) {
  auto* command = add_command(
      &app, "evaluate", "evaluate a trained model on the ICL task suite against the idealized predictor and bounds",
      "Evaluates an already-trained model (written by `induct demo`, or by `induct train` on a corpus with its "
      "sidecar) as the demo evaluates the model it trains, with the same code: per task, format and n, the model's "
      "and the exact idealized predictor's cumulative answer bits and mistakes over the n + 1 answers against "
      "Theorem 1's bound D + R_n (and the shares of prompts within it; the bound is vacuous where D + R_n >= n + 1), "
      "the idealized loss's version-space account, the excess loss K over the idealized predictor, the per-token KL "
      "from it and the model-specific bound D + R_n + K; then, apart, the error rate at the query with its "
      "Clopper-Pearson 95% interval and the query's log-loss, the idealized predictor's beside it. Stepwise lists are scored on the final "
      "value of greedy generation and on every step. n values whose prompt and answer do not fit the model's "
      "context are skipped (and listed).\n\nThe world is the one the model file records; world options that "
      "differ from it are an error naming the fields (a file that records none needs them). By default the tasks, "
      "n values, prompt count and seed are those of the run that trained the model, so `induct evaluate --model "
      "induct-demo/model.safetensors` reproduces the demo's results.csv; for other models: lookup and compose2 "
      "(direct) and compose2 (stepwise), n in 0,1,2,3,4,6,8,12,16,24,32, 1000 prompts, seed 2024. --tasks or "
      "--formats evaluate every listed task in every listed format.\n\nWrites --out: results.csv, results.json, "
      "error_vs_n.svg, <task>_<format>.svg, stepwise_vs_direct.svg and summary.txt; prints the compact table.\n"
      "JSON: the result table with its \"metadata\" (progress goes to stderr).\n\nWith --grammar FILE the model "
      "(trained on a corpus of `induct corpus --grammar`; its recorded grammar fingerprint must be FILE's) is "
      "evaluated against the grammar's exact next-token distribution (Earley) instead, on --samples strings "
      "sampled with --seed or on the strings of --strings FILE (one per line): per position the KL from the "
      "exact distribution, the model's excess bits, the exact entropy and argmax agreement, by position and by "
      "item of the iteration (--iterate, or the right-recursive list rules), the exact and the model's loss per "
      "item with a 95% interval. Writes --out: by_item.csv, by_position.csv, positions.csv, "
      "grammar_evaluation.json and items.svg (docs/grammars.md).\nJSON: the per-item table with its \"metadata\".");
  struct options {
    common_flags flags;
    std::vector<std::string> model_files;
    std::string out = "induct-evaluate", corpus;
    std::vector<std::string> tasks{"lookup", "compose2"}, formats{"direct", "stepwise"};
    std::vector<int> examples;
    int prompts = 1000;
    std::uint64_t seed = 2024;
    std::optional<world_options> world;
    std::string grammar_file, strings_file;
    std::optional<config_options<experiment::grammar_evaluation_config>> grammar;
  };
  auto o = std::make_shared<options>();
  o->examples = experiment::evaluation_options{}.examples;
  command->add_option("--model", o->model_files,
                      "model file (safetensors with induct metadata); several (one per training seed, the same run "
                      "otherwise) also give the across-seed table")
      ->required();
  command->add_option("--out", o->out, "output directory")->capture_default_str();
  add_name_list(command, "--tasks", o->tasks,
                "tasks to evaluate (default: the run's); novelK: the held-out chains of depth K",
                {"lookup", "compose2", "compose3", "novel", "novel2", "novel3", "novel4", "novel5", "novel6"});
  add_name_list(command, "--formats", o->formats, "formats to evaluate them in (default: the run's)",
                {"direct", "stepwise"});
  add_int_list(command, "--examples", o->examples, "n values (default: the run's)", 0, 100000);
  add_integer(command, "--prompts", o->prompts, "prompts per task, format and n (default: the run's)", 1, 10000000);
  add_unsigned(command, "--seed", o->seed, "prompt seed (default: the run's); with --grammar the held-out strings' seed",
               0, std::numeric_limits<std::uint64_t>::max());
  command->add_option("--corpus", o->corpus,
                      "the training corpus, for its counts (lists of each chain, facts of its primitives) in every row; "
                      "default: the corpus the model's run_config records, sampled again");
  command->add_option("--grammar", o->grammar_file,
                      "a PCFG file: evaluate the model against its exact next-token distribution (the model must be "
                      "trained on its corpus)")
      ->type_name("FILE")
      ->group("Grammar");
  command->add_option("--strings", o->strings_file,
                      "with --grammar: held-out strings, one per line (terminal names), instead of --samples")
      ->type_name("FILE")
      ->group("Grammar");
  o->grammar.emplace(command, experiment::grammar_evaluation_config{}, "Grammar", std::vector<std::string>{"seed"});
  add_common_flags(command, o->flags);
  o->world.emplace(command);
  on_run(command, chosen, [o, command] {
    o->flags.apply();
    if (o->grammar_file.empty()) {
      for (const char* option : {"--strings", "--samples", "--iterate"})
        if (command->count(option)) throw usage_error(option, "needs --grammar FILE");
    } else {
      for (const char* option : {"--tasks", "--formats", "--examples", "--prompts", "--corpus"})
        if (command->count(option))
          throw usage_error(option, "evaluates the controlled setup's tasks; --grammar evaluates against a grammar");
      if (o->world->given()) throw usage_error("--grammar", "a grammar has no world: give --grammar or world options, not both");
      if (o->model_files.size() != 1) throw usage_error("--model", "--grammar evaluates one model file");
      if (!o->strings_file.empty() && command->count("--samples"))
        throw usage_error("--strings", "give --strings FILE or --samples N, not both");
      experiment::grammar_evaluation_config config = o->grammar->over(experiment::grammar_evaluation_config{});
      if (command->count("--seed")) config.seed = o->seed;
      return evaluate_on_grammar(o->model_files.front(), o->grammar_file, config, o->strings_file, o->out,
                                 o->flags.json);
    }
    std::optional<setup::setup_config> world_override;
    if (o->world->given()) world_override = o->world->resolve();
    std::ostream& console = o->flags.json ? std::cerr : std::cout;
    const std::filesystem::path out = o->out;
    const bool several = o->model_files.size() > 1;
    std::vector<experiment::result_table> tables;
    std::vector<std::uint64_t> seeds;
    nlohmann::json metadata_of_models = nlohmann::json::array();
    for (std::size_t m = 0; m < o->model_files.size(); ++m) {
      const std::string& model_file = o->model_files[m];
      auto trained = experiment::load_trained_model(model_file, world_override ? &*world_override : nullptr);
      experiment::evaluation_plan plan = experiment::evaluation_plan_of(trained.metadata);
      if (command->count("--tasks") || command->count("--formats")) {
        plan.tasks.clear();
        for (const auto& name : o->tasks)
          for (const auto& format : o->formats) plan.tasks.push_back({name, setup::parse_list_format(format)});
      }
      if (command->count("--examples")) plan.options.examples = o->examples;
      if (command->count("--prompts")) plan.options.prompts = o->prompts;
      if (command->count("--seed")) plan.options.prompt_seed = o->seed;
      experiment::check_tasks_posable(plan.tasks, trained.world);
      std::optional<nlohmann::json> sidecar;
      if (!o->corpus.empty()) sidecar = experiment::training_corpus_sidecar(o->corpus, trained.world, &trained.metadata);
      else if (auto recorded = experiment::recorded_corpus_sidecar(trained); !recorded.is_null()) sidecar = std::move(recorded);

      const auto& config = trained.model.config();
      console << "evaluating " << model_file << " (" << config.layers << " layers, width " << config.width
              << ", step " << trained.metadata.info.step << ") in its world of " << trained.world.entity_count()
              << " entities and " << trained.world.function_count() << " functions, on " << plan.options.prompts
              << " prompts per task, format and n (seed " << plan.options.prompt_seed << ")\n";
      console.flush();
      progress_bar bar("evaluate", 1.0);
      plan.options.progress = [&](std::size_t done, std::size_t total) {
        bar.update(static_cast<double>(done) / static_cast<double>(total));
      };
      std::vector<std::string> skipped;
      const auto start = std::chrono::steady_clock::now();
      const auto [answer_weight, input_weight] =
          experiment::recorded_loss_weights(trained.metadata.info, trained.metadata.run_config, model_file);
      const auto table = experiment::add_loss_weights(
          experiment::evaluate_trained_model(trained.model, trained.world, plan.tasks, plan.options, &skipped,
                                             sidecar ? &*sidecar : nullptr),
          answer_weight, input_weight);
      bar.finish();
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      for (const auto& s : skipped) console << "skipped " << s << "\n";
      if (table.row_count() == 0)
        throw config_error("examples", "no (task, format, n) fits the model's context of " +
                                           std::to_string(config.context_length) + " tokens");
      nlohmann::json metadata = experiment::evaluation_metadata(model_file, trained, plan, skipped, seconds);
      const std::uint64_t seed = experiment::training_seed_of(trained.metadata, m + 1);
      const std::filesystem::path model_out = several ? out / ("model-" + std::to_string(m + 1)) : out;
      experiment::write_evaluation_outputs(model_out, table, metadata, "Predicted (bound, idealized) against measured (" +
                                                                       std::filesystem::path(model_file).filename().string() + ")");
      console << "\n" << experiment::compact_summary(table) << "\n" << experiment::icl_verdict(table) << "wrote "
              << (model_out / "results.csv").string() << ", results.json, report.html, error_vs_n.svg, the per-task plots and summary.txt\n";
      tables.push_back(table);
      seeds.push_back(seed);
      metadata_of_models.push_back(metadata);
    }
    experiment::result_table across;
    if (several) {
      across = experiment::combine_seed_tables(seeds, tables);
      const nlohmann::json metadata = {{"models", metadata_of_models}, {"training_seeds", seeds}};
      std::string title = "Predicted against measured, ";  // appends: GCC 12 warns falsely on "a" + std::string
      title += std::to_string(seeds.size());
      title += " models (training seeds ";
      title += experiment::seed_list_text(seeds);
      title += ")";
      std::vector<std::string> subfolders;
      for (std::size_t m = 0; m < seeds.size(); ++m) subfolders.push_back("model-" + std::to_string(m + 1));
      experiment::write_seed_outputs(out, across, metadata, title, subfolders);
      console << "\nacross " << seeds.size() << " models (training seeds " << experiment::seed_list_text(seeds) << "):\n"
              << experiment::compact_seed_table(across).to_text(3)
              << "(* bound vacuous: D + R_n >= n + 1; the interval resamples models, then prompts within each)\n"
              << "wrote " << (out / "results_across_seeds.csv").string() << ", results_across_seeds.json, error_vs_n_across_seeds.svg and model-K/ per model\n";
    }
    if (o->flags.json) {
      nlohmann::json j = several ? across.to_json() : tables.front().to_json();
      j["metadata"] = several ? nlohmann::json{{"models", metadata_of_models}, {"training_seeds", seeds}}
                              : metadata_of_models.front();
      print_json(j);
    }
    return 0;
  });
}

}  // namespace induct::tool
