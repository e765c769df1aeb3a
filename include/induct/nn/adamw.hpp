#pragma once
// AdamW with torch.optim.AdamW semantics (decoupled weight decay, bias correction), one loop over the flat
// parameter buffer, and global-norm gradient clipping (torch.nn.utils.clip_grad_norm_).
// Step t (1-based), for every parameter p with gradient g:
//   p <- p * (1 - lr * wd)             only for tensors of rank >= 2 (embeddings, Linear weights, lm_head)
//   m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2
//   p <- p - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/core/fields.hpp"
#include "induct/nn/layers.hpp"
#include "induct/nn/parameters.hpp"
#include "induct/nn/simd.hpp"

namespace induct::nn {

struct adamw_config {
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-8;
  double weight_decay = 0.1;

  /// Every field once, in declaration order (core/fields.hpp).
  template <class Self, class Visit>
  static void for_each_field(Self& self, Visit&& visit) {
    visit(field_info{"beta1", "beta1", "AdamW first-moment decay, < 1", 0, 1}, self.beta1);
    visit(field_info{"beta2", "beta2", "AdamW second-moment decay, < 1", 0, 1}, self.beta2);
    visit(field_info{"eps", "eps", "AdamW denominator epsilon", above_zero, finite_max}, self.eps);
    visit(field_info{"weight_decay", "weight-decay", "decoupled weight decay of rank >= 2 tensors", 0, finite_max},
          self.weight_decay);
  }

  /// Throws config_error naming the first invalid field (bounds, then betas < 1).
  void validate() const {
    check_field_bounds(*this);
    if (!(beta1 < 1.0)) throw config_error("beta1", "must be in [0, 1), got " + std::to_string(beta1));
    if (!(beta2 < 1.0)) throw config_error("beta2", "must be in [0, 1), got " + std::to_string(beta2));
  }

  [[nodiscard]] nlohmann::json to_json() const { return fields_to_json(*this); }

  /// Reads the fields present in `j` over the defaults, then validates (strict, as setup_config's).
  static adamw_config from_json(const nlohmann::json& j) {
    adamw_config c;
    fields_from_json(c, j);
    c.validate();
    return c;
  }
};

template <class Scalar>
class adamw {
 public:
  /// Moments for the tensors of `layout` (one flat buffer each, same layout as the parameters).
  explicit adamw(const std::vector<tensor_info>& layout, adamw_config config = {}) : config_(config) {
    config_.validate();
    for (const auto& t : layout) {
      segments_.push_back({t.offset, t.size, t.decays()});
      size_ = std::max(size_, t.offset + t.size);
    }
    first_moment_.assign(size_, Scalar(0));
    second_moment_.assign(size_, Scalar(0));
  }

  /// One update with learning rate lr; the step counter t advances first (bias corrections use t >= 1).
  void step(std::span<Scalar> parameters, std::span<const Scalar> gradients, double lr) {
    if (parameters.size() != size_ || gradients.size() != size_)
      throw error("adamw step: buffers hold " + std::to_string(parameters.size()) + " parameters and " +
                  std::to_string(gradients.size()) + " gradients, expected " + std::to_string(size_));
    ++step_;
    const auto t = static_cast<double>(step_);
    const auto b1 = static_cast<Scalar>(config_.beta1), b2 = static_cast<Scalar>(config_.beta2);
    const auto one_minus_b1 = static_cast<Scalar>(1.0 - config_.beta1);
    const auto one_minus_b2 = static_cast<Scalar>(1.0 - config_.beta2);
    const auto step_size = static_cast<Scalar>(lr / (1.0 - std::pow(config_.beta1, t)));
    const auto correction2_sqrt = static_cast<Scalar>(std::sqrt(1.0 - std::pow(config_.beta2, t)));
    const auto eps = static_cast<Scalar>(config_.eps);
    const auto decay = static_cast<Scalar>(1.0 - lr * config_.weight_decay);
    Scalar* p = parameters.data();
    const Scalar* g = gradients.data();
    Scalar* m = first_moment_.data();
    Scalar* v = second_moment_.data();
    // One parallel region for all segments (a fork/join per tensor costs more than the small ones take),
    // each segment split between the threads; each element's update is independent, so the result does
    // not depend on the thread count.
#pragma omp parallel if (size_ >= (1u << 15))
    {
      const int thread = layers::thread_index(), threads = layers::team_size();
      for (const auto& s : segments_) {
        const auto [begin, end] = layers::split_range(static_cast<int>(s.size), thread, threads);
        const std::size_t offset = s.offset + static_cast<std::size_t>(begin), count = static_cast<std::size_t>(end - begin);
        const Scalar factor = s.decays ? decay : Scalar(1);
#if INDUCT_HAVE_AVX2_KERNELS
        if constexpr (std::is_same_v<Scalar, float>)
          if (simd::cpu_has_avx2_fma()) {
            simd::avx2::adamw_update(p + offset, g + offset, m + offset, v + offset, count,
                                     {factor, b1, one_minus_b1, b2, one_minus_b2, step_size, correction2_sqrt, eps});
            continue;
          }
#endif
        for (std::size_t i = offset; i < offset + count; ++i) {
          m[i] = m[i] * b1 + one_minus_b1 * g[i];
          v[i] = v[i] * b2 + one_minus_b2 * g[i] * g[i];
          p[i] = p[i] * factor - step_size * (m[i] / (std::sqrt(v[i]) / correction2_sqrt + eps));
        }
      }
    }
  }

  [[nodiscard]] const adamw_config& config() const noexcept { return config_; }
  /// Moments m and v (flat, parameter layout) and the step counter t: the optimizer state of a checkpoint.
  [[nodiscard]] std::span<Scalar> first_moment() noexcept { return first_moment_; }
  [[nodiscard]] std::span<Scalar> second_moment() noexcept { return second_moment_; }
  [[nodiscard]] std::span<const Scalar> first_moment() const noexcept { return first_moment_; }
  [[nodiscard]] std::span<const Scalar> second_moment() const noexcept { return second_moment_; }
  [[nodiscard]] std::int64_t step_count() const noexcept { return step_; }
  void set_step_count(std::int64_t step) {
    if (step < 0) throw error("adamw: step count must be >= 0, got " + std::to_string(step));
    step_ = step;
  }

 private:
  struct segment {
    std::size_t offset, size;
    bool decays;
  };
  adamw_config config_;
  std::vector<segment> segments_;
  std::size_t size_ = 0;
  std::vector<Scalar> first_moment_, second_moment_;
  std::int64_t step_ = 0;
};

/// Global L2 norm sqrt(sum g^2) over all gradients, accumulated in double: fixed chunks of 2^16 values
/// each summed in order (in parallel), then the chunk sums in order, so the result does not depend on
/// the thread count.
template <class Scalar>
double gradient_norm(std::span<const Scalar> gradients) {
  constexpr std::size_t chunk = std::size_t{1} << 16;
  const auto chunks = static_cast<std::ptrdiff_t>((gradients.size() + chunk - 1) / chunk);
  std::vector<double> partial(static_cast<std::size_t>(chunks), 0.0);
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (std::ptrdiff_t c = 0; c < chunks; ++c) {
    const std::size_t begin = static_cast<std::size_t>(c) * chunk, end = std::min(gradients.size(), begin + chunk);
    double sum = 0;
    for (std::size_t i = begin; i < end; ++i) sum += static_cast<double>(gradients[i]) * static_cast<double>(gradients[i]);
    partial[static_cast<std::size_t>(c)] = sum;
  }
  double sum = 0;
  for (const double s : partial) sum += s;
  return std::sqrt(sum);
}

/// clip_grad_norm_: with n = gradient_norm, scales every gradient by min(1, max_norm / (n + 1e-6)).
/// Returns n (before clipping). max_norm must be > 0.
template <class Scalar>
double clip_gradient_norm(std::span<Scalar> gradients, double max_norm) {
  if (!(max_norm > 0.0)) throw error("clip_gradient_norm: max_norm must be > 0, got " + std::to_string(max_norm));
  const double norm = gradient_norm(std::span<const Scalar>(gradients));
  const double coefficient = max_norm / (norm + 1e-6);
  if (coefficient < 1.0) {
    const auto c = static_cast<Scalar>(coefficient);
    const auto n = static_cast<std::ptrdiff_t>(gradients.size());
    Scalar* g = gradients.data();
#pragma omp parallel for schedule(static) if (n >= (1 << 15))
    for (std::ptrdiff_t i = 0; i < n; ++i) g[i] *= c;
  }
  return norm;
}

}  // namespace induct::nn
