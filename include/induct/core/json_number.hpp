#pragma once
// JSON has no infinities or NaN: a number that is not finite is written as null, everywhere induct writes JSON.
#include <cmath>

#include <nlohmann/json.hpp>

namespace induct {

/// x, or null when x is NaN or infinite.
inline nlohmann::json finite_or_null(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }

}  // namespace induct
