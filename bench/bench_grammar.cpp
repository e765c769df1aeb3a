// Grammar benchmarks: sampler throughput, and Earley inside/prefix and Viterbi time against string
// length and grammar size (results and fitted log-log exponents: bench/RESULTS.md, grammar section).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "induct/core/random.hpp"
#include "induct/grammar/earley.hpp"
#include "induct/grammar/parse.hpp"
#include "induct/grammar/sample.hpp"
#include "induct/grammar/validate.hpp"
#include "induct/grammar/viterbi.hpp"

using namespace induct::grammar;

namespace {

/// A mid-size layered grammar: a document is a list of sentences (S -> Sent S 0.95 | Sent 0.05);
/// 60 nonterminals in 6 layers, each with 5 rules of 1..4 symbols over deeper layers and 300 terminals.
pcfg mid_size_grammar() {
  induct::random_engine rng(11);
  const int layers = 6, per_layer = 10, rules = 5, terminals = 300;
  std::ostringstream text;  // (ostringstream: GCC 12 warns falsely on chains of string operator+)
  text << "S -> Sent S 0.95 | Sent 0.05\nSent -> L0_0 | L0_1 | L0_2 | L0_3 | L0_4 | L0_5 | L0_6 | L0_7 | L0_8 | L0_9\n";
  for (int layer = 0; layer < layers; ++layer)
    for (int k = 0; k < per_layer; ++k)
      for (int r = 0; r < rules; ++r) {
        text << 'L' << layer << '_' << k << " ->";
        const int length = 1 + static_cast<int>(rng.below(4));
        for (int s = 0; s < length; ++s) {
          if (layer + 1 < layers && r == 0 && s == 0)  // every node of the next layer is reachable
            text << " L" << layer + 1 << '_' << k;
          else if (layer + 1 < layers && rng.bernoulli(0.4))
            text << " L" << layer + 1 << '_' << rng.below(per_layer);
          else
            text << " \"t" << rng.below(terminals) << '"';
        }
        text << '\n';
      }
  pcfg g = parse_grammar(text.str());
  validate(g);
  return g;
}

/// A maximally ambiguous binary grammar with K nonterminals over 8 terminals: every string parses.
/// N_i -> N_j N_k (4 random pairs, total 0.45) | "a_t" (each terminal, total 0.55). A pair drawn twice is one
/// rule of twice the probability (the parser refuses a rule given twice; the distribution is the same).
pcfg ambiguous_grammar(int nonterminals) {
  induct::random_engine rng(static_cast<std::uint64_t>(nonterminals));
  const auto k = static_cast<std::uint64_t>(nonterminals);
  std::ostringstream text;
  text.precision(17);
  for (int i = 0; i < nonterminals; ++i) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> pairs;
    std::vector<int> draws;
    for (int r = 0; r < 4; ++r) {  // the first pair starts with N_{i+1}: every nonterminal is reachable
      const std::uint64_t left = r == 0 ? static_cast<std::uint64_t>(i + 1) % k : rng.below(k);
      const std::pair<std::uint64_t, std::uint64_t> pair{left, rng.below(k)};
      const auto at = std::find(pairs.begin(), pairs.end(), pair) - pairs.begin();
      if (static_cast<std::size_t>(at) == pairs.size()) {
        pairs.push_back(pair);
        draws.push_back(1);
      } else {
        ++draws[static_cast<std::size_t>(at)];
      }
    }
    for (std::size_t p = 0; p < pairs.size(); ++p)
      text << 'N' << i << " -> N" << pairs[p].first << " N" << pairs[p].second << ' ' << 0.1125 * draws[p] << '\n';
    for (int t = 0; t < 8; ++t) text << 'N' << i << " -> \"a" << t << "\" 0.06875\n";
  }
  pcfg g = parse_grammar(text.str());
  validate(g);
  return g;
}

std::vector<symbol_id> random_string(const pcfg& g, std::size_t length, std::uint64_t seed) {
  std::vector<symbol_id> terminals;
  for (symbol_id s = 0; s < g.symbol_count(); ++s)
    if (g.is_terminal(s)) terminals.push_back(s);
  induct::random_engine rng(seed);
  std::vector<symbol_id> w(length);
  for (auto& t : w) t = terminals[rng.below(terminals.size())];
  return w;
}

void bm_sampler_tokens(benchmark::State& state) {
  const pcfg g = mid_size_grammar();
  sampler s(g);
  induct::random_engine rng(1);
  std::vector<symbol_id> w;
  std::int64_t tokens = 0;
  for (auto _ : state) {
    s.sample(rng, w);
    tokens += static_cast<std::int64_t>(w.size());
    benchmark::DoNotOptimize(w.data());
  }
  state.counters["tokens_per_second"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
  state.counters["rules"] = static_cast<double>(g.rule_count());
}
BENCHMARK(bm_sampler_tokens)->MinTime(2.0);

void bm_sampler_tokens_with_tree(benchmark::State& state) {
  const pcfg g = mid_size_grammar();
  sampler s(g);
  induct::random_engine rng(1);
  std::vector<symbol_id> w;
  derivation tree;
  std::int64_t tokens = 0;
  for (auto _ : state) {
    s.sample(rng, w, tree);
    tokens += static_cast<std::int64_t>(w.size());
    benchmark::DoNotOptimize(tree.rules.data());
  }
  state.counters["tokens_per_second"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
}
BENCHMARK(bm_sampler_tokens_with_tree)->MinTime(1.0);

void bm_inside(benchmark::State& state) {
  const pcfg g = ambiguous_grammar(static_cast<int>(state.range(1)));
  const earley_grammar compiled(g);
  const auto w = random_string(g, static_cast<std::size_t>(state.range(0)), 3);
  for (auto _ : state) benchmark::DoNotOptimize(inside_log2(compiled, w));
  state.counters["rules"] = static_cast<double>(g.rule_count());
}
BENCHMARK(bm_inside)->ArgsProduct({{10, 20, 50, 100, 200}, {4, 16}})->Unit(benchmark::kMillisecond);

void bm_prefix_with_next(benchmark::State& state) {
  // One Earley column per token plus the full next-token distribution at every position (the
  // idealized-predictor use): prefix probabilities of all prefixes of w.
  const pcfg g = ambiguous_grammar(static_cast<int>(state.range(1)));
  const earley_grammar compiled(g);
  const auto w = random_string(g, static_cast<std::size_t>(state.range(0)), 3);
  for (auto _ : state) {
    earley_state s(compiled);
    long double sum = 0;
    for (symbol_id t : w) {
      sum += s.next_tokens().end;
      s.advance(t);
    }
    benchmark::DoNotOptimize(sum + s.prefix_log2());
  }
}
BENCHMARK(bm_prefix_with_next)->ArgsProduct({{10, 20, 50, 100, 200}, {4, 16}})->Unit(benchmark::kMillisecond);

void bm_viterbi(benchmark::State& state) {
  const pcfg g = ambiguous_grammar(static_cast<int>(state.range(1)));
  const auto w = random_string(g, static_cast<std::size_t>(state.range(0)), 3);
  for (auto _ : state) benchmark::DoNotOptimize(viterbi_parse(g, w).log2_probability);
}
BENCHMARK(bm_viterbi)->ArgsProduct({{10, 20, 50, 100}, {4}})->Unit(benchmark::kMillisecond);

void bm_prefix_mid_size_sampled(benchmark::State& state) {
  // A realistic unambiguous-ish workload: prefixes of a sampled document of the mid-size grammar.
  const pcfg g = mid_size_grammar();
  const earley_grammar compiled(g);
  sampler s(g);
  induct::random_engine rng(9);
  std::vector<symbol_id> w;
  do s.sample(rng, w);
  while (w.size() < static_cast<std::size_t>(state.range(0)));
  w.resize(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(prefix_log2(compiled, w));
  state.counters["rules"] = static_cast<double>(g.rule_count());
}
BENCHMARK(bm_prefix_mid_size_sampled)->Arg(10)->Arg(20)->Arg(50)->Arg(100)->Arg(200)->Unit(benchmark::kMillisecond);

/// The idealized-predictor workload: a long list prompt (items x f(x) separated by ";", 20 functions,
/// 30 inputs, 680 rules), next-token distribution at every position, one Earley column per token.
void bm_long_list_prompt(benchmark::State& state) {
  std::ostringstream text;
  text << "Doc -> F0 0.05";
  for (int f = 1; f < 20; ++f) text << " | F" << f << " 0.05";
  text << '\n';
  for (int f = 0; f < 20; ++f) {
    text << 'F' << f << " -> I" << f << " R" << f << "\nR" << f << " -> \";\" I" << f << " R" << f
         << " 0.9995 | <eps> 0.0005\nI" << f << " -> ";
    for (int x = 0; x < 30; ++x) text << (x ? " | " : "") << "\"x" << x << "\" \"x" << (x * (f + 3) + f) % 30 << '"';
    text << '\n';
  }
  pcfg g = parse_grammar(text.str());
  validate(g);
  const earley_grammar compiled(g);
  sampler s(g);
  induct::random_engine rng(3);
  std::vector<symbol_id> w;
  do s.sample(rng, w);
  while (w.size() < static_cast<std::size_t>(state.range(0)));
  w.resize(static_cast<std::size_t>(state.range(0)));
  const auto completion = state.range(1) == 0 ? earley_completion::leo : earley_completion::item_by_item;
  for (auto _ : state) {
    earley_state parse(compiled, completion);
    long double sum = 0;
    for (symbol_id t : w) {
      sum += parse.next_tokens().end;
      parse.advance(t);
    }
    benchmark::DoNotOptimize(sum + parse.prefix_log2());
  }
  state.counters["rules"] = static_cast<double>(g.rule_count());
  state.counters["us_per_token"] = benchmark::Counter(static_cast<double>(state.range(0)) * 1e-6,
                                                      benchmark::Counter::kIsIterationInvariantRate |
                                                          benchmark::Counter::kInvert);
}
// Second argument: 0 Leo's completion (the default), 1 item by item (the reference it replaced).
BENCHMARK(bm_long_list_prompt)
    ->ArgsProduct({{300, 1000, 3000, 10000}, {0, 1}})
    ->ArgNames({"tokens", "item_by_item"})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
