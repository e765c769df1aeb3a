#pragma once
// Definitions for theory/version_space.hpp (see induct/core/linkage.hpp for the two modes).
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/setup/prompt.hpp"
#include "induct/setup/vocabulary.hpp"
#include "induct/setup/world.hpp"
#include "induct/theory/version_space.hpp"

namespace induct::theory {

INDUCT_DEFINE version_space_model::version_space_model(const setup::world& world) : world_(world), document_(world.config()) {
  for (auto format : {setup::list_format::direct, setup::list_format::stepwise}) {
    if (!(document_.format_probability(format) > 0.0)) continue;
    for (std::size_t i = 0; i < document_.chain_count(); ++i) {
      setup::function_chain chain = document_.chain_at(i);
      const long double prior = std::exp2(static_cast<long double>(document_.log2_task_prior(format, chain)));
      if (prior > 0.0L) hypotheses_.push_back({format, std::move(chain), prior});
    }
  }
}

INDUCT_DEFINE version_space_model::match version_space_model::compare(const hypothesis& h, const item& it) const {
  const std::size_t length = h.format == setup::list_format::direct ? 1 : h.chain.size();
  if (length < it.values.size()) return match::mismatch;
  if (h.format == setup::list_format::direct)
    return world_.apply(h.chain, it.input) == it.values[0] ? match::exact : match::mismatch;
  int value = it.input;
  for (std::size_t j = 0; j < it.values.size(); ++j)
    if ((value = world_.apply(h.chain[j], value)) != it.values[j]) return match::mismatch;
  return length == it.values.size() ? match::exact : match::prefix;
}

INDUCT_DEFINE version_space_account version_space_model::account(const setup::list_task& task,
                                                                 std::span<const setup::token_id> sequence) const {
  const auto& vocab = world_.vocab();
  document_.check_chain(task.chain);
  auto malformed = [&](const std::string& why) {
    return error("version space: " + why + " in '" + vocab.decode(sequence) + "' (expected '<d> [ x : v.. ; ... ; x : v..')");
  };
  if (sequence.size() < 5 || sequence[0] != setup::vocabulary::document || sequence[1] != setup::vocabulary::open_list)
    throw malformed("a list sequence starts with '<d> [' and has at least one answered item");
  // The items (input, values), the last one the query, cut after its values.
  std::vector<item> items;
  for (std::size_t t = 2; t < sequence.size();) {
    const auto input = vocab.entity_index(sequence[t]);
    if (!input) throw malformed("token " + std::to_string(t) + " should be an item's input entity");
    if (t + 1 >= sequence.size() || sequence[t + 1] != setup::vocabulary::colon)
      throw malformed("token " + std::to_string(t + 1) + " should be ':'");
    item it{*input, {}};
    t += 2;
    for (; t < sequence.size() && sequence[t] != setup::vocabulary::semicolon; ++t) {
      const auto value = vocab.entity_index(sequence[t]);
      if (!value) throw malformed("token " + std::to_string(t) + " should be a value or ';'");
      it.values.push_back(*value);
    }
    if (it.values.empty()) throw malformed("item " + std::to_string(items.size() + 1) + " has no values");
    const bool closed = t < sequence.size();  // at a `;`
    items.push_back(std::move(it));
    if (closed && ++t == sequence.size()) throw malformed("the sequence ends with ';', not inside the query's item");
  }
  const std::size_t n = items.size() - 1;

  // Per format f: exact[f][e] = prior mass of the tasks that emit exactly the first e items and not
  // item e + 1 exactly; prefix[f][i] = those among them whose values on item i begin with its values.
  std::vector<long double> exact[2], prefix[2];
  for (int f = 0; f < 2; ++f) {
    exact[f].assign(n + 2, 0.0L);
    prefix[f].assign(n + 2, 0.0L);
  }
  version_space_account result;
  result.examples = static_cast<int>(n);
  for (const auto& h : hypotheses_) {
    const int f = h.format == setup::list_format::direct ? 0 : 1;
    std::size_t e = 0;
    match last = match::exact;
    for (; e <= n; ++e)
      if ((last = compare(h, items[e])) != match::exact) break;
    exact[f][e] += h.prior;
    if (e <= n && last == match::prefix) prefix[f][e + 1] += h.prior;  // item e + 1 (1-based) is items[e]
    result.hypotheses += e == n + 1 || (e == n && last == match::prefix);
  }
  {  // The prompt's own task must be in the version space.
    const hypothesis own{task.format, task.chain, 0.0L};
    for (std::size_t i = 0; i <= n; ++i) {
      const match m = compare(own, items[i]);
      if (m == match::mismatch || (m == match::prefix && i < n))
        throw error("version space: item " + std::to_string(i + 1) + " of '" + vocab.decode(sequence) +
                    "' is not what the task " + setup::to_string(task.format) + " " + setup::chain_label(task.chain) +
                    " emits");
    }
  }
  // alive[f][i] = mass of the tasks exact on items 1..i (suffix sums of exact).
  std::vector<long double> alive[2];
  for (int f = 0; f < 2; ++f) {
    alive[f].assign(n + 2, 0.0L);
    long double sum = 0.0L;
    for (std::size_t i = n + 2; i-- > 0;) alive[f][i] = (sum += exact[f][i]);
  }
  // rho[f][i] = S_f(i) / S_tau(i): exactly 1 for tau's format and for a length law both formats share.
  const auto& own_law = document_.list_length_law(task.format);
  auto survival_ratio = [&](int f, std::size_t i) {
    const auto format = f == 0 ? setup::list_format::direct : setup::list_format::stepwise;
    const long double own = static_cast<long double>(own_law.survival(static_cast<long long>(i)));
    return static_cast<long double>(document_.list_length_law(format).survival(static_cast<long long>(i))) / own;
  };
  if (!(own_law.survival(static_cast<long long>(n)) > 0.0))
    throw error("version space: a " + std::string(setup::to_string(task.format)) + " list cannot have " +
                std::to_string(n + 1) + " items (list_length_max), so its task cannot emit the sequence");
  // p_ideal(; after item i) / c_tau(i) = sum_f S_f(i) alive_f(i) / (c_tau(i) sum_f S_f(i-1) (alive_f(i) + prefix_f(i))),
  // divided through by S_tau(i - 1) c_tau(i) = S_tau(i).
  long double separator = 0.0L;
  for (std::size_t i = 1; i <= n; ++i) {
    long double ended = 0.0L, reached = 0.0L;
    for (int f = 0; f < 2; ++f) {
      ended += survival_ratio(f, i) * alive[f][i];
      reached += survival_ratio(f, i - 1) * (alive[f][i] + prefix[f][i]);
    }
    separator += std::log2(ended / reached);
  }
  long double mass = 0.0L, weighted = 0.0L;
  for (int f = 0; f < 2; ++f) {
    const long double in_space = alive[f][n + 1] + prefix[f][n + 1];
    mass += in_space;
    weighted += survival_ratio(f, n) * in_space;
  }
  result.version_space_bits = static_cast<double>(-std::log2(mass));
  result.separator_bits = static_cast<double>(separator);
  result.length_law_bits = static_cast<double>(-std::log2(weighted / mass));
  result.description_length_bits = document_.description_length_bits(task);
  return result;
}

INDUCT_DEFINE version_space_account version_space_model::account(const setup::prompt& prompt) const {
  const auto& vocab = world_.vocab();
  std::vector<setup::token_id> sequence(prompt.tokens.begin(), prompt.tokens.end());
  if (prompt.format == setup::list_format::direct) {
    sequence.push_back(vocab.entity(prompt.answer));
  } else {
    for (int z : prompt.steps) sequence.push_back(vocab.entity(z));
  }
  return account(setup::list_task{prompt.format, prompt.chain}, sequence);
}

}  // namespace induct::theory
