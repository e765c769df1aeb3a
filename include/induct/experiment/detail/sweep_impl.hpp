#pragma once
// Definitions for experiment/sweep.hpp (see induct/core/linkage.hpp for the two modes).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/core/error.hpp"
#include "induct/core/interrupt.hpp"
#include "induct/core/hash.hpp"
#include "induct/experiment/report.hpp"
#include "induct/experiment/sweep.hpp"

namespace induct::experiment {

INDUCT_DEFINE std::string point_key(const nlohmann::json& config) { return to_hex(fnv1a64(config.dump())); }

INDUCT_DEFINE std::filesystem::path sweep_runner::point_path(const nlohmann::json& config) const {
  return directory_ / "points" / (point_key(config) + ".json");
}

INDUCT_DEFINE std::optional<nlohmann::json> sweep_runner::finished_result(const nlohmann::json& config) const {
  const auto path = point_path(config);
  if (!std::filesystem::exists(path)) return std::nullopt;
  nlohmann::json stored;
  try {
    stored = nlohmann::json::parse(read_text_file(path));
  } catch (const nlohmann::json::parse_error& e) {
    throw file_error(path.string(), std::string("corrupt sweep point (delete it to recompute): ") + e.what());
  }
  if (!stored.is_object() || !stored.contains("config") || !stored.contains("result"))
    throw file_error(path.string(), "sweep point lacks \"config\" or \"result\" (delete it to recompute)");
  if (stored["config"] != config)
    throw file_error(path.string(), "sweep point holds config " + stored["config"].dump() + ", not the requested " +
                                        config.dump() + " (delete it to recompute)");
  return stored["result"];
}

INDUCT_DEFINE sweep_summary sweep_runner::run(const std::vector<nlohmann::json>& configs, const job& compute,
                                             const sweep_options& options) {
  if (options.shard_count == 0 || options.shard_index >= options.shard_count)
    throw config_error("shard", "shard index " + std::to_string(options.shard_index) + " is not below the count " +
                                    std::to_string(options.shard_count));
  check_unique(configs);
  std::filesystem::create_directories(directory_ / "points");
  sweep_summary summary;
  summary.total = configs.size();
  std::vector<std::size_t> pending;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    if (finished_result(configs[i])) ++summary.reused;
    else if (i % options.shard_count == options.shard_index) pending.push_back(i);
  }
  for (std::size_t t = 0; t < pending.size(); ++t) {
    if (options.max_new_points && summary.computed >= *options.max_new_points) break;
    const auto& config = configs[pending[t]];
    if (options.on_point_start) options.on_point_start(t, pending.size(), config);
    // A stop request (core/interrupt.hpp) ends the sweep between points, or inside one whose training polls
    // it: finished points stay (each was written atomically) and a rerun computes the rest.
    const auto stopped = [&](int signal_number, bool point_finished) {
      return interrupted(signal_number,
                         std::string("interrupted by ") + signal_name(signal_number) +
                             (point_finished ? " after point " : " during point ") + point_key(config) + " (" +
                             std::to_string(t + 1) + " of " + std::to_string(pending.size()) + " to compute): the " +
                             std::to_string(summary.reused + summary.computed) + " finished points are kept in " +
                             (directory_ / "points").string() + "; run the same command again to continue" +
                             (point_finished ? "" : " (this point is computed again)"));
    };
    nlohmann::json result;
    try {
      result = compute(config);
    } catch (const interrupted& e) {
      throw stopped(e.signal_number(), false);
    }
    if (!result.is_object()) throw error("sweep job for point " + point_key(config) + " returned a non-object result");
    const nlohmann::json stored = {{"key", point_key(config)}, {"config", config}, {"result", std::move(result)}};
    write_text_atomically(point_path(config), stored.dump(1) + "\n");
    ++summary.computed;
    if (const int signal_number = interrupt_requested()) throw stopped(signal_number, true);
  }
  summary.pending = summary.total - summary.reused - summary.computed;
  return summary;
}

INDUCT_DEFINE result_table sweep_runner::assemble(const std::vector<nlohmann::json>& configs) const {
  std::vector<std::string> columns = {"key"};
  std::set<std::string> seen = {"key"};
  std::vector<std::pair<nlohmann::json, nlohmann::json>> finished;
  for (const auto& config : configs) {
    auto result = finished_result(config);
    if (!result) continue;
    for (const nlohmann::json* object : {&config, static_cast<const nlohmann::json*>(&*result)})
      if (object->is_object())
        for (const auto& item : object->items())
          if (seen.insert(item.key()).second) columns.push_back(item.key());
    finished.emplace_back(config, std::move(*result));
  }
  result_table table(columns);
  for (const auto& [config, result] : finished) {
    std::vector<table_cell> row;
    row.emplace_back(point_key(config));
    for (std::size_t c = 1; c < columns.size(); ++c) {
      const nlohmann::json* value = nullptr;
      if (result.is_object() && result.contains(columns[c])) value = &result[columns[c]];
      else if (config.is_object() && config.contains(columns[c])) value = &config[columns[c]];
      row.push_back(value ? to_cell(*value) : table_cell{});
    }
    table.add_row(std::move(row));
  }
  return table;
}

INDUCT_DEFINE table_cell sweep_runner::to_cell(const nlohmann::json& v) {
  if (v.is_null()) return std::monostate{};
  if (v.is_boolean()) return static_cast<long long>(v.get<bool>());
  if (v.is_number_integer()) return v.get<long long>();
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

INDUCT_DEFINE void sweep_runner::check_unique(const std::vector<nlohmann::json>& configs) {
  std::set<std::string> keys;
  for (const auto& config : configs)
    if (!keys.insert(point_key(config)).second)
      throw config_error("grid", "design point " + config.dump() + " appears twice in the grid");
}

}  // namespace induct::experiment
