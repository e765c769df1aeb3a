#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "induct/core/random.hpp"
#include "induct/experiment/probe.hpp"

namespace ex = induct::experiment;

namespace {

Eigen::MatrixXd gaussian(int rows, int cols, induct::random_engine& rng) {
  Eigen::MatrixXd x(rows, cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) x(i, j) = rng.normal();
  return x;
}

// Labels argmax_c (x . w_c) for random w: a feature planted linearly in the vectors.
std::vector<int> planted_labels(const Eigen::MatrixXd& x, int classes, induct::random_engine& rng) {
  const Eigen::MatrixXd w = gaussian(static_cast<int>(x.cols()), classes, rng);
  const Eigen::MatrixXd scores = x * w;
  std::vector<int> labels(static_cast<std::size_t>(x.rows()));
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    Eigen::Index best = 0;
    scores.row(i).maxCoeff(&best);
    labels[static_cast<std::size_t>(i)] = static_cast<int>(best);
  }
  return labels;
}

// The objective written out independently of the library (standardization recomputed here).
double objective(const Eigen::MatrixXd& x, const std::vector<int>& y, const Eigen::MatrixXd& w, const Eigen::RowVectorXd& b,
                 double l2) {
  const Eigen::RowVectorXd mean = x.colwise().mean();
  Eigen::MatrixXd z = x.rowwise() - mean;
  for (Eigen::Index j = 0; j < z.cols(); ++j) z.col(j) /= std::sqrt(z.col(j).squaredNorm() / static_cast<double>(z.rows()));
  double loss = 0;
  for (Eigen::Index i = 0; i < z.rows(); ++i) {
    const Eigen::RowVectorXd logits = z.row(i) * w + b;
    double total = 0;
    for (Eigen::Index c = 0; c < logits.size(); ++c) total += std::exp(logits[c]);
    loss -= logits[y[static_cast<std::size_t>(i)]] - std::log(total);
  }
  return loss / static_cast<double>(z.rows()) + 0.5 * l2 * w.squaredNorm();
}

}  // namespace

TEST_CASE("the fit is the minimum of the stated objective") {
  induct::random_engine rng(11);
  const Eigen::MatrixXd x = gaussian(300, 6, rng);
  std::vector<int> y(300);
  for (auto& label : y) label = static_cast<int>(rng.below(3));  // noisy labels: a non-trivial optimum
  ex::probe_options options;
  options.l2 = 0.05;
  options.max_iterations = 500;
  options.gradient_tolerance = 1e-9;
  ex::logistic_regression model;
  model.fit(x, y, 3, options);
  const double at_fit = objective(x, y, model.weights(), model.bias(), options.l2);
  CHECK(at_fit == doctest::Approx(model.training_objective()).epsilon(1e-10));
  // Every small perturbation increases it (convexity: a local minimum is the global one).
  for (int trial = 0; trial < 20; ++trial) {
    Eigen::MatrixXd w = model.weights();
    Eigen::RowVectorXd b = model.bias();
    for (Eigen::Index k = 0; k < w.size(); ++k) w.data()[k] += 1e-3 * rng.normal();
    for (Eigen::Index k = 0; k < b.size(); ++k) b[k] += 1e-3 * rng.normal();
    CHECK(objective(x, y, w, b, options.l2) >= at_fit - 1e-12);
  }
}

TEST_CASE("a linearly planted feature is recovered on held-out data") {
  induct::random_engine rng(3);
  const Eigen::MatrixXd x = gaussian(2000, 32, rng);
  const auto labels = planted_labels(x, 5, rng);
  const auto result = ex::train_probe(x, labels);
  CHECK(result.classes == 5);
  CHECK(result.test_size == 500);
  CHECK(result.test_accuracy > 0.90);
  CHECK(result.majority_baseline < 0.45);
  CHECK(result.test_accuracy > result.majority_baseline + 0.4);
  // Deterministic: the same call gives the same numbers.
  const auto again = ex::train_probe(x, labels);
  CHECK(again.test_accuracy == result.test_accuracy);
  CHECK(again.train_loss == result.train_loss);
}

TEST_CASE("shuffled labels fall to the majority baseline (tolerance 0.05)") {
  induct::random_engine rng(5);
  const Eigen::MatrixXd x = gaussian(3000, 32, rng);
  // Imbalanced classes so the baseline is well above chance: class 0 has probability 1/2.
  std::vector<int> labels(3000);
  for (auto& label : labels) label = rng.bernoulli(0.5) ? 0 : 1 + static_cast<int>(rng.below(3));
  ex::probe_options options;
  options.l2 = 1e-2;
  const auto result = ex::train_probe(x, labels, {}, options);
  CHECK(result.majority_baseline > 0.4);
  CHECK(result.test_accuracy <= result.majority_baseline + 0.05);
  CHECK(result.test_accuracy >= result.majority_baseline - 0.10);
}

TEST_CASE("grouped split keeps each group on one side") {
  induct::random_engine rng(9);
  // 100 groups of 10 rows; within a group the rows are identical, so a row-level split would leak.
  Eigen::MatrixXd x(1000, 8);
  std::vector<int> labels(1000), groups(1000);
  for (int g = 0; g < 100; ++g) {
    Eigen::RowVectorXd row(8);
    for (int j = 0; j < 8; ++j) row[j] = rng.normal();
    const int label = static_cast<int>(rng.below(2));
    for (int k = 0; k < 10; ++k) {
      x.row(g * 10 + k) = row;
      labels[static_cast<std::size_t>(g * 10 + k)] = label;
      groups[static_cast<std::size_t>(g * 10 + k)] = g;
    }
  }
  ex::probe_options options;
  options.l2 = 0.0;
  const auto grouped = ex::train_probe(x, labels, groups, options);
  CHECK(grouped.test_size == 250);  // 25 whole groups held out
  // The split and the predictions it reports: split_probe_rows' rows, and accuracies that recount from them.
  const auto split = ex::split_probe_rows(labels.size(), groups, options);
  CHECK(grouped.train_rows == split.train_rows);
  CHECK(grouped.test_rows == split.test_rows);
  REQUIRE(grouped.test_predictions.size() == grouped.test_size);
  REQUIRE(grouped.train_predictions.size() == grouped.train_size);
  std::size_t test_hits = 0, train_hits = 0;
  for (std::size_t k = 0; k < grouped.test_rows.size(); ++k)
    test_hits += grouped.test_predictions[k] == labels[static_cast<std::size_t>(grouped.test_rows[k])];
  for (std::size_t k = 0; k < grouped.train_rows.size(); ++k)
    train_hits += grouped.train_predictions[k] == labels[static_cast<std::size_t>(grouped.train_rows[k])];
  CHECK(grouped.test_accuracy == static_cast<double>(test_hits) / 250.0);
  CHECK(grouped.train_accuracy == static_cast<double>(train_hits) / static_cast<double>(grouped.train_size));
  // Random labels per group: memorising cannot carry over to unseen groups.
  CHECK(grouped.test_accuracy < 0.8);
}

TEST_CASE("bad probe input is rejected") {
  Eigen::MatrixXd x = Eigen::MatrixXd::Zero(4, 2);
  std::vector<int> labels = {0, 1, 0};
  CHECK_THROWS_AS(ex::train_probe(x, labels), induct::error);
  std::vector<int> negative = {0, -1, 0, 1};
  ex::logistic_regression model;
  CHECK_THROWS_AS(model.fit(x, negative, 2), induct::error);
  std::vector<int> good = {0, 1, 0, 1};
  model.fit(x, good, 2);  // constant features: fits the biases only
  CHECK_THROWS_AS((void)model.predict(Eigen::MatrixXd::Zero(2, 3)), induct::error);
  const auto p = model.probabilities(x);
  CHECK(p(0, 0) == doctest::Approx(0.5));
}
