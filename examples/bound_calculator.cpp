// Bound calculator: the Theorem 1 and 2 bounds of the default setup's compose tasks, next to the
// idealized predictor's exact error on sampled prompts.
//
//   bound_calculator [--power-law] [--count N]
//
// For compose2 and compose3 it prints D_direct and D_cot (bits), the bound D + R_n on cumulative
// answer bits and mistakes over the n + 1 answers for several n, the idealized predictor's mean
// cumulative answer bits and its mean version-space bits VS on sampled prompts (cumulative bits =
// VS + C, theory/version_space.hpp), and its exact error at the query (argmax for direct prompts,
// greedy generation for stepwise prompts).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "induct/setup/tasks.hpp"
#include "induct/theory/bounds.hpp"
#include "induct/theory/idealized_predictor.hpp"
#include "induct/theory/scoring.hpp"

int main(int argc, char** argv) {
  using namespace induct;
  setup::setup_config config;
  int count = 200;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--power-law") == 0) {
      config.list_length_law = setup::length_law_kind::power_law;
    } else if (std::strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
      count = std::atoi(argv[++i]);
      if (count < 1) {
        std::fprintf(stderr, "bound_calculator: --count must be >= 1\n");
        return 2;
      }
    } else {
      std::fprintf(stderr, "usage: bound_calculator [--power-law] [--count N]\n");
      return 2;
    }
  }
  try {
    const setup::world world(config);
    const theory::idealized_list_model model(world);
    const int last = config.list_length_max - 1;  // n examples + the query must fit in the length law
    for (int depth : {2, 3}) {
      const auto name = depth == 2 ? "compose2" : "compose3";
      const auto gap = theory::theorem2_comparison(model.document(), depth, 1);
      std::printf("%s: D_direct = %.4f bits, D_cot = %.4f bits (stepwise saves %.4f bits)\n", name,
                  gap.direct.description_length_bits, gap.stepwise.description_length_bits,
                  gap.description_length_gap_bits());
      std::printf("  %4s | %-45s | %s\n", "", "direct", "stepwise");
      std::printf("  %4s", "n");
      for (int f = 0; f < 2; ++f) std::printf(" | %6s %8s %9s %8s %10s", "R_n", "D+R_n", "cum_bits", "VS_bits", "query_err");
      std::printf("\n");
      for (int n : {1, 2, 4, 8, 16, last}) {
        std::printf("  %4d", n);
        for (auto format : {setup::list_format::direct, setup::list_format::stepwise}) {
          const auto task = setup::task::by_name(name, format, model.document());
          const auto row = theory::score_task(model, task, n, count, 7);
          std::printf(" | %6.3f %8.4f %9.4f %8.4f %10.3f", row.iteration_complexity_bound_bits, row.bound_cum_bits,
                      row.mean_cum_loss_bits, row.mean_version_space_bits, row.query_error_rate);
        }
        std::printf("\n");
      }
    }
  } catch (const induct::error& e) {
    std::fprintf(stderr, "bound_calculator: %s\n", e.what());
    return 1;
  }
  return 0;
}
