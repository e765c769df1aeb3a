// Corpus generation speed: the compiled document sampler into memory, and into an INDUCTTK file
// (CRC-32 and writes included); the CAG's direct sampler for comparison; prompt generation.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

#include "induct/setup/corpus.hpp"
#include "induct/setup/document_grammar.hpp"
#include "induct/setup/document_sampler.hpp"
#include "induct/setup/prompt.hpp"
#include "induct/setup/tasks.hpp"

using namespace induct;

namespace {

// Tokens drawn into a reused buffer (no file): the sampler's own speed.
void sampler_tokens(benchmark::State& state, setup::length_law_kind law) {
  setup::setup_config c;
  c.list_length_law = law;
  const setup::world w(c);
  setup::document_sampler sampler(w);
  random_engine rng(1);
  std::vector<setup::token_id> buffer;
  buffer.reserve(1 << 17);
  std::int64_t tokens = 0;
  for (auto _ : state) {
    buffer.clear();
    while (buffer.size() < (1 << 16)) sampler.sample_document(rng, buffer, [](const setup::segment_event&) {});
    tokens += static_cast<std::int64_t>(buffer.size());
    benchmark::DoNotOptimize(buffer.data());
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(sampler_tokens, geometric, setup::length_law_kind::geometric);
BENCHMARK_CAPTURE(sampler_tokens, power_law, setup::length_law_kind::power_law);

// A whole corpus file of state.range(0) tokens, written atomically with checksum and sidecar.
void corpus_file(benchmark::State& state) {
  const setup::world w;
  const auto path = std::filesystem::temp_directory_path() / ("induct_bench_corpus_" + std::to_string(::getpid()) + ".tok");
  const auto tokens = static_cast<std::uint64_t>(state.range(0));
  for (auto _ : state) setup::write_corpus(w, 1, tokens, path);
  std::filesystem::remove(path);
  std::filesystem::remove(setup::corpus_sidecar_path(path));
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(tokens) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(corpus_file)->Arg(10'000'000)->Unit(benchmark::kMillisecond);

// The generic CAG sampler on the same world (strings, std::function semantics): the reason the
// compiled sampler exists.
void cag_sampler_tokens(benchmark::State& state) {
  const setup::world w;
  const setup::document_grammar grammar(w);
  random_engine rng(1);
  std::int64_t tokens = 0;
  for (auto _ : state) {
    const auto s = grammar.sample(rng);
    tokens += static_cast<std::int64_t>(s.tokens.size());
    benchmark::DoNotOptimize(s.tokens.data());
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
}
BENCHMARK(cag_sampler_tokens);

// Prompts with 16 examples (stepwise compose3), annotation included.
void prompts(benchmark::State& state) {
  const setup::world w;
  const setup::document_model model(w.config());
  const auto t = setup::task::compose3(setup::list_format::stepwise, 8);
  std::uint64_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(setup::generate_prompt(w, t, 16, 1, i++));
  state.counters["prompts/s"] = benchmark::Counter(static_cast<double>(i), benchmark::Counter::kIsRate);
}
BENCHMARK(prompts);

}  // namespace

BENCHMARK_MAIN();
