#pragma once
// Definitions for experiment/structure_probe.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "induct/core/error.hpp"
#include "induct/experiment/probe.hpp"
#include "induct/experiment/report.hpp"
#include "induct/experiment/structure_probe.hpp"
#include "induct/experiment/svg_plot.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/setup/document_model.hpp"
#include "induct/setup/prompt.hpp"
#include "induct/setup/tasks.hpp"
#include "induct/setup/world.hpp"

namespace induct::experiment {

INDUCT_DEFINE double control_accuracy(std::span<const int> labels, std::span<const int> control, std::span<const int> groups,
                                      const probe_options& options) {
  if (control.size() != labels.size())
    throw error("control: " + std::to_string(control.size()) + " control values for " + std::to_string(labels.size()) + " labels");
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] < 0 || control[i] < 0) throw error("control: labels and control values must be >= 0");
  const probe_split split = split_probe_rows(labels.size(), groups, options);
  if (split.test_rows.empty()) return 0.0;
  // counts[c][y] over the training split; one extra row (index values) for the overall counts.
  int values = 0, classes = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    values = std::max(values, control[i] + 1);
    classes = std::max(classes, labels[i] + 1);
  }
  std::vector<std::vector<std::size_t>> counts(static_cast<std::size_t>(values) + 1,
                                               std::vector<std::size_t>(static_cast<std::size_t>(classes), 0));
  for (const auto row : split.train_rows) {
    const auto i = static_cast<std::size_t>(row);
    ++counts[static_cast<std::size_t>(control[i])][static_cast<std::size_t>(labels[i])];
    ++counts[static_cast<std::size_t>(values)][static_cast<std::size_t>(labels[i])];
  }
  auto most_frequent = [](const std::vector<std::size_t>& c) {
    return static_cast<int>(std::max_element(c.begin(), c.end()) - c.begin());  // first maximum: lowest label
  };
  const int majority = most_frequent(counts[static_cast<std::size_t>(values)]);
  std::size_t hits = 0;
  for (const auto row : split.test_rows) {
    const auto i = static_cast<std::size_t>(row);
    const auto& seen = counts[static_cast<std::size_t>(control[i])];
    const bool any = std::any_of(seen.begin(), seen.end(), [](std::size_t k) { return k > 0; });
    hits += (any ? most_frequent(seen) : majority) == labels[i];
  }
  return static_cast<double>(hits) / static_cast<double>(split.test_rows.size());
}

template <class Scalar>
structure_probe_result probe_structure(nn::gpt<Scalar>& model, const setup::world& world,
                                       const structure_probe_options& options) {
  const int n = options.examples;
  const int m = world.function_count();
  const auto& vocab = world.vocab();
  if (n < 1) throw config_error("examples", "probing needs n >= 1 examples, got " + std::to_string(n));
  const setup::document_model document(world.config());
  // The seen chains (by_name: compose tasks leave the held-out ones to the novel tasks).
  std::vector<setup::task> tasks = {setup::task::by_name("lookup", setup::list_format::direct, document),
                                    setup::task::by_name("compose2", setup::list_format::direct, document),
                                    setup::task::by_name("compose3", setup::list_format::direct, document),
                                    setup::task::by_name("compose2", setup::list_format::stepwise, document)};
  std::vector<setup::prompt> prompts;
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    if (tasks[t].depth() > world.config().max_depth) continue;
    auto batch = setup::generate_prompts(world, tasks[t], n, options.prompts_per_task, options.prompt_seed + t);
    for (auto& p : batch) {
      if (static_cast<int>(p.tokens.size()) > model.config().context_length)
        throw config_error("examples", "a prompt with n = " + std::to_string(n) + " has " + std::to_string(p.tokens.size()) +
                                           " tokens, more than the model's context of " +
                                           std::to_string(model.config().context_length));
      prompts.push_back(std::move(p));
    }
  }

  // Datasets.
  probe_dataset role{"token_role", "every token", 7, {}, {}, {}, {}};
  probe_dataset item{"item_index", "every token of an item", n + 1, {}, {}, {}, {}};
  probe_dataset first{"first_function", "query ':'", m, {}, {}, {}, {}};
  probe_dataset depth{"depth", "query ':' (direct)", world.config().max_depth + 1, {}, {}, {}, {}};
  probe_dataset hidden{"hidden_f1", "query ':' (direct, k >= 2)", world.entity_count(), {}, {}, {}, {}};
  std::size_t token_count = 0;
  for (const auto& p : prompts) token_count += p.tokens.size();
  // Keep every stride-th token so per-token datasets stay under the cap (deterministic).
  const std::size_t stride = std::max<std::size_t>(1, (token_count + static_cast<std::size_t>(options.max_token_rows) - 1) /
                                                          static_cast<std::size_t>(options.max_token_rows));
  std::size_t running = 0;
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    const auto& p = prompts[i];
    const int last = static_cast<int>(p.tokens.size()) - 1;
    for (int pos = 0; pos <= last; ++pos, ++running) {
      if (running % stride != 0) continue;
      const auto& a = p.annotation[static_cast<std::size_t>(pos)];
      role.labels.push_back(static_cast<int>(a.role));
      role.groups.push_back(static_cast<int>(i));
      role.positions.emplace_back(i, pos);
      if (a.item >= 0) {
        item.labels.push_back(a.item);
        item.groups.push_back(static_cast<int>(i));
        item.positions.emplace_back(i, pos);
      }
    }
    first.labels.push_back(p.chain.front());
    first.groups.push_back(static_cast<int>(i));
    first.positions.emplace_back(i, last);
    if (p.format == setup::list_format::direct) {
      depth.labels.push_back(static_cast<int>(p.chain.size()));
      depth.groups.push_back(static_cast<int>(i));
      depth.positions.emplace_back(i, last);
      if (p.chain.size() >= 2) {
        hidden.labels.push_back(p.steps.front());
        hidden.groups.push_back(static_cast<int>(i));
        hidden.positions.emplace_back(i, last);
        hidden.control.push_back(p.query());
      }
    }
  }
  std::vector<probe_dataset*> datasets = {&role, &item, &first, &depth, &hidden};

  // Residual streams: one forward per prompt group of equal length; gather the rows each dataset needs.
  const int layers = model.config().layers, width = model.config().width, V = model.config().vocab_size;
  std::vector<std::vector<Eigen::MatrixXd>> features(datasets.size());
  for (std::size_t d = 0; d < datasets.size(); ++d)
    features[d].assign(static_cast<std::size_t>(layers) + 1,
                       Eigen::MatrixXd(static_cast<Eigen::Index>(datasets[d]->labels.size()), width));
  // Row lookup: (prompt, position) -> row per dataset.
  std::vector<std::vector<std::vector<std::pair<std::size_t, std::size_t>>>> wanted(prompts.size());
  for (std::size_t d = 0; d < datasets.size(); ++d)
    for (std::size_t r = 0; r < datasets[d]->positions.size(); ++r) {
      const auto [prompt_index, pos] = datasets[d]->positions[r];
      auto& per_prompt = wanted[prompt_index];
      if (per_prompt.empty()) per_prompt.resize(prompts[prompt_index].tokens.size());
      per_prompt[static_cast<std::size_t>(pos)].emplace_back(d, r);
    }
  model.set_record_hidden(true);
  std::size_t icl_correct = 0, icl_total = 0;
  std::size_t begin = 0;
  constexpr std::size_t batch_limit = 64;
  while (begin < prompts.size()) {
    std::size_t end = begin + 1;
    while (end < prompts.size() && end - begin < batch_limit && prompts[end].tokens.size() == prompts[begin].tokens.size()) ++end;
    const int B = static_cast<int>(end - begin), T = static_cast<int>(prompts[begin].tokens.size());
    std::vector<std::int32_t> tokens(static_cast<std::size_t>(B) * T);
    for (int b = 0; b < B; ++b)
      std::copy(prompts[begin + b].tokens.begin(), prompts[begin + b].tokens.end(), tokens.begin() + static_cast<long>(b) * T);
    model.forward(tokens.data(), nullptr, B, T);
    for (int b = 0; b < B; ++b) {
      const auto& p = prompts[begin + b];
      if (p.format == setup::list_format::direct) {
        const Scalar* row = model.logits() + (static_cast<std::size_t>(b) * T + (T - 1)) * V;
        icl_correct += (std::max_element(row, row + V) - row) == vocab.entity(p.answer);
        ++icl_total;
      }
      const auto& per_prompt = wanted[begin + b];
      if (per_prompt.empty()) continue;
      for (int pos = 0; pos < T; ++pos)
        for (const auto& [d, r] : per_prompt[static_cast<std::size_t>(pos)])
          for (int l = 0; l <= layers; ++l)
            features[d][static_cast<std::size_t>(l)].row(static_cast<Eigen::Index>(r)) =
                model.hidden_state(l).row(b * T + pos).template cast<double>();
    }
    begin = end;
  }
  model.set_record_hidden(false);

  structure_probe_result result;
  result.icl_accuracy = icl_total ? static_cast<double>(icl_correct) / static_cast<double>(icl_total) : 0.0;
  result.icl_prompts = icl_total;
  result.table = result_table({"feature", "where", "layer", "classes", "train_size", "test_size", "train_accuracy",
                               "test_accuracy", "majority_baseline", "q_only_control"});
  for (std::size_t d = 0; d < datasets.size(); ++d) {
    const auto& ds = *datasets[d];
    if (ds.labels.size() < 8) continue;
    // The control sees no features, so it is one number per feature, repeated on every layer's row.
    const double control = ds.control.empty() ? std::nan("") : control_accuracy(ds.labels, ds.control, ds.groups, options.probe);
    for (int l = 0; l <= layers; ++l) {
      const auto r = train_probe(features[d][static_cast<std::size_t>(l)], ds.labels, ds.groups, options.probe, ds.classes);
      result.table.add_row({ds.feature, ds.where, static_cast<long long>(l), static_cast<long long>(r.classes),
                            static_cast<long long>(r.train_size), static_cast<long long>(r.test_size), r.train_accuracy,
                            r.test_accuracy, r.majority_baseline, std::isnan(control) ? table_cell{} : table_cell{control}});
    }
  }
  return result;
}

INDUCT_DEFINE line_chart probe_chart(const result_table& table, const std::string& title) {
  line_chart chart;
  chart.title = title;
  chart.x_label = "layer (0 = embeddings)";
  chart.integer_x = true;
  chart.y_label = "held-out probe accuracy";
  chart.y_min = 0.0;
  chart.y_max = 1.0;
  const bool has_control = table.has_column("q_only_control");  // absent in tables written before it existed
  std::vector<std::string> features;
  for (std::size_t r = 0; r < table.row_count(); ++r)
    if (std::find(features.begin(), features.end(), table.text(r, "feature")) == features.end())
      features.push_back(table.text(r, "feature"));
  for (std::size_t f = 0; f < features.size(); ++f) {
    chart_series accuracy, baseline;
    accuracy.name = features[f];
    baseline.name = features[f] + " baseline";
    accuracy.color = baseline.color = static_cast<int>(f);
    baseline.dashed = true;
    baseline.markers = false;
    baseline.in_legend = f == 0;
    if (f == 0) baseline.name = "majority baselines (dashed)";
    for (std::size_t r = 0; r < table.row_count(); ++r) {
      if (table.text(r, "feature") != features[f]) continue;
      accuracy.x.push_back(table.number(r, "layer"));
      accuracy.y.push_back(table.number(r, "test_accuracy"));
      baseline.x.push_back(table.number(r, "layer"));
      baseline.y.push_back(table.number(r, "majority_baseline"));
    }
    chart_series control;
    control.name = features[f] + " control: q only (dashed, dots)";
    control.color = static_cast<int>(f);
    control.dashed = true;
    for (std::size_t r = 0; r < table.row_count(); ++r) {
      if (!has_control || table.text(r, "feature") != features[f]) continue;
      const double value = table.number(r, "q_only_control");
      if (!std::isfinite(value)) continue;
      control.x.push_back(table.number(r, "layer"));
      control.y.push_back(value);
    }
    chart.series.push_back(std::move(accuracy));
    chart.series.push_back(std::move(baseline));
    if (!control.x.empty()) chart.series.push_back(std::move(control));
  }
  return chart;
}

}  // namespace induct::experiment
