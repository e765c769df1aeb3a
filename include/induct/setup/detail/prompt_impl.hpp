#pragma once
// Definitions for setup/prompt.hpp (see induct/core/linkage.hpp for the two modes).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/core/random.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/setup/prompt.hpp"
#include "induct/setup/tasks.hpp"
#include "induct/setup/world.hpp"

namespace induct::setup {

INDUCT_DEFINE nlohmann::json prompt::to_json(const world& w) const {
  const vocabulary& v = w.vocab();
  nlohmann::json j;
  nlohmann::json names = nlohmann::json::array();
  for (auto t : tokens) names.push_back(v.name(t));
  j["tokens"] = names;
  j["answer"] = v.name(v.entity(answer));
  nlohmann::json step_names = nlohmann::json::array();
  for (int s : steps) step_names.push_back(v.name(v.entity(s)));
  j["steps"] = step_names;
  j["chain"] = chain;
  j["depth"] = chain.size();
  j["format"] = to_string(format);
  j["examples"] = examples;
  j["task"] = task;
  nlohmann::json annotations = nlohmann::json::array();
  for (const auto& a : annotation) {
    nlohmann::json x = {{"role", to_string(a.role)}, {"item", a.item}};
    if (!a.hidden.empty()) {
      nlohmann::json hidden = nlohmann::json::array();
      for (int h : a.hidden) hidden.push_back(v.name(v.entity(h)));
      x["hidden"] = hidden;
    }
    annotations.push_back(std::move(x));
  }
  j["annotation"] = annotations;
  return j;
}

INDUCT_DEFINE void check_prompt_possible(const document_model& model, list_format format, const function_chain& chain, int examples) {
  model.check_chain(chain);
  if (examples < 0) throw error("impossible prompt: examples must be >= 0, got " + std::to_string(examples));
  if (model.segment_share(format == list_format::direct ? segment_kind::direct_list : segment_kind::stepwise_list) <= 0.0)
    throw error(std::string("impossible prompt: the config gives ") + to_string(format) + " lists share 0");
  if (!(model.depth_probability(static_cast<int>(chain.size()), format) > 0.0))
    throw error(std::string("impossible prompt: chain ") + chain_label(chain) + " has prior 0 in " + to_string(format) +
                " lists (direct_composite_rate = 0?)");
  if (!(model.list_length_law(format).survival(examples) > 0.0))
    throw error("impossible prompt: " + std::to_string(examples) + " examples plus the query make " +
                std::to_string(examples + 1) + " items, but lists have at most list_length_max = " +
                std::to_string(model.list_length_law(format).max_length()));
}

INDUCT_DEFINE prompt make_prompt(const world& w, list_format format, const function_chain& chain, const std::vector<int>& inputs,
                          std::string task_name) {
  const document_model model(w.config());
  if (inputs.empty()) throw error("a prompt needs at least the query input");
  for (int x : inputs)
    if (x < 0 || x >= w.entity_count()) throw error("prompt input entity " + std::to_string(x) + " is outside the world");
  const int n = static_cast<int>(inputs.size()) - 1;
  check_prompt_possible(model, format, chain, n);
  const vocabulary& v = w.vocab();
  prompt p;
  p.chain = chain;
  p.format = format;
  p.examples = n;
  p.inputs = inputs;
  p.task = std::move(task_name);
  auto emit = [&](token_id t, token_role role, int item, const std::vector<int>& hidden) {
    p.tokens.push_back(t);
    p.annotation.push_back({role, item, hidden});
  };
  emit(vocabulary::document, token_role::bos, -1, {});
  emit(vocabulary::open_list, token_role::bracket, -1, {});
  for (int item = 0; item <= n; ++item) {
    const int x = inputs[static_cast<std::size_t>(item)];
    const std::vector<int> values = w.steps(chain, x);
    const bool direct = format == list_format::direct;
    const std::vector<int> hidden = direct || item == n ? values : std::vector<int>{};
    if (item == n) {
      emit(v.entity(x), token_role::query, item, hidden);
      emit(vocabulary::colon, token_role::separator, item, hidden);
      p.answer = values.back();
      p.steps = values;
      break;
    }
    emit(v.entity(x), token_role::input, item, hidden);
    emit(vocabulary::colon, token_role::separator, item, hidden);
    if (direct) {
      emit(v.entity(values.back()), token_role::answer, item, hidden);
    } else {
      for (std::size_t j = 0; j < values.size(); ++j)
        emit(v.entity(values[j]), j + 1 == values.size() ? token_role::answer : token_role::step, item, hidden);
    }
    emit(vocabulary::semicolon, token_role::separator, item, hidden);
  }
  return p;
}

INDUCT_DEFINE prompt generate_prompt(const world& w, const task& t, int examples, std::uint64_t seed, std::uint64_t index) {
  random_engine rng = random_engine::for_stream(seed, index);
  const function_chain chain = t.draw_chain(rng);
  const int e = w.entity_count();
  std::vector<int> inputs(static_cast<std::size_t>(examples) + 1);
  if (examples + 1 <= e) {
    std::vector<int> pool(static_cast<std::size_t>(e));
    for (int x = 0; x < e; ++x) pool[static_cast<std::size_t>(x)] = x;
    for (std::size_t i = 0; i < inputs.size(); ++i) {  // partial Fisher-Yates
      const auto j = i + static_cast<std::size_t>(rng.below(static_cast<std::uint64_t>(e) - i));
      std::swap(pool[i], pool[j]);
      inputs[i] = pool[i];
    }
  } else {
    for (auto& x : inputs) x = static_cast<int>(rng.below(static_cast<std::uint64_t>(e)));
  }
  return make_prompt(w, t.format(), chain, inputs, t.name());
}

INDUCT_DEFINE std::vector<prompt> generate_prompts(const world& w, const task& t, int examples, int count, std::uint64_t seed) {
  std::vector<prompt> prompts;
  prompts.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) prompts.push_back(generate_prompt(w, t, examples, seed, static_cast<std::uint64_t>(i)));
  return prompts;
}

}  // namespace induct::setup
