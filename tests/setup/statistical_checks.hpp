#pragma once
// Exact confidence limits for the setup tests: Clopper-Pearson intervals and chi-square
// goodness of fit, from Boost.Math quantiles. Each check states its false-alarm rate.
#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/chi_squared.hpp>

#include <cstdint>
#include <utility>
#include <vector>

namespace induct_test {

/// Two-sided Clopper-Pearson interval for a binomial proportion with k successes in n trials,
/// covering the true p with probability >= 1 - alpha.
inline std::pair<double, double> clopper_pearson(std::uint64_t k, std::uint64_t n, double alpha) {
  const double lo = k == 0 ? 0.0
                           : boost::math::quantile(boost::math::beta_distribution<double>(double(k), double(n - k + 1)), alpha / 2);
  const double hi = k == n ? 1.0
                           : boost::math::quantile(boost::math::beta_distribution<double>(double(k + 1), double(n - k)), 1 - alpha / 2);
  return {lo, hi};
}

/// Pearson chi-square statistic of observed counts against probabilities (bins with expected
/// count < 5 are pooled into one bin) and whether it is below the 1 - alpha quantile.
struct chi_square_result {
  double statistic = 0;
  double critical = 0;
  int degrees_of_freedom = 0;
  bool accepted = false;
};
inline chi_square_result chi_square_test(const std::vector<double>& observed, const std::vector<double>& probability,
                                         double alpha) {
  double total = 0;
  for (double o : observed) total += o;
  chi_square_result r;
  double pooled_observed = 0, pooled_expected = 0;
  int bins = 0;
  for (std::size_t i = 0; i < observed.size(); ++i) {
    const double expected = total * probability[i];
    if (expected < 5) {
      pooled_observed += observed[i];
      pooled_expected += expected;
      if (expected == 0 && observed[i] > 0) r.statistic = 1e300;  // an impossible outcome occurred
      continue;
    }
    r.statistic += (observed[i] - expected) * (observed[i] - expected) / expected;
    ++bins;
  }
  if (pooled_expected > 0) {
    r.statistic += (pooled_observed - pooled_expected) * (pooled_observed - pooled_expected) / pooled_expected;
    ++bins;
  }
  r.degrees_of_freedom = bins - 1;
  r.critical = r.degrees_of_freedom > 0
                   ? boost::math::quantile(boost::math::chi_squared_distribution<double>(r.degrees_of_freedom), 1 - alpha)
                   : 0.0;
  r.accepted = r.degrees_of_freedom > 0 ? r.statistic <= r.critical : r.statistic < 1e299;
  return r;
}

}  // namespace induct_test
