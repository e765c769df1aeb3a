#pragma once
// The PCFG value type: symbols, rules with probabilities, a start symbol.
// P(tau) = prod over the rules r used in tau of p(r); D(tau) = -log2 P(tau) bits.
// Validation (properness, reachability, productivity, consistency) lives in grammar/validate.hpp,
// the text format in grammar/parse.hpp; this header only holds the data.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "induct/core/error.hpp"

namespace induct::grammar {

using symbol_id = std::uint32_t;

enum class symbol_kind : std::uint8_t { terminal, nonterminal };

struct symbol {
  std::string name;
  symbol_kind kind;
};

/// One production `lhs -> rhs[0] rhs[1] ...` (an empty rhs is an epsilon rule).
struct rule {
  symbol_id lhs;
  std::vector<symbol_id> rhs;
  double probability;
  int source_line = 0;  // line in the grammar file it came from, 0 if built in code
};

/// A probabilistic context-free grammar. Terminals and nonterminals live in separate name spaces
/// (a terminal "S" and a nonterminal S may coexist), both indexed by one symbol_id range.
class pcfg {
 public:
  /// The terminal named `name`, added if new.
  symbol_id terminal(std::string_view name) { return intern(name, symbol_kind::terminal, terminal_ids_); }
  /// The nonterminal named `name`, added if new. The first nonterminal added is the default start.
  symbol_id nonterminal(std::string_view name) {
    const symbol_id id = intern(name, symbol_kind::nonterminal, nonterminal_ids_);
    if (!start_) start_ = id;
    return id;
  }

  [[nodiscard]] std::optional<symbol_id> find_terminal(std::string_view name) const {
    return find(terminal_ids_, name);
  }
  [[nodiscard]] std::optional<symbol_id> find_nonterminal(std::string_view name) const {
    return find(nonterminal_ids_, name);
  }

  /// Adds `lhs -> rhs` with `probability`; returns the rule's index.
  std::size_t add_rule(symbol_id lhs, std::vector<symbol_id> rhs, double probability, int source_line = 0) {
    check_symbol(lhs);
    if (!is_nonterminal(lhs)) throw grammar_error("rule left side '" + name(lhs) + "' is a terminal");
    for (symbol_id s : rhs) check_symbol(s);
    rules_.push_back(rule{lhs, std::move(rhs), probability, source_line});
    rules_by_lhs_[lhs].push_back(rules_.size() - 1);
    return rules_.size() - 1;
  }

  void set_start(symbol_id start) {
    check_symbol(start);
    if (!is_nonterminal(start)) throw grammar_error("start symbol '" + name(start) + "' is a terminal");
    start_ = start;
  }
  /// The start symbol; grammar_error if the grammar has no nonterminal.
  [[nodiscard]] symbol_id start() const {
    if (!start_) throw grammar_error("grammar has no start symbol (no nonterminals)");
    return *start_;
  }

  [[nodiscard]] const std::vector<symbol>& symbols() const noexcept { return symbols_; }
  [[nodiscard]] const std::vector<rule>& rules() const noexcept { return rules_; }
  [[nodiscard]] std::size_t symbol_count() const noexcept { return symbols_.size(); }
  [[nodiscard]] std::size_t rule_count() const noexcept { return rules_.size(); }
  [[nodiscard]] std::size_t terminal_count() const noexcept { return terminal_ids_.size(); }
  [[nodiscard]] std::size_t nonterminal_count() const noexcept { return nonterminal_ids_.size(); }

  /// Indices (into rules()) of the rules whose left side is `lhs`, in insertion order.
  [[nodiscard]] std::span<const std::size_t> rules_of(symbol_id lhs) const {
    check_symbol(lhs);
    return rules_by_lhs_[lhs];
  }

  [[nodiscard]] const std::string& name(symbol_id id) const {
    check_symbol(id);
    return symbols_[id].name;
  }
  [[nodiscard]] bool is_terminal(symbol_id id) const { return symbols_.at(id).kind == symbol_kind::terminal; }
  [[nodiscard]] bool is_nonterminal(symbol_id id) const { return symbols_.at(id).kind == symbol_kind::nonterminal; }

  /// Mutable probability access, for normalisation and re-estimation.
  void set_probability(std::size_t rule_index, double probability) { rules_.at(rule_index).probability = probability; }

  /// The file (or "<string>") the grammar was read from, so that later errors name it; empty if built in code.
  void set_source(std::string source) { source_ = std::move(source); }
  [[nodiscard]] const std::string& source() const noexcept { return source_; }

 private:
  symbol_id intern(std::string_view name, symbol_kind kind, std::unordered_map<std::string, symbol_id>& ids) {
    if (auto it = ids.find(std::string(name)); it != ids.end()) return it->second;
    const auto id = static_cast<symbol_id>(symbols_.size());
    symbols_.push_back(symbol{std::string(name), kind});
    rules_by_lhs_.emplace_back();
    ids.emplace(std::string(name), id);
    return id;
  }
  static std::optional<symbol_id> find(const std::unordered_map<std::string, symbol_id>& ids, std::string_view name) {
    if (auto it = ids.find(std::string(name)); it != ids.end()) return it->second;
    return std::nullopt;
  }
  void check_symbol(symbol_id id) const {
    if (id >= symbols_.size()) throw grammar_error("symbol id " + std::to_string(id) + " is out of range");
  }

  std::vector<symbol> symbols_;
  std::vector<rule> rules_;
  std::vector<std::vector<std::size_t>> rules_by_lhs_;
  std::unordered_map<std::string, symbol_id> terminal_ids_;
  std::unordered_map<std::string, symbol_id> nonterminal_ids_;
  std::optional<symbol_id> start_;
  std::string source_;
};

}  // namespace induct::grammar
