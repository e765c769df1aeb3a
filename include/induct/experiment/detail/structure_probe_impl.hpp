#pragma once
// Definitions for experiment/structure_probe.hpp (see induct/core/linkage.hpp for the two modes).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <utility>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "induct/core/error.hpp"
#include "induct/core/random.hpp"
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

INDUCT_DEFINE void structure_probe_options::validate() const {
  if (prompts_per_task < 1) throw config_error("prompts_per_task", "must be >= 1, got " + std::to_string(prompts_per_task));
  if (examples < 1) throw config_error("examples", "probing needs n >= 1 examples, got " + std::to_string(examples));
  if (max_token_rows < 1) throw config_error("max_token_rows", "must be >= 1, got " + std::to_string(max_token_rows));
}

INDUCT_DEFINE std::vector<int> control_task_labels(std::span<const int> labels, std::span<const int> types, std::uint64_t seed) {
  if (types.size() != labels.size())
    throw error("control task: " + std::to_string(types.size()) + " types for " + std::to_string(labels.size()) + " labels");
  std::vector<int> out(labels.size());
  std::vector<std::pair<int, int>> drawn;  // (type, label), sorted by type: each type drawn once
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const int v = types[i];
    if (v < 0) throw error("control task: types must be >= 0, got " + std::to_string(v) + " at row " + std::to_string(i));
    auto it = std::lower_bound(drawn.begin(), drawn.end(), std::pair<int, int>{v, std::numeric_limits<int>::min()});
    if (it == drawn.end() || it->first != v) {
      random_engine rng = random_engine::for_stream(seed, static_cast<std::uint64_t>(v));
      it = drawn.insert(it, {v, labels[static_cast<std::size_t>(rng.below(labels.size()))]});
    }
    out[i] = it->second;
  }
  return out;
}

INDUCT_DEFINE std::vector<int> control_predictions(std::span<const int> labels, std::span<const int> control,
                                                   const probe_split& split) {
  if (control.size() != labels.size())
    throw error("control: " + std::to_string(control.size()) + " control values for " + std::to_string(labels.size()) + " labels");
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] < 0 || control[i] < 0) throw error("control: labels and control values must be >= 0");
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
  std::vector<int> predictions;
  predictions.reserve(split.test_rows.size());
  for (const auto row : split.test_rows) {
    const auto& seen = counts[static_cast<std::size_t>(control[static_cast<std::size_t>(row)])];
    const bool any = std::any_of(seen.begin(), seen.end(), [](std::size_t k) { return k > 0; });
    predictions.push_back(any ? most_frequent(seen) : majority);
  }
  return predictions;
}

INDUCT_DEFINE double control_accuracy(std::span<const int> labels, std::span<const int> control, std::span<const int> groups,
                                      const probe_options& options) {
  if (control.size() != labels.size())
    throw error("control: " + std::to_string(control.size()) + " control values for " + std::to_string(labels.size()) + " labels");
  const probe_split split = split_probe_rows(labels.size(), groups, options);
  if (split.test_rows.empty()) return 0.0;
  const std::vector<int> predicted = control_predictions(labels, control, split);
  std::size_t hits = 0;
  for (std::size_t k = 0; k < predicted.size(); ++k)
    hits += predicted[k] == labels[static_cast<std::size_t>(split.test_rows[k])];
  return static_cast<double>(hits) / static_cast<double>(predicted.size());
}

namespace detail {

/// The residual-stream rows every dataset asks for (features[d][l], one row per dataset row, layers 0..L)
/// from one forward per group of equal-length prompts, and the model's argmax token at each prompt's
/// last position (the query's ':').
template <class Scalar>
std::vector<std::vector<Eigen::MatrixXd>> gather_residual_rows(nn::gpt<Scalar>& model,
                                                               const std::vector<setup::prompt>& prompts,
                                                               const std::vector<const probe_dataset*>& datasets,
                                                               std::vector<int>& last_argmax) {
  const int layers = model.config().layers, width = model.config().width, V = model.config().vocab_size;
  std::vector<std::vector<Eigen::MatrixXd>> features(datasets.size());
  for (std::size_t d = 0; d < datasets.size(); ++d)
    features[d].assign(static_cast<std::size_t>(layers) + 1,
                       Eigen::MatrixXd(static_cast<Eigen::Index>(datasets[d]->labels.size()), width));
  // Row lookup: (prompt, position) -> (dataset, row).
  std::vector<std::vector<std::vector<std::pair<std::size_t, std::size_t>>>> wanted(prompts.size());
  for (std::size_t d = 0; d < datasets.size(); ++d)
    for (std::size_t r = 0; r < datasets[d]->positions.size(); ++r) {
      const auto [prompt_index, pos] = datasets[d]->positions[r];
      auto& per_prompt = wanted[prompt_index];
      if (per_prompt.empty()) per_prompt.resize(prompts[prompt_index].tokens.size());
      per_prompt[static_cast<std::size_t>(pos)].emplace_back(d, r);
    }
  last_argmax.assign(prompts.size(), -1);
  const bool was_recording = model.record_hidden();
  model.set_record_hidden(true);
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
      const Scalar* row = model.logits() + (static_cast<std::size_t>(b) * T + (T - 1)) * V;
      last_argmax[begin + b] = static_cast<int>(std::max_element(row, row + V) - row);
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
  model.set_record_hidden(was_recording);
  return features;
}

/// hits / rows over the rows (of `rows`, with `predicted` in the same order) whose subset is `subset`
/// (-1: every row); NaN when there is none.
INDUCT_DETAIL double subset_accuracy(const std::vector<Eigen::Index>& rows, const std::vector<int>& predicted,
                              std::span<const int> labels, std::span<const int> subsets, int subset) {
  std::size_t hits = 0, total = 0;
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const auto i = static_cast<std::size_t>(rows[k]);
    if (subset >= 0 && subsets[i] != subset) continue;
    ++total;
    hits += predicted[k] == labels[i];
  }
  return total ? static_cast<double>(hits) / static_cast<double>(total) : std::nan("");
}

INDUCT_DETAIL std::size_t subset_size(const std::vector<Eigen::Index>& rows, std::span<const int> subsets, int subset) {
  if (subset < 0) return rows.size();
  return static_cast<std::size_t>(std::count_if(rows.begin(), rows.end(), [&](Eigen::Index i) {
    return subsets[static_cast<std::size_t>(i)] == subset;
  }));
}

/// Appends one probe's rows to `table`: the pooled row and one per subset with held-out rows.
INDUCT_DETAIL void add_probe_rows(result_table& table, const probe_dataset& ds, int layer, const probe_result& probe,
                           const probe_result& control_probe, std::span<const int> control_labels,
                           const probe_result* random_probe, const std::vector<int>& q_only,
                           const std::vector<std::pair<std::string, std::string>>& subset_names,
                           const std::vector<double>& icl_by_subset) {
  std::vector<std::size_t> counts(static_cast<std::size_t>(probe.classes), 0);
  for (const auto row : probe.train_rows) ++counts[static_cast<std::size_t>(ds.labels[static_cast<std::size_t>(row)])];
  const std::vector<int> majority(probe.test_rows.size(),
                                  static_cast<int>(std::max_element(counts.begin(), counts.end()) - counts.begin()));
  for (int s = -1; s < static_cast<int>(subset_names.size()); ++s) {
    const std::size_t test_size = subset_size(probe.test_rows, ds.subsets, s);
    if (test_size == 0) continue;
    const double accuracy = subset_accuracy(probe.test_rows, probe.test_predictions, ds.labels, ds.subsets, s);
    const double control = subset_accuracy(control_probe.test_rows, control_probe.test_predictions, control_labels, ds.subsets, s);
    auto row = table.new_row();
    row["feature"] = ds.feature;
    row["where"] = ds.where;
    row["task"] = s < 0 ? std::string("all") : subset_names[static_cast<std::size_t>(s)].first;
    row["format"] = s < 0 ? std::string("all") : subset_names[static_cast<std::size_t>(s)].second;
    row["layer"] = static_cast<long long>(layer);
    row["classes"] = static_cast<long long>(probe.classes);
    row["train_size"] = static_cast<long long>(subset_size(probe.train_rows, ds.subsets, s));
    row["test_size"] = static_cast<long long>(test_size);
    row["train_accuracy"] = subset_accuracy(probe.train_rows, probe.train_predictions, ds.labels, ds.subsets, s);
    row["test_accuracy"] = accuracy;
    row["majority_baseline"] = subset_accuracy(probe.test_rows, majority, ds.labels, ds.subsets, s);
    row["control_task_accuracy"] = control;
    row["selectivity"] = accuracy - control;
    row["random_init_accuracy"] =
        random_probe ? table_cell{subset_accuracy(random_probe->test_rows, random_probe->test_predictions, ds.labels, ds.subsets, s)}
                     : table_cell{};
    row["q_only_control"] =
        q_only.empty() ? table_cell{} : table_cell{subset_accuracy(probe.test_rows, q_only, ds.labels, ds.subsets, s)};
    row["icl_accuracy"] = s < 0 ? table_cell{} : table_cell{icl_by_subset[static_cast<std::size_t>(s)]};
    table.add_row(row);
  }
}

}  // namespace detail

template <class Scalar>
structure_probe_result probe_structure(nn::gpt<Scalar>& model, const setup::world& world,
                                       const structure_probe_options& options) {
  options.validate();
  const int n = options.examples;
  const int m = world.function_count();
  const auto& vocab = world.vocab();
  const setup::document_model document(world.config());
  // The seen chains (by_name: compose tasks leave the held-out ones to the novel tasks).
  std::vector<setup::task> tasks = {setup::task::by_name("lookup", setup::list_format::direct, document),
                                    setup::task::by_name("compose2", setup::list_format::direct, document),
                                    setup::task::by_name("compose3", setup::list_format::direct, document),
                                    setup::task::by_name("compose2", setup::list_format::stepwise, document)};
  std::vector<std::pair<std::string, std::string>> subset_names;
  for (const auto& t : tasks) subset_names.emplace_back(t.name(), setup::to_string(t.format()));
  std::vector<setup::prompt> prompts;
  std::vector<int> prompt_subset;
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    if (tasks[t].depth() > world.config().max_depth) continue;
    auto batch = setup::generate_prompts(world, tasks[t], n, options.prompts_per_task, options.prompt_seed + t);
    for (auto& p : batch) {
      if (static_cast<int>(p.tokens.size()) > model.config().context_length)
        throw config_error("examples", "a prompt with n = " + std::to_string(n) + " has " + std::to_string(p.tokens.size()) +
                                           " tokens, more than the model's context of " +
                                           std::to_string(model.config().context_length));
      prompts.push_back(std::move(p));
      prompt_subset.push_back(static_cast<int>(t));
    }
  }

  // Datasets.
  probe_dataset role{"token_role", "every token", 7, {}, {}, {}, {}, {}, {}};
  probe_dataset item{"item_index", "every token of an item", n + 1, {}, {}, {}, {}, {}, {}};
  probe_dataset first{"first_function", "query ':'", m, {}, {}, {}, {}, {}, {}};
  probe_dataset depth{"depth", "query ':' (direct)", world.config().max_depth + 1, {}, {}, {}, {}, {}, {}};
  probe_dataset composite{"composite_depth", "query ':' (direct, k = 2 or 3)", 2, {}, {}, {}, {}, {}, {}};
  probe_dataset hidden{"hidden_f1", "query ':' (direct, k >= 2)", world.entity_count(), {}, {}, {}, {}, {}, {}};
  auto add = [&](probe_dataset& ds, int label, std::size_t prompt, int pos, int type) {
    ds.labels.push_back(label);
    ds.groups.push_back(static_cast<int>(prompt));
    ds.positions.emplace_back(prompt, pos);
    ds.types.push_back(type);
    ds.subsets.push_back(prompt_subset[prompt]);
  };
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
      const int token = static_cast<int>(p.tokens[static_cast<std::size_t>(pos)]);
      add(role, static_cast<int>(a.role), i, pos, token);
      if (a.item >= 0) add(item, a.item, i, pos, token);
    }
    const int k = static_cast<int>(p.chain.size());
    add(first, p.chain.front(), i, last, p.query());
    if (p.format == setup::list_format::direct) {
      add(depth, k, i, last, p.query());
      if (k == 2 || k == 3) add(composite, k - 2, i, last, p.query());
      if (k >= 2) {
        add(hidden, p.steps.front(), i, last, p.query());
        hidden.control.push_back(p.query());
      }
    }
  }
  const std::vector<const probe_dataset*> datasets = {&role, &item, &first, &depth, &composite, &hidden};

  std::vector<int> argmax;
  const auto features = detail::gather_residual_rows(model, prompts, datasets, argmax);
  std::vector<std::vector<Eigen::MatrixXd>> random_features;
  if (options.random_init_baseline) {
    nn::gpt<Scalar> random_model(model.config());
    random_model.initialize(options.random_init_seed);
    std::vector<int> unused;
    random_features = detail::gather_residual_rows(random_model, prompts, datasets, unused);
  }

  // ICL: argmax at the query's ':' against the next token, per task-format and over the direct prompts.
  structure_probe_result result;
  std::vector<std::size_t> correct(tasks.size(), 0), total(tasks.size(), 0);
  std::size_t direct_correct = 0;
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    const auto& p = prompts[i];
    const bool direct = p.format == setup::list_format::direct;
    const bool hit = argmax[i] == static_cast<int>(vocab.entity(direct ? p.answer : p.steps.front()));
    correct[static_cast<std::size_t>(prompt_subset[i])] += hit;
    ++total[static_cast<std::size_t>(prompt_subset[i])];
    if (direct) {
      direct_correct += hit;
      ++result.icl_prompts;
    }
  }
  std::vector<double> icl_by_subset(tasks.size());
  for (std::size_t t = 0; t < tasks.size(); ++t)
    icl_by_subset[t] = total[t] ? static_cast<double>(correct[t]) / static_cast<double>(total[t]) : std::nan("");
  result.icl_accuracy = result.icl_prompts ? static_cast<double>(direct_correct) / static_cast<double>(result.icl_prompts) : 0.0;

  result.table = result_table({"feature", "where", "task", "format", "layer", "classes", "train_size", "test_size",
                               "train_accuracy", "test_accuracy", "majority_baseline", "control_task_accuracy",
                               "selectivity", "random_init_accuracy", "q_only_control", "icl_accuracy"});
  const int layers = model.config().layers;
  for (std::size_t d = 0; d < datasets.size(); ++d) {
    const auto& ds = *datasets[d];
    if (ds.labels.size() < 8) continue;
    // One distinct label (composite_depth without compose3): nothing to probe.
    if (std::adjacent_find(ds.labels.begin(), ds.labels.end(), std::not_equal_to<>()) == ds.labels.end()) continue;
    const std::vector<int> control_labels = control_task_labels(ds.labels, ds.types, options.control_seed);
    // The q-only classifier sees no features: one prediction per held-out row, the same on every layer.
    const std::vector<int> q_only =
        ds.control.empty() ? std::vector<int>{}
                           : control_predictions(ds.labels, ds.control, split_probe_rows(ds.labels.size(), ds.groups, options.probe));
    for (int l = 0; l <= layers; ++l) {
      const auto& x = features[d][static_cast<std::size_t>(l)];
      const auto probe = train_probe(x, ds.labels, ds.groups, options.probe, ds.classes);
      const auto control_probe = train_probe(x, control_labels, ds.groups, options.probe, ds.classes);
      probe_result random_probe;
      if (options.random_init_baseline)
        random_probe = train_probe(random_features[d][static_cast<std::size_t>(l)], ds.labels, ds.groups, options.probe, ds.classes);
      detail::add_probe_rows(result.table, ds, l, probe, control_probe, control_labels,
                             options.random_init_baseline ? &random_probe : nullptr, q_only, subset_names, icl_by_subset);
    }
  }
  return result;
}

INDUCT_DEFINE void query_patching_options::validate() const {
  if (pairs_per_task < 1) throw config_error("pairs_per_task", "must be >= 1, got " + std::to_string(pairs_per_task));
  if (examples < 1) throw config_error("examples", "patching needs n >= 1 examples, got " + std::to_string(examples));
}

namespace detail {

/// The argmax token at the last position of each of P prompts of T tokens from the last forward.
template <class Scalar>
std::vector<int> last_position_argmax(const nn::gpt<Scalar>& model, int P, int T) {
  const int V = model.config().vocab_size;
  std::vector<int> out(static_cast<std::size_t>(P));
  for (int b = 0; b < P; ++b) {
    const Scalar* row = model.logits() + (static_cast<std::size_t>(b) * T + (T - 1)) * V;
    out[static_cast<std::size_t>(b)] = static_cast<int>(std::max_element(row, row + V) - row);
  }
  return out;
}

/// The prompts' tokens as one [P, T] batch (all of one length).
INDUCT_DETAIL std::vector<std::int32_t> batch_tokens(const std::vector<setup::prompt>& prompts) {
  std::vector<std::int32_t> tokens;
  for (const auto& p : prompts) tokens.insert(tokens.end(), p.tokens.begin(), p.tokens.end());
  return tokens;
}

/// The prompt triples of the patching test for one task: A (prompt i of the task), B (the chain of the next
/// donor prompt whose chain maps A's q elsewhere, with that donor's examples and q), A' (A's chain with the
/// following donor's examples and q). Donors come from a second stream, 8 per pair; stops when they run out.
struct patching_triples {
  std::vector<setup::prompt> a, b, a2;
};
INDUCT_DETAIL patching_triples patching_pairs(const setup::world& world, const setup::task& task,
                                       const query_patching_options& options, std::uint64_t stream) {
  const int n = options.examples;
  const auto candidates = setup::generate_prompts(world, task, n, options.pairs_per_task, options.prompt_seed + stream);
  const auto donors = setup::generate_prompts(world, task, n, 8 * options.pairs_per_task, options.prompt_seed + stream + 1);
  patching_triples out;
  std::size_t next = 0;
  for (const auto& candidate : candidates) {
    const int q = candidate.query();
    std::size_t j = next;
    while (j < donors.size() && world.steps(donors[j].chain, q).back() == candidate.answer) ++j;
    if (j >= donors.size()) break;
    auto with_query = [q](std::vector<int> inputs) {
      inputs.back() = q;
      return inputs;
    };
    const auto& other_examples = donors[(j + 1) % donors.size()];
    out.a.push_back(candidate);
    out.b.push_back(setup::make_prompt(world, setup::list_format::direct, donors[j].chain, with_query(donors[j].inputs), task.name()));
    out.a2.push_back(
        setup::make_prompt(world, setup::list_format::direct, candidate.chain, with_query(other_examples.inputs), task.name()));
    next = j + 2;
  }
  return out;
}

}  // namespace detail

template <class Scalar>
query_patching_result patch_query_residual(nn::gpt<Scalar>& model, const setup::world& world,
                                           const query_patching_options& options) {
  options.validate();
  const int n = options.examples, L = model.config().layers, C = model.config().width;
  const setup::document_model document(world.config());
  const auto& vocab = world.vocab();
  query_patching_result result;
  result.table = result_table({"task", "format", "layer", "pairs", "clean_a_accuracy", "clean_b_accuracy", "patched_to_b",
                               "patched_keeps_a", "control_keeps_a", "patched_argmax_is_b", "control_argmax_is_a",
                               "both_correct", "patched_to_b_when_correct"});
  const char* names[] = {"lookup", "compose2", "compose3"};
  for (std::uint64_t t = 0; t < 3; ++t) {
    const auto task = setup::task::by_name(names[t], setup::list_format::direct, document);
    if (task.depth() > world.config().max_depth) continue;
    auto [a, b, a2] = detail::patching_pairs(world, task, options, 2 * t);
    if (a.empty()) continue;
    const int P = static_cast<int>(a.size()), T = static_cast<int>(a.front().tokens.size());
    if (T > model.config().context_length)
      throw config_error("examples", "a prompt with n = " + std::to_string(n) + " has " + std::to_string(T) +
                                         " tokens, more than the model's context of " + std::to_string(model.config().context_length));
    const auto a_tokens = detail::batch_tokens(a);
    // The donors' streams at ':' (rows b * T + T - 1), every layer: sources[l][b] for B, then A'.
    auto streams_at_colon = [&](const std::vector<setup::prompt>& prompts, std::vector<int>& argmax) {
      const auto tokens = detail::batch_tokens(prompts);
      model.forward(tokens.data(), nullptr, P, T);
      argmax = detail::last_position_argmax(model, P, T);
      std::vector<std::vector<Scalar>> out(static_cast<std::size_t>(L) + 1);
      for (int l = 0; l <= L; ++l)
        for (int p = 0; p < P; ++p) {
          const auto row = model.hidden_state(l).row(p * T + T - 1);
          out[static_cast<std::size_t>(l)].insert(out[static_cast<std::size_t>(l)].end(), row.data(), row.data() + C);
        }
      return out;
    };
    const bool was_recording = model.record_hidden();
    model.set_record_hidden(true);
    std::vector<int> clean_a, clean_b, clean_a2;
    model.forward(a_tokens.data(), nullptr, P, T);
    clean_a = detail::last_position_argmax(model, P, T);
    const auto from_b = streams_at_colon(b, clean_b);
    const auto from_a2 = streams_at_colon(a2, clean_a2);
    model.set_record_hidden(was_recording);

    auto answer = [&](const setup::prompt& p) { return static_cast<int>(vocab.entity(p.answer)); };
    std::size_t a_right = 0, b_right = 0, both = 0;
    std::vector<bool> both_right(static_cast<std::size_t>(P));
    for (std::size_t p = 0; p < a.size(); ++p) {
      a_right += clean_a[p] == answer(a[p]);
      b_right += clean_b[p] == answer(b[p]);
      both_right[p] = clean_a[p] == answer(a[p]) && clean_b[p] == answer(b[p]);
      both += both_right[p];
    }
    auto patched = [&](const std::vector<std::vector<Scalar>>& source, int l) {
      std::vector<typename nn::gpt<Scalar>::residual_patch> patches;
      for (int p = 0; p < P; ++p)
        patches.push_back({l, p * T + T - 1,
                           std::span<const Scalar>(source[static_cast<std::size_t>(l)].data() + static_cast<std::size_t>(p) * C,
                                                   static_cast<std::size_t>(C))});
      model.forward_patched(a_tokens.data(), P, T, patches);
      return detail::last_position_argmax(model, P, T);
    };
    const auto share = [P](std::size_t k) { return static_cast<double>(k) / static_cast<double>(P); };
    for (int l = 0; l <= L; ++l) {
      const auto to_b = patched(from_b, l), control = patched(from_a2, l);
      std::size_t hits_b = 0, keeps_a = 0, control_a = 0, hits_b_both = 0, follows_b = 0, control_same = 0;
      for (std::size_t p = 0; p < a.size(); ++p) {
        follows_b += to_b[p] == clean_b[p];
        control_same += control[p] == clean_a[p];
        hits_b += to_b[p] == answer(b[p]);
        keeps_a += to_b[p] == answer(a[p]);
        control_a += control[p] == answer(a[p]);
        hits_b_both += both_right[p] && to_b[p] == answer(b[p]);
      }
      auto row = result.table.new_row();
      row["task"] = std::string(names[t]);
      row["format"] = std::string("direct");
      row["layer"] = static_cast<long long>(l);
      row["pairs"] = static_cast<long long>(P);
      row["clean_a_accuracy"] = share(a_right);
      row["clean_b_accuracy"] = share(b_right);
      row["patched_to_b"] = share(hits_b);
      row["patched_keeps_a"] = share(keeps_a);
      row["control_keeps_a"] = share(control_a);
      row["patched_argmax_is_b"] = share(follows_b);
      row["control_argmax_is_a"] = share(control_same);
      row["both_correct"] = static_cast<long long>(both);
      row["patched_to_b_when_correct"] =
          both ? table_cell{static_cast<double>(hits_b_both) / static_cast<double>(both)} : table_cell{};
      result.table.add_row(row);
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
  const bool has_task = table.has_column("task");                // likewise: every row is then pooled
  auto pooled = [&](std::size_t r) { return !has_task || table.text(r, "task") == "all"; };
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
      if (table.text(r, "feature") != features[f] || !pooled(r)) continue;
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
      if (!has_control || table.text(r, "feature") != features[f] || !pooled(r)) continue;
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

INDUCT_DEFINE line_chart probe_controls_chart(const result_table& table, const std::string& title) {
  line_chart chart;
  chart.title = title;
  chart.x_label = "layer (0 = embeddings)";
  chart.integer_x = true;
  chart.y_label = "accuracy difference";
  chart.y_min = -1.0;
  chart.y_max = 1.0;
  if (!table.has_column("task") || !table.has_column("selectivity") || !table.has_column("random_init_accuracy")) return chart;
  std::vector<std::string> features;
  for (std::size_t r = 0; r < table.row_count(); ++r)
    if (std::find(features.begin(), features.end(), table.text(r, "feature")) == features.end())
      features.push_back(table.text(r, "feature"));
  for (std::size_t f = 0; f < features.size(); ++f) {
    chart_series selectivity, gain;
    selectivity.name = features[f] + " selectivity";
    gain.name = features[f] + " minus random init (dashed)";
    selectivity.color = gain.color = static_cast<int>(f);
    gain.dashed = true;
    for (std::size_t r = 0; r < table.row_count(); ++r) {
      if (table.text(r, "feature") != features[f] || table.text(r, "task") != "all") continue;
      const double layer = table.number(r, "layer"), random = table.number(r, "random_init_accuracy");
      selectivity.x.push_back(layer);
      selectivity.y.push_back(table.number(r, "selectivity"));
      if (!std::isfinite(random)) continue;  // run without the baseline
      gain.x.push_back(layer);
      gain.y.push_back(table.number(r, "test_accuracy") - random);
    }
    chart.series.push_back(std::move(selectivity));
    if (!gain.x.empty()) chart.series.push_back(std::move(gain));
  }
  return chart;
}

}  // namespace induct::experiment
