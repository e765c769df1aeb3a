// ICL prompts for a user's grammar: the task found from its item, prompts of the built-in form, clear refusals.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "induct/core/error.hpp"
#include "induct/grammar/parse.hpp"
#include "induct/setup/grammar_prompts.hpp"

#include "grammar_task_lists.hpp"

using namespace induct;
using induct::test::two_task_lists;

namespace {

std::vector<std::string> names(const grammar::pcfg& g, const std::vector<grammar::symbol_id>& tokens) {
  std::vector<std::string> out;
  for (auto t : tokens) out.push_back(g.name(t));
  return out;
}

}  // namespace

TEST_CASE("grammar prompts: the task rule, opening and separator are read off the grammar") {
  const grammar::pcfg g = grammar::parse_grammar(two_task_lists);
  const setup::grammar_list_task task(g, "B");
  CHECK(task.task_rule() == 1);
  CHECK(g.name(task.iteration()) == "Swap");
  CHECK(names(g, task.opening()) == std::vector<std::string>{"["});
  REQUIRE(task.separator());
  CHECK(g.name(*task.separator()) == ";");
}

TEST_CASE("grammar prompts: n items of the task, the query's input, its answer; the same per seed") {
  const grammar::pcfg g = grammar::parse_grammar(two_task_lists);
  const setup::grammar_list_task task(g, "B");
  for (int n : {0, 1, 2, 5}) {
    for (std::uint64_t index = 0; index < 20; ++index) {
      const setup::grammar_prompt p = setup::generate_grammar_prompt(task, n, 7, index);
      const auto s = names(g, p.scored_sequence());
      REQUIRE(s.size() == static_cast<std::size_t>(1 + 4 * n + 3));  // "[" (x : y ;)^n q : a
      CHECK(s.front() == "[");
      REQUIRE(p.answer_spans.size() == static_cast<std::size_t>(n + 1));
      std::set<std::string> example_inputs;
      for (int i = 0; i <= n; ++i) {
        const std::size_t at = 1 + 4 * static_cast<std::size_t>(i);
        CHECK(s[at + 1] == ":");
        CHECK(s[at + 2] == (s[at] == "x2" ? "a" : "b"));  // Swap's answers
        CHECK(p.answer_spans[static_cast<std::size_t>(i)] == std::pair<std::size_t, std::size_t>{at + 2, at + 3});
        if (i < n) {
          CHECK(s[at + 3] == ";");
          example_inputs.insert(s[at]);
        }
      }
      // The query is new whenever the three nouns are not all among the examples.
      if (example_inputs.size() < 3) CHECK(example_inputs.count(s[s.size() - 3]) == 0);
      CHECK(p.tokens.size() == s.size() - 1);
      CHECK(names(g, p.answer) == std::vector<std::string>{s.back()});
      CHECK(setup::generate_grammar_prompt(task, n, 7, index).tokens == p.tokens);
    }
  }
  CHECK(setup::grammar_prompt_text(task, setup::generate_grammar_prompt(task, 0, 7, 0)).find(" : => ") != std::string::npos);
  CHECK_THROWS_AS(setup::generate_grammar_prompt(task, -1, 7, 0), error);
}

TEST_CASE("grammar prompts: a task that cannot be posed is refused naming what is wrong") {
  const grammar::pcfg g = grammar::parse_grammar(two_task_lists, "lists.cfg");
  CHECK_THROWS_WITH_AS(setup::grammar_list_task(g, "Nope"), doctest::Contains("'Nope' is not a nonterminal"), grammar_error);
  CHECK_THROWS_WITH_AS(setup::grammar_list_task(g, "A", "Nope"), doctest::Contains("list 'Nope'"), grammar_error);
  CHECK_THROWS_WITH_AS(setup::grammar_list_task(g, "A", "", "="), doctest::Contains("marker \"=\""), grammar_error);
  CHECK_THROWS_WITH_AS(setup::grammar_list_task(g, "L"), doctest::Contains("no rule of the list"), grammar_error);
  const grammar::pcfg twice = grammar::parse_grammar(R"(
    L -> "[" I "]" 0.5 | "<" I ">" 0.5
    I -> A ";" I 0.5 | A 0.5
    A -> "x" ":" "y"
  )", "twice.cfg");
  CHECK_THROWS_WITH_AS(setup::grammar_list_task(twice, "A"), doctest::Contains("2 rules of the list iterate the item (lines 2 2)"),
                       grammar_error);
  const grammar::pcfg opened = grammar::parse_grammar(R"(
    L -> T I
    T -> "t"
    I -> A I 0.5 | A 0.5
    A -> "x" ":" "y"
  )");
  CHECK_THROWS_WITH_AS(setup::grammar_list_task(opened, "A"), doctest::Contains("nonterminal T before the iteration"), grammar_error);
  const grammar::pcfg bare = grammar::parse_grammar(R"(
    L -> "[" I "]"
    I -> A ";" I 0.5 | A 0.5
    A -> "x" ":" | "y" "z"
  )");
  const setup::grammar_list_task no_answer(bare, "A");
  const auto draw_twenty = [&] {  // half of the items are "y z", without a marker
    for (std::uint64_t i = 0; i < 20; ++i) setup::generate_grammar_prompt(no_answer, 0, 1, i);
  };
  CHECK_THROWS_WITH_AS(draw_twenty(), doctest::Contains("no answer after the marker"), grammar_error);
}
