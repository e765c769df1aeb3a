// The tool's option kinds (tool.hpp) and the world options group (config_options.hpp).
#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include <omp.h>

#include "config_options.hpp"
#include "induct/setup/held_out.hpp"
#include "induct/core/atomic_file.hpp"
#include "induct/core/fields.hpp"
#include "tool.hpp"

namespace induct::tool {

namespace {

/// Parses an exact integer: decimal digits with an optional sign, or a number in scientific notation whose
/// value is an integer ("1e8", "2.5e3"). Returns false for anything else, including values beyond 2^63.
bool parse_exact_integer(const std::string& text, long double& value) {
  if (text.empty()) return false;
  std::size_t start = (text[0] == '-' || text[0] == '+') ? 1 : 0;
  if (start == text.size()) return false;
  bool digits_only = true;
  for (std::size_t i = start; i < text.size(); ++i)
    if (text[i] < '0' || text[i] > '9') digits_only = false;
  if (digits_only) {
    if (text.size() - start > 20) {
      value = text[0] == '-' ? -1e30L : 1e30L;  // certainly out of range; reported as such
      return true;
    }
    unsigned long long magnitude = 0;
    const auto [end, ec] = std::from_chars(text.data() + start, text.data() + text.size(), magnitude);
    if (ec == std::errc::result_out_of_range) {
      value = text[0] == '-' ? -1e30L : 1e30L;
      return true;
    }
    if (ec != std::errc() || end != text.data() + text.size()) return false;
    value = static_cast<long double>(magnitude) * (text[0] == '-' ? -1 : 1);
    return true;
  }
  // Scientific notation or a decimal point: accepted only when the value is an integer.
  for (char c : text.substr(start))
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) return false;
  char* end = nullptr;
  value = std::strtold(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(value)) return false;
  return value == std::floor(value);
}

std::string integer_text(long double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.0Lf", value);
  return buffer;
}

/// "in [1, 1024]", ">= 0" (when high is the type's maximum) or "" (any value of the type).
std::string integer_range_text(long double low, long double high, long double type_low, long double type_high) {
  if (low <= type_low && high >= type_high) return "";
  if (high >= type_high) return ">= " + integer_text(low);
  if (low <= type_low) return "<= " + integer_text(high);
  return "in [" + integer_text(low) + ", " + integer_text(high) + "]";
}

/// A CLI11 transform: checks the text is an integer in [low, high] and rewrites it in decimal digits.
/// `range` describes [low, high] for messages and help.
CLI::Validator integer_in(long double low, long double high, const std::string& range) {
  return CLI::Validator(
      [low, high, range](std::string& text) -> std::string {
        long double value = 0;
        if (!parse_exact_integer(text, value)) return "needs an integer, got '" + text + "'";
        if (value < low || value > high)
          return "must be " + (range.empty() ? "in [" + integer_text(low) + ", " + integer_text(high) + "]" : range) +
                 ", got " + text;
        text = integer_text(value);
        return "";
      },
      "");
}

template <class Int>
CLI::Option* add_integer_option(CLI::App* command, const std::string& name, Int& value, const std::string& help,
                                Int low, Int high) {
  const std::string range = integer_range_text(low, high, std::numeric_limits<Int>::lowest(), std::numeric_limits<Int>::max());
  return command->add_option(name, value, help)
      ->transform(integer_in(static_cast<long double>(low), static_cast<long double>(high), range))
      ->type_name(range.empty() ? "INT" : "INT " + range)
      ->default_str(std::to_string(value));
}

CLI::Validator number_in(double low, double high, const std::string& range) {
  return CLI::Validator(
      [low, high, range](std::string& text) -> std::string {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size()) return "needs a number, got '" + text + "'";
        if (!std::isfinite(value)) return "needs a finite number, got '" + text + "'";
        if (value < low || value > high) return "must be " + range + ", got " + text;
        return "";
      },
      "");
}

}  // namespace

int common_flags::apply() const {
  if (threads > 0) omp_set_num_threads(threads);
  return omp_get_max_threads();
}

void add_common_flags(CLI::App* command, common_flags& flags) {
  command->add_flag("--json", flags.json, "print one JSON object on stdout (errors as JSON on stderr)");
  flags.threads = omp_get_num_procs();
  add_integer(command, "--threads", flags.threads, "OpenMP threads (results do not depend on it)", 1, 1024);
}

CLI::Option* add_integer(CLI::App* command, const std::string& name, std::int64_t& value, const std::string& help,
                         std::int64_t low, std::int64_t high) {
  return add_integer_option(command, name, value, help, low, high);
}

CLI::Option* add_integer(CLI::App* command, const std::string& name, int& value, const std::string& help, int low,
                         int high) {
  return add_integer_option(command, name, value, help, low, high);
}

CLI::Option* add_unsigned(CLI::App* command, const std::string& name, std::uint64_t& value, const std::string& help,
                          std::uint64_t low, std::uint64_t high) {
  return add_integer_option(command, name, value, help, low, high);
}

CLI::Option* add_number(CLI::App* command, const std::string& name, double& value, const std::string& help, double low,
                        double high) {
  const std::string range = describe_bounds(field_info{name.c_str(), nullptr, "", low, high});
  return command->add_option(name, value, help)
      ->check(number_in(low, high, range))
      ->type_name(range.empty() ? "NUMBER" : "NUMBER " + range)
      ->default_str(number_text(value));
}

CLI::Option* add_int_list(CLI::App* command, const std::string& name, std::vector<int>& values, const std::string& help,
                          int low, int high) {
  std::string shown;
  for (int v : values) shown += (shown.empty() ? "" : ",") + std::to_string(v);
  auto* option = command->add_option_function<std::string>(
      name,
      [&values, name, low, high](const std::string& text) {
        std::vector<int> parsed;
        auto one = [&](const std::string& part) {
          long double v = 0;
          if (!parse_exact_integer(part, v)) throw CLI::ValidationError(name, "needs integers, got '" + part + "'");
          if (v < low || v > high)
            throw CLI::ValidationError(name, "values must be in [" + std::to_string(low) + ", " + std::to_string(high) +
                                                 "], got " + part);
          return static_cast<int>(v);
        };
        if (const auto dots = text.find(".."); dots != std::string::npos) {
          const int a = one(text.substr(0, dots)), b = one(text.substr(dots + 2));
          if (a > b) throw CLI::ValidationError(name, "empty range '" + text + "'");
          if (b - a > 100000) throw CLI::ValidationError(name, "range '" + text + "' has more than 100001 values");
          for (int v = a; v <= b; ++v) parsed.push_back(v);
        } else {
          std::size_t start = 0;
          while (true) {
            const auto comma = text.find(',', start);
            parsed.push_back(one(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
            if (comma == std::string::npos) break;
            start = comma + 1;
          }
        }
        values = std::move(parsed);
      },
      help);
  return option->type_name("LIST")->default_str(shown);
}

CLI::Option* add_choice(CLI::App* command, const std::string& name, std::string& value, const std::string& help,
                        const std::vector<std::string>& names) {
  std::string all;
  for (const auto& n : names) all += (all.empty() ? "" : "|") + n;
  return command->add_option(name, value, help)
      ->check(CLI::IsMember(names).description(""))
      ->type_name(all)
      ->default_str(value);
}

CLI::Option* add_name_list(CLI::App* command, const std::string& name, std::vector<std::string>& values,
                           const std::string& help, const std::vector<std::string>& allowed) {
  std::string shown, all;
  for (const auto& v : values) shown += (shown.empty() ? "" : ",") + v;
  for (const auto& n : allowed) all += (all.empty() ? "" : ",") + n;
  auto* option = command->add_option_function<std::string>(
      name,
      [&values, name, allowed, all](const std::string& text) {
        std::vector<std::string> parsed;
        std::size_t start = 0;
        while (true) {
          const auto comma = text.find(',', start);
          const std::string part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
          if (std::find(allowed.begin(), allowed.end(), part) == allowed.end())
            throw CLI::ValidationError(name, "unknown name '" + part + "' (expected some of " + all + ")");
          if (std::find(parsed.begin(), parsed.end(), part) != parsed.end())
            throw CLI::ValidationError(name, "'" + part + "' given twice");
          parsed.push_back(part);
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
        values = std::move(parsed);
      },
      help);
  return option->type_name("LIST")->default_str(shown);
}

std::string number_text(double x) {
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, x);
  return ec == std::errc() ? std::string(buffer, end) : std::to_string(x);
}

std::string fixed(double x, int digits) {
  if (!std::isfinite(x)) return "-";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, x);
  return buffer;
}

void print_json(const nlohmann::json& j) { std::cout << j.dump() << "\n"; }

nlohmann::json read_json_argument(const std::string& option, const std::string& text) {
  const bool inline_json = !text.empty() && text.front() == '{';
  const std::string json_text = inline_json ? text : read_text_file(text);
  try {
    return nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    if (inline_json) throw usage_error(option, std::string("not valid JSON: ") + e.what());
    throw file_error(text, std::string("not valid JSON (given to ") + option + "): " + e.what());
  }
}

world_options::world_options(CLI::App* command)
    : setup_option_(command
                        ->add_option("--setup", setup_text_,
                                     "setup fields over the SPEC defaults: a JSON object or a file holding one "
                                     "(the options below override it)")
                        ->type_name("JSON|FILE")
                        ->group("World")),
      fields_(command, setup::setup_config{}, "World"),
      held_out_option_(command
                           ->add_option("--held-out", held_out_file_,
                                        "held-out chains, one label (r2.r5) per line, replacing --held-out-fraction")
                           ->type_name("FILE")
                           ->group("World")) {}

bool world_options::given() const {
  return setup_option_->count() > 0 || fields_.any_given() || held_out_option_->count() > 0;
}

setup::setup_config world_options::resolve(const setup::setup_config& base) const {
  setup::setup_config config = base;
  if (setup_option_->count() > 0) {
    const nlohmann::json fields = read_json_argument("--setup", setup_text_);
    if (!fields.is_object()) throw usage_error("--setup", "needs a JSON object of setup fields");
    nlohmann::json merged = config.to_json();
    for (const auto& [key, value] : fields.items()) merged[key] = value;
    config = setup::setup_config::from_json(merged);
  }
  config = fields_.over(config);
  if (held_out_option_->count() > 0) {
    if (fields_.given("held-out-fraction"))
      throw usage_error("--held-out", "give --held-out FILE or --held-out-fraction, not both");
    config.held_out_chains = setup::read_held_out_file(held_out_file_);
    try {
      config.validate();
    } catch (const config_error& e) {
      throw file_error(held_out_file_, e.what());
    }
  }
  config.validate();
  return config;
}

}  // namespace induct::tool
