#pragma once
// Command-line parsing for the `induct` tool: `--name value`, `--name=value`, boolean flags,
// positional arguments; every mistake is a usage_error that names the option.
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"

namespace induct::cli {

/// A wrong invocation: printed with the command's usage, exit status 2.
class usage_error : public induct::error {
 public:
  using induct::error::error;
};

class args {
 public:
  /// `boolean_flags` take no value (e.g. "json", "help", "resume").
  args(std::vector<std::string> tokens, std::set<std::string> boolean_flags) : boolean_flags_(std::move(boolean_flags)) {
    boolean_flags_.insert("help");
    boolean_flags_.insert("json");
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      const std::string& t = tokens[i];
      if (t.size() > 2 && t.rfind("--", 0) == 0) {
        std::string name = t.substr(2);
        std::string value;
        if (auto eq = name.find('='); eq != std::string::npos) {
          value = name.substr(eq + 1);
          name = name.substr(0, eq);
        } else if (boolean_flags_.count(name)) {
          value = "true";
        } else {
          if (i + 1 >= tokens.size()) throw usage_error("option --" + name + " needs a value");
          value = tokens[++i];
        }
        if (options_.count(name)) throw usage_error("option --" + name + " given twice");
        options_[name] = value;
      } else {
        positional_.push_back(t);
      }
    }
  }

  [[nodiscard]] bool has(const std::string& name) const { return options_.count(name) != 0; }
  [[nodiscard]] bool flag(const std::string& name) const {
    auto it = options_.find(name);
    if (it == options_.end()) return false;
    if (it->second == "true" || it->second == "1") return true;
    if (it->second == "false" || it->second == "0") return false;
    throw usage_error("option --" + name + " takes no value or true/false, got '" + it->second + "'");
  }
  [[nodiscard]] std::string get(const std::string& name, const std::string& fallback) const {
    auto it = options_.find(name);
    return it == options_.end() ? fallback : it->second;
  }
  /// The value of a required option.
  [[nodiscard]] std::string require(const std::string& name) const {
    auto it = options_.find(name);
    if (it == options_.end()) throw usage_error("missing required option --" + name);
    return it->second;
  }
  [[nodiscard]] double get_double(const std::string& name, double fallback) const {
    if (!has(name)) return fallback;
    return parse_double(name, options_.at(name));
  }
  /// Integers accept scientific notation when exact ("1e8").
  [[nodiscard]] long long get_int(const std::string& name, long long fallback) const {
    if (!has(name)) return fallback;
    return parse_int(name, options_.at(name));
  }
  [[nodiscard]] std::uint64_t get_uint64(const std::string& name, std::uint64_t fallback) const {
    if (!has(name)) return fallback;
    const std::string& v = options_.at(name);
    try {
      std::size_t used = 0;
      const unsigned long long x = std::stoull(v, &used);
      if (used == v.size() && v[0] != '-') return x;
    } catch (const std::exception&) {
    }
    const long long x = parse_int(name, v);
    if (x < 0) throw usage_error("option --" + name + " must be >= 0, got '" + v + "'");
    return static_cast<std::uint64_t>(x);
  }
  /// "a..b" (inclusive) or a single integer, or a comma list "0,1,2,4".
  [[nodiscard]] std::vector<int> get_range(const std::string& name, const std::string& fallback) const {
    const std::string text = get(name, fallback);
    std::vector<int> values;
    if (auto dots = text.find(".."); dots != std::string::npos) {
      const long long lo = parse_int(name, text.substr(0, dots));
      const long long hi = parse_int(name, text.substr(dots + 2));
      if (lo > hi) throw usage_error("option --" + name + ": empty range '" + text + "'");
      for (long long v = lo; v <= hi; ++v) values.push_back(static_cast<int>(v));
      return values;
    }
    std::size_t start = 0;
    while (start <= text.size()) {
      const auto comma = text.find(',', start);
      const std::string part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      values.push_back(static_cast<int>(parse_int(name, part)));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return values;
  }

  [[nodiscard]] const std::vector<std::string>& positional() const noexcept { return positional_; }
  [[nodiscard]] const std::string& positional(std::size_t i, const std::string& what) const {
    if (i >= positional_.size()) throw usage_error("missing argument " + what);
    return positional_[i];
  }

  /// Rejects options not in `allowed` (plus help and json) and more than `max_positional` positionals.
  void check(const std::set<std::string>& allowed, std::size_t max_positional = 0) const {
    for (const auto& [name, value] : options_)
      if (!allowed.count(name) && name != "help" && name != "json") throw usage_error("unknown option --" + name);
    if (positional_.size() > max_positional)
      throw usage_error("unexpected argument '" + positional_[max_positional] + "'");
  }

 private:
  static double parse_double(const std::string& name, const std::string& v) {
    try {
      std::size_t used = 0;
      const double x = std::stod(v, &used);
      if (used == v.size() && std::isfinite(x)) return x;
    } catch (const std::exception&) {
    }
    throw usage_error("option --" + name + " needs a number, got '" + v + "'");
  }
  static long long parse_int(const std::string& name, const std::string& v) {
    const double x = parse_double(name, v);
    if (x != std::floor(x) || std::abs(x) > 9.0e15) throw usage_error("option --" + name + " needs an integer, got '" + v + "'");
    return static_cast<long long>(x);
  }

  std::set<std::string> boolean_flags_;
  std::map<std::string, std::string> options_;
  std::vector<std::string> positional_;
};

/// One subcommand: `path` is its words ("grammar check"), `usage` its full --help text.
struct command {
  std::string path;
  std::string summary;
  std::string usage;
  std::set<std::string> boolean_flags;
  std::function<int(const args&)> run;
};

using command_table = std::vector<command>;

/// JSON on stdout with -inf/nan written as null (JSON has no infinities); see --help of each command.
inline std::string dump_json(const nlohmann::json& j) { return j.dump(); }

}  // namespace induct::cli
