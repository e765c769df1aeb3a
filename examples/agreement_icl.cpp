// agreement_icl: your own grammar, end to end. A small attribute-agreement language written as a CAG:
// each list shares a declension (which article each of three genders takes), and its items are
// `noun : article`. Grounded, written as a grammar file, and posed as an ICL task: D, Theorem 1's bound
// and the exact idealized predictor's errors per n, from the generic code (Earley on the grounded PCFG).
//
//   ./agreement_icl [DIR]      (writes DIR/agreement.cfg, default the current directory; prints one table)
//
// The model's side: `induct grammar check DIR/agreement.cfg` reads the file; sample a corpus from it with
// setup::write_grammar_corpus (or the tool's corpus command once it takes a grammar) and train on it.
#include <cstdio>
#include <filesystem>
#include <string>

#include "induct/grammar/cag.hpp"
#include "induct/grammar/parse.hpp"
#include "induct/grammar/validate.hpp"
#include "induct/setup/grammar_prompts.hpp"
#include "induct/theory/grammar_icl.hpp"

int main(int argc, char** argv) {
  using namespace induct;
  using namespace induct::grammar;
  static const char* const nouns[] = {"Hund", "Tisch", "Katze", "Tür", "Kind", "Haus"};  // gender = index / 2
  static const char* const articles[] = {"der", "die", "das"};

  // 1. The CAG. A Noun emits a word and synthesizes its gender; an Item reads the shared declension
  //    (27 tables gender -> article, encoded 9 g0 + 3 g1 + g2) to emit the agreeing article.
  cag g;
  auto noun = g.add<no_attribute, int>("Noun", [](const no_attribute&, const cag_frame&, cag_rules<int>& r) {
    for (int i = 0; i < 6; ++i) r.alternative(1.0 / 6).emit(nouns[i]).synthesize([i](const cag_frame&) { return i / 2; });
  });
  auto item = g.add<no_attribute>("Item", [noun](const no_attribute&, const cag_frame&, cag_rules<no_attribute>& r) {
    r.alternative(1.0).child(noun).emit(":").emit([](const cag_frame& f) {
      int table = f.shared<int>("declension");
      for (int gender = f.synthesized<int>(0); gender < 2; ++gender) table /= 3;
      return std::string(articles[table % 3]);
    });
  }, {"declension"});
  auto list = g.add<no_attribute>("List", [item](const no_attribute&, const cag_frame&, cag_rules<no_attribute>& r) {
    for (int table = 0; table < 27; ++table)  // Iter[Item]: items share the declension, n ~ geometric, mean 6
      r.alternative(1.0 / 27).emit("[").share<int>("declension", [table](const cag_frame&) { return table; })
          .iterate(item, length_law::geometric(6.0, 40), ";").emit("]");
  });
  g.set_start(list);

  // 2. Ground it into an ordinary PCFG and write it as a grammar file the command line reads.
  grounded_cag grounded = g.ground();
  validate(grounded.grammar);
  const std::filesystem::path file = std::filesystem::path(argc > 1 ? argv[1] : ".") / "agreement.cfg";
  write_grammar_file(grounded.grammar, file);
  std::printf("grounded: %zu rules, written to %s\n", grounded.grammar.rule_count(), file.string().c_str());

  // 3. The task: declension 5 = (der, die, das), i.e. the items of the grounded Item{declension=5}.
  const setup::grammar_list_task task(grounded.grammar, "Item{declension=5}");
  std::printf("prompt n=2: %s\n", setup::grammar_prompt_text(task, setup::generate_grammar_prompt(task, 2, 1, 0)).c_str());

  // 4. Theorem 1 per n: the bound D + R on the cumulative answer bits over the n + 1 answers against the
  //    exact idealized predictor's bits and mistakes, then its error at the query after n examples.
  const theory::grammar_icl_model ideal(task);
  theory::grammar_icl_options options;
  options.examples = {0, 1, 2, 4, 8, 16};
  options.prompts = 200;
  std::printf("D = %.3f bits\n%4s %8s %11s %12s %10s %9s\n", ideal.description_length_bits(), "n", "D+R", "ideal bits",
              "ideal errors", "query err", "bound ok");
  for (const auto& row : theory::grammar_icl_curve(ideal, options))
    std::printf("%4d %8.3f %11.3f %12.3f %10.3f %9s\n", row.examples, row.mean_bound_bits, row.ideal_mean_cum_bits,
                row.ideal_mean_cum_mistakes, row.ideal_query_error_rate, row.max_bound_excess_bits <= 1e-9 ? "yes" : "NO");
  return 0;
}
