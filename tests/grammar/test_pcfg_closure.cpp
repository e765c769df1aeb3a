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

TEST_CASE("closure_of: a dense closure is refused with its size before it outgrows the memory limit") {
  // A chain a_0 -> a_1 -> ... -> a_{n-1}: R is upper triangular and full, n (n + 1) / 2 entries.
  const std::uint32_t n = 400;
  std::vector<induct::grammar::sparse_row> chain(n);
  for (std::uint32_t a = 0; a + 1 < n; ++a) chain[a].emplace_back(a + 1, 0.5L);
  const double entry_bytes = 2.0 * sizeof(induct::grammar::sparse_row::value_type);  // as closure_of counts
  const double exact_bytes = n * (n + 1) / 2.0 * entry_bytes;
  // The limit exactly at the closure's size lets it through (the chain's bound is exact) ...
  const auto rows = induct::grammar::closure_of(chain, "left-corner", exact_bytes);
  std::size_t entries = 0;
  for (const auto& row : rows) entries += row.size();
  CHECK(entries == n * (n + 1) / 2);
  CHECK(static_cast<double>(rows[0].back().second) == doctest::Approx(std::pow(0.5, n - 1)));
  // ... one entry less is refused, naming the relation and the size.
  try {
    (void)induct::grammar::closure_of(chain, "left-corner", exact_bytes - entry_bytes);
    FAIL("a closure over the limit was built");
  } catch (const induct::resource_error& e) {
    const std::string message = e.what();
    CHECK(message.find("left-corner closure") != std::string::npos);
    CHECK(message.find("400 nonterminals") != std::string::npos);
    CHECK(e.available_bytes() == exact_bytes - entry_bytes);
  }
  // Where paths rejoin the bound overestimates (the diamond 0 -> {1, 2} -> 3 -> 4 -> 5 counts 3, 4, 5 twice in
  // row 0: bound 9, true 6; nodes 6-9 have no edges): entries are then counted as built, so a limit between
  // the true size (24) and the bound (27) still succeeds.
  std::vector<induct::grammar::sparse_row> diamond(10);
  diamond[0] = {{1, 0.5L}, {2, 0.5L}};
  diamond[1] = {{3, 0.5L}};
  diamond[2] = {{3, 0.5L}};
  diamond[3] = {{4, 0.5L}};
  diamond[4] = {{5, 0.5L}};
  const auto diamond_rows = induct::grammar::closure_of(diamond, "unit", 24 * entry_bytes);
  CHECK(diamond_rows[0].size() == 6);
  CHECK(static_cast<double>(diamond_rows[0][3].second) == doctest::Approx(0.5));  // R[0][3] = 2 x 0.25
  CHECK_THROWS_AS((void)induct::grammar::closure_of(diamond, "unit", 23 * entry_bytes), induct::resource_error);
}
