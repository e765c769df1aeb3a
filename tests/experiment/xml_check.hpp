#pragma once
// A strict, small XML well-formedness checker for the SVG tests: one root element, matched and
// properly nested tags, quoted attributes without duplicates, only the five predefined entities
// or numeric character references, no raw '<' or '&' in text. Returns "" or the first problem.
#include <cctype>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace induct_test {

class xml_checker {
 public:
  explicit xml_checker(std::string_view text) : s_(text) {}

  /// "" if well-formed, else a message with the byte offset.
  std::string check(std::string* root_name = nullptr) {
    try {
      if (s_.substr(0, 5) == "<?xml") {
        const auto end = s_.find("?>");
        if (end == std::string_view::npos) return fail("unterminated XML declaration");
        i_ = end + 2;
      }
      skip_misc();
      if (i_ >= s_.size() || s_[i_] != '<') return fail("no root element");
      const std::string root = element();
      if (root_name) *root_name = root;
      skip_misc();
      if (i_ != s_.size()) return fail("content after the root element");
      ++elements_;
    } catch (const std::string& message) {
      return message;
    }
    return {};
  }
  [[nodiscard]] int elements() const { return elements_; }
  [[nodiscard]] const std::vector<std::string>& texts() const { return texts_; }

 private:
  std::string fail(const std::string& what) const { return what + " at byte " + std::to_string(i_); }
  [[noreturn]] void raise(const std::string& what) const { throw fail(what); }

  static bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
  static bool name_char(char c) {
    return name_start(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  }
  void skip_space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  void skip_misc() {
    for (;;) {
      skip_space();
      if (s_.substr(i_, 4) == "<!--") comment();
      else return;
    }
  }
  void comment() {
    const auto end = s_.find("-->", i_ + 4);
    if (end == std::string_view::npos) raise("unterminated comment");
    i_ = end + 3;
  }
  std::string name() {
    if (i_ >= s_.size() || !name_start(s_[i_])) raise("expected a name");
    const auto begin = i_;
    while (i_ < s_.size() && name_char(s_[i_])) ++i_;
    return std::string(s_.substr(begin, i_ - begin));
  }
  // An entity reference starting at '&'; decodes it into `out`.
  void reference(std::string& out) {
    const auto end = s_.find(';', i_);
    if (end == std::string_view::npos || end - i_ > 10) raise("bad entity reference");
    const std::string_view ref = s_.substr(i_ + 1, end - i_ - 1);
    if (ref == "amp") out += '&';
    else if (ref == "lt") out += '<';
    else if (ref == "gt") out += '>';
    else if (ref == "quot") out += '"';
    else if (ref == "apos") out += '\'';
    else if (ref.size() > 1 && ref[0] == '#') {
      const bool hex = ref[1] == 'x';
      const std::string digits(ref.substr(hex ? 2 : 1));
      if (digits.empty()) raise("empty character reference");
      for (char c : digits)
        if (!(hex ? std::isxdigit(static_cast<unsigned char>(c)) : std::isdigit(static_cast<unsigned char>(c))))
          raise("bad character reference");
      out += '?';
    } else {
      raise("unknown entity &" + std::string(ref) + ";");
    }
    i_ = end + 1;
  }
  std::string element() {
    ++i_;  // '<'
    const std::string tag = name();
    std::set<std::string> attributes;
    for (;;) {
      const auto before = i_;
      skip_space();
      if (i_ >= s_.size()) raise("unterminated start tag <" + tag);
      if (s_[i_] == '/') {
        if (s_.substr(i_, 2) != "/>") raise("expected />");
        i_ += 2;
        ++elements_;
        return tag;
      }
      if (s_[i_] == '>') {
        ++i_;
        break;
      }
      if (i_ == before) raise("attributes must be separated by white space in <" + tag);
      const std::string attribute = name();
      if (!attributes.insert(attribute).second) raise("duplicate attribute " + attribute + " in <" + tag);
      skip_space();
      if (i_ >= s_.size() || s_[i_] != '=') raise("expected = after attribute " + attribute);
      ++i_;
      skip_space();
      if (i_ >= s_.size() || (s_[i_] != '"' && s_[i_] != '\'')) raise("attribute value must be quoted");
      const char quote = s_[i_++];
      std::string value;
      while (i_ < s_.size() && s_[i_] != quote) {
        if (s_[i_] == '<') raise("'<' in attribute value");
        if (s_[i_] == '&') reference(value);
        else value += s_[i_++];
      }
      if (i_ >= s_.size()) raise("unterminated attribute value");
      ++i_;
    }
    // Content.
    std::string text;
    for (;;) {
      if (i_ >= s_.size()) raise("unclosed element <" + tag + ">");
      const char c = s_[i_];
      if (c == '<') {
        if (s_.substr(i_, 4) == "<!--") {
          comment();
        } else if (s_.substr(i_, 2) == "</") {
          i_ += 2;
          const std::string closing = name();
          skip_space();
          if (i_ >= s_.size() || s_[i_] != '>') raise("bad end tag");
          ++i_;
          if (closing != tag) raise("end tag </" + closing + "> does not match <" + tag + ">");
          if (!text.empty()) texts_.push_back(text);
          ++elements_;
          return tag;
        } else {
          element();
        }
      } else if (c == '&') {
        reference(text);
      } else {
        if (c == '>' && i_ >= 2 && s_.substr(i_ - 2, 3) == "]]>") raise("']]>' in text");
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') raise("control character");
        text += c;
        ++i_;
      }
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
  int elements_ = 0;
  std::vector<std::string> texts_;
};

/// "" if `text` is a well-formed XML document whose root is <svg>.
inline std::string svg_problem(std::string_view text) {
  xml_checker checker(text);
  std::string root;
  if (auto problem = checker.check(&root); !problem.empty()) return problem;
  if (root != "svg") return "root element is <" + root + ">, not <svg>";
  return {};
}

}  // namespace induct_test
