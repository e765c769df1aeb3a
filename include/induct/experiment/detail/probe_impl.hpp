#pragma once
// Definitions for experiment/probe.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "induct/core/error.hpp"
#include "induct/core/log_space.hpp"
#include "induct/core/random.hpp"
#include "induct/experiment/probe.hpp"

namespace induct::experiment {

INDUCT_DEFINE void logistic_regression::fit(const Eigen::MatrixXd& features, std::span<const int> labels, int classes,
                                              const probe_options& options) {
  const auto n = features.rows();
  const auto d = features.cols();
  if (static_cast<std::size_t>(n) != labels.size())
    throw error("probe: " + std::to_string(n) + " feature rows for " + std::to_string(labels.size()) + " labels");
  if (n == 0) throw error("probe: no training examples");
  if (classes < 2) throw error("probe: needs at least 2 classes, got " + std::to_string(classes));
  for (int y : labels)
    if (y < 0 || y >= classes) throw error("probe: label " + std::to_string(y) + " outside [0, " + std::to_string(classes) + ")");
  if (!(options.l2 >= 0)) throw error("probe: l2 must be >= 0");
  classes_ = classes;
  mean_ = features.colwise().mean();
  scale_ = ((features.rowwise() - mean_).array().square().colwise().sum() / static_cast<double>(n)).sqrt();
  for (Eigen::Index j = 0; j < d; ++j) scale_[j] = scale_[j] > 1e-12 ? 1.0 / scale_[j] : 0.0;  // constant columns drop out
  const Eigen::MatrixXd z = standardize(features);
  Eigen::MatrixXd targets = Eigen::MatrixXd::Zero(n, classes);
  for (Eigen::Index i = 0; i < n; ++i) targets(i, labels[static_cast<std::size_t>(i)]) = 1.0;

  // Parameters packed as one vector: W (d x K, column-major) then b (K).
  const Eigen::Index weight_count = d * classes;
  Eigen::VectorXd theta = Eigen::VectorXd::Zero(weight_count + classes);
  Eigen::VectorXd gradient(theta.size());
  auto objective = [&](const Eigen::VectorXd& t, Eigen::VectorXd& g) {
    const Eigen::Map<const Eigen::MatrixXd> w(t.data(), d, classes);
    const Eigen::Map<const Eigen::RowVectorXd> b(t.data() + weight_count, classes);
    row_matrix logits = z * w;
    logits.rowwise() += b;
    double loss = 0;
    for (Eigen::Index i = 0; i < n; ++i) {  // -log p(y_i | x_i), then the row becomes p(. | x_i), in place
      const std::span<double> row = row_of(logits, i);
      const double label_logit = row[static_cast<std::size_t>(labels[static_cast<std::size_t>(i)])];
      loss -= softmax(std::span<const double>(row), row).log_probability(label_logit);
    }
    loss /= static_cast<double>(n);
    loss += 0.5 * options.l2 * w.squaredNorm();
    logits -= targets;  // P - Y
    Eigen::Map<Eigen::MatrixXd> gw(g.data(), d, classes);
    gw.noalias() = z.transpose() * logits / static_cast<double>(n);
    gw += options.l2 * w;
    Eigen::Map<Eigen::RowVectorXd>(g.data() + weight_count, classes) = logits.colwise().sum() / static_cast<double>(n);
    return loss;
  };

  // L-BFGS (Nocedal and Wright, Algorithm 7.4) with a backtracking Armijo line search.
  double loss = objective(theta, gradient);
  std::deque<Eigen::VectorXd> s_history, y_history;
  std::deque<double> rho_history;
  Eigen::VectorXd new_gradient(theta.size());
  iterations_ = 0;
  for (int iteration = 0; iteration < options.max_iterations; ++iteration) {
    if (gradient.lpNorm<Eigen::Infinity>() < options.gradient_tolerance) break;
    Eigen::VectorXd q = gradient;
    std::vector<double> alpha(s_history.size());
    for (std::size_t k = s_history.size(); k-- > 0;) {
      alpha[k] = rho_history[k] * s_history[k].dot(q);
      q -= alpha[k] * y_history[k];
    }
    if (!s_history.empty()) q *= s_history.back().dot(y_history.back()) / y_history.back().squaredNorm();
    for (std::size_t k = 0; k < s_history.size(); ++k) {
      const double beta = rho_history[k] * y_history[k].dot(q);
      q += (alpha[k] - beta) * s_history[k];
    }
    Eigen::VectorXd direction = -q;
    double slope = gradient.dot(direction);
    if (!(slope < 0)) {  // not a descent direction: restart from steepest descent
      s_history.clear(), y_history.clear(), rho_history.clear();
      direction = -gradient;
      slope = -gradient.squaredNorm();
    }
    double step = s_history.empty() ? std::min(1.0, 1.0 / std::max(1e-12, gradient.lpNorm<Eigen::Infinity>())) : 1.0;
    Eigen::VectorXd candidate;
    double new_loss = loss;
    bool accepted = false;
    for (int tries = 0; tries < 40; ++tries) {
      candidate = theta + step * direction;
      new_loss = objective(candidate, new_gradient);
      if (std::isfinite(new_loss) && new_loss <= loss + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    ++iterations_;
    if (!accepted) break;  // no decrease possible at machine precision: converged
    Eigen::VectorXd s = candidate - theta, y = new_gradient - gradient;
    const double sy = s.dot(y);
    theta = std::move(candidate);
    gradient = new_gradient;
    const double previous = loss;
    loss = new_loss;
    if (sy > 1e-12) {
      s_history.push_back(std::move(s));
      y_history.push_back(std::move(y));
      rho_history.push_back(1.0 / sy);
      if (static_cast<int>(s_history.size()) > options.memory) {
        s_history.pop_front(), y_history.pop_front(), rho_history.pop_front();
      }
    }
    if (previous - loss < 1e-13 * std::max(1.0, std::abs(loss))) break;
  }
  weights_ = Eigen::Map<const Eigen::MatrixXd>(theta.data(), d, classes);
  bias_ = Eigen::Map<const Eigen::RowVectorXd>(theta.data() + weight_count, classes);
  loss_ = loss;
}

INDUCT_DEFINE Eigen::MatrixXd logistic_regression::probabilities(const Eigen::MatrixXd& features) const {
  check_features(features);
  row_matrix logits = standardize(features) * weights_;
  logits.rowwise() += bias_;
  for (Eigen::Index i = 0; i < logits.rows(); ++i) {
    const std::span<double> row = row_of(logits, i);
    softmax(std::span<const double>(row), row);  // in place
  }
  return logits;
}

INDUCT_DEFINE std::vector<int> logistic_regression::predict(const Eigen::MatrixXd& features) const {
  check_features(features);
  Eigen::MatrixXd logits = standardize(features) * weights_;
  logits.rowwise() += bias_;
  std::vector<int> out(static_cast<std::size_t>(logits.rows()));
  for (Eigen::Index i = 0; i < logits.rows(); ++i) {
    Eigen::Index best = 0;
    logits.row(i).maxCoeff(&best);
    out[static_cast<std::size_t>(i)] = static_cast<int>(best);
  }
  return out;
}

INDUCT_DEFINE Eigen::MatrixXd logistic_regression::standardize(const Eigen::MatrixXd& features) const {
  return (features.rowwise() - mean_).array().rowwise() * scale_.array();
}

INDUCT_DEFINE void logistic_regression::check_features(const Eigen::MatrixXd& features) const {
  if (features.cols() != mean_.size())
    throw error("probe: features have " + std::to_string(features.cols()) + " columns, the probe was fitted on " +
                std::to_string(mean_.size()));
}

INDUCT_DEFINE probe_split split_probe_rows(std::size_t n, std::span<const int> groups, const probe_options& options) {
  if (!groups.empty() && groups.size() != n) throw error("probe: groups must have one entry per example");
  if (!(options.test_fraction > 0 && options.test_fraction < 1)) throw error("probe: test_fraction must be in (0, 1)");
  std::vector<int> keys(groups.begin(), groups.end());
  if (keys.empty()) {
    keys.resize(n);
    std::iota(keys.begin(), keys.end(), 0);
  }
  std::vector<int> distinct = keys;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  if (distinct.size() < 2) throw error("probe: needs at least 2 examples (or groups) to hold some out");
  random_engine rng = random_engine::for_stream(options.seed, 0x70726f6265ULL /* "probe" */);
  rng.shuffle(distinct);
  const auto held = std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(options.test_fraction * static_cast<double>(distinct.size()))));
  std::vector<int> held_out(distinct.begin(), distinct.begin() + static_cast<long>(std::min(held, distinct.size() - 1)));
  std::sort(held_out.begin(), held_out.end());

  probe_split split;
  for (std::size_t i = 0; i < n; ++i)
    (std::binary_search(held_out.begin(), held_out.end(), keys[i]) ? split.test_rows : split.train_rows)
        .push_back(static_cast<Eigen::Index>(i));
  return split;
}

INDUCT_DEFINE probe_result train_probe(const Eigen::MatrixXd& features, std::span<const int> labels, std::span<const int> groups,
                                       const probe_options& options, int classes) {
  const std::size_t n = labels.size();
  if (static_cast<std::size_t>(features.rows()) != n)
    throw error("probe: " + std::to_string(features.rows()) + " feature rows for " + std::to_string(n) + " labels");
  if (classes <= 0) classes = n ? *std::max_element(labels.begin(), labels.end()) + 1 : 0;
  classes = std::max(classes, 2);

  const probe_split split = split_probe_rows(n, groups, options);
  const auto& train_rows = split.train_rows;
  const auto& test_rows = split.test_rows;
  auto gather = [&](const std::vector<Eigen::Index>& rows, Eigen::MatrixXd& x, std::vector<int>& y) {
    x.resize(static_cast<Eigen::Index>(rows.size()), features.cols());
    y.resize(rows.size());
    for (std::size_t r = 0; r < rows.size(); ++r) {
      x.row(static_cast<Eigen::Index>(r)) = features.row(rows[r]);
      y[r] = labels[static_cast<std::size_t>(rows[r])];
    }
  };
  Eigen::MatrixXd train_x, test_x;
  std::vector<int> train_y, test_y;
  gather(train_rows, train_x, train_y);
  gather(test_rows, test_x, test_y);

  logistic_regression model;
  model.fit(train_x, train_y, classes, options);
  probe_result result;
  result.classes = classes;
  result.train_size = train_y.size();
  result.test_size = test_y.size();
  result.train_predictions = model.predict(train_x);
  result.test_predictions = test_y.empty() ? std::vector<int>{} : model.predict(test_x);
  result.train_accuracy = accuracy(result.train_predictions, train_y);
  result.test_accuracy = test_y.empty() ? 0.0 : accuracy(result.test_predictions, test_y);
  std::vector<std::size_t> counts(static_cast<std::size_t>(classes), 0);
  for (int y : train_y) ++counts[static_cast<std::size_t>(y)];
  const int majority = static_cast<int>(std::max_element(counts.begin(), counts.end()) - counts.begin());
  result.majority_baseline =
      test_y.empty() ? 0.0
                     : static_cast<double>(std::count(test_y.begin(), test_y.end(), majority)) / static_cast<double>(test_y.size());
  result.train_loss = model.training_objective();
  result.iterations = model.iterations();
  result.train_rows = split.train_rows;
  result.test_rows = split.test_rows;
  return result;
}

}  // namespace induct::experiment
