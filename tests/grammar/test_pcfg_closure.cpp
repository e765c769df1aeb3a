#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include <Eigen/Dense>

#include "induct/core/random.hpp"
#include "induct/grammar/closure.hpp"

using namespace induct::grammar;

TEST_CASE("closure_of: SCC-wise (I - P)^-1 equals the dense inverse, zeros exactly where no path exists") {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    induct::random_engine rng(seed);
    const std::uint32_t n = 3 + static_cast<std::uint32_t>(rng.below(12));
    std::vector<sparse_row> edges(n);
    Eigen::MatrixXd p = Eigen::MatrixXd::Zero(n, n);
    for (std::uint32_t a = 0; a < n; ++a)
      for (std::uint32_t b = 0; b < n; ++b)
        if (rng.bernoulli(0.2)) {
          const double w = 0.3 * rng.uniform() / n;  // row sums < 0.3: rho < 1
          edges[a].emplace_back(b, w);
          p(a, b) += w;
        }
    const auto rows = closure_of(edges);
    const Eigen::MatrixXd dense = (Eigen::MatrixXd::Identity(n, n) - p).inverse();
    // Structural reachability by Warshall.
    std::vector<std::vector<char>> reach(n, std::vector<char>(n, 0));
    for (std::uint32_t a = 0; a < n; ++a) {
      reach[a][a] = 1;
      for (const auto& [b, w] : edges[a]) reach[a][b] = 1;
    }
    for (std::uint32_t k = 0; k < n; ++k)
      for (std::uint32_t a = 0; a < n; ++a)
        for (std::uint32_t b = 0; b < n; ++b)
          if (reach[a][k] && reach[k][b]) reach[a][b] = 1;
    for (std::uint32_t a = 0; a < n; ++a) {
      std::vector<double> row(n, 0.0);
      for (const auto& [b, v] : rows[a]) row[b] = static_cast<double>(v);
      for (std::uint32_t b = 0; b < n; ++b) {
        INFO("seed " << seed << " entry " << a << "," << b);
        CHECK(row[b] == doctest::Approx(dense(a, b)).epsilon(1e-13));
        CHECK((row[b] > 0) == static_cast<bool>(reach[a][b]));
      }
    }
  }
}

TEST_CASE("closure_of: a two-cycle has the geometric-series closed form") {
  // a -> b (0.5), b -> a (0.3): R[a][a] = 1 / (1 - 0.15), R[a][b] = 0.5 / 0.85, R[b][a] = 0.3 / 0.85.
  const auto rows = closure_of({{{1, 0.5L}}, {{0, 0.3L}}});
  REQUIRE(rows[0].size() == 2);
  CHECK(static_cast<double>(rows[0][0].second) == doctest::Approx(1 / 0.85).epsilon(1e-15));
  CHECK(static_cast<double>(rows[0][1].second) == doctest::Approx(0.5 / 0.85).epsilon(1e-15));
  CHECK(static_cast<double>(rows[1][0].second) == doctest::Approx(0.3 / 0.85).epsilon(1e-15));
  CHECK_THROWS_AS(closure_of({{{0, 1.5L}}}), induct::grammar_error);
}
