#pragma once
// Definitions for theory/bounds.hpp (see induct/core/linkage.hpp for the two modes).
#include <cmath>
#include <limits>
#include <string>

#include "induct/core/error.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/theory/bounds.hpp"
#include "induct/theory/description_length.hpp"
#include "induct/theory/iteration_complexity.hpp"

namespace induct::theory {

INDUCT_DEFINE double description_length_bits(const setup::document_model& model, list_format format, int depth) {
  if (depth < 1 || depth > model.config().max_depth)
    throw error("description length: depth " + std::to_string(depth) + " is outside 1.." +
                std::to_string(model.config().max_depth));
  return model.description_length_bits(list_task{format, setup::function_chain(static_cast<std::size_t>(depth), 0)});
}

INDUCT_DEFINE bound_row theorem1_bound(const setup::document_model& model, list_format format, int depth, int examples) {
  if (examples < 0) throw error("bound: examples must be >= 0, got " + std::to_string(examples));
  bound_row row;
  row.format = format;
  row.depth = depth;
  row.examples = examples;
  row.description_length_bits = description_length_bits(model, format, depth);
  row.possible = prompt_possible(model, format, examples) && std::isfinite(row.description_length_bits);
  const double infinity = std::numeric_limits<double>::infinity();
  if (!row.possible) {
    row.iteration_complexity_bits = row.bound_cumulative_bits = row.bound_mistakes = row.bound_mistakes_per_example = infinity;
    row.vacuous = true;
    return row;
  }
  row.iteration_complexity_bits = iteration_complexity_bound_bits(model, format, examples);
  row.bound_cumulative_bits = row.description_length_bits + row.iteration_complexity_bits;
  row.bound_mistakes = std::floor(row.bound_cumulative_bits);
  row.bound_mistakes_per_example = examples == 0 ? infinity : row.bound_cumulative_bits / examples;
  row.vacuous = bound_vacuous(row.bound_cumulative_bits, examples);
  return row;
}

INDUCT_DEFINE stepwise_comparison theorem2_comparison(const setup::document_model& model, int depth, int examples) {
  return {depth, examples, theorem1_bound(model, list_format::direct, depth, examples),
          theorem1_bound(model, list_format::stepwise, depth, examples)};
}

}  // namespace induct::theory
