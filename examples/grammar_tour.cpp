// A short tour of induct's PCFG toolkit: parse, validate, sample, score, parse incrementally.
// Build: cmake --build build --target example_grammar_tour && ./build/examples/grammar_tour
#include <iostream>
#include <string_view>

#include "induct/core/random.hpp"
#include "induct/grammar/earley.hpp"
#include "induct/grammar/mean_count.hpp"
#include "induct/grammar/parse.hpp"
#include "induct/grammar/sample.hpp"
#include "induct/grammar/validate.hpp"
#include "induct/grammar/viterbi.hpp"

int main() {
  using namespace induct::grammar;
  // 1. A grammar in the text format (docs/grammar-format.md): PP attachment makes it ambiguous.
  pcfg g = parse_grammar(R"(
    S   -> NP VP
    NP  -> "she" 0.4 | "the" N 0.4 | NP PP 0.2
    VP  -> "sees" NP 0.7 | VP PP 0.3
    PP  -> "with" NP
    N   -> "cat" | "telescope"
  )");
  // 2. Validation: proper, clean, consistent (spectral radius of the mean-count matrix < 1).
  const validation_report report = validate(g);
  std::cout << "spectral radius " << report.spectral_radius << "\n";

  // 3. Closed-form statistics through (I - M)^-1.
  const grammar_statistics stats = compute_statistics(g);
  std::cout << "expected length " << stats.expected_length << " tokens, derivational entropy "
            << stats.derivational_entropy_bits << " bits\n";

  // 4. Seeded sampling with the derivation tree and its description length.
  sampler s(g);
  induct::random_engine rng(2026);
  std::vector<symbol_id> w;
  derivation tree;
  s.sample(rng, w, tree);
  std::cout << "sample: " << join_tokens(g, w) << "\n  " << to_bracketed(g, tree) << "  D = "
            << description_length_bits(g, tree) << " bits\n";

  // 5. Exact string probabilities: inside sums all derivations, Viterbi takes the best one.
  const earley_grammar compiled(g);
  std::vector<symbol_id> sentence;
  for (const auto& name : split_tokens("she sees the cat with the telescope")) sentence.push_back(*g.find_terminal(name));
  const long double inside = inside_log2(compiled, sentence);
  const viterbi_result best = viterbi_parse(g, sentence);
  std::cout << "log2 P(w) = " << static_cast<double>(inside) << ", best tree log2 P = "
            << static_cast<double>(best.log2_probability) << "\n  " << to_bracketed(g, best.tree) << "\n";

  // 6. Incremental parsing: one Earley column per token, exact next-token distribution at each step.
  earley_state state(compiled);
  for (const auto& name : split_tokens("she sees the")) state.advance(std::string_view(name));
  std::cout << "after 'she sees the': log2 P(prefix ...) = " << static_cast<double>(state.prefix_log2()) << "\n";
  const next_token_distribution next = state.next_tokens();
  for (const auto& [t, p] : next.tokens) std::cout << "  P(" << g.name(t) << ") = " << static_cast<double>(p) << "\n";
  std::cout << "  P(end) = " << static_cast<double>(next.end) << "\n";
  return 0;
}
