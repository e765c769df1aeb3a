#pragma once
// A trained GPT as the measured side of Theorem 1 on a user's grammar (theory/grammar_icl.hpp): its
// next-token distribution on a task's prompts, read through the token ids of the grammar's corpus
// (setup/grammar_corpus.hpp: token 0 is the boundary <doc>, token k the k-th terminal).
//
// A prompt prefix w_1 .. w_i of the task grammar's terminals is fed as  <doc> id(w_1) .. id(w_i)  (a document
// starts after a boundary, as in the corpus), and
//   q(t | w_1 .. w_i) = exp(log_softmax(logits)[id(t)])   for every terminal t of the task grammar,
//   q(end | w_1 .. w_i) = exp(log_softmax(logits)[0])       (the model predicting the boundary ends the string),
// with id(t) the corpus token of the terminal of the same name. Tokens of the vocabulary that are not
// terminals of the task grammar keep their mass out of the distribution (none when both come from one grammar).
#include <cstdint>
#include <vector>

#include "induct/core/linkage.hpp"
#include "induct/grammar/pcfg.hpp"
#include "induct/nn/gpt.hpp"
#include "induct/setup/grammar_corpus.hpp"
#include "induct/theory/grammar_icl.hpp"

namespace induct::experiment {

/// The predictor above; `model` and the two grammars are referenced, so they must outlive it (each call
/// overwrites the model's activations, so one predictor per thread). grammar_error naming the terminal if a
/// terminal of `task_grammar` has no token in `corpus`, or if the model's vocabulary is not the corpus's size;
/// a call on a prefix longer than the model's context minus one is an error naming both lengths.
INDUCT_DECLARE theory::next_terminal_predictor model_terminal_predictor(nn::gpt<float>& model,
                                                                        const setup::corpus_grammar& corpus,
                                                                        const grammar::pcfg& task_grammar);

}  // namespace induct::experiment

#if INDUCT_HEADER_ONLY
#include "induct/experiment/detail/grammar_icl_measured_impl.hpp"
#endif
