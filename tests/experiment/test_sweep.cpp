#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <stdexcept>

#include "induct/core/atomic_file.hpp"
#include "induct/core/hash.hpp"
#include "induct/experiment/sweep.hpp"

namespace ex = induct::experiment;
using nlohmann::json;

namespace {

std::filesystem::path fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("induct_test_sweep_" + name);
  std::filesystem::remove_all(dir);
  return dir;
}

std::vector<json> grid() {
  std::vector<json> configs;
  for (int layers : {1, 2})
    for (double tokens : {1e5, 1e6, 1e7}) configs.push_back({{"layers", layers}, {"tokens", tokens}, {"width", 32 * layers}});
  return configs;
}

// A deterministic "experiment" that counts how often each point is computed.
struct counting_job {
  std::map<std::string, int>* calls;
  json operator()(const json& config) const {
    ++(*calls)[ex::point_key(config)];
    const double error = 1.0 / (config["layers"].get<double>() * config["tokens"].get<double>());
    std::string label = "L";
    label += std::to_string(config["layers"].get<int>());  // appended: GCC 12 warns falsely on "L" + string
    return {{"error", error}, {"label", label}};
  }
};

}  // namespace

TEST_CASE("point keys are canonical: field order does not matter, values do") {
  const json a = json::parse(R"({"layers":2,"width":64})");
  const json b = json::parse(R"({"width":64,"layers":2})");
  const json c = json::parse(R"({"width":64,"layers":3})");
  CHECK(ex::point_key(a) == ex::point_key(b));
  CHECK(ex::point_key(a) != ex::point_key(c));
  CHECK(ex::point_key(a).size() == 16);
  CHECK(ex::point_key(a) == induct::to_hex(induct::fnv1a64(R"({"layers":2,"width":64})")));
}

TEST_CASE("a sweep killed after one point resumes without recomputing and ends with the same table") {
  const auto configs = grid();
  // Uninterrupted reference run.
  std::map<std::string, int> reference_calls;
  ex::sweep_runner reference(fresh_dir("reference"));
  const auto full = reference.run(configs, counting_job{&reference_calls});
  CHECK(full.computed == 6);
  const auto reference_table = reference.assemble(configs);

  // Interrupted: one point, then a crash while computing the second (the point in flight is lost).
  std::map<std::string, int> calls;
  const auto dir = fresh_dir("resumed");
  ex::sweep_runner runner(dir);
  ex::sweep_options one;
  one.max_new_points = 1;
  const auto first = runner.run(configs, counting_job{&calls}, one);
  CHECK(first.computed == 1);
  CHECK(first.pending == 5);
  int started = 0;
  auto crashing = [&](const json& config) -> json {
    if (++started == 2) throw std::runtime_error("killed");
    return counting_job{&calls}(config);
  };
  CHECK_THROWS(runner.run(configs, crashing));
  CHECK(runner.assemble(configs).row_count() == 2);  // the first point plus one more survived
  // No temporaries left by the crash.
  for (const auto& entry : std::filesystem::directory_iterator(dir / "points"))
    CHECK(entry.path().extension() == ".json");

  const auto resumed = runner.run(configs, counting_job{&calls});
  CHECK(resumed.reused == 2);
  CHECK(resumed.computed == 4);
  CHECK(resumed.pending == 0);
  for (const auto& config : configs) CHECK(calls[ex::point_key(config)] == 1);  // nothing computed twice
  const auto table = runner.assemble(configs);
  CHECK(table.to_csv() == reference_table.to_csv());
  CHECK(table.columns() == std::vector<std::string>{"key", "layers", "tokens", "width", "error", "label"});

  // A third run computes nothing.
  const auto idle = runner.run(configs, counting_job{&calls});
  CHECK(idle.computed == 0);
  CHECK(idle.reused == 6);
}

TEST_CASE("shards split the grid and together cover it") {
  const auto configs = grid();
  std::map<std::string, int> calls;
  ex::sweep_runner runner(fresh_dir("shards"));
  ex::sweep_options shard0, shard1;
  shard0.shard_count = shard1.shard_count = 2;
  shard1.shard_index = 1;
  CHECK(runner.run(configs, counting_job{&calls}, shard0).computed == 3);
  CHECK(runner.run(configs, counting_job{&calls}, shard1).computed == 3);
  CHECK(calls.size() == 6);
  ex::sweep_options bad;
  bad.shard_count = 2;
  bad.shard_index = 2;
  CHECK_THROWS_AS(runner.run(configs, counting_job{&calls}, bad), induct::config_error);
}

TEST_CASE("a sweep rejects duplicate points and a tampered point file") {
  std::map<std::string, int> calls;
  ex::sweep_runner runner(fresh_dir("tampered"));
  auto configs = grid();
  configs.push_back(configs.front());
  CHECK_THROWS_AS(runner.run(configs, counting_job{&calls}), induct::config_error);
  configs.pop_back();
  runner.run(configs, counting_job{&calls});
  induct::write_text_atomically(runner.point_path(configs[0]), R"({"key":"x","config":{"layers":9},"result":{}})");
  CHECK_THROWS_AS(runner.run(configs, counting_job{&calls}), induct::file_error);
  induct::write_text_atomically(runner.point_path(configs[0]), "{truncated");
  CHECK_THROWS_AS((void)runner.assemble(configs), induct::file_error);
}
