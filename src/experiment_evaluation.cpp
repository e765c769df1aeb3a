// induct::compiled: experiment_evaluation definitions (each detail/*_impl.hpp is included by exactly one src/*.cpp).
#include "induct/experiment/detail/corpus_training_impl.hpp"
#include "induct/experiment/detail/demo_impl.hpp"
#include "induct/experiment/detail/design_impl.hpp"
#include "induct/experiment/detail/evaluate_impl.hpp"
#include "induct/experiment/detail/evaluation_outputs_impl.hpp"
#include "induct/experiment/detail/grammar_icl_measured_impl.hpp"
#include "induct/experiment/detail/pipeline_impl.hpp"
#include "induct/experiment/detail/presets_impl.hpp"
#include "induct/experiment/detail/report_page_impl.hpp"
#include "induct/experiment/detail/scaling_impl.hpp"
#include "induct/experiment/detail/slurm_impl.hpp"
#include "induct/experiment/detail/trained_model_impl.hpp"

template induct::experiment::result_table induct::experiment::evaluate_model<float>(
    induct::nn::gpt<float>&, const induct::theory::idealized_list_model&, const std::vector<induct::setup::task>&,
    const induct::experiment::evaluation_options&, std::vector<std::string>*);
template induct::experiment::result_table induct::experiment::evaluate_trained_model<float>(
    induct::nn::gpt<float>&, const induct::setup::world&, const std::vector<induct::experiment::task_spec>&,
    const induct::experiment::evaluation_options&, std::vector<std::string>*, const nlohmann::json*);
