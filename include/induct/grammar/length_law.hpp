#pragma once
// Length laws of an iteration node: the law of the number of items n >= 1.
//
//   geometric(mu, max):  p(n) proportional to (1-q) q^(n-1) on [1, max], q = 1 - 1/mu, renormalised
//                        by 1 - q^max (max = unbounded gives the plain geometric law with mean mu);
//   zipf(s, max):        p(n) = n^-s / H(max, s) on [1, max], H(max, s) = sum_{j=1..max} j^-s;
//   table(w):            p(n) = w[n-1] / sum(w) on [1, w.size()].
//
// Survival S(i) = P(n > i); hazard (continue probability after i items) h(i) = P(n > i | n >= i)
// = S(i) / S(i-1). A grammar grounds the iteration node into counter states Iter_i with
// Iter_i -> Item sep Iter_{i+1} [h(i)] | Item [1 - h(i)], whose derivation probability
// prod_{i<n} h(i) (1 - h(n)) equals p(n) exactly. For the unbounded geometric law h(i) = q for
// every i, so one state suffices (constant_hazard_from() = 1).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/core/linkage.hpp"
#include "induct/core/random.hpp"

namespace induct::grammar {

class length_law {
 public:
  enum class kind { geometric, zipf, table };
  /// `max` value meaning "no upper bound" (only the geometric law may be unbounded).
  static constexpr int unbounded = std::numeric_limits<int>::max();

  /// Geometric law with untruncated mean `mean` (>= 1), cut at `max` items and renormalised.
  static length_law geometric(double mean, int max = unbounded) {
    if (!std::isfinite(mean) || mean < 1.0) throw error("length_law::geometric: mean must be >= 1, got " + std::to_string(mean));
    if (max < 1) throw error("length_law::geometric: max must be >= 1, got " + std::to_string(max));
    length_law law;
    law.kind_ = kind::geometric;
    law.parameter_ = mean;
    law.max_ = max;
    law.continue_ = 1.0L - 1.0L / static_cast<long double>(mean);
    if (max != unbounded) law.build_table([&](int n) { return std::pow(law.continue_, n - 1); });
    return law;
  }

  /// Zipf (power) law n^-exponent on [1, max].
  static length_law zipf(double exponent, int max) {
    if (!std::isfinite(exponent) || exponent <= 0.0)
      throw error("length_law::zipf: exponent must be > 0, got " + std::to_string(exponent));
    if (max < 1 || max == unbounded) throw error("length_law::zipf: max must be a finite integer >= 1");
    length_law law;
    law.kind_ = kind::zipf;
    law.parameter_ = exponent;
    law.max_ = max;
    law.build_table([&](int n) { return std::pow(static_cast<long double>(n), -static_cast<long double>(exponent)); });
    return law;
  }

  /// Explicit law: weights[n-1] is the (unnormalised) weight of n items.
  static length_law table(const std::vector<double>& weights) {
    if (weights.empty()) throw error("length_law::table: empty table");
    for (double w : weights)
      if (!std::isfinite(w) || w < 0.0) throw error("length_law::table: weights must be finite and >= 0");
    length_law law;
    law.kind_ = kind::table;
    law.max_ = static_cast<int>(weights.size());
    law.build_table([&](int n) { return static_cast<long double>(weights[static_cast<std::size_t>(n - 1)]); });
    return law;
  }

  [[nodiscard]] kind law_kind() const noexcept { return kind_; }
  [[nodiscard]] int min_length() const noexcept { return 1; }
  /// Largest n with positive probability (or `unbounded`); zero-weight tails of tables are excluded.
  [[nodiscard]] int max_length() const noexcept { return max_; }
  [[nodiscard]] bool bounded() const noexcept { return max_ != unbounded; }

  /// p(n); 0 outside the support.
  [[nodiscard]] double pmf(long long n) const noexcept { return static_cast<double>(pmf_long(n)); }
  /// log2 p(n); -inf outside the support.
  [[nodiscard]] double log2_pmf(long long n) const noexcept {
    if (n < 1 || n > max_) return -std::numeric_limits<double>::infinity();
    if (!bounded()) return static_cast<double>(std::log2(1.0L - continue_) + static_cast<long double>(n - 1) * std::log2(continue_));
    return static_cast<double>(std::log2(pmf_long(n)));
  }
  /// S(i) = P(n > i) for i >= 0.
  [[nodiscard]] double survival(long long i) const noexcept { return static_cast<double>(survival_long(i)); }
  /// h(i) = P(n > i | n >= i) for i >= 1: the probability of another item after the i-th.
  [[nodiscard]] double continue_probability(long long i) const noexcept {
    if (i < 1 || i >= max_) return 0.0;
    if (!bounded()) return static_cast<double>(continue_);
    const long double before = survival_long(i - 1);
    return before > 0 ? static_cast<double>(survival_long(i) / before) : 0.0;
  }
  /// Same as continue_probability (the hazard of stopping is 1 minus it).
  [[nodiscard]] double hazard(long long i) const noexcept { return continue_probability(i); }

  /// The smallest i from which continue_probability(i) is the same for all larger i (i.e. the
  /// counter states of a grounding can stop there): 1 for the unbounded geometric law, else max.
  [[nodiscard]] int constant_hazard_from() const noexcept { return bounded() ? max_ : 1; }

  /// E[n].
  [[nodiscard]] double mean() const noexcept {
    if (!bounded()) return static_cast<double>(1.0L / (1.0L - continue_));
    long double m = 0;
    for (int n = 1; n <= max_; ++n) m += static_cast<long double>(n) * probability_[static_cast<std::size_t>(n - 1)];
    return static_cast<double>(m);
  }

  /// Draws n: bounded laws by inversion of the cumulative table (binary search), the unbounded
  /// geometric law by Bernoulli(q) continue decisions. Only random_engine::uniform() is used, so
  /// the draw is the same on every platform.
  template <class Engine>
  int sample(Engine& rng) const {
    if (!bounded()) {
      int n = 1;
      const double q = static_cast<double>(continue_);
      while (rng.uniform() < q) ++n;
      return n;
    }
    const double u = rng.uniform();
    const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
    const auto index = static_cast<int>(it - cumulative_.begin());
    return std::min(index, max_ - 1) + 1;
  }

  INDUCT_DECLARE [[nodiscard]] nlohmann::json to_json() const;

 private:
  template <class Weight>
  void build_table(Weight weight) {
    std::vector<long double> w(static_cast<std::size_t>(max_));
    long double total = 0;
    for (int n = 1; n <= max_; ++n) total += (w[static_cast<std::size_t>(n - 1)] = weight(n));
    if (!(total > 0)) throw error("length_law: all weights are zero");
    // Drop a zero-weight tail so max_length() is the true support bound.
    while (max_ > 1 && w[static_cast<std::size_t>(max_ - 1)] == 0) --max_;
    w.resize(static_cast<std::size_t>(max_));
    probability_.resize(w.size());
    survival_.resize(w.size() + 1);
    for (std::size_t i = 0; i < w.size(); ++i) probability_[i] = w[i] / total;
    // Survival summed from the tail, so small tail probabilities keep full relative precision.
    survival_[w.size()] = 0;
    for (std::size_t i = w.size(); i-- > 0;) survival_[i] = survival_[i + 1] + probability_[i];
    cumulative_.resize(w.size());
    for (std::size_t i = 0; i < w.size(); ++i) cumulative_[i] = static_cast<double>(1.0L - survival_[i + 1]);
  }

  [[nodiscard]] long double pmf_long(long long n) const noexcept {
    if (n < 1 || n > max_) return 0;
    if (!bounded()) return (1.0L - continue_) * std::pow(continue_, static_cast<long double>(n - 1));
    return probability_[static_cast<std::size_t>(n - 1)];
  }
  [[nodiscard]] long double survival_long(long long i) const noexcept {
    if (i < 1) return 1;
    if (i >= max_) return 0;
    if (!bounded()) return std::pow(continue_, static_cast<long double>(i));
    return survival_[static_cast<std::size_t>(i)];
  }

  kind kind_ = kind::geometric;
  double parameter_ = 1.0;
  int max_ = 1;
  long double continue_ = 0;               // q of the geometric law
  std::vector<long double> probability_;   // p(n) for n = 1..max (bounded laws)
  std::vector<long double> survival_;      // survival_[i] = P(n > i), i = 0..max
  std::vector<double> cumulative_;         // cumulative_[i] = P(n <= i+1)
};

}  // namespace induct::grammar

#if INDUCT_HEADER_ONLY
#include "induct/grammar/detail/length_law_impl.hpp"
#endif
