// probe_structure: do a model's hidden states encode the prompt's compositional structure?
// Linear probes on every layer's residual stream, with the majority-class baseline beside them.
//
//   ./probe_structure MODEL.safetensors     (a model written by `induct demo`)
#include <iostream>

#include "induct/core/atomic_file.hpp"
#include "induct/experiment/pipeline.hpp"
#include "induct/experiment/structure_probe.hpp"
#include "induct/nn/checkpoint.hpp"

int main(int argc, char** argv) {
  using namespace induct;
  if (argc != 2) {
    std::cerr << "usage: probe_structure MODEL.safetensors\n";
    return 2;
  }
  try {
    const setup::world world(experiment::setup_config_of_checkpoint(argv[1]));
    auto model = nn::read_model_checkpoint<float>(argv[1]);

    // Prompts of lookup, compose2, compose3 (direct) and compose2 (stepwise), 6 examples each.
    experiment::structure_probe_options options;
    options.prompts_per_task = 200;
    options.examples = 6;
    const auto result = experiment::probe_structure(model, world, options);

    // One row per feature and layer: held-out accuracy against the majority baseline.
    std::cout << result.table.to_text(3);
    std::cout << "model's ICL accuracy on the direct prompts: " << result.icl_accuracy << "\n";
    write_text_atomically("probes.svg", experiment::render_svg(experiment::probe_chart(result.table, "probe accuracy by layer")));
    std::cout << "wrote probes.svg\n";
  } catch (const induct::error& e) {
    std::cerr << "probe_structure: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
