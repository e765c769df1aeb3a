#pragma once
// ICL prompts: the document prefix `<d> [ x1 : y1 ; ... ; xn : yn ; q :` (n = 0: `<d> [ q :`);
// stepwise items are `x : z1 ... zk` with zk = phi(x). A prompt is a valid prefix of a list of
// n + 1 items of the document model, so its probability under the model is positive.
//
// Generation of prompt i of a request (seed S): engine random_engine::for_stream(S, i); draw the
// chain from the task, then the n + 1 inputs x1..xn, q uniformly WITHOUT replacement when
// n + 1 <= E (so the query is never among the examples), else with replacement.
//
// Annotation, one object per token (for probing):
//   role   bos `<d>` | bracket `[` | input x_i | separator `:` `;` | answer y_i (direct) or the final
//          value of a stepwise item | step an intermediate stepwise value | query q
//   item   0..n-1 for examples, n for the query item, -1 for `<d>` and `[`
//   chain, depth of the list; for tokens of direct items (and the query item in either format)
//   `hidden`: the values f_1(x), f_2(f_1(x)), ..., phi(x) the item's derivation passes through.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/linkage.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/setup/tasks.hpp"
#include "induct/setup/world.hpp"

namespace induct::setup {

enum class token_role { bos, bracket, input, answer, step, separator, query };

inline const char* to_string(token_role role) noexcept {
  switch (role) {
    case token_role::bos: return "bos";
    case token_role::bracket: return "bracket";
    case token_role::input: return "input";
    case token_role::answer: return "answer";
    case token_role::step: return "step";
    case token_role::separator: return "separator";
    case token_role::query: return "query";
  }
  return "?";
}

struct token_annotation {
  token_role role = token_role::bos;
  int item = -1;
  std::vector<int> hidden;  // see the header comment; empty where not applicable
};

struct prompt {
  std::vector<token_id> tokens;
  int answer = 0;            // phi(q), an entity index
  std::vector<int> steps;    // f_1(q), ..., phi(q): generated after the colon (stepwise) or hidden (direct)
  function_chain chain;      // applied first to last
  list_format format = list_format::direct;
  int examples = 0;          // n
  std::vector<int> inputs;   // x1..xn then q (entity indices)
  std::string task;          // task name
  std::vector<token_annotation> annotation;  // one per token

  [[nodiscard]] int query() const { return inputs.back(); }

  /// The JSON line of `induct prompts` (token and entity names).
  INDUCT_DECLARE [[nodiscard]] nlohmann::json to_json(const world& w) const;
};

/// Throws if a list of `examples` + 1 items with (format, chain) has probability 0 in the model.
INDUCT_DECLARE void check_prompt_possible(const document_model& model, list_format format, const function_chain& chain, int examples);

/// The prompt with a given chain and inputs (x1..xn, q): user-defined prompts and the tests.
INDUCT_DECLARE prompt make_prompt(const world& w, list_format format, const function_chain& chain, const std::vector<int>& inputs,
                              std::string task_name = "custom");

/// Prompt `index` of a request: chain from the task, inputs as in the header comment.
INDUCT_DECLARE prompt generate_prompt(const world& w, const task& t, int examples, std::uint64_t seed, std::uint64_t index);

/// `count` prompts with `examples` examples each (prompt i from stream i of `seed`).
INDUCT_DECLARE std::vector<prompt> generate_prompts(const world& w, const task& t, int examples, int count, std::uint64_t seed);

}  // namespace induct::setup

#if INDUCT_HEADER_ONLY
#include "induct/setup/detail/prompt_impl.hpp"
#endif
