#pragma once
// Config fields listed once. A config type C lists every field once, in declaration order:
//   for_each_field(self, visit) = visit(info_1, self.f_1); ...; visit(info_n, self.f_n)
//   info_k = {name (JSON key), option (command-line long option or nullptr), help, min, max}
// and each generic operation is a fold over that list:
//   fields_to_json(c)     = { info_k.name : json(c.f_k) }                (a nested config as an object)
//   fields_from_json(c,j) : for (key, v) in j:  c.f_k <- v  where info_k.name = key; config_error(key) when
//                           key names no field, v has the wrong JSON type, does not fit f_k's type
//                           (5e9 into int, -1 into uint64, 1.5 into int) or lies outside [min, max]
//   check_field_bounds(c) : config_error(info_k.name) for the first k with c.f_k outside [min, max]
//   find_field<C>(key)    : info_k of a key; "optimizer.weight_decay" descends into a nested config
//   field_list<C>()       : every (dotted key, info_k), nested ones included: the command-line option table
// Bounds are inclusive doubles. -no_bound / no_bound (infinity) leave a side open, so an infinite double is
// inside only on an open side; finite_max as max asks for a finite number; above_zero as min (the smallest
// positive double) asks for > 0. NaN is outside every range. A bound applies to each element of a
// std::vector<int>. Cross-field rules (shares summing to 1, min <= max pairs) stay hand-written in each
// validate(), after check_field_bounds.
//
// describe_bounds(info) says a range in words ("in [0, 1]", "> 0 and finite") for messages and help.
//
// Field types: bool, int, std::int64_t, std::uint64_t, double, std::string, std::vector<int>,
// std::vector<std::string> (an array of strings; bounds do not apply), an enum E
// with enum_names<E> specialised (written as its name), or a nested type with for_each_field. An integer
// field also takes a JSON float without a fraction (2.0, 4e6); a double takes any JSON number. A failed
// fields_from_json leaves the config as it was.
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"
#include "induct/core/linkage.hpp"

namespace induct {

inline constexpr double no_bound = std::numeric_limits<double>::infinity();
/// As field_info::max: any finite number (NaN and infinities are outside).
inline constexpr double finite_max = std::numeric_limits<double>::max();
/// As field_info::min: > 0 (the smallest positive double, so the inclusive bound excludes 0 only).
inline constexpr double above_zero = std::numeric_limits<double>::denorm_min();

/// One field of a config struct: its JSON key, its command-line option, one line of help, inclusive bounds.
struct field_info {
  const char* name;            // JSON key, e.g. "learning_rate"
  const char* option;          // long option without dashes, e.g. "lr"; nullptr = not a command-line option
  const char* help;            // one line, no default restated (the tool prints the default itself)
  double min = -no_bound;      // inclusive bounds for numbers (checked by check_field_bounds and from_json)
  double max = no_bound;
};

/// Names of an enum's values; specialise with
///   static constexpr std::array<std::pair<E, const char*>, N> values = {{{E::a, "a"}, ...}};
template <class E>
struct enum_names;

namespace detail {

template <class E>
concept named_enum = std::is_enum_v<E> && requires { enum_names<E>::values; };

/// A visitor that accepts every field (used only to test for for_each_field).
struct field_probe {
  template <class T>
  void operator()(const field_info&, T&) const {}
};

}  // namespace detail

/// C lists its fields with a static member template for_each_field(self, visit), Self = C or const C.
template <class C>
concept has_fields = std::is_class_v<C> && requires(C& c, const C& k) {
  C::for_each_field(c, detail::field_probe{});
  C::for_each_field(k, detail::field_probe{});
};

/// The name of `value` in enum_names<E>; error if the value has none (a cast from a bad integer).
template <detail::named_enum E>
const char* to_string(E value) {
  for (const auto& [v, name] : enum_names<E>::values)
    if (v == value) return name;
  throw error("enum value " + std::to_string(static_cast<long long>(value)) + " has no name");
}

/// "a, b, c": the names of E's values, for messages and help texts.
template <detail::named_enum E>
std::string enum_name_list() {
  std::string out;
  for (const auto& [v, name] : enum_names<E>::values) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

/// The value of E named `text`; config_error(field, listing the allowed names) otherwise.
template <detail::named_enum E>
E enum_from_string(std::string_view text, const std::string& field) {
  for (const auto& [v, name] : enum_names<E>::values)
    if (text == name) return v;
  throw config_error(field, "must be one of " + enum_name_list<E>() + "; got \"" + std::string(text) + "\"");
}

/// A number for messages: integers without a fraction, others in JSON's shortest round-trip form.
INDUCT_DETAIL std::string format_number(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  if (x == std::trunc(x) && std::abs(x) < 9007199254740992.0) return std::to_string(static_cast<long long>(x));
  return nlohmann::json(x).dump();
}

/// The range of `info` in words: "in [0, 1]", ">= 1", "> 0 and finite", "" when unbounded. For messages
/// ("must be " + describe_bounds) and help texts.
INDUCT_DETAIL std::string describe_bounds(const field_info& info) {
  const bool low = info.min > -no_bound, high = info.max < no_bound && info.max != finite_max;
  const bool finite = info.max == finite_max;
  const std::string low_text = info.min == above_zero ? "> 0" : ">= " + format_number(info.min);
  if (low && high && info.min != above_zero)
    return "in [" + format_number(info.min) + ", " + format_number(info.max) + "]";
  std::string out;
  if (low) out = low_text;
  if (high) out += (out.empty() ? "" : " and ") + std::string("<= ") + format_number(info.max);
  if (finite) out += out.empty() ? "finite" : " and finite";
  return out;
}

/// Whether x lies in [info.min, info.max] (NaN never does).
inline bool within_bounds(double x, const field_info& info) noexcept {
  return !std::isnan(x) && x >= info.min && x <= info.max;
}

namespace detail {

template <class T>
inline constexpr bool is_integer_field_v =
    std::is_same_v<T, int> || std::is_same_v<T, std::int64_t> || std::is_same_v<T, std::uint64_t>;

inline std::string join_key(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}

INDUCT_DETAIL void require_within(double x, const field_info& info, const std::string& key, const std::string& what = "") {
  if (!within_bounds(x, info))
    throw config_error(key, what + "must be " + describe_bounds(info) + ", got " + format_number(x));
}

template <class Json>  // Json = nlohmann::json, a parameter so that the body is only parsed until used
[[noreturn]] void wrong_type(const std::string& key, const char* expected, const Json& v) {
  throw config_error(key, std::string("wrong type: expected ") + expected + ", got " + v.type_name() +
                              (v.is_primitive() ? " " + v.dump() : std::string()));
}

/// An integer of type T from a JSON number: integers that fit T, or a float with no fraction that fits.
template <class T>
T read_integer(const nlohmann::json& v, const std::string& key) {
  using limits = std::numeric_limits<T>;
  const auto does_not_fit = [&]() -> T {
    throw config_error(key, "value " + v.dump() + " does not fit the field's type (" +
                                (std::is_same_v<T, int> ? std::string("int") : std::is_same_v<T, std::int64_t> ? "int64" : "uint64") +
                                ")");
  };
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(limits::max())) return does_not_fit();
    return static_cast<T>(u);
  }
  if (v.is_number_integer()) {
    const auto s = v.get<std::int64_t>();
    if constexpr (std::is_unsigned_v<T>) {
      if (s < 0) return does_not_fit();
    } else {
      if (s < static_cast<std::int64_t>(limits::min()) || s > static_cast<std::int64_t>(limits::max())) return does_not_fit();
    }
    return static_cast<T>(s);
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (!std::isfinite(d) || d != std::trunc(d)) throw config_error(key, "must be an integer, got " + v.dump());
    // max + 1 is a power of two, exact in double (max itself rounds up to it for 64-bit types).
    if (!(d >= static_cast<double>(limits::min()) && d < static_cast<double>(limits::max()) + 1.0)) return does_not_fit();
    return static_cast<T>(d);
  }
  wrong_type(key, "an integer", v);
}

template <class T>
void read_value(const field_info& info, T& member, const nlohmann::json& v, const std::string& key);

template <class T>
nlohmann::json value_to_json(const T& member);

template <class T>
void check_value(const field_info& info, const T& member, const std::string& key);

}  // namespace detail

/// The fields of `config` as a JSON object, one key per field (nested configs as objects).
template <has_fields C>
nlohmann::json fields_to_json(const C& config) {
  nlohmann::json j = nlohmann::json::object();
  C::for_each_field(config, [&](const field_info& info, const auto& member) { j[info.name] = detail::value_to_json(member); });
  return j;
}

/// Strict: reads the keys present in `j` over the current values of `config`; an unknown key, a wrong
/// type, a number that does not fit the field's type or lies outside [min, max] -> config_error naming
/// the key, prefixed by `path` ("optimizer.weight_decay" for path "optimizer"). `config` is unchanged on
/// error. Cross-field rules are not checked (that is the struct's validate()).
template <has_fields C>
void fields_from_json(C& config, const nlohmann::json& j, std::string_view path) {
  if (!j.is_object()) throw config_error(path.empty() ? "<root>" : std::string(path), "must be a JSON object, got " + std::string(j.type_name()));
  C result = config;
  for (const auto& [key, value] : j.items()) {
    bool found = false;
    // key and value captured by name: clang before 16 cannot capture a structured binding implicitly.
    C::for_each_field(result, [&, &key = key, &value = value](const field_info& info, auto& member) {
      if (found || key != info.name) return;
      found = true;
      detail::read_value(info, member, value, detail::join_key(path, key));
    });
    if (!found) throw config_error(detail::join_key(path, key), "unknown field");
  }
  config = std::move(result);
}

/// fields_from_json with keys named from the root.
template <has_fields C>
void fields_from_json(C& config, const nlohmann::json& j) {
  fields_from_json(config, j, std::string_view{});
}

/// config_error naming the first field (in list order, nested ones as "optimizer.eps" under `path`) whose
/// value lies outside its [min, max]; non-finite doubles are outside unless the bound is open on that side.
template <has_fields C>
void check_field_bounds(const C& config, std::string_view path = {}) {
  C::for_each_field(config, [&](const field_info& info, const auto& member) {
    detail::check_value(info, member, detail::join_key(path, info.name));
  });
}

namespace detail {

template <has_fields C>
void collect_fields(const C& config, const std::string& path, std::vector<std::pair<std::string, field_info>>& out) {
  C::for_each_field(config, [&](const field_info& info, const auto& member) {
    const std::string key = join_key(path, info.name);
    out.emplace_back(key, info);
    using T = std::remove_cvref_t<decltype(member)>;
    if constexpr (has_fields<T>) collect_fields(member, key, out);
  });
}

}  // namespace detail

/// (dotted key, info) of every field of C and of its nested configs, in list order, a nested config's
/// entry before its fields ("optimizer", "optimizer.beta1", ...): the rows of a command-line option table.
/// Built once (from a default C); the reference stays valid for the program's lifetime.
template <has_fields C>
const std::vector<std::pair<std::string, field_info>>& field_list() {
  static const std::vector<std::pair<std::string, field_info>> table = [] {
    std::vector<std::pair<std::string, field_info>> out;
    const C defaults{};
    detail::collect_fields(defaults, "", out);
    return out;
  }();
  return table;
}

/// The field_info of a JSON key of C ("optimizer.weight_decay" for a nested one), or nullptr. The pointer
/// stays valid for the program's lifetime.
template <has_fields C>
const field_info* find_field(std::string_view name) {
  for (const auto& [key, info] : field_list<C>())
    if (key == name) return &info;
  return nullptr;
}

/// Sets the field of a dotted key ("learning_rate", "optimizer.weight_decay") from a JSON value, with the
/// rules of fields_from_json (e.g. a command-line value parsed as JSON); config_error naming the key.
template <has_fields C>
void set_field(C& config, std::string_view dotted_key, const nlohmann::json& value) {
  nlohmann::json j = value;
  std::string_view rest = dotted_key;
  for (auto dot = rest.rfind('.'); dot != std::string_view::npos; dot = rest.rfind('.')) {
    j = nlohmann::json{{std::string(rest.substr(dot + 1)), std::move(j)}};
    rest = rest.substr(0, dot);
  }
  fields_from_json(config, nlohmann::json{{std::string(rest), std::move(j)}});
}

/// For JSON of a fixed shape: config_error naming (under `path`) the first key of `actual` that `expected`
/// lacks ("unknown field"); recurses into keys whose values are objects in both. `actual` must be an object.
INDUCT_DETAIL void require_known_keys(const nlohmann::json& expected, const nlohmann::json& actual, std::string_view path = {}) {
  if (!actual.is_object())
    throw config_error(path.empty() ? "<root>" : std::string(path), "must be a JSON object, got " + std::string(actual.type_name()));
  for (const auto& [key, value] : actual.items()) {
    const auto it = expected.find(key);
    if (it == expected.end()) throw config_error(detail::join_key(path, key), "unknown field");
    if (it->is_object() && value.is_object()) require_known_keys(*it, value, detail::join_key(path, key));
  }
}

/// require_known_keys, then config_error naming the first key of `expected` (recursively) that `actual` lacks.
INDUCT_DETAIL void require_same_keys(const nlohmann::json& expected, const nlohmann::json& actual, std::string_view path = {}) {
  require_known_keys(expected, actual, path);
  for (const auto& [key, value] : expected.items()) {
    const auto it = actual.find(key);
    if (it == actual.end()) throw config_error(detail::join_key(path, key), "missing");
    if (value.is_object() && it->is_object()) require_same_keys(value, *it, detail::join_key(path, key));
  }
}

/// Reads one value of type T with the rules of fields_from_json (for configs whose JSON has a custom
/// shape); `key` names it in errors.
template <class T>
void read_field(const field_info& info, T& member, const nlohmann::json& v, const std::string& key) {
  detail::read_value(info, member, v, key);
}

namespace detail {

template <class T>
void read_value(const field_info& info, T& member, const nlohmann::json& v, const std::string& key) {
  if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_boolean()) wrong_type(key, "true or false", v);
    member = v.get<bool>();
  } else if constexpr (is_integer_field_v<T>) {
    const T x = read_integer<T>(v, key);
    require_within(static_cast<double>(x), info, key);
    member = x;
  } else if constexpr (std::is_same_v<T, double>) {
    if (!v.is_number()) wrong_type(key, "a number", v);
    const double x = v.get<double>();
    require_within(x, info, key);
    member = x;
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) wrong_type(key, "a string", v);
    member = v.get<std::string>();
  } else if constexpr (std::is_same_v<T, std::vector<int>>) {
    if (!v.is_array()) wrong_type(key, "an array of integers", v);
    std::vector<int> xs;
    for (std::size_t i = 0; i < v.size(); ++i) {
      xs.push_back(read_integer<int>(v[i], key));
      require_within(xs.back(), info, key, "element " + std::to_string(i) + " ");
    }
    member = std::move(xs);
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    if (!v.is_array()) wrong_type(key, "an array of strings", v);
    std::vector<std::string> texts;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string()) wrong_type(key + "[" + std::to_string(i) + "]", "a string", v[i]);
      texts.push_back(v[i].get<std::string>());
    }
    member = std::move(texts);
  } else if constexpr (named_enum<T>) {
    if (!v.is_string()) wrong_type(key, ("one of " + enum_name_list<T>()).c_str(), v);
    member = enum_from_string<T>(v.get<std::string>(), key);
  } else if constexpr (has_fields<T>) {
    fields_from_json(member, v, key);
  } else {
    static_assert(!sizeof(T), "field type not supported by induct/core/fields.hpp");
  }
}

template <class T>
nlohmann::json value_to_json(const T& member) {
  if constexpr (named_enum<T>) return to_string(member);
  else if constexpr (has_fields<T>) return fields_to_json(member);
  else return member;
}

template <class T>
void check_value(const field_info& info, const T& member, const std::string& key) {
  if constexpr (is_integer_field_v<T> || std::is_same_v<T, double>) {
    require_within(static_cast<double>(member), info, key);
  } else if constexpr (std::is_same_v<T, std::vector<int>>) {
    for (std::size_t i = 0; i < member.size(); ++i) require_within(member[i], info, key, "element " + std::to_string(i) + " ");
  } else if constexpr (has_fields<T>) {
    check_field_bounds(member, key);
  }
}

}  // namespace detail

}  // namespace induct
