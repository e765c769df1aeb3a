#pragma once
// Subcommands of the setup module for the induct tool: world, corpus, prompts.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <vector>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli/args.hpp"
#include "induct/core/atomic_file.hpp"
#include "induct/setup/corpus.hpp"
#include "induct/setup/prompt.hpp"
#include "induct/setup/tasks.hpp"
#include "induct/setup/world.hpp"

namespace induct::cli {

namespace setup_cli {

/// --option name -> config field (dashes for underscores).
struct world_option {
  const char* option;
  const char* field;
  enum { integer, real, text } kind;
};
inline const std::vector<world_option>& world_options() {
  static const std::vector<world_option> options = {
      {"entities", "entities", world_option::integer},
      {"functions", "functions", world_option::integer},
      {"bijection-fraction", "bijection_fraction", world_option::real},
      {"filler-words", "filler_words", world_option::integer},
      {"depth-continue", "depth_continue", world_option::real},
      {"max-depth", "max_depth", world_option::integer},
      {"share-fact", "share_fact", world_option::real},
      {"share-direct-list", "share_direct_list", world_option::real},
      {"share-stepwise-list", "share_stepwise_list", world_option::real},
      {"share-filler", "share_filler", world_option::real},
      {"direct-composite-rate", "direct_composite_rate", world_option::real},
      {"list-length-law", "list_length_law", world_option::text},
      {"list-length-mean", "list_length_mean", world_option::real},
      {"list-length-max", "list_length_max", world_option::integer},
      {"direct-zipf-exponent", "direct_zipf_exponent", world_option::real},
      {"stepwise-zipf-exponent", "stepwise_zipf_exponent", world_option::real},
      {"filler-length-min", "filler_length_min", world_option::integer},
      {"filler-length-max", "filler_length_max", world_option::integer},
      {"segments-per-document-mean", "segments_per_document_mean", world_option::real},
  };
  return options;
}

inline const char* world_usage =
    "world options (defaults: SPEC section 3):\n"
    "  --world-seed S                  seeds the function tables (default 1)\n"
    "  --config FILE.json              a setup config object; options below override its fields\n"
    "  --entities E (64)  --functions m (8)  --bijection-fraction (0.5)  --filler-words (32)\n"
    "  --depth-continue c (0.4)  --max-depth (4)  --direct-composite-rate (0.25)\n"
    "  --share-fact (0.5)  --share-direct-list (0.15)  --share-stepwise-list (0.2)  --share-filler (0.15)\n"
    "  --list-length-law geometric|power_law  --list-length-mean (6)  --list-length-max (32)\n"
    "  --direct-zipf-exponent (2)  --stepwise-zipf-exponent (1.5)\n"
    "  --filler-length-min (1)  --filler-length-max (8)  --segments-per-document-mean (8)\n";

inline std::set<std::string> world_option_names() {
  std::set<std::string> names{"world-seed", "config"};
  for (const auto& o : world_options()) names.insert(o.option);
  return names;
}

/// The setup config from `base` (a JSON object), --config and the world options; validated.
inline setup::setup_config config_from(const args& a, nlohmann::json base = nlohmann::json::object()) {
  if (a.has("config")) {
    const std::string path = a.get("config", "");
    try {
      base = nlohmann::json::parse(read_text_file(path));
    } catch (const nlohmann::json::exception& e) {
      throw file_error(path, std::string("config is not valid JSON: ") + e.what());
    }
  }
  for (const auto& o : world_options()) {
    if (!a.has(o.option)) continue;
    switch (o.kind) {
      case world_option::integer: base[o.field] = a.get_int(o.option, 0); break;
      case world_option::real: base[o.field] = a.get_double(o.option, 0.0); break;
      case world_option::text: base[o.field] = a.get(o.option, ""); break;
    }
  }
  if (a.has("world-seed")) base["world_seed"] = a.get_uint64("world-seed", 1);
  return setup::setup_config::from_json(base);
}

inline std::set<std::string> with_world_options(std::set<std::string> names) {
  for (const auto& n : world_option_names()) names.insert(n);
  return names;
}

}  // namespace setup_cli

inline void register_setup_commands(command_table& commands) {
  commands.push_back(command{
      "world",
      "the world of the controlled setup: entities, functions, vocabulary, fingerprint",
      std::string("usage: induct world [--world-seed S] [world options] [--json]\n\n"
                  "Prints the world: its functions as tables over entity indices, its vocabulary, its\n"
                  "config and fingerprint. --json prints {\"entities\",\"functions\":[{\"name\",\"table\",\n"
                  "\"bijection\"}],\"vocabulary\",\"config\",\"fingerprint\"}.\n\n") +
          setup_cli::world_usage,
      {},
      [](const args& a) {
        a.check(setup_cli::with_world_options({}));
        const setup::world w(setup_cli::config_from(a));
        if (a.flag("json")) {
          std::cout << dump_json(w.to_json()) << "\n";
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
      }});

  commands.push_back(command{
      "corpus",
      "sample a training corpus (token file + JSON sidecar)",
      std::string("usage: induct corpus --tokens N --out FILE [--seed S] [--world-seed W] [world options] [--json]\n\n"
                  "Samples the first N tokens (e.g. 1e8) of the document stream of the world's grammar\n"
                  "(seed S, default 1) into FILE (INDUCTTK v1: 32-byte header, uint16 little-endian tokens)\n"
                  "and FILE.json (config, seed, world fingerprint, counts of segments and of the chains\n"
                  "seen as lists). Both are written atomically; the same seed and config give\n"
                  "byte-identical files. A progress bar is drawn when stderr is a terminal; a summary\n"
                  "line (or with --json a summary object) is printed at the end.\n\n") +
          setup_cli::world_usage,
      {},
      [](const args& a) {
        a.check(setup_cli::with_world_options({"tokens", "out", "seed"}));
        const long long tokens = a.get_int("tokens", -1);
        if (tokens < 1) throw usage_error(a.has("tokens") ? "--tokens must be >= 1" : "missing required option --tokens");
        const std::string out = a.require("out");
        const std::uint64_t seed = a.get_uint64("seed", 1);
        const setup::world w(setup_cli::config_from(a));
        const auto stats = setup::write_corpus(w, seed, static_cast<std::uint64_t>(tokens), out, ::isatty(2) != 0);
        const auto sidecar = setup::corpus_sidecar_json(w, seed, stats);
        if (a.flag("json")) {
          nlohmann::json summary = {{"out", out},
                                    {"sidecar", setup::corpus_sidecar_path(out).string()},
                                    {"tokens", stats.tokens},
                                    {"documents", stats.documents},
                                    {"segments", sidecar["segments"]},
                                    {"world_fingerprint", w.fingerprint()},
                                    {"seed", seed}};
          std::cout << dump_json(summary) << "\n";
        } else {
          std::size_t chains = 0;
          for (int f = 0; f < 2; ++f) chains += stats.chains[f].size();
          std::cout << "wrote " << stats.tokens << " tokens (" << stats.documents << " documents, "
                    << stats.segments[1] + stats.segments[2] << " lists over " << chains
                    << " (format, chain) tasks) to " << out << " and " << setup::corpus_sidecar_path(out).string()
                    << " (world " << w.fingerprint() << ", seed " << seed << ")\n";
        }
        return 0;
      }});

  commands.push_back(command{
      "prompts",
      "generate ICL prompts of a task (JSON lines)",
      std::string("usage: induct prompts --task lookup|compose2|compose3|novel [--format direct|stepwise]\n"
                  "       [--examples N|A..B] [--count C] [--seed S] [--corpus FILE] [--novel-depth K]\n"
                  "       [--chain 0,3] [--out FILE.jsonl] [--world-seed W] [world options] [--json]\n\n"
                  "Writes one JSON object per line: {\"tokens\":[names],\"answer\":name,\"steps\":[names],\n"
                  "\"chain\":[function indices, applied first to last],\"depth\",\"format\",\"examples\":n,\n"
                  "\"task\",\"annotation\":[{\"role\",\"item\",\"hidden\"?}]} for each of C prompts (default\n"
                  "1000) and each example count N (default 8; a range A..B gives C prompts per N).\n"
                  "Prompt i uses the random stream (S, i): chain drawn from the task (compose2: f1, f2\n"
                  "uniform), inputs uniform without replacement when N + 1 <= E. --chain gives a\n"
                  "user-defined task (that chain; --task is then a free name, default custom).\n"
                  "novel needs --corpus: chains never seen as a list in FILE.json (the world then defaults\n"
                  "to the corpus's config and must match its fingerprint). Without --out the lines go to\n"
                  "stdout; with --out, --json prints a summary object instead.\n\n") +
          setup_cli::world_usage,
      {},
      [](const args& a) {
        a.check(setup_cli::with_world_options(
            {"task", "format", "examples", "count", "seed", "corpus", "out", "novel-depth", "chain"}));
        nlohmann::json sidecar;
        nlohmann::json base = nlohmann::json::object();
        const bool has_corpus = a.has("corpus");
        if (has_corpus) {
          sidecar = setup::read_corpus_sidecar(setup::corpus_sidecar_path(a.get("corpus", "")));
          if (sidecar.contains("config")) base = sidecar["config"];
        }
        const setup::world w(setup_cli::config_from(a, base));
        if (has_corpus && sidecar.value("world_fingerprint", std::string()) != w.fingerprint())
          throw error("corpus " + a.get("corpus", "") + " was sampled from world " +
                      sidecar.value("world_fingerprint", std::string("?")) + ", not from the selected world " +
                      w.fingerprint());
        const setup::document_model model(w.config());
        const auto format = setup::parse_list_format(a.get("format", "direct"));
        std::optional<setup::task> t;
        if (a.has("chain")) {
          setup::function_chain chain;
          for (int f : a.get_range("chain", "")) chain.push_back(f);
          t = setup::task::custom(a.get("task", "custom"), format, {chain}, model);
        } else {
          t = setup::task::by_name(a.require("task"), format, model, has_corpus ? &sidecar : nullptr,
                                   static_cast<int>(a.get_int("novel-depth", 0)));
        }
        const std::vector<int> examples = a.get_range("examples", "8");
        const long long count = a.get_int("count", 1000);
        if (count < 1) throw usage_error("--count must be >= 1");
        const std::uint64_t seed = a.get_uint64("seed", 1);
        std::string lines;
        std::size_t written = 0;
        for (int n : examples) {
          for (const auto& p : setup::generate_prompts(w, *t, n, static_cast<int>(count), seed)) {
            lines += p.to_json(w).dump();
            lines += '\n';
            ++written;
          }
        }
        if (a.has("out")) {
          write_text_atomically(a.get("out", ""), lines);
          if (a.flag("json"))
            std::cout << dump_json({{"out", a.get("out", "")}, {"prompts", written}, {"task", t->name()},
                                    {"format", setup::to_string(format)}, {"world_fingerprint", w.fingerprint()}})
                      << "\n";
          else
            std::cout << "wrote " << written << " prompts (" << t->name() << ", " << setup::to_string(format) << ") to "
                      << a.get("out", "") << "\n";
        } else {
          std::cout << lines;
        }
        return 0;
      }});
}

}  // namespace induct::cli
