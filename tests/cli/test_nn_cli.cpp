// `induct train|generate|logits`: training writes loadable checkpoints and JSON log lines, resume
// continues, generate/logits decode with the stored vocabulary and agree with the library; errors exit 1/2.
#include <doctest/doctest.h>

#include "run_shell.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/nn/checkpoint.hpp"
#include "induct/nn/generate.hpp"
#include "induct/nn/trainer.hpp"
#include "induct/setup/corpus.hpp"

namespace {

struct tool_run {
  int status;
  std::string out;
};

tool_run run_tool(const std::string& arguments, bool with_stderr = false) {
  const std::string command = std::string(INDUCT_TOOL_PATH) + " " + arguments + (with_stderr ? " 2>&1" : " 2>/dev/null");
  const auto r = induct_test::run_shell(command);
  return {r.status, r.out};
}

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

struct workspace {
  std::filesystem::path dir;
  std::string corpus;
  std::string model;
  workspace() {
    dir = std::filesystem::temp_directory_path() / ("induct_test_nn_cli_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    corpus = (dir / "corpus.tok").string();
    model = (dir / "model.safetensors").string();
    induct::setup::write_corpus(induct::setup::world{}, 3, 6000, corpus);
  }
  [[nodiscard]] std::string train_options() const {
    return "train --corpus " + corpus + " --out " + model +
           " --layers 1 --width 16 --heads 2 --context 16 --batch 4 --lr 3e-3 --no-progress --threads 1";
  }
};

const workspace& shared() {
  static const workspace w;
  return w;
}

}  // namespace

TEST_CASE("induct train: JSON log lines, checkpoint pair, summary; resume continues the run") {
  const auto& w = shared();
  const auto r = run_tool(w.train_options() + " --steps 6 --log-every 2 --checkpoint-every 3 --json");
  REQUIRE(r.status == 0);
  const auto lines = json_lines(r.out);
  REQUIRE(lines.size() == 4);  // steps 2, 4, 6, then the summary
  CHECK(lines[0]["step"] == 2);
  CHECK(lines[2]["step"] == 6);
  CHECK(lines[1]["loss"].get<double>() > 0.0);
  CHECK(lines[0].contains("tokens_per_s"));
  const auto& summary = lines[3];
  CHECK(summary["steps"] == 6);
  CHECK(summary["validation_tokens"].get<int>() > 0);
  CHECK(std::abs(summary["validation_loss"].get<double>() - std::log(110.0)) < 1.0);  // barely trained
  CHECK(summary["config"]["vocab_size"] == 110);
  CHECK(std::filesystem::exists(w.model));
  CHECK(std::filesystem::exists(w.model + ".state"));

  // The checkpoint carries the corpus's vocabulary and world config.
  induct::nn::checkpoint_info info;
  (void)induct::nn::read_model_checkpoint<float>(w.model, &info);
  CHECK(info.step == 6);
  const auto names = nlohmann::json::parse(info.extra.at(induct::nn::checkpoint_keys::vocabulary));
  CHECK(names.size() == 110);
  CHECK(names[0] == "<d>");
  CHECK(names[6] == "e0");
  CHECK(info.extra.count(induct::nn::checkpoint_keys::setup_config) == 1);

  const auto resumed = run_tool("train --corpus " + w.corpus + " --out " + w.model + " --resume --steps 8 --log-every 1 --no-progress --json");
  REQUIRE(resumed.status == 0);
  const auto more = json_lines(resumed.out);
  REQUIRE(more.size() == 3);  // steps 7, 8, summary
  CHECK(more[0]["step"] == 7);
  CHECK(more[2]["steps"] == 8);
  CHECK(more[2]["run_id"] == summary["run_id"]);
  CHECK(more[2]["config"] == summary["config"]);  // model options defaulted from the checkpoint
  // The loss plot beside the model covers all 8 steps (the resumed run's history includes the first 6).
  const std::string plot = induct::read_text_file(w.model + ".loss.svg");
  CHECK(plot.find("Training loss of model.safetensors") != std::string::npos);
  CHECK(plot.find("mean of the last 100 steps") != std::string::npos);
  CHECK(plot.find("validation loss (end)") != std::string::npos);
}

TEST_CASE("induct generate and logits agree with the library on the trained checkpoint") {
  const auto& w = shared();
  if (!std::filesystem::exists(w.model)) REQUIRE(run_tool(w.train_options() + " --steps 4 --log-every 0").status == 0);
  auto model = induct::nn::read_model_checkpoint<float>(w.model);
  const induct::setup::vocabulary vocab;
  const auto prompt_ids = vocab.encode("<d> [ e1 :");
  const std::vector<std::int32_t> prompt(prompt_ids.begin(), prompt_ids.end());

  const auto g = run_tool("generate --model " + w.model + " --prompt '<d> [ e1 :' --max-tokens 5 --json");
  REQUIRE(g.status == 0);
  const auto gj = nlohmann::json::parse(g.out);
  CHECK(gj["prompt"] == nlohmann::json::array({"<d>", "[", "e1", ":"}));
  const auto expected = induct::nn::generate_greedy(model, prompt, 5);
  CHECK(gj["ids"].get<std::vector<std::int32_t>>() == expected.tokens);
  REQUIRE(gj["tokens"].size() == expected.tokens.size());
  for (std::size_t i = 0; i < expected.tokens.size(); ++i) CHECK(gj["tokens"][i] == vocab.name(static_cast<std::uint16_t>(expected.tokens[i])));

  const auto l = run_tool("logits --model " + w.model + " --prompt '<d> [ e1 :' --json");
  REQUIRE(l.status == 0);
  const auto lj = nlohmann::json::parse(l.out);
  CHECK(lj["tokens"] == gj["prompt"]);
  REQUIRE(lj["log_probs"].size() == 110);
  const auto log_probs = induct::nn::next_token_log_probs(model, prompt);
  double total = 0;
  for (int v = 0; v < 110; ++v) {
    const double lp = lj["log_probs"][vocab.name(static_cast<std::uint16_t>(v))].get<double>();
    CHECK(lp == doctest::Approx(log_probs[static_cast<std::size_t>(v)]).epsilon(1e-12));
    total += std::exp(lp);
  }
  CHECK(total == doctest::Approx(1.0).epsilon(1e-9));

  const auto text = run_tool("logits --model " + w.model + " --prompt '<d> [ e1 :' --top 3");
  REQUIRE(text.status == 0);
  CHECK(text.out.find("log_prob") != std::string::npos);
}

TEST_CASE("induct train/generate/logits: bad input exits 1 or 2 with a message naming it") {
  const auto& w = shared();
  if (!std::filesystem::exists(w.model)) REQUIRE(run_tool(w.train_options() + " --steps 4 --log-every 0").status == 0);
  CHECK(run_tool("train --out x.safetensors").status == 2);
  CHECK(run_tool("train --corpus " + w.corpus + " --out x --bogus 1").status == 2);
  const auto unknown = run_tool("logits --model " + w.model + " --prompt '<d> [ zz :' --json", true);
  CHECK(unknown.status == 1);
  CHECK(unknown.out.find("<prompt>:1:7: unknown token 'zz'") != std::string::npos);
  const auto no_corpus = run_tool("train --corpus " + (w.dir / "absent.tok").string() + " --out x.safetensors", true);
  CHECK(no_corpus.status == 1);
  CHECK(no_corpus.out.find("absent.tok") != std::string::npos);
  const auto mismatch = run_tool("train --corpus " + w.corpus + " --out " + w.model + " --width 32 --heads 2 --resume --steps 10", true);
  CHECK(mismatch.status == 1);
  CHECK(mismatch.out.find("mismatched checkpoint") != std::string::npos);
  CHECK(mismatch.out.find("width 16 (requested 32)") != std::string::npos);

  const auto corrupt = (w.dir / "corrupt.safetensors").string();
  std::string bytes = induct::read_text_file(w.model);
  bytes[bytes.size() - 7] = static_cast<char>(bytes[bytes.size() - 7] ^ 0x40);
  induct::write_text_atomically(corrupt, bytes);
  const auto c = run_tool("generate --model " + corrupt + " --prompt '<d>'", true);
  CHECK(c.status == 1);
  CHECK(c.out.find("corrupted checkpoint: CRC-32") != std::string::npos);
  const auto truncated = (w.dir / "truncated.safetensors").string();
  induct::write_text_atomically(truncated, bytes.substr(0, bytes.size() / 2));
  const auto t = run_tool("logits --model " + truncated + " --prompt '<d>' --json", true);
  CHECK(t.status == 1);
  CHECK(t.out.find("truncated safetensors file") != std::string::npos);
  const auto help = run_tool("train --help");
  CHECK(help.status == 0);
  CHECK(help.out.find("--checkpoint-every") != std::string::npos);
}

// Issue 15: nothing lost. A finished checkpoint is never replaced without --force; an output folder that
// cannot hold the checkpoint is refused before the first step; --resume keeps --checkpoint-every.
TEST_CASE("induct train: refuses to overwrite, checks the output folder first, resume keeps the checkpoint cadence") {
  const auto& w = shared();
  const auto dir = w.dir / "faults";
  std::filesystem::create_directories(dir);
  const std::string model = (dir / "m.safetensors").string();
  const std::string options = "train --corpus " + w.corpus +
                              " --layers 1 --width 16 --heads 2 --context 16 --batch 4 --no-progress --threads 1 --log-every 0";
  REQUIRE(run_tool(options + " --out " + model + " --steps 4 --checkpoint-every 2").status == 0);
  const std::string finished = induct::read_text_file(model);

  const auto again = run_tool(options + " --out " + model + " --steps 4", true);
  CHECK(again.status == 1);
  CHECK(again.out.find("a checkpoint is already there; continue it with --resume") != std::string::npos);
  CHECK(induct::read_text_file(model) == finished);  // untouched
  const auto both = run_tool(options + " --out " + model + " --resume --force", true);
  CHECK(both.status == 2);
  CHECK(both.out.find("--force") != std::string::npos);
  CHECK(run_tool(options + " --out " + model + " --steps 2 --checkpoint-every 2 --force").status == 0);
  induct::nn::checkpoint_info info;
  (void)induct::nn::read_model_checkpoint<float>(model, &info);
  CHECK(info.step == 2);

  // Resume without --checkpoint-every keeps the stored 2: a kill-free way to see it is the state file's record.
  REQUIRE(run_tool(options + " --out " + model + " --resume --steps 3").status == 0);
  REQUIRE(run_tool(options + " --out " + model + " --resume --steps 6").status == 0);
  const auto stored = induct::nn::read_state_trainer_json(model);
  CHECK(stored["checkpoint_every"] == 2);
  CHECK(stored["steps"] == 6);
  CHECK(induct::nn::trainer_config::from_checkpoint_json(stored).checkpoint_every == 2);

  const auto missing = run_tool(options + " --out " + (dir / "no" / "such" / "m.safetensors").string() + " --steps 3000 --json", true);
  CHECK(missing.status == 1);
  CHECK(missing.out.find("does not exist; create it before training (nothing was trained)") != std::string::npos);
  CHECK(missing.out.find("\"step\"") == std::string::npos);  // no training step ran
  CHECK_FALSE(std::filesystem::exists(dir / "no"));
}

// Issue 15: a corpus sidecar that lies is refused before training (edited world, not an object, no config,
// counts of another corpus), naming the sidecar.
TEST_CASE("induct train: a corpus sidecar that lies is refused") {
  const auto& w = shared();
  const auto dir = w.dir / "lies";
  std::filesystem::create_directories(dir);
  const std::string corpus = (dir / "c.tok").string();
  std::filesystem::copy_file(w.corpus, corpus, std::filesystem::copy_options::overwrite_existing);
  const auto original = nlohmann::json::parse(induct::read_text_file(w.corpus + ".json"));
  const std::string options = "train --corpus " + corpus + " --out " + (dir / "m.safetensors").string() +
                              " --steps 2 --layers 1 --width 16 --heads 2 --context 16 --no-progress --threads 1";
  const auto refused = [&](const std::string& sidecar_text, const std::string& message) {
    induct::write_text_atomically(corpus + ".json", sidecar_text);
    const auto r = run_tool(options, true);
    CHECK(r.status == 1);
    CHECK_MESSAGE(r.out.find(message) != std::string::npos, r.out);
    CHECK(r.out.find("c.tok.json") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "m.safetensors"));
  };
  auto edited = original;
  edited["config"]["world_seed"] = 2;
  refused(edited.dump(), "was the sidecar edited?");
  refused("[1,2,3]", "corpus sidecar must be a JSON object");
  refused("{}", "corpus sidecar has no \"tokens\" count");
  auto other = original;
  other["tokens"] = 5;
  refused(other.dump(), "corpus sidecar records tokens 5 but the token file's header says 6000");
  induct::write_text_atomically(corpus + ".json", original.dump());
  CHECK(run_tool(options).status == 0);
}

// Issue 11: the weighted loss is an explicit option of train, applied, recorded in the model and kept by --resume.
TEST_CASE("induct train: --answer-weight and --input-weight weigh the loss, are recorded and survive --resume") {
  const auto& w = shared();
  const auto dir = w.dir / "weights";
  std::filesystem::create_directories(dir);
  const std::string options = "train --corpus " + w.corpus +
                              " --layers 1 --width 16 --heads 2 --context 16 --batch 4 --no-progress --threads 1 "
                              "--log-every 1 --json --warmup 1 --decay-steps 4 --min-lr 1e-4";  // one schedule for 2 + 2 and 4 steps
  const std::string plain_model = (dir / "plain.safetensors").string();
  const std::string whole_model = (dir / "whole.safetensors").string();
  const std::string split_model = (dir / "split.safetensors").string();
  const auto plain = run_tool(options + " --out " + plain_model + " --steps 4");
  REQUIRE(plain.status == 0);
  const auto whole = run_tool(options + " --out " + whole_model + " --steps 4 --answer-weight 3 --input-weight 0");
  REQUIRE(whole.status == 0);
  const auto plain_lines = json_lines(plain.out);
  const auto whole_lines = json_lines(whole.out);
  REQUIRE(plain_lines.size() == 5);
  REQUIRE(whole_lines.size() == 5);
  // Same initialization and windows, another loss: the first step's loss already differs.
  CHECK(plain_lines[0]["loss"].get<double>() != whole_lines[0]["loss"].get<double>());
  CHECK(plain_lines[4]["loss_weights"] == nlohmann::json{{"answer", 1.0}, {"input", 1.0}});
  CHECK(whole_lines[4]["loss_weights"] == nlohmann::json{{"answer", 3.0}, {"input", 0.0}});

  induct::nn::checkpoint_info info;
  (void)induct::nn::read_model_checkpoint<float>(whole_model, &info);
  CHECK(nlohmann::json::parse(info.extra.at(induct::nn::checkpoint_keys::loss_weights)) ==
        nlohmann::json{{"answer", 3.0}, {"input", 0.0}});

  // Two steps, then --resume without the weights: the checkpoint's are used, and steps 3 and 4 are the
  // uninterrupted run's, bit for bit.
  REQUIRE(run_tool(options + " --out " + split_model + " --steps 2 --answer-weight 3 --input-weight 0").status == 0);
  const auto resumed = run_tool("train --corpus " + w.corpus + " --out " + split_model +
                                " --resume --steps 4 --log-every 1 --no-progress --json --threads 1");
  REQUIRE(resumed.status == 0);
  const auto resumed_lines = json_lines(resumed.out);
  REQUIRE(resumed_lines.size() == 3);
  CHECK(resumed_lines[0]["step"] == 3);
  CHECK(resumed_lines[0]["loss"] == whole_lines[2]["loss"]);
  CHECK(resumed_lines[1]["loss"] == whole_lines[3]["loss"]);
  CHECK(resumed_lines[2]["loss_weights"] == nlohmann::json{{"answer", 3.0}, {"input", 0.0}});

  const auto changed = run_tool("train --corpus " + w.corpus + " --out " + split_model +
                                " --resume --steps 6 --answer-weight 1 --no-progress", true);
  CHECK(changed.status != 0);
  CHECK_MESSAGE(changed.out.find("a resumed run keeps them") != std::string::npos, changed.out);

  // Without a sidecar nothing tells answers from other tokens: refused before training.
  const std::string bare = (dir / "bare.tok").string();
  std::filesystem::copy_file(w.corpus, bare, std::filesystem::copy_options::overwrite_existing);
  const auto no_sidecar = run_tool("train --corpus " + bare + " --out " + (dir / "bare.safetensors").string() +
                                   " --steps 2 --layers 1 --width 16 --heads 2 --context 16 --no-progress "
                                   "--answer-weight 3", true);
  CHECK(no_sidecar.status == 1);
  CHECK_MESSAGE(no_sidecar.out.find("needs the corpus sidecar") != std::string::npos, no_sidecar.out);
  CHECK_FALSE(std::filesystem::exists(dir / "bare.safetensors"));
  const auto negative = run_tool(options + " --out " + (dir / "neg.safetensors").string() + " --answer-weight -1", true);
  CHECK(negative.status == 2);
}
