// induct::compiled: experiment_reports definitions (each detail/*_impl.hpp is included by exactly one src/*.cpp).
#include "induct/experiment/detail/evaluation_plots_impl.hpp"
#include "induct/experiment/detail/exposure_impl.hpp"
#include "induct/experiment/detail/grammar_evaluation_impl.hpp"
#include "induct/experiment/detail/learning_curve_impl.hpp"
#include "induct/experiment/detail/probe_impl.hpp"
#include "induct/experiment/detail/report_impl.hpp"
#include "induct/experiment/detail/seeds_impl.hpp"
#include "induct/experiment/detail/structure_probe_impl.hpp"
#include "induct/experiment/detail/svg_plot_impl.hpp"
#include "induct/experiment/detail/sweep_impl.hpp"

template induct::experiment::structure_probe_result induct::experiment::probe_structure<float>(
    induct::nn::gpt<float>&, const induct::setup::world&, const induct::experiment::structure_probe_options&);
template induct::experiment::query_patching_result induct::experiment::patch_query_residual<float>(
    induct::nn::gpt<float>&, const induct::setup::world&, const induct::experiment::query_patching_options&);
