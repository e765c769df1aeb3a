// Fuzz target: sweep grid files. The bytes are parsed as JSON (a parse failure is nlohmann's and
// expected), then expanded by grid_points (models x tokens) and design_points (design grids). Both
// only expand points: no corpus is written and no training runs.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/experiment/design.hpp"
#include "induct/experiment/scaling.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nlohmann::json grid;
  try {
    grid = nlohmann::json::parse(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const nlohmann::json::exception&) {
    return 0;
  }
  try {
    (void)induct::experiment::grid_points(grid);
  } catch (const induct::error&) {
  }
  try {
    (void)induct::experiment::design_points(grid);
    (void)induct::experiment::design_axes(grid);
  } catch (const induct::error&) {
  }
  return 0;
}
