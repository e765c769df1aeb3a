#pragma once
// Definitions for grammar/parse.hpp (see induct/core/linkage.hpp for the two modes).
#include <charconv>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "induct/core/atomic_file.hpp"
#include "induct/core/error.hpp"
#include "induct/grammar/detail/messages.hpp"
#include "induct/grammar/parse.hpp"
#include "induct/grammar/pcfg.hpp"

namespace induct::grammar {

namespace parse_detail {

enum class token_kind { bare, quoted };

struct token {
  token_kind kind;
  std::string text;
  int column;  // 1-based
};

INDUCT_DETAIL bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

/// Splits one line into bare and quoted tokens, dropping a trailing comment.
INDUCT_DETAIL std::vector<token> tokenize_line(std::string_view line, const std::string& source, int line_number) {
  std::vector<token> tokens;
  std::size_t i = 0;
  while (i < line.size()) {
    const char c = line[i];
    if (is_space(c)) {
      ++i;
      continue;
    }
    if (c == '#') break;
    const int column = static_cast<int>(i) + 1;
    if (c == '"') {
      std::string text;
      ++i;
      bool closed = false;
      while (i < line.size()) {
        const char d = line[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        if (d == '\\') {
          if (i + 1 >= line.size())
            throw parse_error(source, line_number, static_cast<int>(i) + 1, "expected an escaped character after '\\'");
          const char e = line[i + 1];
          switch (e) {
            case '"': text += '"'; break;
            case '\\': text += '\\'; break;
            case 'n': text += '\n'; break;
            case 't': text += '\t'; break;
            default:
              throw parse_error(source, line_number, static_cast<int>(i) + 1,
                                std::string("unknown escape '\\") + e + "' (expected \\\" \\\\ \\n or \\t)");
          }
          i += 2;
          continue;
        }
        text += d;
        ++i;
      }
      if (!closed) throw parse_error(source, line_number, column, "unterminated quoted terminal (expected a closing '\"')");
      if (text.empty())
        throw parse_error(source, line_number, column, "empty terminal \"\" (write <eps> for an empty right side)");
      if (i < line.size() && !is_space(line[i]) && line[i] != '#')
        throw parse_error(source, line_number, static_cast<int>(i) + 1, "expected whitespace after a quoted terminal");
      tokens.push_back(token{token_kind::quoted, std::move(text), column});
      continue;
    }
    std::size_t end = i;
    while (end < line.size() && !is_space(line[end]) && line[end] != '#') {
      if (line[end] == '"')
        throw parse_error(source, line_number, static_cast<int>(end) + 1,
                          "unexpected '\"' inside a name (expected whitespace before a quoted terminal)");
      ++end;
    }
    tokens.push_back(token{token_kind::bare, std::string(line.substr(i, end - i)), column});
    i = end;
  }
  return tokens;
}

/// A spelling of a non-finite number: [+-]? then inf, infinity, nan or nan(chars), in any case (what
/// strtod and from_chars read as one). These are numbers, never names, so `S -> "a" nan` is refused.
INDUCT_DETAIL bool is_nonfinite_spelling(std::string_view text) {
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) text.remove_prefix(1);
  if (text.empty() || (text[0] != 'i' && text[0] != 'I' && text[0] != 'n' && text[0] != 'N')) return false;
  std::string lower;
  for (char c : text) lower += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  if (lower == "inf" || lower == "infinity" || lower == "nan") return true;
  if (lower.size() < 5 || lower.compare(0, 4, "nan(") != 0 || lower.back() != ')') return false;
  for (std::size_t i = 4; i + 1 < lower.size(); ++i) {
    const char c = lower[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

/// A token read as a number: it starts like one (digit, '.', '+', '-') or spells a non-finite one.
INDUCT_DETAIL bool looks_numeric(const std::string& text) {
  const char c = text[0];
  return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || is_nonfinite_spelling(text);
}

/// The probability a numeric token `t` (the last item of an alternative) spells; parse_error unless it is
/// a finite number > 0.
INDUCT_DETAIL double read_probability(const token& t, const std::string& source, int line_number) {
  const std::string shown = message_detail::excerpt(t.text);
  if (is_nonfinite_spelling(t.text)) {
    std::string message = "non-finite probability '";
    message += shown;
    message += "' (expected a finite number > 0; inf, infinity and nan are numbers, not names)";
    throw parse_error(source, line_number, t.column, message);
  }
  double value = 0.0;
  const auto [end, code] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), value);
  if (code == std::errc::result_out_of_range) {
    std::string message = "probability '";
    message += shown;
    message += "' is out of the range of a double (expected a finite number > 0)";
    throw parse_error(source, line_number, t.column, message);
  }
  if (code != std::errc() || end != t.text.data() + t.text.size() || !std::isfinite(value)) {
    std::string message = "malformed probability '";
    message += shown;
    message += "' (expected a number)";
    throw parse_error(source, line_number, t.column, message);
  }
  if (!(value > 0.0)) {
    std::string message = "probability '";
    message += shown;
    message += "' must be positive (drop rules of probability 0)";
    throw parse_error(source, line_number, t.column, message);
  }
  return value;
}

INDUCT_DETAIL bool is_epsilon(const token& t) { return t.kind == token_kind::bare && (t.text == "<eps>" || t.text == "ε"); }

INDUCT_DETAIL void check_name(const token& t, const std::string& source, int line_number, const char* role) {
  if (t.text == "->" || t.text == "|" || t.text == "%start" || is_epsilon(t) || looks_numeric(t.text)) {
    std::string message = "expected a nonterminal name as ";
    message += role;
    message += ", got '";
    message += message_detail::excerpt(t.text);
    message += "'";
    if (is_nonfinite_spelling(t.text)) message += " (inf, infinity and nan, in any case, are numbers, not names)";
    throw parse_error(source, line_number, t.column, message);
  }
}

/// "S -> NP \"a\"" (at most 60 bytes of it), for messages about a whole rule.
INDUCT_DETAIL std::string rule_text(const std::string& lhs, const std::vector<token>& rhs) {
  std::string out = lhs;
  out += " ->";
  if (rhs.empty()) out += " <eps>";
  for (const auto& t : rhs) {
    out += ' ';
    if (t.kind == token_kind::quoted) out += '"';
    out += t.text;
    if (t.kind == token_kind::quoted) out += '"';
  }
  return message_detail::excerpt(out);
}

struct pending_rule {
  std::string lhs;
  std::vector<token> rhs;
  double probability;
  bool has_probability;
  int line;
  int column;
};

}  // namespace parse_detail

INDUCT_DEFINE pcfg parse_grammar(std::string_view text, const std::string& source) {
  using namespace parse_detail;
  // A UTF-8 byte-order mark is not text (editors hide it); UTF-16 would read as garbage, so say so.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  else if (text.substr(0, 2) == "\xFF\xFE" || text.substr(0, 2) == "\xFE\xFF")
    throw parse_error(source, 1, 1, "the file is UTF-16 (byte-order mark); save it as UTF-8");
  std::vector<pending_rule> pending;
  std::string start_name;
  int start_line = 0;
  int line_number = 0;
  std::size_t position = 0;
  while (position <= text.size()) {
    const std::size_t newline = text.find('\n', position);
    const std::string_view line =
        text.substr(position, newline == std::string_view::npos ? std::string_view::npos : newline - position);
    position = newline == std::string_view::npos ? text.size() + 1 : newline + 1;
    ++line_number;
    const std::vector<token> tokens = tokenize_line(line, source, line_number);
    if (tokens.empty()) continue;
    if (tokens[0].kind == token_kind::bare && tokens[0].text == "%start") {
      if (tokens.size() != 2) throw parse_error(source, line_number, tokens[0].column, "expected '%start NAME'");
      check_name(tokens[1], source, line_number, "the start symbol");
      if (tokens[1].kind != token_kind::bare)
        throw parse_error(source, line_number, tokens[1].column, "the start symbol must be a nonterminal, not a terminal");
      if (start_line != 0)
        throw parse_error(source, line_number, 1, "second %start directive (first on line " + std::to_string(start_line) + ")");
      start_name = tokens[1].text;
      start_line = line_number;
      continue;
    }
    if (tokens[0].kind == token_kind::bare && !tokens[0].text.empty() && tokens[0].text[0] == '%') {
      std::string message = "unknown directive '";
      message += message_detail::excerpt(tokens[0].text);
      message += "' (expected %start)";
      throw parse_error(source, line_number, 1, message);
    }
    if (tokens[0].kind == token_kind::quoted)
      throw parse_error(source, line_number, tokens[0].column, "expected a nonterminal left side, got a quoted terminal");
    check_name(tokens[0], source, line_number, "the left side");
    if (tokens.size() < 2 || tokens[1].kind != token_kind::bare || tokens[1].text != "->") {
      const int column = tokens.size() < 2 ? tokens[0].column + static_cast<int>(tokens[0].text.size())
                                           : tokens[1].column;
      std::string message = "expected '->' after the left side '";
      message += message_detail::excerpt(tokens[0].text);
      message += "'";
      throw parse_error(source, line_number, column, message);
    }
    // Alternatives separated by '|'.
    std::size_t k = 2;
    while (true) {
      pending_rule rule{tokens[0].text, {}, 0.0, false, line_number, 0};
      rule.column = k < tokens.size() ? tokens[k].column : static_cast<int>(line.size()) + 1;
      bool saw_epsilon = false;
      std::size_t alternative_length = 0;
      while (k < tokens.size() && !(tokens[k].kind == token_kind::bare && tokens[k].text == "|")) {
        const token& t = tokens[k];
        const bool last = k + 1 >= tokens.size() || (tokens[k + 1].kind == token_kind::bare && tokens[k + 1].text == "|");
        if (t.kind == token_kind::bare && looks_numeric(t.text)) {
          if (!last) {
            std::string message = "a probability must be the last item of a rule, got '";
            message += message_detail::excerpt(t.text);
            message += "' before more symbols";
            if (is_nonfinite_spelling(t.text)) message += " (inf, infinity and nan, in any case, are numbers, not names)";
            throw parse_error(source, line_number, t.column, message);
          }
          rule.probability = read_probability(t, source, line_number);
          rule.has_probability = true;
        } else if (is_epsilon(t)) {
          saw_epsilon = true;
        } else {
          if (t.kind == token_kind::bare) check_name(t, source, line_number, "a right-side symbol");
          rule.rhs.push_back(t);
        }
        ++alternative_length;
        ++k;
      }
      if (saw_epsilon && !rule.rhs.empty())
        throw parse_error(source, line_number, rule.column, "<eps> must stand alone on its right side (drop it)");
      if (!saw_epsilon && rule.rhs.empty())
        throw parse_error(source, line_number, rule.column,
                          alternative_length == 0 ? "expected a right side (symbols, or <eps> for the empty one)"
                                                  : "expected symbols before the probability (write <eps> for an empty right side)");
      pending.push_back(std::move(rule));
      if (k >= tokens.size()) break;
      ++k;  // skip '|'
      if (k >= tokens.size())
        throw parse_error(source, line_number, tokens[k - 1].column + 1, "expected an alternative after '|'");
    }
  }
  if (pending.empty()) throw parse_error(source, line_number, 1, "no rules (expected at least one 'LHS -> ...' line)");

  // All or none of a left side's rules give probabilities.
  std::map<std::string, std::vector<std::size_t>> by_lhs;
  for (std::size_t r = 0; r < pending.size(); ++r) by_lhs[pending[r].lhs].push_back(r);
  for (const auto& [lhs, indices] : by_lhs) {
    const pending_rule* with = nullptr;
    const pending_rule* without = nullptr;
    for (std::size_t r : indices) (pending[r].has_probability ? with : without) = &pending[r];
    if (with && without) {
      // indices captured by name: clang before 16 cannot capture a structured binding implicitly.
      const pending_rule& first_without = [&, &indices = indices]() -> const pending_rule& {
        for (std::size_t r : indices)
          if (!pending[r].has_probability) return pending[r];
        return *without;
      }();
      std::string message = "rule of '";
      message += message_detail::excerpt(lhs);
      message += "' has no probability but its rule on line ";
      message += std::to_string(with->line);
      message += " has one (give probabilities on all rules of a left side or on none)";
      throw parse_error(source, first_without.line, first_without.column, message);
    }
    if (!with)
      for (std::size_t r : indices) pending[r].probability = 1.0 / static_cast<double>(indices.size());
  }

  pcfg g;
  g.set_source(source);
  for (const auto& r : pending) g.nonterminal(r.lhs);  // left sides first: the first rule's left side is the start
  // A rule given twice would be counted twice (its probabilities add up unseen): refused, naming both lines.
  std::map<std::pair<symbol_id, std::vector<symbol_id>>, std::size_t> first_of;
  for (std::size_t p = 0; p < pending.size(); ++p) {
    const auto& r = pending[p];
    std::vector<symbol_id> rhs;
    rhs.reserve(r.rhs.size());
    for (const auto& t : r.rhs) rhs.push_back(t.kind == token_kind::quoted ? g.terminal(t.text) : g.nonterminal(t.text));
    const symbol_id lhs = g.nonterminal(r.lhs);
    const auto [it, inserted] = first_of.emplace(std::make_pair(lhs, rhs), p);
    if (!inserted) {
      const auto& first = pending[it->second];
      std::string message = "duplicate rule '";
      message += rule_text(r.lhs, r.rhs);
      message += "': the same rule is on line ";
      message += std::to_string(first.line);
      message += first.line == r.line ? " already (each rule once: merge their probabilities)"
                                      : " (each rule once: merge their probabilities)";
      throw parse_error(source, r.line, r.column, message);
    }
    g.add_rule(lhs, std::move(rhs), r.probability, r.line);
  }
  if (!start_name.empty()) {
    const auto s = g.find_nonterminal(start_name);
    if (!s) {
      std::string message = "start symbol '";
      message += message_detail::excerpt(start_name);
      message += "' has no rules";
      throw parse_error(source, start_line, 8, message);
    }
    g.set_start(*s);
  }
  return g;
}

INDUCT_DEFINE pcfg read_grammar_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw file_error(path.string(), "is a directory, not a grammar file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw file_error(path.string(), "cannot open grammar file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw file_error(path.string(), "read error");
  return parse_grammar(buffer.str(), path.string());
}

namespace parse_detail {

/// The name under which nonterminal `name` is written: percent-encoded if it holds a character a bare
/// name cannot (whitespace, '"', '#'), else itself.
INDUCT_DETAIL std::string written_name(const std::string& name) {
  const auto unreadable = [](char c) { return is_space(c) || c == '\n' || c == '"' || c == '#'; };
  bool escape = false;
  for (char c : name) escape = escape || unreadable(c);
  if (!escape) return name;
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : name) {
    if (unreadable(c) || c == '%') {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += hex[byte >> 4];
      out += hex[byte & 15];
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace parse_detail

INDUCT_DEFINE std::string format_grammar(const pcfg& g) {
  auto quote = [](const std::string& name) {
    std::string out = "\"";
    for (char c : name) {
      if (c == '"' || c == '\\') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      if (c == '\t') {
        out += "\\t";
        continue;
      }
      out += c;
    }
    return out + "\"";
  };
  // Written names, checked distinct: an escaped name must not collide with another written as it is.
  std::vector<std::string> written(g.symbol_count());
  std::map<std::string, symbol_id> owner;
  for (symbol_id s = 0; s < g.symbol_count(); ++s) {
    if (g.is_terminal(s)) continue;
    written[s] = parse_detail::written_name(g.name(s));
    const auto [it, fresh] = owner.emplace(written[s], s);
    if (!fresh)
      throw grammar_error(message_detail::where(g) + "nonterminals '" + message_detail::excerpt(g.name(it->second)) + "' and '" +
                          message_detail::excerpt(g.name(s)) + "' would both be written as '" +
                          message_detail::excerpt(written[s]) + "'");
  }
  std::ostringstream out;
  out.precision(17);
  out << "%start " << written[g.start()] << "\n";
  for (const auto& r : g.rules()) {
    out << written[r.lhs] << " ->";
    if (r.rhs.empty()) out << " <eps>";
    for (symbol_id s : r.rhs) out << ' ' << (g.is_terminal(s) ? quote(g.name(s)) : written[s]);
    out << ' ' << r.probability << "\n";
  }
  return out.str();
}

INDUCT_DEFINE void write_grammar_file(const pcfg& g, const std::filesystem::path& path) {
  const std::string text = format_grammar(g);
  static_cast<void>(parse_grammar(text, path.string()));  // a name the format cannot hold fails here, before the file exists
  write_text_atomically(path, text);
}

}  // namespace induct::grammar
