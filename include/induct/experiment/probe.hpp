#pragma once
// Linear probes: multinomial logistic regression with L2, fitted by L-BFGS, with a held-out split
// and the majority-class baseline.
//
// Model: p(c | x) = softmax_c(w_c . z + b_c), z the standardized features (training mean and
// standard deviation). Fitted by minimising the mean cross-entropy plus an L2 penalty on the
// weights (not the biases):
//   L(W, b) = -(1/N) sum_i log p(y_i | x_i) + (lambda/2) ||W||_F^2,
//   dL/dW = Z^T (P - Y) / N + lambda W,   dL/db = 1^T (P - Y) / N.
// L is strictly convex in W, so the fit is unique and deterministic (no random initialisation:
// it starts from zero). The split is by group when groups are given (all tokens of one prompt go
// to the same side), so a probe cannot pass by memorising a prompt it has seen.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "induct/core/error.hpp"
#include "induct/core/linkage.hpp"

namespace induct::experiment {

struct probe_options {
  double l2 = 1e-3;             // lambda
  int max_iterations = 200;     // L-BFGS iterations
  double gradient_tolerance = 1e-6;  // stop when the gradient's max-norm falls below this
  int memory = 10;              // L-BFGS history length
  double test_fraction = 0.25;  // share of examples (or groups) held out
  std::uint64_t seed = 1;       // seeds the split only
};

struct probe_result {
  int classes = 0;
  std::size_t train_size = 0;
  std::size_t test_size = 0;
  double train_accuracy = 0;
  double test_accuracy = 0;
  double majority_baseline = 0;  // test accuracy of always answering the training set's most frequent label
  double train_loss = 0;         // regularized objective at the solution
  int iterations = 0;
  // The split's rows (split_probe_rows) and the fitted probe's prediction on each, for accuracies on subsets.
  std::vector<Eigen::Index> train_rows, test_rows;
  std::vector<int> train_predictions, test_predictions;
};

/// A fitted multinomial logistic regression over standardized features.
class logistic_regression {
 public:
  /// Fits on rows of `features` with labels in [0, classes).
  INDUCT_DECLARE void fit(const Eigen::MatrixXd& features, std::span<const int> labels, int classes,
                          const probe_options& options = {});

  /// Class probabilities, one row per example.
  INDUCT_DECLARE [[nodiscard]] Eigen::MatrixXd probabilities(const Eigen::MatrixXd& features) const;

  /// Argmax class per example (lowest index on ties).
  INDUCT_DECLARE [[nodiscard]] std::vector<int> predict(const Eigen::MatrixXd& features) const;

  [[nodiscard]] int classes() const noexcept { return classes_; }
  [[nodiscard]] double training_objective() const noexcept { return loss_; }
  [[nodiscard]] int iterations() const noexcept { return iterations_; }
  /// Weights (d x K) and biases (K) on the standardized features.
  [[nodiscard]] const Eigen::MatrixXd& weights() const noexcept { return weights_; }
  [[nodiscard]] const Eigen::RowVectorXd& bias() const noexcept { return bias_; }

 private:
  // Logits one example per row, so that a row is contiguous for the softmax of core/log_space.hpp.
  using row_matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  [[nodiscard]] static std::span<double> row_of(row_matrix& m, Eigen::Index i) {
    return {m.data() + i * m.cols(), static_cast<std::size_t>(m.cols())};
  }

  INDUCT_DECLARE [[nodiscard]] Eigen::MatrixXd standardize(const Eigen::MatrixXd& features) const;
  INDUCT_DECLARE void check_features(const Eigen::MatrixXd& features) const;

  int classes_ = 0;
  Eigen::RowVectorXd mean_, scale_, bias_;
  Eigen::MatrixXd weights_;
  double loss_ = 0;
  int iterations_ = 0;
};

/// Share of positions where predicted equals actual.
inline double accuracy(std::span<const int> predicted, std::span<const int> actual) {
  if (predicted.size() != actual.size()) throw error("accuracy: sizes differ");
  if (actual.empty()) return 0.0;
  std::size_t hits = 0;
  for (std::size_t i = 0; i < actual.size(); ++i) hits += predicted[i] == actual[i];
  return static_cast<double>(hits) / static_cast<double>(actual.size());
}

/// The held-out split of train_probe: the distinct groups (or, without groups, the examples) are
/// shuffled with options.seed and the first round(test_fraction x count) of them (at least one,
/// never all) are held out. Row indices ascending on each side.
struct probe_split {
  std::vector<Eigen::Index> train_rows, test_rows;
};

INDUCT_DECLARE probe_split split_probe_rows(std::size_t n, std::span<const int> groups = {}, const probe_options& options = {});

/// Splits examples into train and test (split_probe_rows), fits a probe on the training rows, and
/// reports held-out accuracy beside the majority-class baseline.
/// `classes` <= 0 means max(label) + 1.
INDUCT_DECLARE probe_result train_probe(const Eigen::MatrixXd& features, std::span<const int> labels,
                                        std::span<const int> groups = {}, const probe_options& options = {},
                                        int classes = 0);

}  // namespace induct::experiment

#if INDUCT_HEADER_ONLY
#include "induct/experiment/detail/probe_impl.hpp"
#endif
