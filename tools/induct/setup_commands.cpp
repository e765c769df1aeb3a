// induct world | corpus | prompts: the controlled setup of SPEC section 3.
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <unistd.h>

#include "config_options.hpp"
#include "induct/core/atomic_file.hpp"
#include "induct/core/interrupt.hpp"
#include "induct/core/resources.hpp"
#include "induct/grammar/parse.hpp"
#include "induct/setup/corpus.hpp"
#include "induct/setup/grammar_corpus.hpp"
#include "induct/setup/prompt.hpp"
#include "induct/setup/tasks.hpp"
#include "induct/setup/world.hpp"
#include "tool.hpp"

namespace induct::tool {
namespace {

constexpr std::uint64_t max_seed = std::numeric_limits<std::uint64_t>::max();

void add_world(CLI::App& app, invocation& chosen) {
  auto* command = add_command(&app, "world", "the world of the controlled setup: functions, vocabulary, fingerprint",
                              "Prints the world: its functions as tables over entity indices, its vocabulary, its "
                              "config and fingerprint.\nJSON: {\"entities\",\"functions\":[{\"name\",\"table\","
                              "\"bijection\"}],\"vocabulary\",\"config\",\"fingerprint\"}");
  struct options {
    common_flags flags;
    std::optional<world_options> world;
  };
  auto o = std::make_shared<options>();
  add_common_flags(command, o->flags);
  o->world.emplace(command);
  on_run(command, chosen, [o] {
    o->flags.apply();
    const setup::world w(o->world->resolve());
    if (o->flags.json) {
      print_json(w.to_json());
      return 0;
    }
    const auto& v = w.vocab();
    std::cout << "world " << w.fingerprint() << ": " << w.entity_count() << " entities, " << w.function_count()
              << " functions, " << v.filler_count() << " filler words, vocabulary " << v.size() << " tokens\n";
    for (int f = 0; f < w.function_count(); ++f) {
      std::cout << v.name(v.relation(f)) << (w.is_bijection(f) ? " (bijection):" : " (many-to-one):");
      for (int x = 0; x < w.entity_count(); ++x) std::cout << ' ' << w.apply(f, x);
      std::cout << "\n";
    }
    return 0;
  });
}

/// `induct corpus --grammar FILE`: documents of a user's PCFG between <doc> boundaries (setup/grammar_corpus.hpp).
int write_grammar_corpus_command(const std::string& grammar_file, std::uint64_t seed, std::uint64_t tokens,
                                 const std::string& out, bool json) {
  const setup::corpus_grammar g(grammar::read_grammar_file(grammar_file));
  const auto stats = setup::write_grammar_corpus(g, grammar_file, seed, tokens, out, ::isatty(2) != 0);
  if (json) {
    print_json({{"out", out},
                {"sidecar", setup::corpus_sidecar_path(out).string()},
                {"tokens", stats.tokens},
                {"documents", stats.documents},
                {"complete_documents", stats.complete_documents},
                {"document_length_mean", stats.document_length_mean},
                {"vocabulary_size", g.vocabulary_size()},
                {"grammar_fingerprint", g.fingerprint()},
                {"seed", seed}});
  } else {
    std::cout << "wrote " << stats.tokens << " tokens (" << stats.documents << " documents, mean length "
              << fixed(stats.document_length_mean, 2) << " over the " << stats.complete_documents
              << " complete ones, vocabulary of " << g.vocabulary_size() << " tokens with <doc>) to " << out << " and "
              << setup::corpus_sidecar_path(out).string() << " (grammar " << g.fingerprint() << ", seed " << seed
              << ")\n";
  }
  return 0;
}

void add_corpus(CLI::App& app, invocation& chosen) {
  auto* command = add_command(
      &app, "corpus", "sample a training corpus (token file + JSON sidecar), of the world or of a grammar file",
      "Samples the first --tokens tokens (e.g. 1e8) of the document stream of the world's grammar into FILE "
      "(INDUCTTK v1: 32-byte header, uint16 little-endian tokens) and FILE.json (config, seed, world fingerprint, "
      "counts of segments and of the chains seen as lists). Both are written atomically; the same seed and config "
      "give byte-identical files. A progress bar is drawn when stderr is a terminal.\nWith --grammar FILE the "
      "documents are strings of that PCFG instead, each between <doc> boundary tokens (token 0; token k the k-th "
      "terminal), and the sidecar records the grammar's canonical text, its fingerprint and the vocabulary "
      "(docs/grammars.md); the world options are then refused.\nJSON: {\"out\",\"sidecar\","
      "\"tokens\",\"documents\",\"segments\",\"world_fingerprint\",\"seed\"}; with --grammar {\"out\",\"sidecar\","
      "\"tokens\",\"documents\",\"complete_documents\",\"document_length_mean\",\"vocabulary_size\","
      "\"grammar_fingerprint\",\"seed\"}");
  struct options {
    common_flags flags;
    std::uint64_t tokens = 0;
    std::string out, grammar_file;
    std::uint64_t seed = 1;
    std::optional<world_options> world;
  };
  auto o = std::make_shared<options>();
  add_unsigned(command, "--tokens", o->tokens, "corpus length in tokens", 1, std::uint64_t{1} << 50)->required();
  command->add_option("--out", o->out, "token file to write (its sidecar is FILE.json)")->required();
  add_unsigned(command, "--seed", o->seed, "corpus seed", 0, max_seed);
  command->add_option("--grammar", o->grammar_file,
                      "a PCFG file (docs/grammar-format.md): sample its strings instead of the world's documents")
      ->type_name("FILE");
  add_common_flags(command, o->flags);
  o->world.emplace(command);
  on_run(command, chosen, [o] {
    o->flags.apply();
    const bool from_grammar = !o->grammar_file.empty();
    if (from_grammar && o->world->given())
      throw usage_error("--grammar", "a corpus of a grammar file has no world: give --grammar or world options "
                                     "(--setup, --entities, ...), not both");
    require_disk(static_cast<double>(setup::corpus_header_bytes) + 2.0 * static_cast<double>(o->tokens), o->out,
                 "a corpus of " + std::to_string(o->tokens) + " tokens");
    install_interrupt_handlers();  // Ctrl-C: no partial file, exit 130 (setup/corpus.hpp)
    if (from_grammar) return write_grammar_corpus_command(o->grammar_file, o->seed, o->tokens, o->out, o->flags.json);
    const setup::world w(o->world->resolve());
    const auto stats = setup::write_corpus(w, o->seed, o->tokens, o->out, ::isatty(2) != 0);
    const auto sidecar = setup::corpus_sidecar_json(w, o->seed, stats);
    if (o->flags.json) {
      print_json({{"out", o->out},
                  {"sidecar", setup::corpus_sidecar_path(o->out).string()},
                  {"tokens", stats.tokens},
                  {"documents", stats.documents},
                  {"segments", sidecar["segments"]},
                  {"world_fingerprint", w.fingerprint()},
                  {"seed", o->seed}});
    } else {
      std::size_t chains = 0;
      for (int f = 0; f < 2; ++f) chains += stats.chains[f].size();
      std::cout << "wrote " << stats.tokens << " tokens (" << stats.documents << " documents, "
                << stats.segments[1] + stats.segments[2] << " lists over " << chains << " (format, chain) tasks) to "
                << o->out << " and " << setup::corpus_sidecar_path(o->out).string() << " (world " << w.fingerprint()
                << ", seed " << o->seed << ")\n";
    }
    return 0;
  });
}

void add_prompts(CLI::App& app, invocation& chosen) {
  auto* command = add_command(
      &app, "prompts", "generate ICL prompts of a task (JSON lines)",
      "Writes one JSON object per line: {\"tokens\":[names],\"answer\":name,\"steps\":[names],\"chain\":[function "
      "indices, applied first to last],\"depth\",\"format\",\"examples\":n,\"task\",\"annotation\":[...]} for each "
      "of --prompts prompts and each n of --examples. Prompt i uses the random stream (seed, i): chain drawn from "
      "the task (compose2: f1, f2 uniform), inputs uniform without replacement when n + 1 <= E. --chain gives a "
      "user-defined task (that chain; --task is then a free name). Tasks novel2, novel3, ... pose the held-out "
      "chains of that depth (novel: the smallest held-out depth), which a corpus of this world never uses in a list; "
      "with --corpus the world defaults to the corpus's, and must be it (a corpus whose world holds nothing out: "
      "the chains its lists never used). Without --out the lines go to "
      "stdout; with --out, --json prints a summary object.");
  struct options {
    common_flags flags;
    std::string task = "lookup";
    std::string format = "direct";
    std::vector<int> examples{8};
    std::int64_t prompts = 1000;
    std::uint64_t seed = 1;
    std::string corpus, out;
    std::vector<int> chain;
    std::optional<world_options> world;
  };
  auto o = std::make_shared<options>();
  command->add_option("--task", o->task, "lookup, compose2, compose3, novel2, novel3, ... (or a free name with --chain)")
      ->capture_default_str();
  add_choice(command, "--format", o->format, "list format", {"direct", "stepwise"});
  add_int_list(command, "--examples", o->examples, "example counts n: a..b, n, or a comma list", 0, 100000);
  add_integer(command, "--prompts", o->prompts, "prompts per n", 1, 100000000);
  add_unsigned(command, "--seed", o->seed, "prompt seed", 0, max_seed);
  command->add_option("--corpus", o->corpus, "a training corpus: its world (held-out chains included) is the default");
  add_int_list(command, "--chain", o->chain, "a user-defined chain of function indices, applied first to last", 0,
               65535);
  command->add_option("--out", o->out, "JSON-lines file to write (atomically) instead of stdout");
  add_common_flags(command, o->flags);
  o->world.emplace(command);
  on_run(command, chosen, [o, command] {
    o->flags.apply();
    nlohmann::json sidecar;
    setup::setup_config base;
    const bool has_corpus = !o->corpus.empty();
    if (has_corpus) {
      const auto sidecar_path = setup::corpus_sidecar_path(o->corpus);
      sidecar = setup::read_corpus_sidecar(sidecar_path);
      base = setup::corpus_sidecar_setup(sidecar, sidecar_path);
    }
    const setup::world w(o->world->resolve(base));
    if (has_corpus && sidecar["world_fingerprint"].get<std::string>() != w.fingerprint())
      throw error("corpus " + o->corpus + " was sampled from world " + sidecar["world_fingerprint"].get<std::string>() +
                  ", not from the selected world " + w.fingerprint());
    const setup::document_model model(w.config());
    const auto format = setup::parse_list_format(o->format);
    const setup::task t = command->count("--chain") > 0
                              ? setup::task::custom(command->count("--task") ? o->task : "custom", format,
                                                    {setup::function_chain(o->chain.begin(), o->chain.end())}, model)
                              : setup::task::by_name(o->task, format, model, has_corpus ? &sidecar : nullptr);
    double bytes = 0;  // about 8 bytes per token of JSON, 4 tokens per example
    for (int n : o->examples) bytes += static_cast<double>(o->prompts) * (200.0 + 40.0 * n);
    require_memory(bytes, "writing " + std::to_string(o->prompts) + " prompts per n");
    std::string lines;
    std::size_t written = 0;
    for (int n : o->examples)
      for (const auto& p : setup::generate_prompts(w, t, n, static_cast<int>(o->prompts), o->seed)) {
        lines += p.to_json(w).dump();
        lines += '\n';
        ++written;
      }
    if (o->out.empty()) {
      std::cout << lines;
      return 0;
    }
    write_text_atomically(o->out, lines);
    if (o->flags.json)
      print_json({{"out", o->out}, {"prompts", written}, {"task", t.name()}, {"format", setup::to_string(format)},
                  {"world_fingerprint", w.fingerprint()}});
    else
      std::cout << "wrote " << written << " prompts (" << t.name() << ", " << setup::to_string(format) << ") to "
                << o->out << "\n";
    return 0;
  });
}

}  // namespace

void add_setup_commands(CLI::App& app, invocation& chosen) {
  add_world(app, chosen);
  add_corpus(app, chosen);
  add_prompts(app, chosen);
}

}  // namespace induct::tool
