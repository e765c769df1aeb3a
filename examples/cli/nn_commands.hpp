#pragma once
// Subcommands of the nn module for the induct tool:
//   induct train     train the GPT on a corpus token file (checkpoints, resume, JSON log lines)
//   induct generate  greedy continuation of a prompt (KV cache)
//   induct logits    next-token log-probabilities after a prompt
// A model trained on an induct corpus stores the corpus's setup config and token names in its
// checkpoint metadata ("setup_config", "vocabulary"), so generate and logits read prompts as token
// names ("<d> [ e1 :") without further flags; a model without names takes token ids ("0 1 6 3").
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <omp.h>

#include "cli/args.hpp"
#include "induct/nn/checkpoint.hpp"
#include "induct/nn/data.hpp"
#include "induct/nn/generate.hpp"
#include "induct/nn/trainer.hpp"
#include "induct/setup/config.hpp"
#include "induct/setup/corpus.hpp"
#include "induct/setup/vocabulary.hpp"

namespace induct::cli {

namespace nn_cli {

inline void set_threads(const args& a) {
  if (!a.has("threads")) return;
  const long long threads = a.get_int("threads", 1);
  if (threads < 1 || threads > 1024) throw usage_error("option --threads must be in [1, 1024], got " + a.get("threads", ""));
  omp_set_num_threads(static_cast<int>(threads));
}

inline int int_option(const args& a, const std::string& name, long long fallback, long long low, long long high) {
  const long long v = a.get_int(name, fallback);
  if (v < low || v > high)
    throw usage_error("option --" + name + " must be in [" + std::to_string(low) + ", " + std::to_string(high) +
                      "], got " + std::to_string(v));
  return static_cast<int>(v);
}

/// Token names stored in a checkpoint ("vocabulary" metadata), or empty when it has none.
inline std::vector<std::string> token_names(const nn::checkpoint_info& info, const std::string& source, int vocab_size) {
  auto it = info.extra.find("vocabulary");
  if (it == info.extra.end()) return {};
  std::vector<std::string> names;
  try {
    names = nlohmann::json::parse(it->second).get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    throw file_error(source, std::string("corrupt checkpoint metadata 'vocabulary': ") + e.what());
  }
  if (static_cast<int>(names.size()) != vocab_size)
    throw file_error(source, "checkpoint metadata 'vocabulary' has " + std::to_string(names.size()) +
                                 " names for a model of vocab_size " + std::to_string(vocab_size));
  return names;
}

inline std::string token_name(const std::vector<std::string>& names, std::int32_t id) {
  return names.empty() ? std::to_string(id) : names[static_cast<std::size_t>(id)];
}

/// Prompt text to ids: names when the model has them, else decimal ids; parse_error with the column.
inline std::vector<std::int32_t> encode_prompt(const std::string& text, const std::vector<std::string>& names,
                                               int vocab_size) {
  std::vector<std::int32_t> ids;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size()) break;
    const std::size_t begin = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    const std::string word = text.substr(begin, i - begin);
    const int column = static_cast<int>(begin) + 1;
    if (!names.empty()) {
      const auto it = std::find(names.begin(), names.end(), word);
      if (it == names.end())
        throw parse_error("<prompt>", 1, column, "unknown token '" + word + "' (not in the model's vocabulary)");
      ids.push_back(static_cast<std::int32_t>(it - names.begin()));
    } else {
      std::size_t used = 0;
      long long id = -1;
      try {
        id = std::stoll(word, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != word.size() || id < 0 || id >= vocab_size)
        throw parse_error("<prompt>", 1, column,
                          "'" + word + "' is not a token id in [0, " + std::to_string(vocab_size) +
                              ") (this model stores no token names)");
      ids.push_back(static_cast<std::int32_t>(id));
    }
  }
  if (ids.empty()) throw usage_error("option --prompt holds no tokens");
  return ids;
}

struct inference_model {
  nn::gpt<float> model;
  nn::checkpoint_info info;
  std::vector<std::string> names;
};

inline inference_model load_for_inference(const std::string& path) {
  nn::checkpoint_info info;
  auto model = nn::read_model_checkpoint<float>(path, &info);
  auto names = token_names(info, path, model.config().vocab_size);
  return {std::move(model), std::move(info), std::move(names)};
}

inline int run_train(const args& a) {
  a.check({"corpus", "layers", "width", "heads", "context", "batch", "steps", "lr", "min-lr", "warmup", "out",
           "resume", "threads", "checkpoint-every", "seed", "log-every", "log", "weight-decay", "grad-clip",
           "validation-fraction", "validation-batches", "progress"});
  const std::string corpus = a.require("corpus");
  const std::filesystem::path out = a.require("out");
  const bool json = a.flag("json");
  const bool resume = a.flag("resume");
  set_threads(a);

  // Defaults come from the checkpoint when resuming, so `--resume --steps N` is enough.
  nlohmann::json stored_model, stored_trajectory;
  long long stored_steps = 2000;
  if (resume) {
    if (!std::filesystem::exists(out)) throw file_error(out.string(), "--resume given but there is no checkpoint to resume");
    stored_model = nn::read_checkpoint_config(out).to_json();
    const auto state = nn::safetensors_file::read(nn::state_path_for(out));
    try {
      const auto stored = nlohmann::json::parse(state.metadata_value("trainer_config"));
      stored_trajectory = stored.at("trajectory");
      stored_steps = stored.at("steps").get<long long>();
    } catch (const nlohmann::json::exception& e) {
      throw file_error(state.source(), std::string("corrupt checkpoint metadata 'trainer_config': ") + e.what());
    }
  }
  auto model_default = [&](const char* key, long long fallback) {
    return stored_model.contains(key) ? stored_model[key].get<long long>() : fallback;
  };
  auto trajectory_default = [&](const char* key, double fallback) {
    return stored_trajectory.contains(key) ? stored_trajectory[key].get<double>() : fallback;
  };

  setup::corpus_header header = setup::read_corpus_header(corpus);
  nn::gpt_config model_config;
  model_config.vocab_size = static_cast<int>(header.vocabulary_size);
  model_config.layers = int_option(a, "layers", model_default("layers", 4), 1, 64);
  model_config.width = int_option(a, "width", model_default("width", 128), 1, 8192);
  model_config.heads = int_option(a, "heads", model_default("heads", 4), 1, 1024);
  model_config.context_length = int_option(a, "context", model_default("context_length", 128), 1, 65536);
  model_config.validate();

  nn::trainer_config config;
  config.batch = int_option(a, "batch", static_cast<long long>(trajectory_default("batch", 16)), 1, 1 << 20);
  config.steps = a.get_int("steps", stored_steps);
  config.learning_rate = a.get_double("lr", trajectory_default("learning_rate", 1e-3));
  config.min_learning_rate = a.get_double("min-lr", trajectory_default("min_learning_rate", config.learning_rate / 10));
  config.warmup_steps = a.get_int("warmup", static_cast<long long>(trajectory_default(
                                                "warmup_steps", static_cast<double>(std::min<std::int64_t>(100, config.steps / 10)))));
  config.decay_steps = static_cast<std::int64_t>(trajectory_default("decay_steps", 0));
  config.optimizer.weight_decay = a.get_double("weight-decay", stored_trajectory.contains("optimizer")
                                                                   ? stored_trajectory["optimizer"]["weight_decay"].get<double>()
                                                                   : 0.1);
  config.grad_clip = a.get_double("grad-clip", trajectory_default("grad_clip", 1.0));
  config.seed = a.get_uint64("seed", stored_trajectory.contains("seed") ? stored_trajectory["seed"].get<std::uint64_t>() : 1);
  config.checkpoint_every = a.get_int("checkpoint-every", 0);
  config.log_every = a.get_int("log-every", 100);
  config.validation_batches = int_option(a, "validation-batches", 50, 0, 1 << 20);
  config.validate();
  const double validation_fraction = a.get_double("validation-fraction", 0.05);

  auto data = nn::corpus_windows(corpus, model_config.vocab_size, validation_fraction);
  std::unique_ptr<nn::trainer<float>> trainer;
  if (resume) {
    trainer = std::make_unique<nn::trainer<float>>(nn::trainer<float>::resume(out, &model_config, config, std::move(data)));
  } else {
    trainer = std::make_unique<nn::trainer<float>>(model_config, config, std::move(data));
    // Token names and world config from the corpus sidecar, so generate/logits can decode.
    const auto sidecar_path = setup::corpus_sidecar_path(corpus);
    if (std::filesystem::exists(sidecar_path)) {
      const auto sidecar = setup::read_corpus_sidecar(sidecar_path);
      if (sidecar.contains("config")) {
        const auto setup_config = setup::setup_config::from_json(sidecar["config"]);
        const setup::vocabulary vocab(setup_config.entities, setup_config.functions, setup_config.filler_words);
        if (vocab.size() != header.vocabulary_size)
          throw file_error(sidecar_path.string(), "sidecar config gives " + std::to_string(vocab.size()) +
                                                      " tokens but the corpus header says " +
                                                      std::to_string(header.vocabulary_size));
        trainer->set_metadata("vocabulary", nlohmann::json(vocab.names()).dump());
        trainer->set_metadata("setup_config", setup_config.to_json().dump());
        if (sidecar.contains("world_fingerprint"))
          trainer->set_metadata("world_fingerprint", sidecar["world_fingerprint"].get<std::string>());
      }
    }
    trainer->set_metadata("corpus", corpus);
  }
  trainer->set_checkpoint_path(out);
  trainer->set_progress(a.has("progress") ? a.flag("progress") : true);
  std::ofstream log_file;
  if (a.has("log")) {
    log_file.open(a.get("log", ""), std::ios::app);
    if (!log_file) throw file_error(a.get("log", ""), "cannot open the log file for appending");
    trainer->set_log(&log_file);
  } else {
    trainer->set_log(&std::cout);
  }
  const auto summary = trainer->train();
  nlohmann::json result = summary.to_json();
  result["model"] = out.string();
  result["state"] = nn::state_path_for(out).string();
  result["run_id"] = trainer->run_id();
  result["config"] = model_config.to_json();
  result["parameters"] = trainer->model().parameters().size();
  result["threads"] = omp_get_max_threads();
  if (json) {
    std::cout << dump_json(result) << "\n";
  } else {
    std::printf("trained %lld steps: final loss %.4f, validation loss %s (%zu tokens), %.0f tokens/s; wrote %s\n",
                static_cast<long long>(summary.steps), summary.final_loss,
                std::isfinite(summary.validation_loss) ? std::to_string(summary.validation_loss).c_str() : "n/a",
                summary.validation_tokens, summary.tokens_per_second, out.string().c_str());
  }
  return 0;
}

inline int run_generate(const args& a) {
  a.check({"model", "prompt", "max-tokens", "stop"});
  auto loaded = load_for_inference(a.require("model"));
  const int V = loaded.model.config().vocab_size;
  const auto prompt = encode_prompt(a.require("prompt"), loaded.names, V);
  const int max_tokens = int_option(a, "max-tokens", 8, 0, 1 << 20);
  std::vector<std::int32_t> stops;
  if (a.has("stop")) stops = encode_prompt(a.get("stop", ""), loaded.names, V);
  const auto result = nn::generate_greedy(loaded.model, prompt, max_tokens, stops);
  std::vector<std::string> prompt_names, generated;
  for (auto t : prompt) prompt_names.push_back(token_name(loaded.names, t));
  for (auto t : result.tokens) generated.push_back(token_name(loaded.names, t));
  std::string text;
  for (const auto& g : generated) {
    if (!text.empty()) text += ' ';
    text += g;
  }
  const char* reason = result.reason == nn::stop_reason::stop_token  ? "stop_token"
                       : result.reason == nn::stop_reason::max_tokens ? "max_tokens"
                                                                       : "context_full";
  if (a.flag("json")) {
    std::cout << dump_json({{"prompt", prompt_names}, {"tokens", generated}, {"ids", result.tokens}, {"text", text},
                            {"stop_reason", reason}})
              << "\n";
  } else {
    std::cout << text << "\n";
  }
  return 0;
}

inline int run_logits(const args& a) {
  a.check({"model", "prompt", "top"});
  auto loaded = load_for_inference(a.require("model"));
  const int V = loaded.model.config().vocab_size;
  const auto prompt = encode_prompt(a.require("prompt"), loaded.names, V);
  const auto log_probs = nn::next_token_log_probs(loaded.model, prompt);
  if (a.flag("json")) {
    nlohmann::json tokens = nlohmann::json::array(), table = nlohmann::json::object();
    for (auto t : prompt) tokens.push_back(token_name(loaded.names, t));
    for (int v = 0; v < V; ++v) {
      const double lp = log_probs[static_cast<std::size_t>(v)];
      table[token_name(loaded.names, v)] = std::isfinite(lp) ? nlohmann::json(lp) : nlohmann::json(nullptr);
    }
    std::cout << dump_json({{"tokens", tokens}, {"log_probs", table}}) << "\n";
    return 0;
  }
  const int top = int_option(a, "top", 10, 1, V);
  std::vector<int> order(static_cast<std::size_t>(V));
  for (int v = 0; v < V; ++v) order[static_cast<std::size_t>(v)] = v;
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) {
    return log_probs[static_cast<std::size_t>(x)] > log_probs[static_cast<std::size_t>(y)];
  });
  std::printf("%-10s %12s %10s\n", "token", "log_prob", "prob");
  for (int k = 0; k < top; ++k) {
    const int v = order[static_cast<std::size_t>(k)];
    const double lp = log_probs[static_cast<std::size_t>(v)];
    std::printf("%-10s %12.6f %10.6f\n", token_name(loaded.names, v).c_str(), lp, std::exp(lp));
  }
  return 0;
}

}  // namespace nn_cli

inline void register_nn_commands(command_table& commands) {
  commands.push_back(
      {"train", "train the GPT on a corpus token file (checkpoints, resume, JSON log lines)",
       "usage: induct train --corpus FILE --out MODEL.safetensors [options]\n"
       "\n"
       "Trains the GPT of SPEC section 5 (pre-LN decoder, untied head) with AdamW, linear warmup then cosine\n"
       "decay, and global-norm gradient clipping, on random windows of the corpus (an INDUCTTK token file of\n"
       "`induct corpus`; the last --validation-fraction of it is held out). Writes MODEL.safetensors\n"
       "(PyTorch/nanoGPT-loadable weights, config and token names in its metadata) and MODEL.safetensors.state\n"
       "(AdamW moments, step, data-sampler state) atomically every --checkpoint-every steps and at the end.\n"
       "A progress bar (step, loss, tokens/s, ETA) is drawn on a terminal; a JSON line\n"
       "{\"step\",\"loss\",\"lr\",\"grad_norm\",\"tokens_per_s\",\"elapsed_s\"} is printed every --log-every steps.\n"
       "A NaN/Inf loss or gradient stops training with the step and tensor (exit 1); the last good\n"
       "checkpoint is kept.\n"
       "\n"
       "model (the vocabulary size is the corpus's):\n"
       "  --layers L               transformer blocks (default 4)\n"
       "  --width C                residual width (default 128)\n"
       "  --heads H                attention heads, dividing C (default 4)\n"
       "  --context T              context length (default 128)\n"
       "training:\n"
       "  --batch B                sequences per step (default 16)\n"
       "  --steps N                total optimizer steps (default 2000; when resuming, the run's planned total)\n"
       "  --lr X                   peak learning rate (default 1e-3)\n"
       "  --min-lr X               cosine floor (default lr / 10)\n"
       "  --warmup W               linear warmup steps (default min(100, steps / 10))\n"
       "  --weight-decay X         AdamW decoupled weight decay on matrices (default 0.1)\n"
       "  --grad-clip X            global gradient-norm clip, 0 = off (default 1.0)\n"
       "  --seed S                 initialisation and data sampling (default 1)\n"
       "  --threads N              OpenMP threads (results are identical for a fixed N and seed)\n"
       "  --validation-fraction F  held-out tail of the corpus (default 0.05)\n"
       "  --validation-batches K   at most K batches for the final validation loss (default 50)\n"
       "output:\n"
       "  --out FILE               model checkpoint (required); FILE.state holds the training state\n"
       "  --resume                 continue the run in --out bit-for-bit; options not given default to the\n"
       "                           checkpoint's, trajectory settings (lr, batch, seed, ...) must not change,\n"
       "                           --steps may grow (the cosine horizon stays)\n"
       "  --checkpoint-every K     also checkpoint every K steps (default 0: only at the end)\n"
       "  --log-every K            JSON log line every K steps (default 100, 0 = none)\n"
       "  --log FILE               append the JSON log lines to FILE instead of stdout\n"
       "  --progress false         no progress bar even on a terminal\n"
       "  --json                   final summary as JSON {\"steps\",\"final_loss\",\"validation_loss\",\n"
       "                           \"validation_tokens\",\"tokens_per_s\",\"seconds\",\"model\",\"state\",\"run_id\",\n"
       "                           \"config\",\"parameters\",\"threads\"}",
       {"resume"},
       nn_cli::run_train});
  commands.push_back(
      {"generate", "greedy continuation of a prompt by a trained GPT (KV cache)",
       "usage: induct generate --model FILE --prompt \"<d> [ e1 :\" [--max-tokens 8] [--stop \";\"] [--json]\n"
       "\n"
       "Appends the most likely next token, greedily, until --max-tokens tokens, a --stop token, or the end of\n"
       "the model's context. Prompts are token names when the checkpoint stores them (models trained on an\n"
       "induct corpus), else token ids.\n"
       "  --json    {\"prompt\":[names],\"tokens\":[generated names],\"ids\":[...],\"text\":\"...\",\n"
       "            \"stop_reason\":\"stop_token\"|\"max_tokens\"|\"context_full\"}",
       {},
       nn_cli::run_generate});
  commands.push_back(
      {"logits", "next-token log-probabilities of a trained GPT after a prompt",
       "usage: induct logits --model FILE --prompt \"<d> [ e1 :\" [--top K] [--json]\n"
       "\n"
       "Natural-log probabilities log P(next = v | prompt) for every token v (log-softmax of the last\n"
       "position's logits). Text output lists the --top K (default 10).\n"
       "  --json    {\"tokens\":[prompt names],\"log_probs\":{\"<name>\":lp,...}} over the whole vocabulary",
       {},
       nn_cli::run_logits});
}

}  // namespace induct::cli
