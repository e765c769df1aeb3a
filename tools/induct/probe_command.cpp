// induct probe: linear probes for the prompt's structure on every layer of a trained model.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "induct/core/atomic_file.hpp"
#include "induct/experiment/report.hpp"
#include "induct/experiment/structure_probe.hpp"
#include "induct/experiment/svg_plot.hpp"
#include "induct/experiment/trained_model.hpp"
#include "tool.hpp"

namespace induct::tool {

void add_probe_command(CLI::App& app, invocation& chosen) {
  auto* command = add_command(
      &app, "probe", "linear probes for the prompt's structure on every layer of a trained model",
      "Runs prompts of lookup, compose2 and compose3 (direct) and compose2 (stepwise) with n examples through the "
      "model (a model file that records its world, as `induct demo` and `induct train` write them), and fits "
      "multinomial logistic-regression probes (L2, held-out split by prompt) on the residual stream after the "
      "embeddings (layer 0) and after every block, for: token role, item index, the list's first function, its "
      "depth (lookup against composite) and composite depth (compose2 against compose3), and in direct composite "
      "lists the hidden intermediate value f_1(q) at the query. Each probe has a row on the pooled prompts (task "
      "and format \"all\") and one per task and format. Beside test_accuracy: control_task_accuracy (the same "
      "probe on Hewitt and Liang's control task, labels drawn at random per input type: the token for per-token "
      "probes, q for the query probes; --control-seed), selectivity = test_accuracy - control_task_accuracy, "
      "random_init_accuracy (the same probe on an untrained model of the same shape; --random-init-seed), "
      "icl_accuracy (the model's argmax at the query) and, for hidden_f1, a q-only control (q_only_control). "
      "Writes --out/probes.csv, probes.json (with the model's ICL accuracy on the direct prompts), probes.svg "
      "and probe_controls.svg (selectivity and the gain over the random-init model; pooled rows). Then one "
      "causal test (unless --patch-pairs 0): for pairs of direct prompts A, B of different chains with the same "
      "query q, the residual stream after layer l at A's query ':' is replaced by B's, and "
      "patching.csv/json report per task and layer how often the model's answer becomes B's (patched_to_b), stays "
      "A's (patched_keeps_a), and, patching from another prompt of A's chain, stays A's (control_keeps_a).\nJSON: "
      "the probe table with its \"metadata\" and the patching table under \"patching\".");
  struct options {
    common_flags flags;
    std::string model_file, out = "induct-probe";
    experiment::structure_probe_options probe;
    int patch_pairs = 100;
  };
  auto o = std::make_shared<options>();
  command->add_option("--model", o->model_file, "model file (safetensors with induct metadata)")
      ->required();
  command->add_option("--out", o->out, "output directory")->capture_default_str();
  add_integer(command, "--prompts", o->probe.prompts_per_task, "prompts per task and format", 4, 1000000);
  add_integer(command, "--examples", o->probe.examples, "examples per prompt", 1, 10000);
  add_unsigned(command, "--seed", o->probe.prompt_seed, "prompt seed", 0, std::numeric_limits<std::uint64_t>::max());
  add_number(command, "--l2", o->probe.probe.l2, "L2 penalty of the probes", 0.0, 1e6);
  add_unsigned(command, "--control-seed", o->probe.control_seed, "seed of the control tasks' random label maps", 0,
               std::numeric_limits<std::uint64_t>::max());
  add_unsigned(command, "--random-init-seed", o->probe.random_init_seed, "initialisation seed of the untrained baseline model",
               0, std::numeric_limits<std::uint64_t>::max());
  add_integer(command, "--patch-pairs", o->patch_pairs, "prompt pairs per task of the patching test (0: none)", 0, 1000000);
  add_common_flags(command, o->flags);
  on_run(command, chosen, [o] {
    o->flags.apply();
    auto trained = experiment::load_trained_model(o->model_file);
    const auto result = experiment::probe_structure(trained.model, trained.world, o->probe);
    experiment::query_patching_options patching_options;
    patching_options.pairs_per_task = o->patch_pairs;
    patching_options.examples = o->probe.examples;
    const auto patching = o->patch_pairs > 0 ? experiment::patch_query_residual(trained.model, trained.world, patching_options)
                                             : experiment::query_patching_result{};
    const std::filesystem::path out = o->out;
    std::filesystem::create_directories(out);
    const nlohmann::json metadata = {{"model", o->model_file},
                                     {"examples", o->probe.examples},
                                     {"prompts_per_task", o->probe.prompts_per_task},
                                     {"prompt_seed", o->probe.prompt_seed},
                                     {"l2", o->probe.probe.l2},
                                     {"control_seed", o->probe.control_seed},
                                     {"random_init_seed", o->probe.random_init_seed},
                                     {"icl_accuracy", result.icl_accuracy},
                                     {"icl_prompts", result.icl_prompts},
                                     {"patch_pairs", o->patch_pairs},
                                     {"patch_prompt_seed", patching_options.prompt_seed}};
    experiment::write_csv(out / "probes.csv", result.table);
    experiment::write_json(out / "probes.json", result.table, metadata);
    if (o->patch_pairs > 0) {
      experiment::write_csv(out / "patching.csv", patching.table);
      experiment::write_json(out / "patching.json", patching.table, metadata);
    }
    char title[160];
    std::snprintf(title, sizeof title, "Linear probes by layer (model's ICL accuracy on these prompts: %.2f)",
                  result.icl_accuracy);
    write_text_atomically(out / "probes.svg",
                          experiment::render_svg(experiment::probe_chart(result.table, title), 760, 420));
    const auto controls = experiment::probe_controls_chart(
        result.table, "Probe selectivity (solid) and gain over a random-init model (dashed)");
    write_text_atomically(out / "probe_controls.svg", experiment::render_svg(controls, 760, 420));
    if (o->flags.json) {
      nlohmann::json j = result.table.to_json();
      j["metadata"] = metadata;
      if (o->patch_pairs > 0) j["patching"] = patching.table.to_json();
      print_json(j);
      return 0;
    }
    std::cout << result.table.to_text(3) << "\nICL accuracy on the direct probe prompts (n = " << o->probe.examples
              << "): " << result.icl_accuracy << "\n";
    for (std::size_t r = 0; r < result.table.row_count(); ++r)
      if (result.table.text(r, "feature") == "hidden_f1" && result.table.text(r, "task") == "all" &&
          result.table.number(r, "layer") == 0) {
        std::cout << "hidden_f1: a probe must beat the q-only control " << result.table.number(r, "q_only_control")
                  << " (majority baseline " << result.table.number(r, "majority_baseline") << ") to read more than q\n";
        break;
      }
    if (o->patch_pairs > 0)
      std::cout << "\nActivation patching at the query's ':' (A patched with B's stream after layer l; control: "
                   "from another prompt of A's chain):\n"
                << patching.table.to_text(3);
    std::cout << "wrote " << (out / "probes.csv").string() << ", probes.json, probes.svg, probe_controls.svg"
              << (o->patch_pairs > 0 ? ", patching.csv, patching.json" : "") << "\n";
    return 0;
  });
}

}  // namespace induct::tool
