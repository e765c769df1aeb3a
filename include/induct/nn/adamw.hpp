#pragma once
// AdamW with torch.optim.AdamW semantics (decoupled weight decay, bias correction), one loop over the flat
// parameter buffer, and global-norm gradient clipping (torch.nn.utils.clip_grad_norm_).
// Step t (1-based), for every parameter p with gradient g:
//   p <- p * (1 - lr * wd)             only for tensors of rank >= 2 (embeddings, Linear weights, lm_head)
//   m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2
//   p <- p - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/core/fields.hpp"
#include "induct/core/linkage.hpp"
#include "induct/nn/parameters.hpp"

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
  INDUCT_DECLARE void validate() const;

  INDUCT_DECLARE [[nodiscard]] nlohmann::json to_json() const;

  /// Reads the fields present in `j` over the defaults, then validates (strict, as setup_config's).
  INDUCT_DECLARE static adamw_config from_json(const nlohmann::json& j);
};

template <class Scalar>
class adamw {
 public:
  /// Moments for the tensors of `layout` (one flat buffer each, same layout as the parameters).
  explicit adamw(const std::vector<tensor_info>& layout, adamw_config config = {});

  /// One update with learning rate lr; the step counter t advances first (bias corrections use t >= 1).
  void step(std::span<Scalar> parameters, std::span<const Scalar> gradients, double lr);

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
INDUCT_EXTERN_TEMPLATE(class adamw<float>)
INDUCT_EXTERN_TEMPLATE(class adamw<double>)

/// Global L2 norm sqrt(sum g^2) over all gradients, accumulated in double: fixed chunks of 2^16 values
/// each summed in order (in parallel), then the chunk sums in order, so the result does not depend on
/// the thread count.
template <class Scalar>
double gradient_norm(std::span<const Scalar> gradients);
INDUCT_EXTERN_TEMPLATE(double gradient_norm<float>(std::span<const float>))
INDUCT_EXTERN_TEMPLATE(double gradient_norm<double>(std::span<const double>))

/// clip_grad_norm_: with n = gradient_norm, scales every gradient by min(1, max_norm / (n + 1e-6)).
/// Returns n (before clipping). max_norm must be > 0.
template <class Scalar>
double clip_gradient_norm(std::span<Scalar> gradients, double max_norm);
INDUCT_EXTERN_TEMPLATE(double clip_gradient_norm<float>(std::span<float>, double))
INDUCT_EXTERN_TEMPLATE(double clip_gradient_norm<double>(std::span<double>, double))

}  // namespace induct::nn

#if INDUCT_HEADER_ONLY
#include "induct/nn/detail/adamw_impl.hpp"
#endif
