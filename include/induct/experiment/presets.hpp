#pragma once
// Preset configurations: the demo's run (SPEC default setup) and its reduced quick variant, and the
// preset sweep grids (small, paper) built on the demo's training recipe. Plain values: no I/O.
#include <string>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/experiment/pipeline.hpp"

namespace induct::experiment {

/// The demo's run: the SPEC's default setup (64 entities, 8 functions, chains of depth <= 4, default
/// segment shares and list lengths), a 2-layer, width-64 GPT with context 80 trained for 12,000 steps of
/// 16 windows on a 16M-token corpus at peak lr 5e-3. The training loss weighs list answers (tokens right
/// after ':') 3x and skips list inputs x (uniform random, unpredictable: weight 0), which shortens the
/// plateau before in-context learning appears. Measured (docs/results.md, seed 1, 2 threads, under
/// 3 minutes): lookup error 0.82 at n = 0, 0.08 at n = 1, 0 from n = 2; compose2 stepwise 0.99 -> 0.14
/// at n = 1 -> 0 from n = 4, while compose2 direct stays at 0.96-1.00.
inline run_config default_demo_config() {
  run_config c;  // c.setup: the SPEC defaults
  c.corpus_tokens = 16'000'000;
  c.corpus_seed = 1;
  c.model.context_length = 80;
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
  c.answer_loss_weight = 3.0;
  c.input_loss_weight = 0.0;
  c.evaluation.examples = {0, 1, 2, 4, 8};
  c.evaluation.prompts = 100;
  c.evaluation.prompt_seed = 2024;
  return c;
}

/// A reduced world for quick runs and the miniature end-to-end test (about 15 s of CPU): 16 entities,
/// 4 functions, 4 filler words, chains of depth <= 2, more lists than the default shares (facts 0.40,
/// direct lists 0.35, stepwise lists 0.20, filler 0.05), a 2-layer, width-48 GPT, 3,000 steps, plain loss.
/// Measured (seed 1, 2 threads): lookup error 0.65 at n = 0, 0.21 at n = 8.
inline run_config reduced_demo_config() {
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
  c.model.width = 48;
  c.training.steps = 3000;
  c.training.learning_rate = 3e-3;
  c.training.warmup_steps = 100;
  c.answer_loss_weight = 1.0;
  c.input_loss_weight = 1.0;
  return c;
}

/// Preset grids, on the default setup with the demo's training recipe. small: 3 models x 3 token counts
/// (about 30 minutes on 2 cores); paper: layers 1..8, width 32..256, tokens 1e5..1e8 (see docs/results.md
/// for its cost).
inline nlohmann::json preset_grid(const std::string& name) {
  if (name == "small")
    return nlohmann::json::parse(R"({
      "models": [{"layers": 1, "width": 32, "heads": 2}, {"layers": 2, "width": 64, "heads": 4},
                 {"layers": 4, "width": 96, "heads": 4}],
      "tokens": [1000000, 4000000, 16000000],
      "base": {"context": 80, "batch": 16, "prompts": 100, "examples": [0, 1, 2, 4, 8, 16], "seed": 1,
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
  throw config_error("grid", "unknown preset '" + name + "' (expected small, paper or a JSON file)");
}

}  // namespace induct::experiment
