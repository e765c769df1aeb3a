// induct bound | ideal: the theory's side, exact: the bounds of Theorems 1 and 2 and the idealized predictor.
#include <cstdio>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config_options.hpp"
#include "induct/core/json_number.hpp"
#include "induct/setup/corpus.hpp"
#include "induct/setup/tasks.hpp"
#include "induct/theory/bounds.hpp"
#include "induct/theory/idealized_predictor.hpp"
#include "induct/theory/scoring.hpp"
#include "tool.hpp"

namespace induct::tool {
namespace {

/// The task options of bound and ideal.
struct task_options {
  std::string task = "lookup";
  std::string format;
  std::vector<int> examples;

  void add_to(CLI::App* command, const std::string& default_format) {
    format = default_format;
    examples.clear();
    for (int n = 0; n <= 32; ++n) examples.push_back(n);
    command->add_option("--task", task,
                        "the ICL task: lookup, compose2, compose3, or novel2, novel3, ... (the held-out chains of that "
                        "depth; novel: the smallest held-out depth)")
        ->capture_default_str();
    add_choice(command, "--format", format, "list format", {"direct", "stepwise", "both"});
    add_int_list(command, "--examples", examples, "example counts n: a..b, n, or a comma list", 0, 100000)
        ->default_str("0..32");
  }

  [[nodiscard]] std::vector<setup::list_format> formats() const {
    if (format == "both") return {setup::list_format::direct, setup::list_format::stepwise};
    return {setup::parse_list_format(format)};
  }

  [[nodiscard]] setup::task resolve(setup::list_format f, const setup::document_model& model) const {
    try {
      return setup::task::by_name(task, f, model);
    } catch (const config_error&) {
      throw;
    } catch (const error& e) {
      throw usage_error("--task", e.what());
    }
  }
};

void add_bound(CLI::App& app, invocation& chosen) {
  auto* command = add_command(
      &app, "bound", "Theorem 1/2 bounds: D + R_n on cumulative answer bits and mistakes, (D + R_n)/n per example",
      "For a task of the ICL suite, the idealized predictor's bound per number of examples n:\n"
      "  D_bits            description length D = -log2 P(format, chain | list) of the task's derivation\n"
      "  R_n_bits          closed-form bound on the iteration complexity R over n continue tokens\n"
      "                    (0 for the shared geometric law; O(log n) for the power-law variant)\n"
      "  bound_cum_bits    D + R_n: bound on the cumulative answer log-loss (bits) over the n + 1 answers\n"
      "  bound_mistakes    floor(D + R_n): bound on the argmax mistakes among them\n"
      "  bound_mistakes_per_example  (D + R_n) / n: bound on the mistakes per example (null at n = 0)\n"
      "  bound_vacuous     D + R_n >= n + 1: the bound allows every one of the n + 1 answers to be wrong\n"
      "Rows whose n + 1 items exceed list_length_max are impossible prompts: possible = false, values null.\n"
      "JSON: {\"rows\":[{\"task\",\"format\",\"depth\",\"examples\",\"possible\",\"D_bits\",\"R_n_bits\","
      "\"bound_cum_bits\",\"bound_mistakes\",\"bound_mistakes_per_example\",\"bound_vacuous\"},...]}");
  struct options {
    common_flags flags;
    task_options task;
    std::optional<world_options> world;
  };
  auto o = std::make_shared<options>();
  o->task.add_to(command, "both");
  add_common_flags(command, o->flags);
  o->world.emplace(command);
  on_run(command, chosen, [o] {
    o->flags.apply();
    const setup::document_model model(o->world->resolve());
    nlohmann::json rows = nlohmann::json::array();
    for (auto format : o->task.formats()) {
      const setup::task task = o->task.resolve(format, model);
      for (int n : o->task.examples) {
        const theory::bound_row row = theory::theorem1_bound(model, format, task.depth(), n);
        rows.push_back({{"task", task.name()},
                        {"format", setup::to_string(format)},
                        {"depth", row.depth},
                        {"examples", n},
                        {"possible", row.possible},
                        {"D_bits", finite_or_null(row.description_length_bits)},
                        {"R_n_bits", finite_or_null(row.iteration_complexity_bits)},
                        {"bound_cum_bits", finite_or_null(row.bound_cumulative_bits)},
                        {"bound_mistakes", finite_or_null(row.bound_mistakes)},
                        {"bound_mistakes_per_example", finite_or_null(row.bound_mistakes_per_example)},
                        {"bound_vacuous", row.vacuous}});
      }
    }
    if (o->flags.json) {
      print_json({{"rows", rows}});
      return 0;
    }
    std::printf("%-9s %-9s %4s %9s %9s %12s %10s %12s\n", "task", "format", "n", "D_bits", "R_n_bits", "bound_bits",
                "mistakes", "per_example");
    for (const auto& r : rows) {
      auto field = [&](const char* key) { return r[key].is_null() ? std::string("-") : fixed(r[key].get<double>()); };
      std::printf("%-9s %-9s %4d %9s %9s %12s %10s %12s%s\n", r["task"].get<std::string>().c_str(),
                  r["format"].get<std::string>().c_str(), r["examples"].get<int>(), field("D_bits").c_str(),
                  field("R_n_bits").c_str(), field("bound_cum_bits").c_str(), field("bound_mistakes").c_str(),
                  field("bound_mistakes_per_example").c_str(),
                  !r["possible"].get<bool>() ? "  (impossible: n + 1 items exceed list_length_max)"
                  : r["bound_vacuous"].get<bool>() ? "  (vacuous: D + R_n >= n + 1)"
                                                   : "");
    }
    return 0;
  });
}

int ideal_prompt(const std::string& prompt, std::int64_t top, bool json, const setup::world& world) {
  const theory::idealized_list_model model(world);
  const auto tokens = world.vocab().encode(prompt, "--prompt");
  theory::idealized_predictor predictor(model);
  predictor.start(tokens);
  std::vector<long double> distribution;
  predictor.next_token_distribution(distribution);
  const auto posterior = predictor.posterior(static_cast<std::size_t>(top));
  // Most probable first; --top limits both lists.
  std::vector<std::pair<std::string, double>> next;
  for (std::size_t t = 0; t < distribution.size(); ++t)
    if (distribution[t] > 0.0L) next.emplace_back(world.vocab().names()[t], static_cast<double>(distribution[t]));
  std::stable_sort(next.begin(), next.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (next.size() > static_cast<std::size_t>(top)) next.resize(static_cast<std::size_t>(top));
  if (json) {
    nlohmann::json dist = nlohmann::json::object();
    for (const auto& [name, p] : next) dist[name] = p;
    nlohmann::json hypotheses = nlohmann::json::array();
    for (const auto& h : posterior)
      hypotheses.push_back({{"format", setup::to_string(h.format)},
                            {"chain", h.chain},
                            {"label", setup::chain_label(h.chain)},
                            {"probability", h.probability}});
    print_json({{"distribution", dist}, {"posterior", hypotheses}});
    return 0;
  }
  std::printf("next-token distribution after: %s (top %zu)\n", world.vocab().decode(tokens).c_str(), next.size());
  for (const auto& [name, p] : next) std::printf("  %-6s %.10f\n", name.c_str(), p);
  std::printf("posterior over list tasks (top %zu):\n", posterior.size());
  for (const auto& h : posterior)
    std::printf("  %-9s %-14s %.10f\n", setup::to_string(h.format), setup::chain_label(h.chain).c_str(), h.probability);
  return 0;
}

void add_ideal(CLI::App& app, invocation& chosen) {
  auto* command = add_command(
      &app, "ideal", "the exact idealized predictor: a prompt's next token and task posterior, or scores on a task",
      "With --prompt: the exact next-token distribution of the pretraining distribution after a list prompt (it "
      "must start with '<d> [') and the posterior over list tasks (format, chain), the --top most probable of each, "
      "most probable first.\nJSON: {\"distribution\":{\"e5\":p,...},\"posterior\":[{\"format\",\"chain\",\"label\","
      "\"probability\"},...]}\n\nWith --task: --prompts prompts per n (seed --seed), answered by the idealized "
      "predictor: argmax for direct, greedy generation until ';' scored on the final value for stepwise. Per row: "
      "error rate at the query with its Clopper-Pearson 95% interval, mean log-loss of the query answer, mean "
      "cumulative answer loss over the n + 1 items, its version-space account (mean VS = -log2 prior mass of the "
      "tasks that can emit the prompt and its answer, and the correction C = cumulative loss - VS), and the "
      "Theorem 1 bound columns (see `induct bound --help`).\nJSON: "
      "{\"rows\":[{\"format\",\"examples\",\"prompts\",\"query_error_rate\",\"query_ci_low\",\"query_ci_high\","
      "\"mean_query_loss_bits\",\"mean_cum_loss_bits\",\"mean_version_space_bits\","
      "\"mean_version_space_correction_bits\",\"bound_cum_bits\",\"bound_mistakes_per_example\",\"bound_vacuous\",...},"
      "...]}");
  struct options {
    common_flags flags;
    std::string prompt;
    std::int64_t top = 10;
    task_options task;
    std::int64_t prompts = 1000;
    std::uint64_t seed = 1;
    std::optional<world_options> world;
  };
  auto o = std::make_shared<options>();
  auto* prompt = command->add_option("--prompt", o->prompt, "a list prompt, token names separated by spaces");
  add_integer(command, "--top", o->top, "with --prompt: how many next tokens and hypotheses to print", 1,
              std::int64_t{1} << 40);
  o->task.add_to(command, "direct");
  add_integer(command, "--prompts", o->prompts, "with --task: prompts per n", 1, 100000000);
  add_unsigned(command, "--seed", o->seed, "with --task: prompt seed", 0, std::numeric_limits<std::uint64_t>::max());
  add_common_flags(command, o->flags);
  o->world.emplace(command);
  on_run(command, chosen, [o, prompt, command] {
    o->flags.apply();
    if ((prompt->count() > 0) == (command->count("--task") > 0))
      throw usage_error("", "give exactly one of --prompt TEXT or --task NAME");
    const setup::world world(o->world->resolve());
    if (prompt->count() > 0) return ideal_prompt(o->prompt, o->top, o->flags.json, world);
    const theory::idealized_list_model model(world);
    nlohmann::json rows = nlohmann::json::array();
    for (auto format : o->task.formats()) {
      const setup::task task = o->task.resolve(format, model.document());
      for (int n : o->task.examples)
        rows.push_back(theory::score_task(model, task, n, static_cast<int>(o->prompts), o->seed).to_json());
    }
    if (o->flags.json) {
      print_json({{"rows", rows}});
      return 0;
    }
    std::printf("%-9s %-9s %4s %7s %10s %21s %11s %11s %11s %11s\n", "task", "format", "n", "prompts", "query_err",
                "95% CI", "query_loss", "cum_loss", "VS_bits", "bound_bits");
    for (const auto& r : rows) {
      if (!r["possible"].get<bool>()) {
        std::printf("%-9s %-9s %4d  impossible: n + 1 items exceed list_length_max\n",
                    r["task"].get<std::string>().c_str(), r["format"].get<std::string>().c_str(),
                    r["examples"].get<int>());
        continue;
      }
      auto field = [&](const char* key) { return r[key].is_null() ? std::string("-") : fixed(r[key].get<double>()); };
      std::printf("%-9s %-9s %4d %7d %10s %10s-%-10s %11s %11s %11s %11s\n", r["task"].get<std::string>().c_str(),
                  r["format"].get<std::string>().c_str(), r["examples"].get<int>(), r["prompts"].get<int>(),
                  field("query_error_rate").c_str(), field("query_ci_low").c_str(), field("query_ci_high").c_str(),
                  field("mean_query_loss_bits").c_str(), field("mean_cum_loss_bits").c_str(),
                  field("mean_version_space_bits").c_str(), field("bound_cum_bits").c_str());
    }
    return 0;
  });
}

}  // namespace

void add_theory_commands(CLI::App& app, invocation& chosen) {
  add_bound(app, chosen);
  add_ideal(app, chosen);
}

}  // namespace induct::tool
