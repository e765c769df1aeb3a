#pragma once
// A deliberately naive reference for the tests: the exact next-token distribution of a list
// prefix by enumerating every (format, chain) hypothesis and simulating its emission token by
// token (no maps, no trie, no early exit), straight from the generative model's definition.
#include <vector>

#include "induct/setup/document_model.hpp"
#include "induct/setup/world.hpp"

namespace induct::theory::testing {

struct reference_predictor {
  const setup::world& world;
  setup::document_model model{world.config()};

  // P(tokens | format, chain) for the tokens after `<d> [` (a prefix of the list).
  long double prefix_probability(setup::list_format format, const setup::function_chain& chain,
                                 const std::vector<setup::token_id>& tokens) const {
    const auto& vocab = world.vocab();
    const auto& law = model.list_length_law(format);
    long double p = 1.0L;
    int items = 0, state = 0, x = 0;
    std::size_t j = 0;
    std::vector<int> expected;
    for (setup::token_id t : tokens) {
      if (state == 0) {  // an item's input
        auto e = vocab.entity_index(t);
        if (!e) return 0.0L;
        p /= world.entity_count();
        x = *e;
        state = 1;
      } else if (state == 1) {
        if (t != setup::vocabulary::colon) return 0.0L;
        expected = world.steps(chain, x);
        if (format == setup::list_format::direct) expected = {expected.back()};
        j = 0;
        state = 2;
      } else if (state == 2) {
        if (j < expected.size()) {
          if (vocab.entity_index(t) != expected[j]) return 0.0L;
          ++j;
        } else if (t == setup::vocabulary::semicolon) {
          ++items;
          p *= law.continue_probability(items);
          state = 0;
        } else if (t == setup::vocabulary::close_list) {
          p *= 1.0L - law.continue_probability(items + 1);
          state = 3;
        } else {
          return 0.0L;
        }
      } else {
        return 0.0L;
      }
    }
    return p;
  }

  // The hypothesis' own next-token law after the tokens (which it must be able to emit).
  void add_next_token_law(setup::list_format format, const setup::function_chain& chain,
                          const std::vector<setup::token_id>& tokens, long double weight,
                          std::vector<long double>& out) const {
    const auto& vocab = world.vocab();
    const auto& law = model.list_length_law(format);
    int items = 0, state = 0, x = 0;
    std::size_t j = 0;
    for (setup::token_id t : tokens) {
      if (state == 0) {
        x = *vocab.entity_index(t);
        state = 1;
      } else if (state == 1) {
        j = 0;
        state = 2;
      } else if (j < (format == setup::list_format::direct ? 1 : chain.size())) {
        ++j;
      } else {
        ++items;
        state = 0;
      }
    }
    if (state == 0) {
      for (int e = 0; e < world.entity_count(); ++e) out[vocab.entity(e)] += weight / world.entity_count();
    } else if (state == 1) {
      out[setup::vocabulary::colon] += weight;
    } else {
      std::vector<int> expected = world.steps(chain, x);
      if (format == setup::list_format::direct) expected = {expected.back()};
      if (j < expected.size()) {
        out[vocab.entity(expected[j])] += weight;
      } else {
        const long double c = law.continue_probability(items + 1);
        out[setup::vocabulary::semicolon] += weight * c;
        out[setup::vocabulary::close_list] += weight * (1.0L - c);
      }
    }
  }

  // p(t | `<d> [` tokens) for every token t; the total prefix weight in `evidence` if given.
  std::vector<long double> next_token_distribution(const std::vector<setup::token_id>& tokens) const {
    std::vector<long double> out(world.vocab().size(), 0.0L);
    long double total = 0.0L;
    for (int f = 0; f < 2; ++f) {
      const auto format = f == 0 ? setup::list_format::direct : setup::list_format::stepwise;
      for (std::size_t i = 0; i < model.chain_count(); ++i) {
        const auto chain = model.chain_at(i);
        const long double prior = std::exp2(static_cast<long double>(model.log2_task_prior(format, chain)));
        const long double base = prefix_probability(format, chain, tokens);
        if (base == 0.0L) continue;
        total += prior * base;
        add_next_token_law(format, chain, tokens, prior * base, out);
      }
    }
    for (auto& p : out) p /= total;
    return out;
  }
};

}  // namespace induct::theory::testing
