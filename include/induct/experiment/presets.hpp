#pragma once
// Preset configurations: the demo's run (SPEC default setup) and its reduced quick variant, and the
// preset sweep grids (small, paper) built on the demo's training recipe. Plain values: no I/O.
#include <string>

#include <nlohmann/json.hpp>

#include "induct/core/linkage.hpp"
#include "induct/experiment/pipeline.hpp"

namespace induct::experiment {

/// The demo's run: the SPEC's default setup (64 entities, 8 functions, chains of depth <= 4, default
/// segment shares and list lengths), a 2-layer, width-64 GPT with context 80 trained for 12,000 steps of
/// 16 windows on a 16M-token corpus at peak lr 5e-3. The training loss weighs list answers (tokens right
/// after ':') 3x and skips list inputs x (uniform random, unpredictable: weight 0), which shortens the
/// plateau before in-context learning appears. Measured (docs/results.md, seed 1, 2 threads, under
/// 3 minutes): lookup error 0.82 at n = 0, 0.08 at n = 1, 0 from n = 2; compose2 stepwise 0.99 -> 0.14
/// at n = 1 -> 0 from n = 4, while compose2 direct stays at 0.96-1.00.
INDUCT_DECLARE run_config default_demo_config();

/// A reduced world for quick runs and the miniature end-to-end test (about 15 s of CPU): 16 entities,
/// 4 functions, 4 filler words, chains of depth <= 2, more lists than the default shares (facts 0.40,
/// direct lists 0.35, stepwise lists 0.20, filler 0.05), a 2-layer, width-48 GPT, 3,000 steps, plain loss.
/// Measured (seed 1, 2 threads): lookup error 0.65 at n = 0, 0.21 at n = 8.
INDUCT_DECLARE run_config reduced_demo_config();

/// Preset grids, on the default setup with the demo's training recipe. small: 3 models x 3 token counts
/// (about 30 minutes on 2 cores); paper: layers 1..8, width 32..256, tokens 1e5..1e8 (see docs/results.md
/// for its cost). Design grids (design.hpp): emergence (one factor at a time around the demo's run at 6,000
/// steps: layers 1-4, width 16-128, unique tokens 1e5-3e7, steps 1,500-12,000; 3 seeds; a learning curve at
/// n = 16) and steps (the equal-exposure control for intermediate steps: direct_composite_rate 1, equal
/// direct and stepwise list shares, layers 1-4, 3 seeds).
INDUCT_DECLARE nlohmann::json preset_grid(const std::string& name);

}  // namespace induct::experiment

#if INDUCT_HEADER_ONLY
#include "induct/experiment/detail/presets_impl.hpp"
#endif
