#pragma once
// Subcommands of the theory module for the induct tool: `induct bound` (Theorems 1 and 2) and
// `induct ideal` (the exact idealized predictor on one prompt, or scored on a task suite).
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/args.hpp"
#include "induct/core/atomic_file.hpp"
#include "induct/setup/corpus.hpp"
#include "induct/setup/tasks.hpp"
#include "induct/theory/bounds.hpp"
#include "induct/theory/idealized_predictor.hpp"
#include "induct/theory/scoring.hpp"

namespace induct::cli {

namespace theory_cli {

inline const char* world_options_usage =
    "world options:\n"
    "  --world-seed W        seed of the world's function tables (default 1)\n"
    "  --setup FILE          JSON object of setup config fields over the defaults (e.g. {\"entities\": 8})\n"
    "  --length-law LAW      geometric (default: one law for both formats) or power_law (a Zipf law per format)\n";

inline const std::set<std::string> world_options{"world-seed", "setup", "length-law"};

/// The setup config from --setup, --world-seed and --length-law (validated).
inline setup::setup_config config_from(const args& a) {
  setup::setup_config config;
  if (a.has("setup")) {
    const std::string path = a.require("setup");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read_text_file(path));
    } catch (const nlohmann::json::exception& e) {
      throw file_error(path, std::string("setup config is not valid JSON: ") + e.what());
    }
    config = setup::setup_config::from_json(j);
  }
  config.world_seed = a.get_uint64("world-seed", config.world_seed);
  if (a.has("length-law")) {
    const std::string law = a.require("length-law");
    if (law == "geometric") config.list_length_law = setup::length_law_kind::geometric;
    else if (law == "power_law") config.list_length_law = setup::length_law_kind::power_law;
    else throw usage_error("--length-law must be geometric or power_law, got '" + law + "'");
  }
  config.validate();
  return config;
}

inline std::vector<setup::list_format> formats_from(const args& a, const std::string& fallback) {
  const std::string text = a.get("format", fallback);
  if (text == "both") return {setup::list_format::direct, setup::list_format::stepwise};
  if (text == "direct" || text == "stepwise") return {setup::parse_list_format(text)};
  throw usage_error("--format must be direct, stepwise or both, got '" + text + "'");
}

/// The task named by --task (novel needs --corpus FILE whose sidecar FILE.json lists the chains seen).
inline setup::task task_from(const args& a, setup::list_format format, const setup::document_model& model) {
  const std::string name = a.require("task");
  if (name == "novel") {
    if (!a.has("corpus")) throw usage_error("--task novel needs --corpus FILE (its sidecar lists the chains seen as lists)");
    const nlohmann::json sidecar = setup::read_corpus_sidecar(setup::corpus_sidecar_path(a.require("corpus")));
    return setup::task::by_name(name, format, model, &sidecar, static_cast<int>(a.get_int("depth", 0)));
  }
  if (name != "lookup" && name != "compose2" && name != "compose3")
    throw usage_error("--task must be lookup, compose2, compose3 or novel, got '" + name + "'");
  return setup::task::by_name(name, format, model);
}

inline std::vector<int> examples_from(const args& a) {
  std::vector<int> values = a.get_range("examples", "0..32");
  for (int n : values)
    if (n < 0) throw usage_error("--examples must be >= 0, got " + std::to_string(n));
  return values;
}

inline nlohmann::json number_or_null(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }

inline std::string fixed(double x, int digits = 4) {
  if (!std::isfinite(x)) return "-";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, x);
  return buffer;
}

inline int run_bound(const args& a) {
  a.check({"task", "format", "examples", "corpus", "depth", "world-seed", "setup", "length-law"});
  const setup::setup_config config = config_from(a);
  const setup::document_model model(config);
  nlohmann::json rows = nlohmann::json::array();
  for (auto format : formats_from(a, "both")) {
    const setup::task task = task_from(a, format, model);
    for (int n : examples_from(a)) {
      const theory::bound_row row = theory::theorem1_bound(model, format, task.depth(), n);
      rows.push_back({{"task", task.name()},
                      {"format", setup::to_string(format)},
                      {"depth", row.depth},
                      {"examples", n},
                      {"possible", row.possible},
                      {"D_bits", number_or_null(row.description_length_bits)},
                      {"R_n_bits", number_or_null(row.iteration_complexity_bits)},
                      {"bound_cum_bits", number_or_null(row.bound_cumulative_bits)},
                      {"bound_mistakes", number_or_null(row.bound_mistakes)},
                      {"bound_error_rate", number_or_null(row.bound_error_rate)}});
    }
  }
  if (a.flag("json")) {
    std::cout << dump_json({{"rows", rows}}) << "\n";
    return 0;
  }
  std::printf("%-9s %-9s %4s %9s %9s %12s %10s %12s\n", "task", "format", "n", "D_bits", "R_n_bits", "bound_bits",
              "mistakes", "error_rate");
  for (const auto& r : rows) {
    auto field = [&](const char* key) { return r[key].is_null() ? std::string("-") : fixed(r[key].get<double>()); };
    std::printf("%-9s %-9s %4d %9s %9s %12s %10s %12s%s\n", r["task"].get<std::string>().c_str(),
                r["format"].get<std::string>().c_str(), r["examples"].get<int>(), field("D_bits").c_str(),
                field("R_n_bits").c_str(), field("bound_cum_bits").c_str(), field("bound_mistakes").c_str(),
                field("bound_error_rate").c_str(), r["possible"].get<bool>() ? "" : "  (impossible: n + 1 items exceed list_length_max)");
  }
  return 0;
}

inline int run_ideal_prompt(const args& a, const setup::world& world) {
  const theory::idealized_list_model model(world);
  const auto tokens = world.vocab().encode(a.require("prompt"), "--prompt");
  theory::idealized_predictor predictor(model);
  predictor.start(tokens);
  std::vector<long double> distribution;
  predictor.next_token_distribution(distribution);
  const auto top = static_cast<std::size_t>(a.get_int("top", 10));
  const auto posterior = predictor.posterior(top);
  nlohmann::json dist = nlohmann::json::object();
  for (std::size_t t = 0; t < distribution.size(); ++t)
    if (distribution[t] > 0.0L) dist[world.vocab().names()[t]] = static_cast<double>(distribution[t]);
  nlohmann::json hypotheses = nlohmann::json::array();
  for (const auto& h : posterior)
    hypotheses.push_back({{"format", setup::to_string(h.format)},
                          {"chain", h.chain},
                          {"label", setup::chain_label(h.chain)},
                          {"probability", h.probability}});
  if (a.flag("json")) {
    std::cout << dump_json({{"distribution", dist}, {"posterior", hypotheses}}) << "\n";
    return 0;
  }
  std::printf("next-token distribution after: %s\n", world.vocab().decode(tokens).c_str());
  for (const auto& [name, p] : dist.items()) std::printf("  %-6s %.10f\n", name.c_str(), p.get<double>());
  std::printf("posterior over list tasks (top %zu):\n", top);
  for (const auto& h : posterior)
    std::printf("  %-9s %-14s %.10f\n", setup::to_string(h.format), setup::chain_label(h.chain).c_str(), h.probability);
  return 0;
}

inline int run_ideal_task(const args& a, const setup::world& world) {
  const theory::idealized_list_model model(world);
  const long long count = a.get_int("count", 1000);
  if (count < 1) throw usage_error("--count must be >= 1, got " + std::to_string(count));
  const std::uint64_t seed = a.get_uint64("seed", 1);
  nlohmann::json rows = nlohmann::json::array();
  for (auto format : formats_from(a, "direct")) {
    const setup::task task = task_from(a, format, model.document());
    for (int n : examples_from(a)) {
      const theory::score_row r = theory::score_task(model, task, n, static_cast<int>(count), seed);
      nlohmann::json row = {{"task", r.task},
                            {"format", setup::to_string(r.format)},
                            {"examples", r.examples},
                            {"possible", r.possible},
                            {"prompts", r.prompts},
                            {"D_bits", number_or_null(r.description_length_bits)},
                            {"R_n_bits", number_or_null(r.iteration_complexity_bound_bits)},
                            {"bound_cum_bits", number_or_null(r.bound_cum_bits)},
                            {"bound_error_rate", number_or_null(r.bound_error_rate)}};
      if (r.possible) {
        row["errors"] = r.errors;
        row["error_rate"] = r.error_rate;
        row["ci_low"] = r.ci_low;
        row["ci_high"] = r.ci_high;
        row["step_error_rate"] = r.step_error_rate;
        row["mean_log_loss_bits"] = r.mean_log_loss_bits;
        row["mean_cum_loss_bits"] = r.mean_cum_loss_bits;
        row["mean_mistakes"] = r.mean_mistakes;
        row["mean_R_bits"] = r.mean_iteration_complexity_bits;
        row["bound_violations"] = r.bound_violations;
      }
      rows.push_back(std::move(row));
    }
  }
  if (a.flag("json")) {
    std::cout << dump_json({{"rows", rows}}) << "\n";
    return 0;
  }
  std::printf("%-9s %-9s %4s %7s %10s %21s %11s %11s %11s %11s\n", "task", "format", "n", "prompts", "error", "95% CI",
              "log_loss", "cum_loss", "bound_bits", "bound_rate");
  for (const auto& r : rows) {
    if (!r["possible"].get<bool>()) {
      std::printf("%-9s %-9s %4d  impossible: n + 1 items exceed list_length_max\n", r["task"].get<std::string>().c_str(),
                  r["format"].get<std::string>().c_str(), r["examples"].get<int>());
      continue;
    }
    auto field = [&](const char* key) { return r[key].is_null() ? std::string("-") : fixed(r[key].get<double>()); };
    std::printf("%-9s %-9s %4d %7d %10s %10s-%-10s %11s %11s %11s %11s\n", r["task"].get<std::string>().c_str(),
                r["format"].get<std::string>().c_str(), r["examples"].get<int>(), r["prompts"].get<int>(),
                field("error_rate").c_str(), field("ci_low").c_str(), field("ci_high").c_str(),
                field("mean_log_loss_bits").c_str(), field("mean_cum_loss_bits").c_str(), field("bound_cum_bits").c_str(),
                field("bound_error_rate").c_str());
  }
  return 0;
}

inline int run_ideal(const args& a) {
  a.check({"prompt", "top", "task", "format", "examples", "count", "seed", "corpus", "depth", "world-seed", "setup",
           "length-law"});
  if (a.has("prompt") == a.has("task")) throw usage_error("give exactly one of --prompt TEXT or --task NAME");
  const setup::world world(config_from(a));
  return a.has("prompt") ? run_ideal_prompt(a, world) : run_ideal_task(a, world);
}

}  // namespace theory_cli

inline void register_theory_commands(command_table& commands) {
  commands.push_back(command{
      "bound",
      "Theorem 1/2 bounds: D + R_n on cumulative answer bits and mistakes, (D + R_n)/n on the error rate",
      std::string("usage: induct bound --task NAME [--format direct|stepwise|both] [--examples RANGE] [world options] [--json]\n"
                  "\n"
                  "For a task of the ICL suite, the idealized predictor's bound per number of examples n:\n"
                  "  D_bits            description length D = -log2 P(format, chain | list) of the task's derivation\n"
                  "  R_n_bits          closed-form bound on the iteration complexity R over n continue tokens\n"
                  "                    (0 for the shared geometric law; O(log n) for the power-law variant)\n"
                  "  bound_cum_bits    D + R_n: bound on the cumulative answer log-loss (bits) over the n + 1 answers\n"
                  "  bound_mistakes    floor(D + R_n): bound on the argmax mistakes among them\n"
                  "  bound_error_rate  (D + R_n) / n (null at n = 0)\n"
                  "Rows whose n + 1 items exceed list_length_max are impossible prompts: possible = false, values null.\n"
                  "\n"
                  "options:\n"
                  "  --task NAME           lookup, compose2, compose3 or novel\n"
                  "  --format F            direct, stepwise or both (default both)\n"
                  "  --examples RANGE      a..b, a single n or a comma list (default 0..32)\n"
                  "  --corpus FILE         for --task novel: the corpus whose sidecar lists the chains seen as lists\n"
                  "  --depth K             for --task novel: the chain depth (default: smallest depth >= 2 with one)\n") +
          theory_cli::world_options_usage +
          "  --json                {\"rows\":[{\"task\",\"format\",\"depth\",\"examples\",\"possible\",\"D_bits\",\"R_n_bits\","
          "\"bound_cum_bits\",\"bound_mistakes\",\"bound_error_rate\"},...]}\n",
      {},
      theory_cli::run_bound});
  commands.push_back(command{
      "ideal",
      "The exact idealized predictor: next-token distribution and task posterior of a prompt, or scores on a task",
      std::string("usage: induct ideal --prompt TEXT [--top K] [world options] [--json]\n"
                  "       induct ideal --task NAME [--format direct|stepwise|both] [--examples RANGE] [--count N] [--seed S]\n"
                  "                    [world options] [--json]\n"
                  "\n"
                  "With --prompt: the exact next-token distribution of the pretraining distribution after a list prompt\n"
                  "(it must start with '<d> [') and the posterior over list tasks (format, chain), the K most probable.\n"
                  "  --json  {\"distribution\":{\"e5\":p,...},\"posterior\":[{\"format\",\"chain\",\"label\",\"probability\"},...]}\n"
                  "\n"
                  "With --task: N prompts per n (setup prompts, seed S), answered by the idealized predictor: argmax for\n"
                  "direct, greedy generation until ';' scored on the final value for stepwise. Per row: error rate with\n"
                  "its Clopper-Pearson 95% interval, mean log-loss of the query answer, mean cumulative answer loss over\n"
                  "the n + 1 items, and the Theorem 1 bound columns (see `induct bound --help`).\n"
                  "  --task NAME           lookup, compose2, compose3 or novel (needs --corpus FILE; --depth K)\n"
                  "  --format F            direct (default), stepwise or both\n"
                  "  --examples RANGE      a..b, a single n or a comma list (default 0..32)\n"
                  "  --count N             prompts per n (default 1000)\n"
                  "  --seed S              seed of the prompts (default 1)\n") +
          theory_cli::world_options_usage +
          "  --json                {\"rows\":[{\"format\",\"examples\",\"prompts\",\"error_rate\",\"ci_low\",\"ci_high\","
          "\"mean_log_loss_bits\",\"mean_cum_loss_bits\",\"bound_cum_bits\",\"bound_error_rate\",...},...]}\n",
      {},
      theory_cli::run_ideal});
}

}  // namespace induct::cli
