// compare_icl: the demo's core in API calls. Train a small GPT on a sampled corpus, then put its
// measured ICL error beside the theory's bound and the exact idealized predictor's error.
//
//   ./compare_icl [steps]      (default 1500; writes nothing, prints one table)
//
// 1500 steps with the plain loss leave the model on its plateau at the marginal (error ~0.8 at every n):
// it shows the API, not ICL. `induct demo` runs the recipe that shows ICL on this world (12,000 steps,
// list answers weighted x3 in the loss; experiment::default_demo_config, docs/results.md).
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "induct/experiment/evaluate.hpp"
#include "induct/experiment/pipeline.hpp"
#include "induct/nn/trainer.hpp"
#include "induct/setup/tasks.hpp"
#include "induct/setup/world.hpp"
#include "induct/theory/idealized_predictor.hpp"

int main(int argc, char** argv) {
  using namespace induct;
  // 1. The world: 64 entities, 8 primitive functions, the default document grammar.
  setup::setup_config setup;  // every field has the SPEC's default
  const setup::world world(setup);

  // 2. A corpus sampled from the document grammar (facts, lists, filler), kept in memory.
  auto tokens = experiment::sample_corpus_tokens(world, /*seed=*/1, /*tokens=*/2'000'000);

  // 3. A small GPT, trained on random windows of the corpus.
  nn::gpt_config shape;
  shape.vocab_size = static_cast<int>(world.vocab().size());
  shape.context_length = 128;
  shape.layers = 4;
  shape.width = 128;
  shape.heads = 4;
  nn::trainer_config training;
  training.steps = argc > 1 ? std::atoll(argv[1]) : 1500;
  training.learning_rate = 2e-3;
  training.log_every = 0;
  nn::trainer<float> trainer(shape, training, nn::token_windows(std::move(tokens), shape.vocab_size, 0.02));
  trainer.set_progress(true);
  const auto summary = trainer.train();
  std::printf("trained %lld steps, final loss %.3f nats\n", static_cast<long long>(summary.steps), summary.final_loss);

  // 4. The idealized predictor of the same world: the exact posterior over list tasks.
  const theory::idealized_list_model ideal(world);

  // 5. Evaluate on lookup (one primitive function per prompt) with n = 0..16 examples.
  experiment::evaluation_options options;
  options.examples = {0, 1, 2, 4, 8, 16};
  options.prompts = 200;
  const std::vector<setup::task> tasks = {setup::task::lookup(setup::list_format::direct, world.function_count())};
  const auto table = experiment::evaluate_model(trainer.model(), ideal, tasks, options);

  // 6. Side by side: Theorem 1's bound D + R_n on the cumulative answer bits over the n + 1 answers,
  //    the idealized predictor's and the model's cumulative bits, then the error at the query alone
  //    (idealized, measured and its interval).
  std::printf("%4s %8s %11s %11s %11s %11s %18s\n", "n", "D+R_n", "ideal bits", "model bits", "ideal err", "model err",
              "95% interval");
  for (std::size_t r = 0; r < table.row_count(); ++r)
    std::printf("%4.0f %8.3f %11.3f %11.3f %11.3f %11.3f     [%.3f, %.3f]\n", table.number(r, "examples"),
                table.number(r, "bound_cum_bits"), table.number(r, "ideal_mean_cum_loss_bits"),
                table.number(r, "model_mean_cum_loss_bits"), table.number(r, "ideal_query_error_rate"),
                table.number(r, "model_query_error_rate"), table.number(r, "model_query_ci_low"),
                table.number(r, "model_query_ci_high"));
  return 0;
}
