// induct generate | logits: a trained model on a prompt (token names when the model records them).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "induct/core/json_number.hpp"
#include "induct/nn/checkpoint.hpp"
#include "induct/nn/generate.hpp"
#include "induct/nn/token_text.hpp"
#include "tool.hpp"

namespace induct::tool {
namespace {

struct model_prompt {
  common_flags flags;
  std::string model_file, prompt;

  void add_to(CLI::App* command) {
    command->add_option("--model", model_file, "model file (safetensors, as `induct train` writes it)")
        ->required();
    command->add_option("--prompt", prompt, "token names (or ids, for a model without names), space-separated")
        ->required();
    add_common_flags(command, flags);
  }

  struct loaded {
    nn::gpt<float> model;
    std::vector<std::string> names;
    std::vector<std::int32_t> prompt;
  };
  [[nodiscard]] loaded load() const {
    flags.apply();
    nn::checkpoint_info info;
    auto model = nn::read_model_checkpoint<float>(model_file, &info);
    auto names = nn::recorded_token_names(info, model_file, model.config().vocab_size);
    auto ids = nn::encode_token_text(prompt, names, model.config().vocab_size);
    if (ids.empty()) throw usage_error("--prompt", "holds no tokens");
    return {std::move(model), std::move(names), std::move(ids)};
  }
};

const char* to_string(nn::stop_reason reason) {
  switch (reason) {
    case nn::stop_reason::stop_token: return "stop_token";
    case nn::stop_reason::max_tokens: return "max_tokens";
    case nn::stop_reason::context_full: return "context_full";
  }
  return "?";
}

void add_generate(CLI::App& app, invocation& chosen) {
  auto* command = add_command(&app, "generate", "greedy continuation of a prompt (KV cache)",
                              "Appends the most probable token until --max-tokens, a --stop token, or the context is "
                              "full.\nJSON: {\"prompt\",\"tokens\",\"ids\",\"text\",\"stop_reason\"}");
  struct options : model_prompt {
    int max_tokens = 8;
    std::string stop;
  };
  auto o = std::make_shared<options>();
  o->add_to(command);
  add_integer(command, "--max-tokens", o->max_tokens, "tokens to generate at most", 0, 1 << 20);
  command->add_option("--stop", o->stop, "tokens that end generation (included in the output)");
  on_run(command, chosen, [o] {
    auto l = o->load();
    const int V = l.model.config().vocab_size;
    const auto stops = nn::encode_token_text(o->stop, l.names, V, "<stop>");
    const auto result = nn::generate_greedy(l.model, l.prompt, o->max_tokens, stops);
    std::vector<std::string> prompt_names, generated;
    for (auto t : l.prompt) prompt_names.push_back(nn::token_text(l.names, t));
    for (auto t : result.tokens) generated.push_back(nn::token_text(l.names, t));
    std::string text;
    for (const auto& g : generated) text += (text.empty() ? "" : " ") + g;
    if (o->flags.json)
      print_json({{"prompt", prompt_names}, {"tokens", generated}, {"ids", result.tokens}, {"text", text},
                  {"stop_reason", to_string(result.reason)}});
    else
      std::cout << text << "\n";
    return 0;
  });
}

void add_logits(CLI::App& app, invocation& chosen) {
  auto* command = add_command(&app, "logits", "next-token log-probabilities after a prompt",
                              "Prints the --top most probable next tokens with log P and P (all of them, by token, "
                              "with --json).\nJSON: {\"tokens\":[prompt],\"log_probs\":{\"name\":lp,...}}");
  struct options : model_prompt {
    int top = 10;
  };
  auto o = std::make_shared<options>();
  o->add_to(command);
  add_integer(command, "--top", o->top, "rows to print (capped at the vocabulary size)", 1, 1 << 30);
  on_run(command, chosen, [o] {
    auto l = o->load();
    const int V = l.model.config().vocab_size;
    const auto log_probs = nn::next_token_log_probs(l.model, l.prompt);
    if (o->flags.json) {
      nlohmann::json tokens = nlohmann::json::array(), table = nlohmann::json::object();
      for (auto t : l.prompt) tokens.push_back(nn::token_text(l.names, t));
      for (int v = 0; v < V; ++v) table[nn::token_text(l.names, v)] = finite_or_null(log_probs[static_cast<std::size_t>(v)]);
      print_json({{"tokens", tokens}, {"log_probs", table}});
      return 0;
    }
    std::vector<int> order(static_cast<std::size_t>(V));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int x, int y) {
      return log_probs[static_cast<std::size_t>(x)] > log_probs[static_cast<std::size_t>(y)];
    });
    std::printf("%-10s %12s %10s\n", "token", "log_prob", "prob");
    for (int k = 0; k < std::min(o->top, V); ++k) {
      const int v = order[static_cast<std::size_t>(k)];
      const double lp = log_probs[static_cast<std::size_t>(v)];
      std::printf("%-10s %12.6f %10.6f\n", nn::token_text(l.names, v).c_str(), lp, std::exp(lp));
    }
    return 0;
  });
}

}  // namespace

void add_inference_commands(CLI::App& app, invocation& chosen) {
  add_generate(app, chosen);
  add_logits(app, chosen);
}

}  // namespace induct::tool
