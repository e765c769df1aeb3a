// agreement_icl: your own grammar, end to end. An attribute-agreement language written as a CAG (each list
// shares a declension: which article each of three genders takes; items are `noun : article`), grounded,
// written as a grammar file (`induct grammar check|next` read it) and posed as an ICL task: D, Theorem 1's
// bound and the exact idealized predictor's errors per n, beside a small GPT's trained on the grammar's corpus.
//   ./agreement_icl [DIR [STEPS]]   writes DIR/agreement.cfg (DIR default "."); STEPS default 300, 0: no model.
// 300 steps (a CPU minute) leave the GPT near its marginal (query error ~0.75 at every n): the API, not ICL.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "induct/experiment/grammar_icl_measured.hpp"
#include "induct/grammar/cag.hpp"
#include "induct/grammar/parse.hpp"
#include "induct/nn/trainer.hpp"
#include "induct/setup/grammar_prompts.hpp"
#include "induct/theory/grammar_icl.hpp"

int main(int argc, char** argv) {
  using namespace induct;
  using namespace induct::grammar;
  static const char* const nouns[] = {"Hund", "Tisch", "Katze", "Tür", "Kind", "Haus"};  // gender = index / 2
  static const char* const articles[] = {"der", "die", "das"};
  static const int place[] = {9, 3, 1};  // declension = 9 a_0 + 3 a_1 + a_2, a_g the article of gender g
  // 1. The CAG. A Noun emits a word and synthesizes its gender; an Item reads the shared declension
  //    (one of 27 tables gender -> article) to emit the agreeing article.
  cag g;
  auto noun = g.add<no_attribute, int>("Noun", [](const no_attribute&, const cag_frame&, cag_rules<int>& r) {
    for (int i = 0; i < 6; ++i) r.alternative(1.0 / 6).emit(nouns[i]).synthesize([i](const cag_frame&) { return i / 2; });
  });
  auto item = g.add<no_attribute>("Item", [noun](const no_attribute&, const cag_frame&, cag_rules<no_attribute>& r) {
    r.alternative(1.0).child(noun).emit(":").emit([](const cag_frame& f) {
      return std::string(articles[f.shared<int>("declension") / place[f.synthesized<int>(0)] % 3]);
    });
  }, {"declension"});
  auto list = g.add<no_attribute>("List", [item](const no_attribute&, const cag_frame&, cag_rules<no_attribute>& r) {
    for (int table = 0; table < 27; ++table)  // Iter[Item]: items share the declension, n ~ geometric, mean 6
      r.alternative(1.0 / 27).emit("[").share<int>("declension", [table](const cag_frame&) { return table; })
          .iterate(item, length_law::geometric(6.0, 40), ";").emit("]");
  });
  g.set_start(list);

  // 2. Ground it into an ordinary PCFG and write it as a grammar file the command line reads.
  grounded_cag grounded = g.ground();  // corpus_grammar below validates it
  const std::filesystem::path file = std::filesystem::path(argc > 1 ? argv[1] : ".") / "agreement.cfg";
  std::filesystem::create_directories(file.parent_path());  // DIR need not exist yet
  write_grammar_file(grounded.grammar, file);
  std::printf("grounded: %zu rules, written to %s\n", grounded.grammar.rule_count(), file.string().c_str());

  // 3. The task: declension 5 = (der, die, das), i.e. the items of the grounded Item{declension=5}.
  const setup::grammar_list_task task(grounded.grammar, "Item{declension=5}");
  std::printf("prompt n=2: %s\n", setup::grammar_prompt_text(task, setup::generate_grammar_prompt(task, 2, 1, 0)).c_str());

  // 4. A small GPT trained on the grammar's corpus (boundary <doc> between lists), read on the same prompts.
  const setup::corpus_grammar corpus(grounded.grammar);
  std::vector<std::uint16_t> tokens;
  setup::sample_grammar_corpus(corpus, /*seed=*/1, /*tokens=*/200'000,
      [&](const setup::token_id* t, std::size_t k) { tokens.insert(tokens.end(), t, t + k); }, [](std::uint64_t) {});
  const nn::gpt_config shape{
      .vocab_size = static_cast<int>(corpus.vocabulary_size()), .context_length = 72, .layers = 2, .width = 64, .heads = 2};
  nn::trainer_config training;
  training.steps = argc > 2 ? std::atoll(argv[2]) : 300;
  nn::trainer<float> trainer(shape, training, nn::token_windows(std::move(tokens), shape.vocab_size, 0.02));
  trainer.train();
  const auto model = experiment::model_terminal_predictor(trainer.model(), corpus, grounded.grammar);

  // 5. Theorem 1 per n: D + R against the idealized bits and mistakes over the n + 1 answers; query errors.
  const theory::grammar_icl_model ideal(task);
  const theory::grammar_icl_options options{.examples = {0, 1, 2, 4, 8, 16}, .prompts = 200};
  std::printf("D = %.3f bits\n%4s %8s %11s %12s %10s %10s %9s\n", ideal.description_length_bits(), "n", "D+R", "ideal bits",
              "ideal errors", "query err", "model err", "bound ok");
  for (const auto& row : theory::grammar_icl_curve(ideal, options, training.steps > 0 ? &model : nullptr))
    std::printf("%4d %8.3f %11.3f %12.3f %10.3f %10.3f %9s\n", row.examples, row.mean_bound_bits, row.ideal_mean_cum_bits,
                row.ideal_mean_cum_mistakes, row.ideal_query_error_rate, row.measured_query_error_rate,
                row.max_bound_excess_bits <= 1e-9 ? "yes" : "NO");
  return 0;
}
