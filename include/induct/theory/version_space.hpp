#pragma once
// The exact version-space account of the idealized predictor's cumulative answer loss
// (docs/theory.md section 3, "The version-space identity").
//
// A scored list sequence is a prompt and its query's answer, teacher forced:
//   s = <d> [ x_1 : a_1 ; ... ; x_n : a_n ; x_{n+1} : a_{n+1}      (n examples, the query is item n + 1)
// with a_i the item's values (one for a direct task, the k steps for a stepwise one). A list task
// h = (F, chain) with prior pi(h) = P(F, chain | list) (conditioned on the list, as the idealized
// predictor is) can emit s, p(s | h) > 0, exactly when it emits a_i on x_i and ends the item there
// for i <= n, and its values on x_{n+1} begin with a_{n+1}. The version space of s is that set of
// tasks, and its prior mass and the version-space bits are
//   V(s) = sum_{h : p(s | h) > 0} pi(h),      VS(s) = -log2 V(s).
// Every chain is its own hypothesis, so chains denoting the same map (or the same step maps) are
// summed, as the idealized predictor sums them.
//
// Identity. With tau the prompt's own task, L(s) = sum over tau's answer tokens of
// -log2 p_ideal(s_t | s_<t) (theory::prompt_score::cumulative_loss_bits) satisfies exactly
//   L(s) = VS(s) + C(s),   C(s) = separator_bits + length_law_bits,
//   separator_bits  = sum_{i=1..n} log2( p_ideal(; | s up to a_i) / c_tau(i) )  = R(s; tau) exactly,
//   length_law_bits = -log2( sum_{h in V} pi(h) S_{F_h}(n) / (V(s) S_{F_tau}(n)) ),
// with c_F(i) the continue probability after item i and S_F(n) = P(N > n | F) = prod_{i<=n} c_F(i).
// Proof: inputs are uniform and `:` certain under every task, so by the chain rule
// -log2 p(s) = L(s) + (n + 1) log2 E - sum_i log2 p_ideal(; | .), and by the mixture (1) of
// docs/theory.md p(s) = E^-(n+1) sum_{h in V} pi(h) S_{F_h}(n).
//   * Geometric law shared by both formats (the default): length_law_bits = 0, and for n >= 1
//     separator_bits = log2 q_1, q_1 the prior share, among the tasks whose values on x_1 begin
//     with a_1, of those that end the item there: after the first item every surviving task has
//     tau's item length, so every later `;` has probability c(i) under the mixture too. So the whole
//     n-dependence of L is in VS, and C(s) <= 0 is fixed by the first item (C = 0 at n = 0).
//   * Separate length laws (the power-law variant): both terms move with n.
// Theorem 1 follows: tau is in V, so V(s) S_tau(n) <= sum_{h in V} pi(h) S_{F_h}(n) and
// L(s) <= D(tau) + R(s; tau), with slack D - VS - length_law_bits >= 0 (tasks other than tau left).
//
// Computed by enumerating every (format, chain) of setup::document_model::chain_at and applying it
// with setup::world::apply, independently of the idealized predictor's incremental code (the tests
// check the identity against it). Cost per sequence: O(chains x items until the first mismatch),
// about 2 x 4,680 short checks in the default world.
#include <cstddef>
#include <span>
#include <vector>

#include "induct/core/linkage.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/setup/prompt.hpp"
#include "induct/setup/vocabulary.hpp"
#include "induct/setup/world.hpp"

namespace induct::theory {

/// The version-space account of one scored list sequence (see the header comment).
struct version_space_account {
  int examples = 0;                   // n: complete items before the query
  std::size_t hypotheses = 0;         // (format, chain) pairs that can emit the sequence
  double version_space_bits = 0.0;    // VS = -log2 V(s), V the prior mass of those hypotheses
  double separator_bits = 0.0;        // sum_i log2( p_ideal(; after item i) / c_tau(i) ) = R(s; tau)
  double length_law_bits = 0.0;       // -log2 E_V[ S_{F_h}(n) / S_{F_tau}(n) ]; 0 for a shared length law
  double description_length_bits = 0.0;  // D(tau), for the slack D - VS >= 0

  /// C(s): what separators and length laws add to VS.
  [[nodiscard]] double correction_bits() const noexcept { return separator_bits + length_law_bits; }
  /// VS + C: the idealized predictor's cumulative answer bits L(s), by the identity.
  [[nodiscard]] double cumulative_answer_bits() const noexcept { return version_space_bits + correction_bits(); }
};

/// Every list task of a world with its prior, for version-space accounts (immutable, thread-safe).
class version_space_model {
 public:
  INDUCT_DECLARE explicit version_space_model(const setup::world& world);

  [[nodiscard]] const setup::world& world() const noexcept { return world_; }
  [[nodiscard]] const setup::document_model& document() const noexcept { return document_; }
  /// Hypotheses with positive prior: both formats times setup::document_model::chain_count() at most.
  [[nodiscard]] std::size_t hypothesis_count() const noexcept { return hypotheses_.size(); }

  /// The account of a list sequence `<d> [ x : v.. ; ... ; x : v..` (it ends inside its last item,
  /// after that item's values) for the task `task` that emitted it. Error if the sequence is not of
  /// that form or `task` cannot emit it.
  INDUCT_DECLARE [[nodiscard]] version_space_account account(const setup::list_task& task,
                                                             std::span<const setup::token_id> sequence) const;

  /// The account of a prompt followed by its query's answer (direct: phi(q); stepwise: the k steps),
  /// the sequence theory::prompt_scorer scores.
  INDUCT_DECLARE [[nodiscard]] version_space_account account(const setup::prompt& prompt) const;

 private:
  struct hypothesis {
    setup::list_format format;
    setup::function_chain chain;
    long double prior;  // P(format, chain | list)
  };
  struct item {
    int input;
    std::vector<int> values;
  };
  enum class match { mismatch, exact, prefix };  // prefix: h emits the item's values and then more

  // How h's values on item.input compare with item.values.
  INDUCT_DECLARE [[nodiscard]] match compare(const hypothesis& h, const item& it) const;

  setup::world world_;
  setup::document_model document_;
  std::vector<hypothesis> hypotheses_;
};

}  // namespace induct::theory

#if INDUCT_HEADER_ONLY
#include "induct/theory/detail/version_space_impl.hpp"
#endif
