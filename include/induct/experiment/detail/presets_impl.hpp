#pragma once
// Definitions for experiment/presets.hpp (see induct/core/linkage.hpp for the two modes).
#include <string>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/experiment/pipeline.hpp"
#include "induct/experiment/presets.hpp"

namespace induct::experiment {

INDUCT_DEFINE run_config default_demo_config() {
  run_config c;  // c.setup: the SPEC defaults
  c.corpus_tokens = 16'000'000;
  c.corpus_seed = 1;
  c.model.context_length = 88;  // fits n = 16 for every depth-2 task in stepwise format (2 + 16 x 5 + 4 tokens)
  c.model.layers = 2;
  c.model.width = 64;
  c.model.heads = 4;
  c.training.batch = 16;
  c.training.steps = 12000;
  c.training.learning_rate = 5e-3;
  c.training.min_learning_rate = 1e-4;
  c.training.warmup_steps = 200;
  c.training.seed = 1;
  c.training.log_every = 0;
  c.training.validation_batches = 4;
  // The plain next-token loss (answer_loss_weight = input_loss_weight = 1, the run_config default): lookup
  // and compose2 stepwise are learned in context with it at this size on 3 seeds (docs/results.md).
  c.evaluation.examples = {0, 1, 2, 4, 8, 16};
  c.evaluation.prompts = 100;
  c.evaluation.prompt_seed = 2024;
  return c;
}

INDUCT_DEFINE run_config reduced_demo_config() {
  run_config c = default_demo_config();
  c.setup.entities = 16;
  c.setup.functions = 4;
  c.setup.filler_words = 4;
  c.setup.max_depth = 2;
  c.setup.share_fact = 0.40;
  c.setup.share_direct_list = 0.35;
  c.setup.share_stepwise_list = 0.20;
  c.setup.share_filler = 0.05;
  c.corpus_tokens = 2'000'000;
  c.model.context_length = 48;
  c.evaluation.examples = {0, 1, 2, 4, 8};  // n = 8 in stepwise format takes 46 tokens
  c.model.width = 48;
  c.training.steps = 3000;
  c.training.learning_rate = 3e-3;
  c.training.warmup_steps = 100;
  return c;
}

INDUCT_DEFINE nlohmann::json preset_grid(const std::string& name) {
  if (name == "small")
    return nlohmann::json::parse(R"({
      "models": [{"layers": 1, "width": 32, "heads": 2}, {"layers": 2, "width": 64, "heads": 4},
                 {"layers": 4, "width": 96, "heads": 4}],
      "tokens": [1000000, 4000000, 16000000],
      "base": {"context": 88, "batch": 16, "prompts": 1000, "examples": [0, 1, 2, 4, 8, 16], "seed": 1,
               "shares": "default"}
    })");
  if (name == "paper")
    return nlohmann::json::parse(R"({
      "models": [{"layers": 1, "width": 32, "heads": 2}, {"layers": 2, "width": 64, "heads": 4},
                 {"layers": 4, "width": 128, "heads": 4}, {"layers": 6, "width": 192, "heads": 6},
                 {"layers": 8, "width": 256, "heads": 8}],
      "tokens": [100000, 1000000, 10000000, 100000000],
      "base": {"context": 128, "batch": 32, "prompts": 1000, "examples": [0, 1, 2, 4, 8, 16, 24], "seed": 1,
               "shares": "default"}
    })");
  if (name == "emergence")  // design grid (design.hpp): each factor around the demo's run on its own
    return nlohmann::json::parse(R"({
      "design": "one_at_a_time",
      "base": {"steps": 6000, "evaluation": {"examples": [0, 1, 4, 16], "prompts": 300}},
      "axes": {"model.layers": [1, 2, 3, 4], "model.width": [16, 32, 64, 128],
               "corpus_tokens": [100000, 1000000, 16000000, 30000000], "steps": [1500, 3000, 6000, 12000]},
      "seeds": [1, 2, 3],
      "curve": {"every": 1000, "examples": [16], "prompts": 100}
    })");
  if (name == "steps")  // the equal-exposure control: each composite task as often direct as stepwise
    return nlohmann::json::parse(R"({
      "design": "product",
      "base": {"steps": 6000, "setup": {"direct_composite_rate": 1.0, "share_direct_list": 0.175,
                                        "share_stepwise_list": 0.175},
               "evaluation": {"examples": [0, 1, 2, 4, 8, 16], "prompts": 300}},
      "axes": {"model.layers": [1, 2, 3, 4]},
      "seeds": [1, 2, 3]
    })");
  throw config_error("grid", "unknown preset '" + name + "' (expected small, paper, emergence, steps or a JSON file)");
}

}  // namespace induct::experiment
