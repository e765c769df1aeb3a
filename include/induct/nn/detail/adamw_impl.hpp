#pragma once
// Definitions for nn/adamw.hpp (see induct/core/linkage.hpp for the two modes).
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
#include "induct/nn/adamw.hpp"
#include "induct/nn/layers.hpp"
#include "induct/nn/parameters.hpp"
#include "induct/nn/simd.hpp"

namespace induct::nn {

INDUCT_DEFINE void adamw_config::validate() const {
  check_field_bounds(*this);
  if (!(beta1 < 1.0)) throw config_error("beta1", "must be in [0, 1), got " + std::to_string(beta1));
  if (!(beta2 < 1.0)) throw config_error("beta2", "must be in [0, 1), got " + std::to_string(beta2));
}

INDUCT_DEFINE nlohmann::json adamw_config::to_json() const { return fields_to_json(*this); }

INDUCT_DEFINE adamw_config adamw_config::from_json(const nlohmann::json& j) {
  adamw_config c;
  fields_from_json(c, j);
  c.validate();
  return c;
}

template <class Scalar>
adamw<Scalar>::adamw(const std::vector<tensor_info>& layout, adamw_config config) : config_(config) {
  config_.validate();
  for (const auto& t : layout) {
    segments_.push_back({t.offset, t.size, t.decays()});
    size_ = std::max(size_, t.offset + t.size);
  }
  first_moment_.assign(size_, Scalar(0));
  second_moment_.assign(size_, Scalar(0));
}

template <class Scalar>
void adamw<Scalar>::step(std::span<Scalar> parameters, std::span<const Scalar> gradients, double lr) {
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
