// cot_vs_direct: Theorem 2 in numbers and in measurement. For compose2 the stepwise bound
// D_cot + R_n is below the direct bound D_direct + R_n; the idealized predictor and a trained
// model are then scored in both formats on the same kind of prompts.
//
//   ./cot_vs_direct MODEL.safetensors     (a model written by `induct demo`)
#include <cstdio>
#include <iostream>

#include "induct/experiment/evaluate.hpp"
#include "induct/experiment/pipeline.hpp"
#include "induct/nn/checkpoint.hpp"
#include "induct/setup/tasks.hpp"
#include "induct/theory/bounds.hpp"

int main(int argc, char** argv) {
  using namespace induct;
  if (argc != 2) {
    std::cerr << "usage: cot_vs_direct MODEL.safetensors\n";
    return 2;
  }
  try {
    // The model file records the world it was trained on.
    const setup::world world(experiment::setup_config_of_checkpoint(argv[1]));
    auto model = nn::read_model_checkpoint<float>(argv[1]);
    const setup::document_model document(world.config());

    // The bounds: D_direct pays for the rarity of composite direct lists (direct_composite_rate).
    for (int n : {1, 4, 16}) {
      const auto c = theory::theorem2_comparison(document, /*depth=*/2, n);
      std::printf("n = %2d: direct bound %.2f bits, stepwise bound %.2f bits (stepwise %s)\n", n,
                  c.direct.bound_cumulative_bits, c.stepwise.bound_cumulative_bits,
                  c.stepwise_tighter() ? "tighter" : "not tighter");
    }

    // The measurement: the same task in both formats.
    const theory::idealized_list_model ideal(world);
    const std::vector<setup::task> tasks = {setup::task::by_name("compose2", setup::list_format::direct, ideal.document()),
                                            setup::task::by_name("compose2", setup::list_format::stepwise, ideal.document())};
    experiment::evaluation_options options;
    options.examples = {0, 1, 2, 4, 8};
    options.prompts = 200;
    const auto table = experiment::evaluate_model(model, ideal, tasks, options);
    // Cumulative answer bits against D + R_n (Theorem 1), then the error at the query alone.
    std::printf("\n%9s %3s %10s %11s %11s %10s %10s\n", "format", "n", "D+R_n", "ideal bits", "model bits", "ideal err",
                "model err");
    for (std::size_t r = 0; r < table.row_count(); ++r)
      std::printf("%9s %3.0f %10.3f %11.3f %11.3f %10.3f %10.3f\n", table.text(r, "format").c_str(),
                  table.number(r, "examples"), table.number(r, "bound_cum_bits"), table.number(r, "ideal_mean_cum_loss_bits"),
                  table.number(r, "model_mean_cum_loss_bits"), table.number(r, "ideal_query_error_rate"),
                  table.number(r, "model_query_error_rate"));
  } catch (const induct::error& e) {
    std::cerr << "cot_vs_direct: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
