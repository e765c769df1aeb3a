// Training-step throughput of induct's GPT at the issue-5 configs (vocabulary 64), and the machine's
// peak SGEMM rate with Eigen in the same run (the SGEMM-bound limit is peak / training FLOPs per token).
//   S: width 64, 2 layers, 2 heads, context 64, batch 32
//   M: width 128, 4 layers, 4 heads, context 128, batch 16
//   L: width 256, 6 layers, 8 heads, context 128, batch 16
// One training step = zero_grad, forward, backward, global-norm clip 1.0, AdamW step (as bench/torch_gpt.py):
// train_step over the whole batch at once; train_step_blocks as nn::trainer does it since the block tree
// (nn/data_parallel.hpp: forward + backward per block of trainer_config{}.gradient_block sequences, the
// block gradients summed by the fixed tree), the same step's cost in the same run.
// Counters: tokens/s (items_per_second), model GFLOP/s, peak RSS of the process (run one config per
// process for a per-config figure: --benchmark_filter=train_step/L/).
#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <cstdint>
#include <vector>

#include <Eigen/Core>
#include <omp.h>

#include "induct/core/random.hpp"
#include "induct/nn/adamw.hpp"
#include "induct/nn/data_parallel.hpp"
#include "induct/nn/gemm.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/nn/layers.hpp"
#include "induct/nn/trainer.hpp"

namespace {

struct bench_config {
  induct::nn::gpt_config model;
  int batch;
};

bench_config config_named(char name) {
  switch (name) {
    case 'S': return {{.vocab_size = 64, .context_length = 64, .layers = 2, .width = 64, .heads = 2}, 32};
    case 'M': return {{.vocab_size = 64, .context_length = 128, .layers = 4, .width = 128, .heads = 4}, 16};
    default: return {{.vocab_size = 64, .context_length = 128, .layers = 6, .width = 256, .heads = 8}, 16};
  }
}

using induct::nn::training_flops_per_token;  // nn/gpt_config.hpp

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux
}

/// block_sequences 0: the whole batch in one forward and backward; else nn::batch_gradient's blocks.
void train_step(benchmark::State& state, char name, int block_sequences) {
  const int threads = static_cast<int>(state.range(0));
  omp_set_num_threads(threads);
  const auto c = config_named(name);
  const int B = c.batch, T = c.model.context_length, V = c.model.vocab_size;
  induct::nn::gpt<float> model(c.model);
  model.initialize(1);
  induct::nn::adamw<float> optimizer(model.layout());
  induct::random_engine rng(1);
  constexpr int windows = 8;
  std::vector<std::int32_t> data(static_cast<std::size_t>(windows) * B * (T + 1));
  for (auto& t : data) t = static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(V)));
  induct::nn::token_batch batch{B, T, std::vector<std::int32_t>(static_cast<std::size_t>(B) * T),
                                std::vector<std::int32_t>(static_cast<std::size_t>(B) * T), {}};
  auto& tokens = batch.inputs;
  auto& targets = batch.targets;
  induct::nn::batch_gradient<float> blocks(block_sequences > 0 ? block_sequences : 1);
  int window = 0;
  float loss = 0;
  for (auto _ : state) {
    const std::int32_t* w = data.data() + static_cast<std::size_t>(window) * B * (T + 1);
    for (int b = 0; b < B; ++b)
      for (int t = 0; t < T; ++t) {
        tokens[static_cast<std::size_t>(b) * T + t] = w[b * (T + 1) + t];
        targets[static_cast<std::size_t>(b) * T + t] = w[b * (T + 1) + t + 1];
      }
    window = (window + 1) % windows;
    if (block_sequences > 0) {
      loss = blocks.compute(model, batch);
    } else {
      model.zero_gradients();
      loss = model.forward(tokens.data(), targets.data(), B, T);
      model.backward();
    }
    induct::nn::clip_gradient_norm<float>(model.gradients(), 1.0);
    optimizer.step(model.parameters(), model.gradients(), 1e-3);
    benchmark::DoNotOptimize(loss);
  }
  const double tokens_per_step = static_cast<double>(B) * T;
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * tokens_per_step));
  state.counters["tokens_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * tokens_per_step, benchmark::Counter::kIsRate);
  state.counters["model_gflop_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * tokens_per_step * training_flops_per_token(c.model) * 1e-9,
      benchmark::Counter::kIsRate);
  state.counters["flops_per_token"] = training_flops_per_token(c.model);
  state.counters["parameters"] = static_cast<double>(model.parameters().size());
  state.counters["peak_rss_mib"] = peak_rss_mib();
  state.counters["threads"] = threads;
  state.counters["gradient_block"] = block_sequences;
}

/// Peak SGEMM of induct's kernel (nn/gemm.hpp, the one the model runs): C = A B with n x n row-major
/// float matrices (2 n^3 FLOPs); with 2 threads the rows are split as the layers do.
void sgemm_peak(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  omp_set_num_threads(threads);
  induct::random_engine rng(3);
  std::vector<float> a(static_cast<std::size_t>(n) * n), b(a.size()), c(a.size());
  for (auto& x : a) x = static_cast<float>(rng.uniform());
  for (auto& x : b) x = static_cast<float>(rng.uniform());
  for (auto _ : state) {
#pragma omp parallel num_threads(threads)
    {
      const auto [r0, r1] = induct::nn::layers::split_range(n, omp_get_thread_num(), omp_get_num_threads());
      induct::nn::gemm(r1 - r0, n, n, induct::nn::rows_of(a.data() + static_cast<std::size_t>(r0) * n, n),
                       induct::nn::rows_of(b.data(), n), c.data() + static_cast<std::size_t>(r0) * n, n, false);
    }
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.counters["gflop_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * 2.0 * static_cast<double>(n) * n * n * 1e-9, benchmark::Counter::kIsRate);
  state.counters["threads"] = threads;
  state.SetLabel(induct::nn::gemm_kernel_name());
}

/// The same product through Eigen (SSE2 kernels in a portable build), for reference.
void sgemm_eigen(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  omp_set_num_threads(threads);
  using matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const matrix a = matrix::Random(n, n), b = matrix::Random(n, n);
  matrix c(n, n);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.counters["gflop_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * 2.0 * static_cast<double>(n) * n * n * 1e-9, benchmark::Counter::kIsRate);
  state.counters["threads"] = threads;
}

}  // namespace

BENCHMARK_CAPTURE(train_step, S, 'S', 0)->Name("train_step/S")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(train_step, M, 'M', 0)->Name("train_step/M")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(train_step, L, 'L', 0)->Name("train_step/L")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
// What the trainer runs (block tree, the default block), beside the whole-batch step above.
const int default_block = induct::nn::trainer_config{}.gradient_block;
BENCHMARK_CAPTURE(train_step, S_blocks, 'S', default_block)->Name("train_step_blocks/S")->Arg(1)->Arg(2)
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(train_step, M_blocks, 'M', default_block)->Name("train_step_blocks/M")->Arg(1)->Arg(2)
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(train_step, L_blocks, 'L', default_block)->Name("train_step_blocks/L")->Arg(1)->Arg(2)
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(sgemm_peak)->Args({1024, 1})->Args({1024, 2})->Args({2048, 2})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(sgemm_eigen)->Args({1024, 1})->Args({1024, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
