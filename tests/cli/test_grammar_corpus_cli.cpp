// `induct corpus --grammar FILE` and `induct train` on its corpus: the library's bytes, the grammar recorded in the
// checkpoint, --resume, and the refusals (world options with --grammar, world commands on a grammar model);
// `induct evaluate --grammar`: a tiny trained model against the exact distribution, and its refusals.
#include <doctest/doctest.h>

#include "run_shell.hpp"

#include <algorithm>
#include <cmath>
#include <span>
#include <utility>
#include <filesystem>
#include <string>
#include <vector>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/experiment/grammar_evaluation.hpp"
#include "induct/experiment/trained_model.hpp"
#include "induct/grammar/parse.hpp"
#include "induct/nn/checkpoint.hpp"
#include "induct/setup/grammar_corpus.hpp"

namespace {

using induct_test::run_tool_one_thread;

// A geometric list of i.i.d. symbols: L -> X L 3/4 | X 1/4, X -> a 1/2 | b 1/4 | c 1/4.
const char* list_grammar = "L -> X L 0.75 | X 0.25\nX -> \"a\" 0.5 | \"b\" 0.25 | \"c\" 0.25\n";

struct scratch {
  std::filesystem::path dir = induct_test::fresh_scratch("induct_grammar_corpus_cli_", std::to_string(::getpid()));
  std::string grammar_file;
  scratch() {
    std::filesystem::create_directories(dir);
    grammar_file = (dir / "list.pcfg").string();
    induct::write_text_atomically(grammar_file, list_grammar);
  }
  ~scratch() { std::filesystem::remove_all(dir); }
  [[nodiscard]] std::string path(const std::string& name) const { return (dir / name).string(); }
};

std::string tiny_training(const std::string& corpus, const std::string& model) {
  return "train --corpus " + corpus + " --out " + model +
         " --layers 1 --width 16 --heads 2 --context 16 --batch 4 --seed 5 --log-every 1000 --no-progress --json";
}

/// The summary object: the last line of a --json run (log lines come before it).
nlohmann::json last_json_line(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  const auto start = text.rfind('\n');
  return nlohmann::json::parse(start == std::string::npos ? text : text.substr(start + 1));
}

}  // namespace

TEST_CASE("induct corpus --grammar: the library's bytes, byte-identical per seed, another seed differs") {
  const scratch s;
  const auto a = s.path("a.tok"), b = s.path("b.tok"), c = s.path("c.tok"), reference = s.path("ref.tok");
  const auto r = run_tool_one_thread("corpus --grammar " + s.grammar_file + " --tokens 5000 --seed 7 --out " + a + " --json");
  REQUIRE(r.status == 0);
  const auto summary = nlohmann::json::parse(r.output);
  REQUIRE(run_tool_one_thread("corpus --grammar " + s.grammar_file + " --tokens 5000 --seed 7 --out " + b).status == 0);
  REQUIRE(run_tool_one_thread("corpus --grammar " + s.grammar_file + " --tokens 5000 --seed 8 --out " + c).status == 0);
  const std::string bytes = induct::read_text_file(a);
  CHECK(bytes.size() == induct::setup::corpus_header_bytes + 2 * 5000);
  CHECK(bytes == induct::read_text_file(b));
  CHECK(induct::read_text_file(a + ".json") == induct::read_text_file(b + ".json"));
  CHECK(bytes != induct::read_text_file(c));

  // The tool writes what the library writes for the same grammar and seed.
  const induct::setup::corpus_grammar g(induct::grammar::parse_grammar(list_grammar));
  induct::setup::write_grammar_corpus(g, s.grammar_file, 7, 5000, reference);
  CHECK(bytes == induct::read_text_file(reference));
  CHECK(induct::read_text_file(a + ".json") == induct::read_text_file(reference + ".json"));
  CHECK(summary["grammar_fingerprint"] == g.fingerprint());
  CHECK(summary["vocabulary_size"] == 4);  // <doc>, a, b, c
  CHECK(summary["tokens"] == 5000);
  const auto sidecar = nlohmann::json::parse(induct::read_text_file(a + ".json"));
  CHECK(sidecar["source"] == "grammar");
  CHECK(sidecar["vocabulary"] == nlohmann::json({"<doc>", "a", "b", "c"}));
}

TEST_CASE("induct corpus --grammar: world options and bad grammar files are refused before anything is written") {
  const scratch s;
  const auto out = s.path("x.tok");
  for (const std::string world : {"--entities 5", "--setup '{\"entities\": 5}'", "--world-seed 2"}) {
    INFO(world);
    const auto r = run_tool_one_thread("corpus --grammar " + s.grammar_file + " --tokens 100 --out " + out + " " + world);
    CHECK(r.status == 2);
    CHECK(r.output.find("--grammar") != std::string::npos);
    CHECK(r.output.find("not both") != std::string::npos);
  }
  const auto bad = s.path("bad.pcfg");
  induct::write_text_atomically(bad, "S -> \"a\" S 0.5 | \"b\" 0.4\n");  // sums to 0.9
  const auto invalid = run_tool_one_thread("corpus --grammar " + bad + " --tokens 100 --out " + out);
  CHECK(invalid.status == 1);
  CHECK(invalid.output.find("bad.pcfg") != std::string::npos);
  const auto absent = run_tool_one_thread("corpus --grammar " + s.path("absent.pcfg") + " --tokens 100 --out " + out);
  CHECK(absent.status == 1);
  CHECK(absent.output.find("absent.pcfg") != std::string::npos);
  CHECK(!std::filesystem::exists(out));
}

TEST_CASE("induct train on a grammar corpus records the grammar; --resume continues it; world commands refuse it") {
  const scratch s;
  const auto corpus = s.path("g.tok"), model = s.path("m.safetensors");
  REQUIRE(run_tool_one_thread("corpus --grammar " + s.grammar_file + " --tokens 4000 --seed 1 --out " + corpus).status == 0);
  const auto first = run_tool_one_thread(tiny_training(corpus, model) + " --steps 4");
  REQUIRE(first.status == 0);
  const induct::setup::corpus_grammar g(induct::grammar::parse_grammar(list_grammar));
  const auto metadata = induct::experiment::read_trained_model_metadata(model);
  CHECK(metadata.config.vocab_size == 4);
  CHECK(metadata.vocabulary == g.vocabulary());
  REQUIRE(metadata.grammar_fingerprint);
  CHECK(*metadata.grammar_fingerprint == g.fingerprint());
  CHECK(metadata.grammar_text == g.text());
  CHECK(!metadata.setup);
  CHECK(!metadata.world_fingerprint);

  // --resume continues the run (same run id) to 8 steps, and keeps the grammar's records.
  const auto at_4 = induct::nn::read_model_checkpoint<float>(model);
  const auto resumed = run_tool_one_thread("train --corpus " + corpus + " --out " + model +
                                           " --resume --steps 8 --log-every 1000 --no-progress --json");
  REQUIRE(resumed.status == 0);
  CHECK(last_json_line(resumed.output)["run_id"] == last_json_line(first.output)["run_id"]);
  induct::nn::checkpoint_info info;
  const auto at_8 = induct::nn::read_model_checkpoint<float>(model, &info);
  CHECK(info.step == 8);
  CHECK(info.extra.at(induct::nn::checkpoint_keys::grammar_fingerprint) == g.fingerprint());
  CHECK(info.extra.at(induct::nn::checkpoint_keys::vocabulary) == nlohmann::json(g.vocabulary()).dump());
  CHECK(!std::equal(at_4.parameters().begin(), at_4.parameters().end(), at_8.parameters().begin(),
                    at_8.parameters().end()));

  // Commands that need a world refuse the model, naming its grammar fingerprint.
  for (const auto& command : {"evaluate --model " + model, "probe --model " + model}) {
    INFO(command);
    const auto r = run_tool_one_thread(command);
    CHECK(r.status == 1);
    CHECK(r.output.find("grammar fingerprint " + g.fingerprint()) != std::string::npos);
  }
  const auto prompts = run_tool_one_thread("prompts --corpus " + corpus);
  CHECK(prompts.status == 1);
  CHECK(prompts.output.find("sampled from a grammar") != std::string::npos);
  // The role-weighted loss has no answers to weigh in a grammar's strings.
  const auto weighted = run_tool_one_thread(tiny_training(corpus, s.path("w.safetensors")) + " --steps 2 --answer-weight 2");
  CHECK(weighted.status == 1);
  CHECK(weighted.output.find("sampled from a grammar") != std::string::npos);
  CHECK(!std::filesystem::exists(s.path("w.safetensors")));
}

TEST_CASE("induct evaluate --grammar: a tiny model trained on the geometric list reaches KL < 0.02 bits") {
  const scratch s;
  const auto corpus = s.path("g.tok"), trained = s.path("t.safetensors"), untrained = s.path("u.safetensors");
  REQUIRE(run_tool_one_thread("corpus --grammar " + s.grammar_file + " --tokens 50000 --seed 1 --out " + corpus).status == 0);
  const std::string shape = " --layers 1 --width 16 --heads 2 --context 24 --batch 8 --lr 3e-3 --seed 1 --no-progress";
  REQUIRE(run_tool_one_thread("train --corpus " + corpus + " --out " + trained + " --steps 200" + shape).status == 0);
  REQUIRE(run_tool_one_thread("train --corpus " + corpus + " --out " + untrained + " --steps 1" + shape).status == 0);
  const auto evaluate = [&](const std::string& model, const std::string& out) {
    const auto r = run_tool_one_thread("evaluate --grammar " + s.grammar_file + " --model " + model +
                                       " --samples 200 --seed 3 --json --out " + s.path(out));
    REQUIRE(r.status == 0);
    return nlohmann::json::parse(r.output);
  };
  const auto good = evaluate(trained, "good"), bad = evaluate(untrained, "bad");
  // Measured at this commit: 0.0058 bits after 200 steps, 0.12 after one (about log2 4 - H: near uniform).
  CHECK(good["metadata"]["mean_kl_bits"].get<double>() < 0.02);
  CHECK(good["metadata"]["argmax_agreement"].get<double>() > 0.95);
  CHECK(bad["metadata"]["mean_kl_bits"].get<double>() > 0.08);
  CHECK(good["metadata"]["iterated"] == nlohmann::json({"L"}));
  for (const char* file : {"by_item.csv", "by_position.csv", "positions.csv", "grammar_evaluation.json", "items.svg"})
    CHECK(std::filesystem::exists(s.path("good") + "/" + file));

  // The exact columns are the library's on the same strings, whatever the model.
  const induct::setup::corpus_grammar g(induct::grammar::parse_grammar(list_grammar));
  const auto iterated = induct::experiment::detect_iterated_nonterminals(g.grammar());
  const auto strings = induct::experiment::sample_grammar_strings(g, 200, 3, iterated);
  const auto uniform = [](std::span<const std::int32_t> tokens, std::vector<double>& out) {
    out.assign(tokens.size() * 4, std::log(0.25));
  };
  const auto reference = induct::experiment::evaluate_against_grammar(g, strings, uniform, 24, {"L"});
  const auto table = induct::experiment::result_table::from_json(good);
  REQUIRE(table.row_count() == reference.by_item.row_count());
  CHECK(good["metadata"]["strings_evaluated"] == reference.strings);
  for (std::size_t r = 0; r < table.row_count(); ++r) {
    CHECK(table.number(r, "strings") == reference.by_item.number(r, "strings"));
    CHECK(table.number(r, "exact_loss_bits") == doctest::Approx(reference.by_item.number(r, "exact_loss_bits")).epsilon(1e-12));
  }

  // --iterate X: every symbol is one X, so everything is item 1.
  const auto per_symbol = run_tool_one_thread("evaluate --grammar " + s.grammar_file + " --model " + trained +
                                              " --samples 20 --iterate X --json --out " + s.path("x"));
  REQUIRE(per_symbol.status == 0);
  const auto items = nlohmann::json::parse(per_symbol.output);
  REQUIRE(items["rows"].size() == 1);
  CHECK(items["rows"][0]["item"] == 1);

  // The user's strings, one per line; a symbol outside the vocabulary is refused at its line and column.
  const auto user = s.path("user.txt");
  induct::write_text_atomically(user, "a b c\nc\n");
  const auto own = run_tool_one_thread("evaluate --grammar " + s.grammar_file + " --model " + trained + " --strings " +
                                       user + " --json --out " + s.path("own"));
  REQUIRE(own.status == 0);
  CHECK(nlohmann::json::parse(own.output)["metadata"]["strings_evaluated"] == 2);
  induct::write_text_atomically(user, "a b c\na z\n");
  const auto outside = run_tool_one_thread("evaluate --grammar " + s.grammar_file + " --model " + trained +
                                           " --strings " + user + " --out " + s.path("own"));
  CHECK(outside.status == 1);
  CHECK(outside.output.find(user + ":2:3: 'z' is not a terminal") != std::string::npos);
}

TEST_CASE("induct evaluate --grammar refuses a model of another grammar, a world model, and mixed options") {
  const scratch s;
  const auto corpus = s.path("g.tok"), model = s.path("m.safetensors");
  REQUIRE(run_tool_one_thread("corpus --grammar " + s.grammar_file + " --tokens 2000 --out " + corpus).status == 0);
  REQUIRE(run_tool_one_thread(tiny_training(corpus, model) + " --steps 2").status == 0);
  const auto other = s.path("other.pcfg");
  induct::write_text_atomically(other, "L -> X L 0.5 | X 0.5\nX -> \"a\" 0.5 | \"b\" 0.25 | \"c\" 0.25\n");
  const induct::setup::corpus_grammar trained_on(induct::grammar::parse_grammar(list_grammar));
  const induct::setup::corpus_grammar given(induct::grammar::parse_grammar(induct::read_text_file(other)));
  const auto refused = run_tool_one_thread("evaluate --grammar " + other + " --model " + model + " --out " + s.path("o"));
  CHECK(refused.status == 1);
  CHECK(refused.output.find("trained on grammar " + trained_on.fingerprint()) != std::string::npos);
  CHECK(refused.output.find("not on the given grammar " + given.fingerprint()) != std::string::npos);
  CHECK(!std::filesystem::exists(s.path("o")));

  const auto world_corpus = s.path("w.tok"), world_model = s.path("w.safetensors");
  REQUIRE(run_tool_one_thread("corpus --tokens 2000 --entities 6 --functions 2 --max-depth 2 --out " + world_corpus).status == 0);
  REQUIRE(run_tool_one_thread(tiny_training(world_corpus, world_model) + " --steps 1").status == 0);
  const auto world = run_tool_one_thread("evaluate --grammar " + s.grammar_file + " --model " + world_model);
  CHECK(world.status == 1);
  CHECK(world.output.find("trained in a world") != std::string::npos);

  const std::string base = "evaluate --model " + model;
  for (const auto& [arguments, option] : std::vector<std::pair<std::string, std::string>>{
           {" --grammar " + s.grammar_file + " --strings x.txt --samples 3", "--strings"},
           {" --samples 3", "--samples"},
           {" --iterate L", "--iterate"},
           {" --grammar " + s.grammar_file + " --tasks lookup", "--tasks"},
           {" --grammar " + s.grammar_file + " --entities 5", "--grammar"},
           {" --model " + model + " --grammar " + s.grammar_file, "--model"}}) {
    INFO(arguments);
    const auto r = run_tool_one_thread(base + arguments);
    CHECK(r.status == 2);
    CHECK(r.output.find("option " + option) != std::string::npos);
  }
}
