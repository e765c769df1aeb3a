// Fuzz target: setup JSON (setup_config::from_json and from_record) and run JSON (run_config::from_json).
// A config that reads must survive to_json -> from_json unchanged, as both headers promise.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/experiment/pipeline.hpp"
#include "induct/setup/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const nlohmann::json::exception&) {
    return 0;
  }
  try {
    const auto setup = induct::setup::setup_config::from_json(j);
    if (induct::setup::setup_config::from_json(setup.to_json()).to_json() != setup.to_json()) __builtin_trap();
  } catch (const induct::error&) {
  }
  try {
    (void)induct::setup::setup_config::from_record(j);
  } catch (const induct::error&) {
  }
  try {
    const auto run = induct::experiment::run_config::from_json(j);
    if (induct::experiment::run_config::from_json(run.to_json()).to_json() != run.to_json()) __builtin_trap();
  } catch (const induct::error&) {
  }
  return 0;
}
