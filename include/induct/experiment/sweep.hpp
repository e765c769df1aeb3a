#pragma once
// A resumable sweep: design points are independent, idempotent jobs keyed by their configuration.
//
// key(config) = fnv1a64(canonical JSON of config) in 16 hex digits; canonical = nlohmann's dump,
// which writes object keys sorted, so equal configs give equal keys whatever their field order.
// Each finished point is written atomically to DIR/points/<key>.json as
// {"key", "config", "result"}; a restarted sweep skips every point whose file exists, so a kill
// loses at most the point in flight. Shards (index % count) let several machines share one grid:
// the point files are the only shared state, and the final table is assembled from them.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/linkage.hpp"
#include "induct/experiment/report.hpp"

namespace induct::experiment {

/// Most points a grid file may expand to (grid_points, design_points), refused before the product of its
/// lists is expanded: each point is a training run, and validating 5,120 took over 10 s under ASan.
inline constexpr std::size_t max_sweep_points = 1'000;

/// 16 hex digits identifying a design point by its configuration.
INDUCT_DECLARE std::string point_key(const nlohmann::json& config);

struct sweep_options {
  std::optional<std::size_t> max_new_points;  // stop after computing this many (finished points are free)
  std::size_t shard_index = 0;                // run only points with index % shard_count == shard_index
  std::size_t shard_count = 1;
  /// Called before each point is computed: (position among this run's points, their count, config).
  std::function<void(std::size_t, std::size_t, const nlohmann::json&)> on_point_start;
};

struct sweep_summary {
  std::size_t total = 0;     // points in the grid
  std::size_t reused = 0;    // already finished before this run
  std::size_t computed = 0;  // computed by this run
  std::size_t pending = 0;   // still missing (other shards, or the limit was reached)
};

class sweep_runner {
 public:
  /// A job maps a point's config to a flat JSON object of results (scalars; nested values are
  /// kept in the point file and written to the table as JSON text).
  using job = std::function<nlohmann::json(const nlohmann::json& config)>;

  explicit sweep_runner(std::filesystem::path directory) : directory_(std::move(directory)) {}

  [[nodiscard]] const std::filesystem::path& directory() const noexcept { return directory_; }
  INDUCT_DECLARE [[nodiscard]] std::filesystem::path point_path(const nlohmann::json& config) const;

  /// The stored result of a finished point, or nullopt. A point file whose config differs from the
  /// requested one (a key collision or a hand-edited file) is an error naming the file.
  INDUCT_DECLARE [[nodiscard]] std::optional<nlohmann::json> finished_result(const nlohmann::json& config) const;

  /// Computes the missing points of `configs` (in order, this shard only), writing each as it finishes.
  INDUCT_DECLARE sweep_summary run(const std::vector<nlohmann::json>& configs, const job& compute,
                                   const sweep_options& options = {});

  /// One row per finished point, in grid order: "key", the config's fields, then the result's fields
  /// (columns in order of first appearance; a field a point lacks is missing). Unfinished points are left out.
  INDUCT_DECLARE [[nodiscard]] result_table assemble(const std::vector<nlohmann::json>& configs) const;

  /// A JSON value as a table cell: null missing, booleans 0/1, numbers, strings; arrays and objects dumped.
  INDUCT_DECLARE static table_cell to_cell(const nlohmann::json& v);

 private:
  INDUCT_DECLARE static void check_unique(const std::vector<nlohmann::json>& configs);

  std::filesystem::path directory_;
};

}  // namespace induct::experiment

#if INDUCT_HEADER_ONLY
#include "induct/experiment/detail/sweep_impl.hpp"
#endif
