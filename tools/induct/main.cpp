// The `induct` command-line tool: one binary, a subcommand per task, each declared in the compiled unit of
// its group (tool.hpp). This unit builds the command tree, parses, runs the chosen command, and maps every
// failure to an exit code and a message (text, or JSON on stderr with --json) in one place.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "induct/nn/data_parallel.hpp"
#include "tool.hpp"
#include "version.hpp"

namespace induct::tool {
namespace {

std::string version_text() {
  std::string text = std::string("induct ") + project_version;
  if (*git_commit) text += std::string(" (git ") + git_commit + ")";
  return text;
}

/// The kind, message and location of a failure, and its exit code: the tool's one mapping.
struct failure {
  int code;
  std::string kind;
  std::string message;
  nlohmann::json where = nlohmann::json::object();
};

failure describe(const std::exception& e) {
  if (const auto* u = dynamic_cast<const usage_error*>(&e)) {
    failure f{exit_usage, "usage", u->what()};
    if (!u->option().empty()) f.where["option"] = u->option();
    return f;
  }
  if (const auto* i = dynamic_cast<const interrupted*>(&e))  // 128 + signal, as a shell reports a signal
    return {exit_interrupted_base + i->signal_number(), "interrupted", i->what(), {{"signal", i->signal_number()}}};
  if (const auto* p = dynamic_cast<const parse_error*>(&e))
    return {exit_bad_input, "parse", p->what(), {{"source", p->source()}, {"line", p->line()}, {"column", p->column()}}};
  if (const auto* c = dynamic_cast<const config_error*>(&e))
    return {exit_bad_input, "config", c->what(), {{"field", c->field()}}};
  if (const auto* file = dynamic_cast<const file_error*>(&e))
    return {exit_bad_input, "file", file->what(), {{"path", file->path()}}};
  if (const auto* r = dynamic_cast<const resource_error*>(&e))
    return {exit_bad_input, "resource", r->what(), {{"needed_bytes", r->needed_bytes()}, {"available_bytes", r->available_bytes()}}};
  if (dynamic_cast<const grammar_error*>(&e)) return {exit_bad_input, "grammar", e.what()};
  if (dynamic_cast<const induct::error*>(&e)) return {exit_bad_input, "input", e.what()};
  if (dynamic_cast<const std::bad_alloc*>(&e))
    return {exit_internal, "internal", "out of memory (an input the size checks did not catch): please report it"};
  return {exit_internal, "internal", std::string("internal error: ") + e.what()};
}

#if defined(INDUCT_MPI) && INDUCT_MPI
std::unique_ptr<nn::mpi_communicator>& mpi_job() {
  static std::unique_ptr<nn::mpi_communicator> job;  // finalized at exit
  return job;
}
#endif

/// Exits a multi-rank job as a whole on failure (the other ranks may wait in a collective), else `code`.
int end_job(int code) {
#if defined(INDUCT_MPI) && INDUCT_MPI
  if (code != 0 && mpi_job() && mpi_job()->size() > 1) MPI_Abort(MPI_COMM_WORLD, code);
#endif
  return code;
}

int report(const failure& f, const std::string& command, bool json) {
  if (json) {
    nlohmann::json error = {{"kind", f.kind}, {"message", f.message}, {"exit_code", f.code}};
    if (!f.where.empty()) error["where"] = f.where;
    if (!command.empty()) error["command"] = command;
    std::cerr << nlohmann::json{{"error", error}}.dump() << "\n";
  } else {
    std::cerr << "induct" << (command.empty() ? "" : " " + command) << ": " << (f.kind == "usage" ? "" : "error: ")
              << f.message << "\n";
    if (f.code == exit_usage) std::cerr << "run `induct " << (command.empty() ? "" : command + " ") << "--help` for the options\n";
  }
  return end_job(f.code);
}

/// "grammar check" for the deepest parsed subcommand.
std::string command_path(const CLI::App& app) {
  std::string path;
  const CLI::App* at = &app;
  while (true) {
    const auto chosen = at->get_subcommands();
    if (chosen.empty()) break;
    at = chosen.front();
    path += (path.empty() ? "" : " ") + at->get_name();
  }
  return path;
}

}  // namespace

nn::communicator& job_processes() {
#if defined(INDUCT_MPI) && INDUCT_MPI
  const bool launched = std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMIX_RANK") || std::getenv("PMI_SIZE");
  if (!mpi_job() && launched) mpi_job() = std::make_unique<nn::mpi_communicator>(nullptr, nullptr);
  if (mpi_job()) return *mpi_job();
#endif
  return nn::single_process();
}

}  // namespace induct::tool

int main(int argc, char** argv) {
  using namespace induct::tool;
  bool json = false;  // known before parsing, so that usage errors are JSON too
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--json") == 0) json = true;

  CLI::App app("induct: in-context learning as implicit structure induction", "induct");
  app.set_version_flag("--version", version_text(), "print the version (and git commit) and exit");
  app.require_subcommand(1);
  app.footer(
      "`induct CMD --help` (or `induct help CMD`) describes a command. Exit status: 0 success, 1 bad input "
      "(a file, config or value the command refuses), 2 usage (unknown or malformed options), 3 internal error. "
      "With --json, results are one JSON object on stdout and errors {\"error\":{\"kind\",\"message\",\"where\"}} on "
      "stderr.");
  app.option_defaults()->always_capture_default();
  invocation chosen;
  add_grammar_commands(app, chosen);
  add_setup_commands(app, chosen);
  add_theory_commands(app, chosen);
  add_train_command(app, chosen);
  add_inference_commands(app, chosen);
  add_demo_command(app, chosen);
  add_evaluate_command(app, chosen);
  add_sweep_command(app, chosen);
  add_probe_command(app, chosen);

  // `induct help [CMD ...]`: the help of that command.
  std::vector<std::string> help_words;
  auto* help = app.add_subcommand("help", "describe a command: induct help CMD [SUBCMD]");
  help->add_option("command", help_words, "the command's words, e.g. grammar check");
  help->callback([&] {
    const CLI::App* at = &app;
    std::string prefix;  // "induct grammar" for `help grammar check`, as `grammar check --help` prints it
    for (const auto& word : help_words) {
      prefix += (prefix.empty() ? "" : " ") + at->get_name();
      try {
        at = at->get_subcommand(word);
      } catch (const CLI::OptionNotFound&) {
        throw usage_error("", "unknown command '" + word + "'");
      }
    }
    std::cout << at->help(help_words.empty() ? "" : prefix);
    chosen.run = [] { return 0; };
  });

  if (argc == 1) {
    std::cout << app.help();
    return exit_usage;
  }
  if (argv[1][0] != '-') {  // CLI11 would only say "A subcommand is required"
    bool known = false;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
      known = known || sub->check_name(argv[1]);
    if (!known) return report({exit_usage, "usage", std::string("unknown command '") + argv[1] + "'"}, "", json);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help (of the deepest command given), --version
    return report({exit_usage, "usage", e.what()}, command_path(app), json);
  } catch (const std::exception& e) {
    return report(describe(e), command_path(app), json);
  }
  try {
    return chosen.run ? chosen.run() : 0;
  } catch (const std::exception& e) {
    return report(describe(e), command_path(app), json);
  }
}
