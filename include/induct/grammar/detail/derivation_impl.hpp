#pragma once
// Definitions for grammar/derivation.hpp (see induct/core/linkage.hpp for the two modes).
#include <string>
#include <vector>

#include "induct/grammar/derivation.hpp"
#include "induct/grammar/pcfg.hpp"

namespace induct::grammar {

INDUCT_DEFINE std::string to_bracketed(const pcfg& g, const derivation& d) {
  derivation_detail::replay(g, d, [](symbol_id) {});  // validates
  std::string out;
  std::size_t next = 0;
  // Explicit stack of (symbol, is_close_marker).
  struct frame {
    symbol_id symbol;
    bool close;
  };
  std::vector<frame> stack{{g.start(), false}};
  bool need_space = false;
  while (!stack.empty()) {
    const frame f = stack.back();
    stack.pop_back();
    if (f.close) {
      out += ')';
      need_space = true;
      continue;
    }
    if (need_space) out += ' ';
    if (g.is_terminal(f.symbol)) {
      out += '"' + g.name(f.symbol) + '"';
      need_space = true;
      continue;
    }
    out += '(' + g.name(f.symbol);
    need_space = true;
    const rule& r = g.rules()[d.rules[next++]];
    stack.push_back({f.symbol, true});
    for (auto it = r.rhs.rbegin(); it != r.rhs.rend(); ++it) stack.push_back({*it, false});
  }
  return out;
}

}  // namespace induct::grammar
