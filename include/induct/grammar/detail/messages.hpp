#pragma once
// Pieces of the grammar module's error messages, so that every message is bounded and names its file:
//
//   where(g) + what + ":" + list.text()     "g.cfg: unproductive nonterminals ...:\n  A (line 3)\n  ..."
//   list.text()                             at most max_listed_problems items, then "... and N more"
//   lines_text({3, 9, 9, 12})               " (lines 3, 9, 12)", at most max_listed_problems numbers
//   excerpt(name)                           at most 60 bytes of a name or token, cut at a UTF-8 boundary
//   number_text(x)                          the shortest text that reads back as x (0.9999998, never 1)
// Light inline helpers (no Eigen, no JSON), shared by the grammar impl headers.
#include <charconv>
#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "induct/grammar/pcfg.hpp"

namespace induct::grammar {

/// A problem list in an error message shows at most this many items, then the count of the rest.
inline constexpr std::size_t max_listed_problems = 20;

namespace message_detail {

/// "FILE: " for a grammar read from a file or string, "" for one built in code.
inline std::string where(const pcfg& g) {
  std::string out = g.source();
  if (!out.empty()) out += ": ";
  return out;
}

/// The shortest decimal text that parses back to x exactly ("inf", "-inf", "nan" when not finite).
inline std::string number_text(double x) {
  char buffer[64];
  const auto [end, code] = std::to_chars(buffer, buffer + sizeof buffer, x);
  return code == std::errc() ? std::string(buffer, end) : std::to_string(x);
}

/// At most 60 bytes of `text` (cut before a UTF-8 continuation byte), with "..." when cut: a 1 MB name
/// must not make a 1 MB message.
inline std::string excerpt(std::string_view text) {
  constexpr std::size_t limit = 60;
  if (text.size() <= limit) return std::string(text);
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) --cut;
  std::string out(text.substr(0, cut));
  out += "...";
  return out;
}

/// " (line 3)" or " (lines 3, 9, 12)" (sorted, unique, 0 = unknown dropped, at most max_listed_problems
/// numbers then "and N more"), "" when no line is known.
inline std::string lines_text(const std::vector<int>& lines) {
  std::set<int> unique(lines.begin(), lines.end());
  unique.erase(0);
  if (unique.empty()) return "";
  std::string out = unique.size() == 1 ? " (line " : " (lines ";
  std::size_t shown = 0;
  for (int l : unique) {
    if (shown == max_listed_problems) break;
    if (shown > 0) out += ", ";
    out += std::to_string(l);
    ++shown;
  }
  if (unique.size() > shown) {
    out += " and ";
    out += std::to_string(unique.size() - shown);
    out += " more";
  }
  out += ")";
  return out;
}

/// The items of one error message: every add() is counted, the first max_listed_problems are kept.
class problem_list {
 public:
  void add(std::string item) {
    if (items_.size() < max_listed_problems) items_.push_back(std::move(item));
    ++count_;
  }
  [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
  [[nodiscard]] std::size_t count() const noexcept { return count_; }
  /// "\n  item" per kept item, then "\n  ... and N more" if some were not kept.
  [[nodiscard]] std::string text() const {
    std::string out;
    for (const auto& item : items_) {
      out += "\n  ";
      out += item;
    }
    if (count_ > items_.size()) {
      out += "\n  ... and ";
      out += std::to_string(count_ - items_.size());
      out += " more";
    }
    return out;
  }

 private:
  std::vector<std::string> items_;
  std::size_t count_ = 0;
};

}  // namespace message_detail
}  // namespace induct::grammar
