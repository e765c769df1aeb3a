#pragma once
// Definitions for experiment/exposure.hpp (see induct/core/linkage.hpp for the two modes).
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/experiment/exposure.hpp"
#include "induct/experiment/report.hpp"
#include "induct/setup/corpus.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/setup/held_out.hpp"
#include "induct/setup/tasks.hpp"

namespace induct::experiment {

namespace exposure_detail {

/// Mean exposure of a task's chains: (direct lists, stepwise lists, facts per primitive).
struct mean_exposure {
  double direct = 0, stepwise = 0, facts = 0;
};

INDUCT_DETAIL mean_exposure task_exposure(const setup::task& task, const setup::held_out_set& held,
                                          const nlohmann::json& sidecar) {
  // The task's chains: its candidates, or every chain of its depth not held out (enumerated: the demo's
  // worlds have m^k <= 4096; larger sets are capped below).
  std::vector<setup::function_chain> chains = task.candidates();
  if (chains.empty()) {
    const int m = held.functions(), k = task.depth();
    const double count = std::pow(static_cast<double>(m), k);
    if (count > 1e6)
      throw error("corpus exposure of task " + task.name() + ": " + std::to_string(static_cast<long long>(count)) +
                  " chains of depth " + std::to_string(k) + " are too many to enumerate");
    setup::function_chain chain(static_cast<std::size_t>(k), 0);
    for (std::uint64_t within = 0; within < static_cast<std::uint64_t>(count); ++within) {
      std::uint64_t rest = within;
      for (int j = k; j-- > 0; rest /= static_cast<std::uint64_t>(m)) chain[static_cast<std::size_t>(j)] = static_cast<int>(rest % m);
      if (!held.contains(chain)) chains.push_back(chain);
    }
  }
  mean_exposure mean;
  for (const auto& chain : chains) {
    const auto e = setup::corpus_chain_exposure(sidecar, chain);
    mean.direct += static_cast<double>(e.direct_lists);
    mean.stepwise += static_cast<double>(e.stepwise_lists);
    double facts = 0;
    for (auto f : e.primitive_facts) facts += static_cast<double>(f);
    mean.facts += facts / static_cast<double>(chain.size());
  }
  const auto n = static_cast<double>(chains.size());
  return {mean.direct / n, mean.stepwise / n, mean.facts / n};
}

}  // namespace exposure_detail

INDUCT_DEFINE result_table add_training_exposure(const result_table& table, const setup::setup_config& setup,
                                                 const nlohmann::json* corpus_sidecar) {
  std::vector<std::string> columns = table.columns();
  for (const auto& c : exposure_columns()) columns.push_back(c);
  result_table out(columns);
  const setup::document_model document(setup);
  const setup::held_out_set held(setup);
  std::map<std::pair<std::string, std::string>, std::pair<std::string, exposure_detail::mean_exposure>> cache;
  for (std::size_t r = 0; r < table.row_count(); ++r) {
    const std::string name = table.text(r, "task"), format = table.text(r, "format");
    auto it = cache.find({name, format});
    if (it == cache.end()) {
      const auto task = setup::task::by_name(name, setup::parse_list_format(format), document);
      exposure_detail::mean_exposure mean{std::nan(""), std::nan(""), std::nan("")};
      if (corpus_sidecar) mean = exposure_detail::task_exposure(task, held, *corpus_sidecar);
      it = cache.emplace(std::make_pair(name, format), std::make_pair(task.held_out_of(), mean)).first;
    }
    std::vector<table_cell> cells = table.rows()[r];
    const auto& [held_out_of, mean] = it->second;
    cells.emplace_back(held_out_of);
    for (double v : {mean.direct, mean.stepwise, mean.facts}) {
      if (std::isnan(v)) cells.emplace_back();
      else cells.emplace_back(v);
    }
    out.add_row(std::move(cells));
  }
  return out;
}

INDUCT_DEFINE result_table add_loss_weights(const result_table& table, double answer_weight, double input_weight) {
  std::vector<std::string> columns = table.columns();
  columns.emplace_back("train_answer_loss_weight");
  columns.emplace_back("train_input_loss_weight");
  result_table out(columns);
  for (const auto& row : table.rows()) {
    std::vector<table_cell> cells = row;
    cells.emplace_back(answer_weight);
    cells.emplace_back(input_weight);
    out.add_row(std::move(cells));
  }
  return out;
}

INDUCT_DEFINE std::pair<double, double> recorded_loss_weights(const nn::checkpoint_info& info,
                                                              const nlohmann::json& run_config, const std::string& source) {
  nlohmann::json w;
  const char* where = "run_config";
  if (auto stored = nn::json_metadata(info, nn::checkpoint_keys::loss_weights, source)) {
    w = std::move(*stored);
    where = nn::checkpoint_keys::loss_weights;
  } else if (run_config.is_object() && run_config.contains("loss_weights")) {
    w = run_config["loss_weights"];
  } else {
    return {1.0, 1.0};
  }
  const auto valid = [&](const char* key) {
    return w.is_object() && w.contains(key) && w[key].is_number() && std::isfinite(w[key].get<double>()) &&
           w[key].get<double>() >= 0.0;
  };
  if (!valid("answer") || !valid("input") || w.size() != 2)
    throw file_error(source, std::string("corrupt '") + where +
                                 "' metadata: loss_weights needs exactly the finite numbers >= 0 \"answer\" and \"input\"");
  return {w["answer"].get<double>(), w["input"].get<double>()};
}

}  // namespace induct::experiment
