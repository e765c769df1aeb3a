// Throughput of the idealized predictors: the fast list predictor on n = 31 prompts of the default
// world (the longest prompt the default length law allows: 32 items), and the generic Earley
// predictor against world size.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "induct/setup/document_grammar.hpp"
#include "induct/setup/prompt.hpp"
#include "induct/setup/tasks.hpp"
#include "induct/theory/generic_predictor.hpp"
#include "induct/theory/idealized_predictor.hpp"
#include "induct/theory/scoring.hpp"

using namespace induct;

namespace {

std::vector<setup::prompt> prompts_for(const setup::world& w, const char* task_name, setup::list_format format, int n,
                                       int count) {
  const setup::document_model model(w.config());
  return setup::generate_prompts(w, setup::task::by_name(task_name, format, model), n, count, 42);
}

// Times start(prompt) + the full next-token distribution at `q :`, cycling through `prompts`.
void time_query_distributions(benchmark::State& state, const theory::idealized_list_model& model,
                              const std::vector<setup::prompt>& prompts) {
  theory::idealized_predictor predictor(model);
  std::vector<long double> distribution;
  std::size_t i = 0;
  for (auto _ : state) {
    predictor.start(prompts[i++ % prompts.size()].tokens);
    predictor.next_token_distribution(distribution);
    benchmark::DoNotOptimize(distribution.data());
  }
  state.counters["prompts_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// The next-token distribution after the whole prompt (`... q :`): the query's answer law.
void fast_query_distribution(benchmark::State& state, const char* task_name, setup::list_format format, int n) {
  setup::setup_config config;
  config.list_length_max = std::max(config.list_length_max, n + 1);
  const setup::world w(config);
  const theory::idealized_list_model model(w);
  const auto prompts = prompts_for(w, task_name, format, n, 1000);
  time_query_distributions(state, model, prompts);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// Full exact scoring of a prompt: every answer token's distribution, R(s), greedy generation.
void fast_full_score(benchmark::State& state, const char* task_name, setup::list_format format, int n) {
  setup::setup_config config;
  config.list_length_max = std::max(config.list_length_max, n + 1);
  const setup::world w(config);
  const theory::idealized_list_model model(w);
  const auto prompts = prompts_for(w, task_name, format, n, 1000);
  theory::prompt_scorer scorer(model);
  std::size_t i = 0;
  for (auto _ : state) {
    auto score = scorer.score(prompts[i++ % prompts.size()]);
    benchmark::DoNotOptimize(score.cumulative_loss_bits);
  }
  state.counters["prompts_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

setup::setup_config small_world(const benchmark::State& state) {
  setup::setup_config config;
  config.entities = static_cast<int>(state.range(0));
  config.functions = static_cast<int>(state.range(1));
  config.max_depth = static_cast<int>(state.range(2));
  config.filler_words = 4;
  config.filler_length_max = 2;
  config.list_length_max = 6;
  return config;
}

// The generic predictor: Earley parse of a compose2 direct prompt with n = 4 examples and the
// full next-token distribution at `q :`, against the world size (E, m, max depth).
void generic_query_distribution(benchmark::State& state) {
  const setup::world w(small_world(state));
  const setup::document_grammar grammar(w);
  const grammar::grounded_cag grounded = grammar.ground();
  const theory::generic_predictor generic(grounded.grammar, w.vocab());
  const auto prompts = prompts_for(w, "compose2", setup::list_format::direct, 4, 64);
  std::vector<long double> distribution;
  std::size_t i = 0;
  for (auto _ : state) {
    const auto parsed = generic.after(prompts[i++ % prompts.size()].tokens);
    parsed.next_token_distribution(distribution);
    benchmark::DoNotOptimize(distribution.data());
  }
  state.counters["grammar_rules"] = static_cast<double>(grounded.grammar.rule_count());
  state.counters["prompts_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// The fast predictor on the same small worlds and prompts (the peer of the generic one).
void fast_small_world(benchmark::State& state) {
  const setup::world w(small_world(state));
  const theory::idealized_list_model model(w);
  const auto prompts = prompts_for(w, "compose2", setup::list_format::direct, 4, 64);
  theory::idealized_predictor predictor(model);
  std::vector<long double> distribution;
  std::size_t i = 0;
  for (auto _ : state) {
    predictor.start(prompts[i++ % prompts.size()].tokens);
    predictor.next_token_distribution(distribution);
    benchmark::DoNotOptimize(distribution.data());
  }
  state.counters["prompts_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void model_build(benchmark::State& state) {
  const setup::world w{};
  for (auto _ : state) {
    theory::idealized_list_model model(w);
    benchmark::DoNotOptimize(model.prefix_map_count());
  }
}

// Larger worlds (issue 17): the default world with m primitive functions and depth 4, built once per m
// and shared by the rows below (list_length_max 33 so that n = 32 prompts have positive probability;
// the function tables depend only on the world seed, E, m and the bijection share).
struct large_world {
  setup::world world;
  theory::idealized_list_model model;
  explicit large_world(const setup::setup_config& config) : world(config), model(world) {}
};

setup::setup_config large_world_config(int functions) {
  setup::setup_config config;
  config.functions = functions;
  config.max_depth = 4;
  config.list_length_max = 33;
  return config;
}

const large_world& large_world_of(int functions) {
  static std::map<int, std::unique_ptr<large_world>> worlds;
  auto& slot = worlds[functions];
  if (!slot) slot = std::make_unique<large_world>(large_world_config(functions));
  return *slot;
}

struct large_world_task {
  const char* name;
  setup::list_format format;
};
constexpr large_world_task large_world_tasks[] = {{"lookup", setup::list_format::direct},
                                                  {"compose2", setup::list_format::direct},
                                                  {"compose3", setup::list_format::stepwise},
                                                  {"novel3", setup::list_format::direct}};

// Per-world precomputation against m (E = 64, depth 4): m + m^2 + m^3 + m^4 chains.
void model_build_large(benchmark::State& state) {
  const setup::world w(large_world_config(static_cast<int>(state.range(0))));
  std::size_t maps = 0;
  for (auto _ : state) {
    theory::idealized_list_model model(w);
    maps = model.prefix_map_count();
    benchmark::DoNotOptimize(maps);
  }
  state.counters["chains"] = static_cast<double>(setup::document_model(w.config()).chain_count());
  state.counters["prefix_maps"] = static_cast<double>(maps);
}

// Args (m, n, task): feed an n-example prompt and take the full next-token distribution at `q :`.
void query_large(benchmark::State& state) {
  const auto& large = large_world_of(static_cast<int>(state.range(0)));
  const auto& t = large_world_tasks[state.range(2)];
  const auto prompts = prompts_for(large.world, t.name, t.format, static_cast<int>(state.range(1)), 1000);
  time_query_distributions(state, large.model, prompts);
  state.SetLabel(std::string(t.name) + "/" + setup::to_string(t.format));
}

void query_large_arguments(benchmark::internal::Benchmark* b) {
  for (int m : {8, 16, 32})
    for (int n : {1, 4, 16, 32})
      for (int t = 0; t < 4; ++t) b->Args({m, n, t});
}

}  // namespace

BENCHMARK_CAPTURE(fast_query_distribution, compose2_direct_n31, "compose2", setup::list_format::direct, 31);
BENCHMARK_CAPTURE(fast_query_distribution, compose2_stepwise_n31, "compose2", setup::list_format::stepwise, 31);
BENCHMARK_CAPTURE(fast_query_distribution, compose2_direct_n32_len33, "compose2", setup::list_format::direct, 32);
BENCHMARK_CAPTURE(fast_query_distribution, compose3_stepwise_n32_len33, "compose3", setup::list_format::stepwise, 32);
BENCHMARK_CAPTURE(fast_query_distribution, lookup_direct_n0, "lookup", setup::list_format::direct, 0);
BENCHMARK_CAPTURE(fast_full_score, compose2_direct_n31, "compose2", setup::list_format::direct, 31);
BENCHMARK_CAPTURE(fast_full_score, compose3_stepwise_n31, "compose3", setup::list_format::stepwise, 31);
#define INDUCT_SMALL_WORLDS ->Args({4, 2, 2})->Args({16, 2, 2})->Args({64, 2, 2})->Args({8, 4, 2})->Args({8, 8, 2})->Args({8, 2, 3})->Args({8, 4, 3})
BENCHMARK(generic_query_distribution) INDUCT_SMALL_WORLDS->Unit(benchmark::kMicrosecond);
BENCHMARK(fast_small_world) INDUCT_SMALL_WORLDS->Unit(benchmark::kMicrosecond);
BENCHMARK(model_build)->Unit(benchmark::kMillisecond);
BENCHMARK(model_build_large)->Arg(8)->Arg(16)->Arg(32)->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK(query_large)->Apply(query_large_arguments)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
