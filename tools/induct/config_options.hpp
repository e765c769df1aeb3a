#pragma once
// Command-line options derived from a config struct's field list (core/fields.hpp): one option per
// field that has an option name, with the field's help and bounds, and the default taken from the
// config the command starts from. Only the options the user gave are applied, over a base config that
// the command picks after parsing (the SPEC defaults, a preset, or a checkpoint's configuration).
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/fields.hpp"
#include "induct/setup/config.hpp"
#include "tool.hpp"

namespace induct::tool {

template <class Config>
class config_options {
 public:
  /// Adds to `command` (in help group `group`) an option for each field of Config that has one, except the
  /// option names in `except`; `shown` supplies the defaults printed by --help.
  config_options(CLI::App* command, const Config& shown, const std::string& group,
                 const std::vector<std::string>& except = {})
      : scratch_(std::make_unique<Config>(shown)), command_(command) {
    add_fields(*scratch_, nlohmann::json::json_pointer(), group, except);
  }

  /// True if the user gave any of these options.
  [[nodiscard]] bool any_given() const {
    for (const auto& [path, option] : options_)
      if (option->count() > 0) return true;
    return false;
  }
  [[nodiscard]] bool given(const std::string& option_name) const {
    for (const auto& [path, option] : options_)
      if (option->get_name() == "--" + option_name) return option->count() > 0;
    return false;
  }

  /// `base` with every given option applied (through the strict, bounds-checked from_json of the fields).
  [[nodiscard]] Config over(Config base) const {
    fields_from_json(base, given_json());
    return base;
  }

  /// The given options as the JSON fields they set (e.g. {"layers": 2}).
  [[nodiscard]] nlohmann::json given_json() const {
    const nlohmann::json values = fields_to_json(*scratch_);
    nlohmann::json given = nlohmann::json::object();
    for (const auto& [path, option] : options_)
      if (option->count() > 0) given[path] = values.at(path);
    return given;
  }

 private:
  template <class C>
  void add_fields(C& config, const nlohmann::json::json_pointer& prefix, const std::string& group,
                  const std::vector<std::string>& except) {
    C::for_each_field(config, [&](const field_info& field, auto& member) {
      using member_type = std::remove_cvref_t<decltype(member)>;
      const auto path = prefix / field.name;
      if constexpr (has_fields<member_type>) {
        add_fields(member, path, group, except);
      } else {
        if (field.option == nullptr) return;
        const std::string name = field.option;
        for (const auto& e : except)
          if (e == name) return;
        CLI::Option* option = add_field(name, member, field);
        option->group(group);
        options_.emplace_back(path, option);
      }
    });
  }

  template <class T>
  CLI::Option* add_field(const std::string& name, T& member, const field_info& field) {
    const std::string option = "--" + name;
    if constexpr (std::is_same_v<T, bool>) {
      return command_->add_flag(option, member, field.help);
    } else if constexpr (std::is_same_v<T, int>) {
      return add_integer(command_, option, member, field.help, bound_int<int>(field.min, true),
                         bound_int<int>(field.max, false));
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
      return add_integer(command_, option, member, field.help, bound_int<std::int64_t>(field.min, true),
                         bound_int<std::int64_t>(field.max, false));
    } else if constexpr (std::is_same_v<T, std::uint64_t>) {
      return add_unsigned(command_, option, member, field.help,
                          field.min > 0 ? static_cast<std::uint64_t>(field.min) : 0,
                          bound_int<std::uint64_t>(field.max, false));
    } else if constexpr (std::is_same_v<T, double>) {
      return add_number(command_, option, member, field.help, field.min, field.max);
    } else if constexpr (std::is_same_v<T, std::vector<int>>) {
      return add_int_list(command_, option, member, field.help, bound_int<int>(field.min, true),
                          bound_int<int>(field.max, false));
    } else if constexpr (std::is_same_v<T, std::string>) {
      return command_->add_option(option, member, field.help)->capture_default_str();
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      return command_->add_option(option, member, field.help);
    } else if constexpr (std::is_enum_v<T>) {
      std::vector<std::string> names;
      for (const auto& [value, text] : enum_names<T>::values) names.emplace_back(text);
      auto text = std::make_shared<std::string>(induct::to_string(member));
      auto* o = add_choice(command_, option, *text, field.help, names);
      enum_texts_.push_back(text);
      o->each([&member](const std::string& chosen) { member = enum_from_string<T>(chosen, "option"); });
      return o;
    } else {
      static_assert(sizeof(T) == 0, "field type without a command-line option kind");
    }
  }

  template <class Int>
  static Int bound_int(double bound, bool low) {
    constexpr double type_low = static_cast<double>(std::numeric_limits<Int>::lowest());
    constexpr double type_high = static_cast<double>(std::numeric_limits<Int>::max());
    if (low) return bound <= type_low ? std::numeric_limits<Int>::lowest() : static_cast<Int>(std::ceil(bound));
    return bound >= type_high ? std::numeric_limits<Int>::max() : static_cast<Int>(std::floor(bound));
  }

  std::unique_ptr<Config> scratch_;  // the options write here; stable address for CLI11
  CLI::App* command_;
  std::vector<std::pair<nlohmann::json::json_pointer, CLI::Option*>> options_;
  std::vector<std::shared_ptr<std::string>> enum_texts_;
};

/// The world of a command: `--setup JSON|FILE` (setup fields over the base), one option per
/// setup_config field (over both), and `--held-out FILE` (held_out_chains, one label per line), in the
/// help group "World".
class world_options {
 public:
  explicit world_options(CLI::App* command);
  /// Anything world-related given?
  [[nodiscard]] bool given() const;
  /// `base` (the SPEC defaults, or the world a corpus or model records) overlaid with --setup, then the
  /// single options; validated.
  [[nodiscard]] setup::setup_config resolve(const setup::setup_config& base = {}) const;

 private:
  std::string setup_text_;
  CLI::Option* setup_option_;
  config_options<setup::setup_config> fields_;
  std::string held_out_file_;
  CLI::Option* held_out_option_;
};

}  // namespace induct::tool
