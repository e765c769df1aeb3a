// A trained GPT as the measured side of a grammar ICL task: its distribution read through the corpus's token ids.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/experiment/grammar_icl_measured.hpp"
#include "induct/grammar/parse.hpp"
#include "induct/nn/generate.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/setup/grammar_corpus.hpp"
#include "induct/setup/grammar_prompts.hpp"
#include "induct/theory/grammar_icl.hpp"

#include "../setup/grammar_task_lists.hpp"

using namespace induct;
using induct::test::two_task_lists;

TEST_CASE("grammar ICL measured: the model's log-probs of <doc> + the prefix's token ids, by terminal") {
  // Symbol ids count nonterminals too, so the task grammar's terminal ids are not the corpus's token ids.
  const grammar::pcfg g = grammar::parse_grammar(two_task_lists);
  const setup::corpus_grammar corpus(g);
  const nn::gpt_config shape{.vocab_size = static_cast<int>(corpus.vocabulary_size()), .context_length = 8, .layers = 1, .width = 16, .heads = 2};
  nn::gpt<float> model(shape);
  model.initialize(3);
  const theory::next_terminal_predictor q = experiment::model_terminal_predictor(model, corpus, g);
  const std::vector<grammar::symbol_id> prefix{*g.find_terminal("["), *g.find_terminal("x2"), *g.find_terminal(":")};
  grammar::next_token_distribution out;
  q(prefix, out);
  // Independently: the ids by name in the corpus's vocabulary, the model's log-probs after them.
  std::vector<std::int32_t> ids{0};
  for (const char* name : {"[", "x2", ":"})
    for (std::size_t k = 0; k < corpus.vocabulary().size(); ++k)
      if (corpus.vocabulary()[k] == name) ids.push_back(static_cast<std::int32_t>(k));
  const std::vector<double> log_probs = nn::next_token_log_probs(model, ids);
  long double total = out.end;
  CHECK(static_cast<double>(out.end) == doctest::Approx(std::exp(log_probs[0])));
  for (std::size_t k = 1; k < corpus.vocabulary().size(); ++k) {
    const grammar::symbol_id t = *g.find_terminal(corpus.vocabulary()[k]);
    CHECK(static_cast<double>(out.probability(t)) == doctest::Approx(std::exp(log_probs[k])).epsilon(1e-12));
  }
  for (const auto& [t, p] : out.tokens) total += p;
  CHECK(static_cast<double>(total) == doctest::Approx(1.0).epsilon(1e-9));  // every token is a terminal or <doc>

  // Scored on a prompt like any predictor; a prompt longer than the context is refused naming both lengths.
  const setup::grammar_list_task task(g, "B");
  const auto score = theory::score_predictor(setup::generate_grammar_prompt(task, 1, 2, 0), q);
  CHECK(score.cumulative_answer_bits > 0);
  CHECK_THROWS_WITH_AS((void)theory::score_predictor(setup::generate_grammar_prompt(task, 3, 2, 0), q),
                       doctest::Contains("exceed the model's context of 8"), error);
}

TEST_CASE("grammar ICL measured: a model or grammar that does not fit the corpus is refused") {
  const grammar::pcfg g = grammar::parse_grammar(two_task_lists);
  const setup::corpus_grammar corpus(g);
  nn::gpt<float> wrong(nn::gpt_config{.vocab_size = 5, .context_length = 8, .layers = 1, .width = 16, .heads = 2});
  CHECK_THROWS_WITH_AS(experiment::model_terminal_predictor(wrong, corpus, g), doctest::Contains("the model has 5 tokens"),
                       grammar_error);
  nn::gpt<float> model(nn::gpt_config{.vocab_size = static_cast<int>(corpus.vocabulary_size()), .context_length = 8, .layers = 1, .width = 16, .heads = 2});
  const grammar::pcfg other = grammar::parse_grammar("S -> \"zz\" \":\" \"a\"");
  CHECK_THROWS_WITH_AS(experiment::model_terminal_predictor(model, corpus, other), doctest::Contains("\"zz\""), grammar_error);
}
