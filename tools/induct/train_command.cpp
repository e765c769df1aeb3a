// induct train: the GPT of SPEC section 5 on a corpus file (experiment/corpus_training.hpp).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "config_options.hpp"
#include "induct/core/interrupt.hpp"
#include "induct/experiment/corpus_training.hpp"
#include "induct/nn/data_parallel.hpp"
#include "tool.hpp"

namespace induct::tool {

void add_train_command(CLI::App& app, invocation& chosen) {
  auto* command = add_command(
      &app, "train", "train the GPT on a corpus token file (checkpoints, resume, JSON log lines)",
      "Trains the GPT of SPEC section 5 (pre-LN decoder, untied head) with AdamW, linear warmup then cosine decay "
      "and global-norm gradient clipping, on random windows of the corpus (an INDUCTTK token file of `induct "
      "corpus`; its last --validation-fraction is held out). Writes MODEL.safetensors (nanoGPT tensor names; with "
      "the corpus's world when its sidecar is present, or, for a corpus of `induct corpus --grammar`, its grammar "
      "text, grammar_fingerprint and vocabulary) and MODEL.safetensors.state (AdamW moments, data sampler, "
      "losses), atomically as a pair that survives a kill at any instant, every --checkpoint-every steps and at the end; an "
      "existing checkpoint is replaced only with --force. --resume continues bit for bit (on any thread count, and under `mpirun -np R` on any rank count: the ranks split each step's batch by --gradient-block and rank 0 writes the files); "
      "every option not given is then the checkpoint's (--checkpoint-every too), and --steps is the total. Ctrl-C "
      "or SIGTERM finishes the step, writes a checkpoint and exits 130 or 143.\nThe loss is the plain next-token loss "
      "over every token; --answer-weight and --input-weight weigh the tokens right after ':' (answers) and the list "
      "inputs x (after '[' or ';') instead, which needs the corpus sidecar; the weights are recorded in the model "
      "and kept by --resume.\nBy default the "
      "warmup is min(100, steps / 10) and the cosine floor --min-lr is --lr / 10. Prints a JSON log line every "
      "--log-every steps (to --log FILE if given) and a summary line (with --json a summary object).");
  struct options {
    common_flags flags;
    std::string corpus, out, log;
    bool resume = false;
    bool force = false;
    bool progress = true;
    double validation_fraction = 0.05;
    double answer_weight = 1.0, input_weight = 1.0;
    std::optional<config_options<nn::gpt_config>> model;
    std::optional<config_options<nn::trainer_config>> training;
  };
  auto o = std::make_shared<options>();
  command->add_option("--corpus", o->corpus, "corpus token file (INDUCTTK)")->required();
  command->add_option("--out", o->out, "model file to write (MODEL.safetensors; the state goes beside it)")
      ->required();
  command->add_flag("--resume", o->resume, "continue the checkpoint at --out");
  command->add_flag("--force", o->force, "start a new run even if --out holds a checkpoint (replacing it)");
  add_number(command, "--validation-fraction", o->validation_fraction, "share of the corpus held out for validation",
             0.0, 0.5);
  add_number(command, "--answer-weight", o->answer_weight,
             "training loss weight on tokens right after ':' (answers; 1 and 1: the plain loss)", 0.0, 1e6);
  add_number(command, "--input-weight", o->input_weight, "training loss weight on list inputs x (after '[' or ';')",
             0.0, 1e6);
  command->add_option("--log", o->log, "append the JSON log lines to this file instead of stdout");
  command->add_flag_callback("--no-progress", [o] { o->progress = false; }, "draw no progress bar");
  nn::gpt_config model_defaults;
  o->model.emplace(command, model_defaults, "Model");
  o->training.emplace(command, nn::trainer_config{}, "Training");
  add_common_flags(command, o->flags);
  on_run(command, chosen, [o, command] {
    const int threads = o->flags.apply();
    experiment::corpus_training run;
    run.corpus = o->corpus;
    run.checkpoint = o->out;
    run.resume = o->resume;
    run.overwrite = o->force;
    if (o->resume && o->force) throw usage_error("--force", "--force starts a new run and --resume continues one: give one");
    run.validation_fraction = o->validation_fraction;
    if (o->resume) {
      const auto stored = experiment::read_stored_training(run.checkpoint);
      run.model = o->model->over(stored.model);
      run.training = o->training->over(stored.training);
      run.answer_loss_weight = command->count("--answer-weight") ? o->answer_weight : stored.answer_loss_weight;
      run.input_loss_weight = command->count("--input-weight") ? o->input_weight : stored.input_loss_weight;
    } else {
      run.model = o->model->over(nn::gpt_config{});
      run.training = o->training->over(nn::trainer_config{});
      if (!o->training->given("warmup")) run.training.warmup_steps = std::min<std::int64_t>(100, run.training.steps / 10);
      if (!o->training->given("min-lr")) run.training.min_learning_rate = run.training.learning_rate / 10;
      run.answer_loss_weight = o->answer_weight;
      run.input_loss_weight = o->input_weight;
    }
    std::ofstream log_file;
    nn::communicator& processes = job_processes();  // mpirun -np R: each rank a share of every step's batch
    experiment::training_output output{&std::cout, o->progress, &processes};
    if (!o->log.empty()) {
      log_file.open(o->log, std::ios::app);
      if (!log_file) throw file_error(o->log, "cannot open the log file for appending");
      output.log = &log_file;
    }
    install_interrupt_handlers();  // Ctrl-C: finish the step, checkpoint, exit 130 (nn/trainer.hpp)
    const auto result = experiment::train_on_corpus(run, output);
    nlohmann::json summary = result.summary.to_json();
    summary["model"] = o->out;
    summary["state"] = nn::state_path_for(o->out).string();
    summary["run_id"] = result.run_id;
    summary["config"] = result.model.to_json();
    summary["parameters"] = result.parameters;
    summary["loss_weights"] = {{"answer", run.answer_loss_weight}, {"input", run.input_loss_weight}};
    summary["threads"] = threads;
    summary["ranks"] = processes.size();
    if (processes.rank() != 0) {
      return 0;  // rank 0 reports for the job
    } else if (o->flags.json) {
      print_json(summary);
    } else {
      std::printf("trained %lld steps: %s; wrote %s\n", static_cast<long long>(result.summary.steps),
                  experiment::training_figures_text(result.summary).c_str(), o->out.c_str());
    }
    return 0;
  });
}

}  // namespace induct::tool
