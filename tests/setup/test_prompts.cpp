#include <doctest/doctest.h>

#include <map>
#include <set>

#include "induct/setup/prompt.hpp"
#include "induct/setup/tasks.hpp"

using namespace induct::setup;

TEST_CASE("prompt layout, answer, steps and annotation (direct and stepwise), checked token by token") {
  const world w;
  const vocabulary& v = w.vocab();
  const function_chain chain{2, 5};
  const std::vector<int> inputs{7, 11, 3};
  const auto direct = make_prompt(w, list_format::direct, chain, inputs, "compose2");
  const int y7 = w.apply(5, w.apply(2, 7)), y11 = w.apply(5, w.apply(2, 11));
  std::vector<token_id> expected{vocabulary::document, vocabulary::open_list, v.entity(7), vocabulary::colon, v.entity(y7),
                                 vocabulary::semicolon, v.entity(11), vocabulary::colon, v.entity(y11), vocabulary::semicolon,
                                 v.entity(3), vocabulary::colon};
  CHECK(direct.tokens == expected);
  CHECK(direct.answer == w.apply(5, w.apply(2, 3)));
  CHECK(direct.steps == std::vector<int>{w.apply(2, 3), direct.answer});
  CHECK(direct.examples == 2);
  REQUIRE(direct.annotation.size() == expected.size());
  CHECK(direct.annotation[0].role == token_role::bos);
  CHECK(direct.annotation[1].role == token_role::bracket);
  CHECK(direct.annotation[2].role == token_role::input);
  CHECK(direct.annotation[2].item == 0);
  CHECK(direct.annotation[2].hidden == std::vector<int>{w.apply(2, 7), y7});
  CHECK(direct.annotation[4].role == token_role::answer);
  CHECK(direct.annotation[5].role == token_role::separator);
  CHECK(direct.annotation[10].role == token_role::query);
  CHECK(direct.annotation[10].item == 2);
  CHECK(direct.annotation[11].role == token_role::separator);

  const auto stepwise = make_prompt(w, list_format::stepwise, chain, inputs, "compose2");
  CHECK(v.decode(stepwise.tokens) == "<d> [ e7 : e" + std::to_string(w.apply(2, 7)) + " e" + std::to_string(y7) + " ; e11 : e" +
                                          std::to_string(w.apply(2, 11)) + " e" + std::to_string(y11) + " ; e3 :");
  CHECK(stepwise.annotation[4].role == token_role::step);
  CHECK(stepwise.annotation[5].role == token_role::answer);
  CHECK(stepwise.annotation[4].hidden.empty());
  CHECK(stepwise.annotation[12].hidden == stepwise.steps);  // the query item carries its values
  const auto json = stepwise.to_json(w);
  CHECK(json["format"] == "stepwise");
  CHECK(json["chain"] == nlohmann::json::array({2, 5}));
  std::string answer_name = "e";  // appended, not "e" + ...: GCC 12 warns a false -Wrestrict on that inline
  answer_name += std::to_string(stepwise.answer);
  CHECK(json["answer"] == answer_name);
  CHECK(json["annotation"][4]["role"] == "step");
  CHECK(json["tokens"].size() == stepwise.tokens.size());

  const auto zero = make_prompt(w, list_format::direct, {1}, {9});
  CHECK(v.decode(zero.tokens) == "<d> [ e9 :");
}

TEST_CASE("task prompts: deterministic, inputs distinct, chains of the task's depth, all chains reachable") {
  const world w;
  const document_model model(w.config());
  const auto t = task::by_name("compose3", list_format::stepwise, model);
  const auto a = generate_prompts(w, t, 8, 300, 42);
  const auto b = generate_prompts(w, t, 8, 300, 42);
  const auto c = generate_prompts(w, t, 8, 300, 43);
  int same_as_c = 0;
  std::set<function_chain> chains;
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].tokens == b[i].tokens);
    same_as_c += a[i].tokens == c[i].tokens;
    CHECK(a[i].chain.size() == 3);
    CHECK(std::set<int>(a[i].inputs.begin(), a[i].inputs.end()).size() == 9);
    CHECK(a[i].answer == w.apply(a[i].chain, a[i].query()));
    chains.insert(a[i].chain);
  }
  CHECK(same_as_c == 0);
  CHECK(chains.size() > 200);  // 512 chains, 300 draws: about 232 distinct expected
  // More examples than entities: inputs with replacement still work.
  setup_config small;
  small.entities = 3;
  small.functions = 2;
  const world ws(small);
  const auto p = generate_prompt(ws, task::lookup(list_format::direct, 2), 6, 1, 0);
  CHECK(p.inputs.size() == 7);
}

TEST_CASE("impossible prompts are clear errors") {
  const world w;
  const document_model model(w.config());
  CHECK_THROWS_WITH_AS(make_prompt(w, list_format::direct, {1}, std::vector<int>(33, 1)), doctest::Contains("list_length_max"),
                       induct::error);
  CHECK_NOTHROW(make_prompt(w, list_format::direct, {1}, std::vector<int>(32, 1)));
  setup_config c;
  c.direct_composite_rate = 0;
  const world w0(c);
  CHECK_THROWS_WITH_AS(make_prompt(w0, list_format::direct, {1, 2}, {1, 2}), doctest::Contains("prior 0"), induct::error);
  CHECK_NOTHROW(make_prompt(w0, list_format::stepwise, {1, 2}, {1, 2}));
  CHECK_THROWS_WITH_AS(make_prompt(w, list_format::direct, {1, 9}, {1}), doctest::Contains("function index 9"), induct::error);
  CHECK_THROWS_WITH_AS(make_prompt(w, list_format::direct, {1}, {64}), doctest::Contains("entity 64"), induct::error);
  CHECK_THROWS_WITH_AS(task::by_name("compose4", list_format::direct, model), doctest::Contains("'compose4'"), induct::error);
  setup_config none;
  none.held_out_fraction = 0;
  const document_model no_held_out(none);
  CHECK_THROWS_WITH_AS(task::by_name("novel", list_format::direct, no_held_out), doctest::Contains("holds out no chain"),
                       induct::error);
  CHECK_THROWS_WITH_AS(task::by_name("novel4", list_format::direct, model), doctest::Contains("of depth 4"), induct::error);
  CHECK_THROWS_WITH_AS(task::by_name("novel5", list_format::direct, model), doctest::Contains("outside 2..4"), induct::error);
  CHECK_THROWS_WITH_AS(task::by_name("novelx", list_format::direct, model), doctest::Contains("'novelx'"), induct::error);
}

TEST_CASE("novel in a world that holds nothing out: the chains a corpus sidecar never saw as a list") {
  setup_config none;
  none.held_out_fraction = 0;
  const world w(none);
  const document_model model(w.config());
  nlohmann::json sidecar = {{"list_chains", {{"direct", {{"r1.r2", 3}}}, {"stepwise", {{"r2.r1", 1}}}}}};
  for (int f = 0; f < 8; ++f)
    for (int g = 0; g < 8; ++g)
      if (!(f == 7 && g == 6)) sidecar["list_chains"]["stepwise"][chain_label(function_chain{f, g})] = 1;
  const auto t = task::by_name("novel", list_format::stepwise, model, &sidecar);
  REQUIRE(t.candidates().size() == 1);
  CHECK(t.candidates()[0] == function_chain{7, 6});
  CHECK(t.held_out_of() == "unseen");
  CHECK(t.name() == "novel2");
  sidecar["list_chains"]["direct"]["r8.r7"] = 2;
  const auto deeper = task::by_name("novel", list_format::direct, model, &sidecar);
  CHECK(deeper.depth() == 3);
  CHECK(deeper.candidates().size() == 512);
  CHECK_THROWS_WITH_AS(task::by_name("novel2", list_format::direct, model, &sidecar),
                       doctest::Contains("every chain of depth 2 occurs as a list"), induct::error);
  // A world that holds chains out ignores the sidecar: the held-out set is the corpus's by construction.
  const world held_world;
  CHECK(task::by_name("novel", list_format::direct, document_model(held_world.config()), &sidecar).held_out_of() == "both");
}

TEST_CASE("novel tasks pose the held-out chains; compose tasks never do") {
  const world w;  // SPEC defaults: 16 of the 64 depth-2 and 128 of the 512 depth-3 chains held out
  const document_model model(w.config());
  const held_out_set held(w.config());
  for (auto format : {list_format::direct, list_format::stepwise}) {
    const auto novel2 = task::by_name("novel2", format, model);
    CHECK(novel2.name() == "novel2");
    CHECK(novel2.depth() == 2);
    CHECK(novel2.candidates() == held.chains(2));
    CHECK(novel2.held_out_of() == "both");
    CHECK(task::by_name("novel", format, model).candidates() == held.chains(2));
    const auto novel3 = task::by_name("novel3", format, model);
    CHECK(novel3.candidates().size() == 128);
    CHECK(novel3.candidates() == held.chains(3));
    for (const auto& p : generate_prompts(w, novel3, 4, 50, 3)) CHECK(held.contains(p.chain));
    // compose2: uniform over the 48 seen chains, none held out.
    const auto compose2 = task::by_name("compose2", format, model);
    CHECK(compose2.held_out_of().empty());
    std::map<function_chain, int> drawn;
    induct::random_engine rng(5);
    for (int i = 0; i < 20000; ++i) drawn[compose2.draw_chain(rng)] += 1;
    CHECK(drawn.size() == 48);
    for (const auto& [chain, count] : drawn) {
      CHECK_FALSE(held.contains(chain));
      CHECK(count > 20000 / 48 / 2);  // uniform: about 417 each
    }
  }
  setup_config direct_only;
  direct_only.held_out_in = held_out_formats::direct;
  CHECK(task::by_name("novel2", list_format::stepwise, document_model(direct_only)).held_out_of() == "direct");
}
