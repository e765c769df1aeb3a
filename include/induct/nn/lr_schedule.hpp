#pragma once
// Learning-rate schedule of nanoGPT (train.py get_lr): linear warmup, then cosine decay to min_lr.
// For step s = 0, 1, 2, ... (the optimizer step about to be taken):
//   s <  warmup_steps:               lr = max_lr * (s + 1) / (warmup_steps + 1)
//   s >  decay_steps:                lr = min_lr
//   otherwise, r = (s - warmup_steps) / (decay_steps - warmup_steps):
//                                    lr = min_lr + 0.5 (1 + cos(pi r)) (max_lr - min_lr)
// (decay_steps is nanoGPT's lr_decay_iters, normally the total number of steps; decay_steps <= warmup_steps
// gives min_lr after the warmup.)
#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>

#include "induct/core/error.hpp"

namespace induct::nn {

struct lr_schedule {
  double max_lr = 1e-3;
  double min_lr = 1e-4;
  std::int64_t warmup_steps = 100;
  std::int64_t decay_steps = 2000;

  void validate() const {
    if (!(max_lr > 0.0 && std::isfinite(max_lr))) throw config_error("max_lr", "must be > 0, got " + std::to_string(max_lr));
    if (!(min_lr >= 0.0 && min_lr <= max_lr))
      throw config_error("min_lr", "must be in [0, max_lr], got " + std::to_string(min_lr));
    if (warmup_steps < 0) throw config_error("warmup_steps", "must be >= 0, got " + std::to_string(warmup_steps));
    if (decay_steps < 0) throw config_error("decay_steps", "must be >= 0, got " + std::to_string(decay_steps));
  }

  /// Learning rate for step s (0-based).
  [[nodiscard]] double operator()(std::int64_t step) const {
    if (step < warmup_steps)
      return max_lr * static_cast<double>(step + 1) / static_cast<double>(warmup_steps + 1);
    if (step > decay_steps || decay_steps <= warmup_steps) return min_lr;
    const double ratio =
        static_cast<double>(step - warmup_steps) / static_cast<double>(decay_steps - warmup_steps);
    const double coefficient = 0.5 * (1.0 + std::cos(std::numbers::pi * ratio));
    return min_lr + coefficient * (max_lr - min_lr);
  }
};

}  // namespace induct::nn
