// Theorem 1 on a user's grammar: an agreement language whose posterior is enumerated by hand.
//
// Nouns n0 n1 (gender 0) and n2 n3 (gender 1); a list shares a table t = (det of gender 0, det of gender 1)
// in {a, b}^2 with prior pi(t); items "noun : det" with the noun uniform. With a continue probability c_t
// per table the reference posterior at the answer of item i is
//   w_t proportional to pi(t) c_t^(i-1) prod_{examples j < i} [t(gender(x_j)) = y_j]
// (inputs are uniform under every table, so they cancel), independently of Earley.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/grammar/parse.hpp"
#include "induct/grammar/validate.hpp"
#include "induct/setup/grammar_prompts.hpp"
#include "induct/theory/grammar_icl.hpp"

using namespace induct;

namespace {

constexpr std::array<double, 4> prior{0.4, 0.3, 0.2, 0.1};       // tables 00 01 10 11 (0 = a, 1 = b)
int det_of(int table, int gender) { return gender == 0 ? table >> 1 : table & 1; }
const std::array<std::string, 4> table_names{"00", "01", "10", "11"};

/// The agreement language with continue probability c[t] for table t.
grammar::pcfg agreement_grammar(const std::array<double, 4>& c) {
  std::string text = "L ->";
  for (int t = 0; t < 4; ++t)
    text += std::string(t ? " |" : "") + " \"[\" I" + table_names[t] + " \"]\" " + std::to_string(prior[t]);
  text += "\n";
  for (int t = 0; t < 4; ++t) {
    const std::string& n = table_names[t];
    text += "I" + n + " -> X" + n + " \";\" I" + n + " " + std::to_string(c[t]) + " | X" + n + " " + std::to_string(1 - c[t]) + "\n";
    text += "X" + n + " ->";
    for (int noun = 0; noun < 4; ++noun)
      text += std::string(noun ? " |" : "") + " \"n" + std::to_string(noun) + "\" \":\" \"" + (det_of(t, noun / 2) ? "b" : "a") + "\"";
    text += "\n";
  }
  grammar::pcfg g = grammar::parse_grammar(text, "agreement.cfg");
  grammar::validate(g);
  return g;
}

/// Reference: -log2 p_ideal(y_i | ...) and whether y_i is a mistake, for every item of a scored sequence.
struct reference_item {
  double bits;
  bool mistake;
};
std::vector<reference_item> reference_account(const grammar::pcfg& g, const std::vector<grammar::symbol_id>& s,
                                              const std::array<double, 4>& c) {
  std::vector<int> genders, dets;
  for (std::size_t i = 0; i + 2 < s.size(); ++i)
    if (g.name(s[i + 1]) == ":") {
      genders.push_back(g.name(s[i]) == "n0" || g.name(s[i]) == "n1" ? 0 : 1);
      dets.push_back(g.name(s[i + 2]) == "b" ? 1 : 0);
    }
  std::vector<reference_item> out;
  for (std::size_t i = 0; i < genders.size(); ++i) {
    std::array<double, 2> mass{0, 0};
    for (int t = 0; t < 4; ++t) {
      double w = prior[t] * std::pow(c[t], static_cast<double>(i));
      for (std::size_t j = 0; j < i; ++j)
        if (det_of(t, genders[j]) != dets[j]) w = 0;
      mass[det_of(t, genders[i])] += w;
    }
    const double p = mass[dets[i]] / (mass[0] + mass[1]);
    out.push_back({-std::log2(p), !(p > 1 - p)});
  }
  return out;
}

constexpr std::array<double, 4> shared_law{0.5, 0.5, 0.5, 0.5};

}  // namespace

TEST_CASE("grammar ICL: D, the exact predictive probabilities and the mistakes match the enumerated posterior") {
  for (const auto& law : {shared_law, std::array<double, 4>{0.5, 0.8, 0.3, 0.9}}) {
    const grammar::pcfg g = agreement_grammar(law);
    for (int t = 0; t < 4; ++t) {
      const setup::grammar_list_task task(g, "X" + table_names[t]);
      const theory::grammar_icl_model model(task);
      CHECK(model.description_length_bits() == doctest::Approx(-std::log2(prior[t])).epsilon(1e-12));
      for (int n : {0, 1, 3, 6}) {
        for (std::uint64_t index = 0; index < 6; ++index) {
          const setup::grammar_prompt prompt = setup::generate_grammar_prompt(task, n, 11, index);
          const theory::grammar_prompt_score score = model.score(prompt);
          const auto reference = reference_account(g, prompt.scored_sequence(), law);
          REQUIRE(reference.size() == static_cast<std::size_t>(n + 1));
          double bits = 0;
          int mistakes = 0;
          for (const auto& item : reference) {
            bits += item.bits;
            mistakes += item.mistake ? 1 : 0;
          }
          CHECK(score.cumulative_answer_bits == doctest::Approx(bits).epsilon(1e-9));
          CHECK(score.query_answer_bits == doctest::Approx(reference.back().bits).epsilon(1e-9));
          CHECK(score.cumulative_mistakes == mistakes);
          CHECK(score.query_wrong == reference.back().mistake);
          CHECK(score.task_answer_bits == doctest::Approx(0.0));  // tau's answers are certain
          if (law == shared_law) CHECK(std::abs(score.iteration_complexity_bits) < 1e-9);  // R = 0 for a shared law
          // Theorem 1 holds exactly per prompt, and every mistake costs at least a bit.
          CHECK(score.cumulative_answer_bits <= score.bound_bits + 1e-9);
          CHECK(score.cumulative_mistakes <= score.cumulative_answer_bits + 1e-9);
        }
      }
    }
  }
}

TEST_CASE("grammar ICL: the next-token distribution after the query's marker is the posterior's mixture") {
  const grammar::pcfg g = agreement_grammar(shared_law);
  const setup::grammar_list_task task(g, "X01");
  const theory::grammar_icl_model model(task);
  // "[ n0 : a ; n2 :": tables 00 and 01 remain; gender 1 takes a under 00 (0.4) and b under 01 (0.3).
  std::vector<grammar::symbol_id> s;
  for (const char* name : {"[", "n0", ":", "a", ";", "n2", ":"}) s.push_back(*g.find_terminal(name));
  const auto next = model.ideal_next_tokens(s, s.size());
  CHECK(static_cast<double>(next.probability(*g.find_terminal("a"))) == doctest::Approx(0.4 / 0.7).epsilon(1e-12));
  CHECK(static_cast<double>(next.probability(*g.find_terminal("b"))) == doctest::Approx(0.3 / 0.7).epsilon(1e-12));
  CHECK(static_cast<double>(next.end) == doctest::Approx(0.0));
}

TEST_CASE("grammar ICL: the exact predictor's query error falls with n and stays under the bound") {
  const grammar::pcfg g = agreement_grammar(shared_law);
  const setup::grammar_list_task task(g, "X01");  // gender 1's det b is a minority guess until an example shows it
  const theory::grammar_icl_model model(task);
  theory::grammar_icl_options options;
  options.examples = {0, 1, 2, 4, 8, 16};
  options.prompts = 200;
  const auto rows = theory::grammar_icl_curve(model, options);
  REQUIRE(rows.size() == 6);
  // n = 0: the prior's guess is a for both genders, so exactly the gender-1 queries are wrong.
  CHECK(rows[0].ideal_query_error_rate > 0.35);
  CHECK(rows[0].ideal_query_error_rate < 0.65);
  for (std::size_t r = 1; r < rows.size(); ++r) CHECK(rows[r].ideal_query_error_rate < rows[r - 1].ideal_query_error_rate + 1e-12);
  CHECK(rows[3].ideal_query_error_rate < rows[0].ideal_query_error_rate / 2);  // n = 4: about 1/16
  CHECK(rows.back().ideal_query_error_rate == 0.0);
  for (const auto& row : rows) {
    CAPTURE(row.examples);
    CHECK(row.max_bound_excess_bits <= 1e-9);
    CHECK(row.ideal_mean_cum_mistakes <= row.mean_bound_bits + 1e-9);
    CHECK(row.description_length_bits == doctest::Approx(-std::log2(0.3)));
    CHECK(row.bound_per_answer == doctest::Approx(row.mean_bound_bits / (row.examples + 1)));
  }
  // The query is wrong exactly when it has gender 1 and no example does: the prompts show it.
  for (std::uint64_t index = 0; index < 50; ++index) {
    const setup::grammar_prompt prompt = setup::generate_grammar_prompt(task, 2, options.seed, index);
    const auto& s = prompt.tokens;
    const auto gender1 = [&](std::size_t at) { return g.name(s[at]) == "n2" || g.name(s[at]) == "n3"; };
    const bool unseen = !gender1(1) && !gender1(5);  // "[ x1 : y1 ; x2 : y2 ; q :"
    CHECK(model.score(prompt).query_wrong == (gender1(9) && unseen));
  }
}

TEST_CASE("grammar ICL: separate length laws make R nonzero, and the bound still holds") {
  const grammar::pcfg g = agreement_grammar(std::array<double, 4>{0.5, 0.8, 0.3, 0.9});
  const setup::grammar_list_task task(g, "X01");
  const theory::grammar_icl_model model(task);
  theory::grammar_icl_options options;
  options.examples = {1, 4, 8};
  options.prompts = 50;
  for (const auto& row : theory::grammar_icl_curve(model, options)) {
    CAPTURE(row.examples);
    CHECK(std::abs(row.mean_iteration_complexity_bits) > 0.01);  // the continue tokens are evidence
    CHECK(row.max_bound_excess_bits <= 1e-9);
  }
}

TEST_CASE("grammar ICL: options and impossible sequences are refused with a clear error") {
  theory::grammar_icl_options options;
  options.prompts = 0;
  CHECK_THROWS_WITH_AS(options.validate(), doctest::Contains("prompts"), config_error);
  options = {};
  options.examples = {2, -1};
  CHECK_THROWS_WITH_AS(options.validate(), doctest::Contains("-1"), config_error);

  const grammar::pcfg g = agreement_grammar(shared_law);
  const setup::grammar_list_task task(g, "X00");
  const theory::grammar_icl_model model(task);
  setup::grammar_prompt wrong = setup::generate_grammar_prompt(task, 1, 3, 0);
  wrong.tokens[3] = *g.find_terminal("b");  // the example's det contradicts table 00
  CHECK_THROWS_WITH_AS(static_cast<void>(model.score(wrong)), doctest::Contains("the task's own derivation"), error);
}

TEST_CASE("grammar ICL: a measured predictor is scored on the same prompts by the same rules") {
  const grammar::pcfg g = agreement_grammar(shared_law);
  const setup::grammar_list_task task(g, "X01");
  const theory::grammar_icl_model model(task);
  const grammar::symbol_id a = *g.find_terminal("a"), b = *g.find_terminal("b");
  // The idealized predictor itself, through the hook: the same figures as score().
  const theory::next_terminal_predictor ideal = [&](std::span<const grammar::symbol_id> prefix,
                                                    grammar::next_token_distribution& out) {
    out = model.ideal_next_tokens(std::vector<grammar::symbol_id>(prefix.begin(), prefix.end()), prefix.size());
  };
  // A predictor that always says a (0.9) or b (0.1): its bits and mistakes follow from the answers by hand.
  const theory::next_terminal_predictor stubborn = [&](std::span<const grammar::symbol_id>,
                                                       grammar::next_token_distribution& out) {
    out.tokens = {{std::min(a, b), a < b ? 0.9L : 0.1L}, {std::max(a, b), a < b ? 0.1L : 0.9L}};
    out.end = 0;
  };
  for (std::uint64_t index = 0; index < 10; ++index) {
    const setup::grammar_prompt prompt = setup::generate_grammar_prompt(task, 4, 5, index);
    const auto exact = model.score(prompt);
    const auto through_hook = theory::score_predictor(prompt, ideal);
    CHECK(through_hook.cumulative_answer_bits == doctest::Approx(exact.cumulative_answer_bits).epsilon(1e-12));
    CHECK(through_hook.cumulative_mistakes == exact.cumulative_mistakes);
    CHECK(through_hook.query_wrong == exact.query_wrong);
    const auto s = prompt.scored_sequence();
    double bits = 0;
    int bs = 0;
    for (const auto& [begin, end] : prompt.answer_spans) {
      bs += s[begin] == b ? 1 : 0;
      bits += s[begin] == b ? -std::log2(0.1) : -std::log2(0.9);
    }
    const auto q = theory::score_predictor(prompt, stubborn);
    CHECK(q.cumulative_answer_bits == doctest::Approx(bits).epsilon(1e-12));
    CHECK(q.cumulative_mistakes == bs);
    CHECK(q.query_wrong == (s.back() == b));
  }
  theory::grammar_icl_options options;
  options.examples = {0, 8};
  options.prompts = 30;
  const auto without = theory::grammar_icl_curve(model, options);
  const auto with = theory::grammar_icl_curve(model, options, &ideal);
  for (std::size_t r = 0; r < with.size(); ++r) {
    CHECK(std::isnan(without[r].measured_query_error_rate));
    CHECK(with[r].measured_query_error_rate == with[r].ideal_query_error_rate);
    CHECK(with[r].measured_mean_cum_bits == doctest::Approx(with[r].ideal_mean_cum_bits).epsilon(1e-12));
    CHECK(with[r].measured_mean_cum_mistakes == with[r].ideal_mean_cum_mistakes);
  }
}
