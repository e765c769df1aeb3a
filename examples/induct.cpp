// The `induct` command-line tool: one binary, subcommands grouped by module.
// Each module registers its commands from examples/cli/<module>_commands.hpp.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "cli/experiment_commands.hpp"
#include "cli/grammar_commands.hpp"
#include "cli/nn_commands.hpp"
#include "cli/setup_commands.hpp"
#include "cli/theory_commands.hpp"

namespace {

void print_overview(const induct::cli::command_table& commands) {
  std::cout << "induct: in-context learning as implicit structure induction\n\nusage: induct <command> [options]\n\n"
               "commands:\n";
  for (const auto& c : commands) std::printf("  %-18s %s\n", c.path.c_str(), c.summary.c_str());
  std::cout << "\n`induct <command> --help` describes a command; --json makes any command print JSON.\n";
}

}  // namespace

int main(int argc, char** argv) {
  induct::cli::command_table commands;
  induct::cli::register_grammar_commands(commands);
  induct::cli::register_setup_commands(commands);
  induct::cli::register_theory_commands(commands);
  induct::cli::register_nn_commands(commands);
  induct::cli::register_experiment_commands(commands);

  std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty() || words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
    print_overview(commands);
    return words.empty() ? 2 : 0;
  }
  // The longest command path that prefixes the words wins ("grammar check" before "grammar").
  const induct::cli::command* chosen = nullptr;
  std::size_t chosen_words = 0;
  for (const auto& c : commands) {
    std::vector<std::string> path;
    std::size_t start = 0;
    while (start < c.path.size()) {
      auto space = c.path.find(' ', start);
      if (space == std::string::npos) space = c.path.size();
      path.push_back(c.path.substr(start, space - start));
      start = space + 1;
    }
    if (path.size() <= words.size() && std::equal(path.begin(), path.end(), words.begin()) && path.size() > chosen_words) {
      chosen = &c;
      chosen_words = path.size();
    }
  }
  if (!chosen) {
    std::cerr << "induct: unknown command '" << words[0] << "'\n";
    print_overview(commands);
    return 2;
  }
  try {
    const induct::cli::args parsed(std::vector<std::string>(words.begin() + static_cast<long>(chosen_words), words.end()),
                                   chosen->boolean_flags);
    if (parsed.flag("help")) {
      std::cout << chosen->usage << "\n";
      return 0;
    }
    return chosen->run(parsed);
  } catch (const induct::cli::usage_error& e) {
    std::cerr << "induct " << chosen->path << ": " << e.what() << "\n\n" << chosen->usage << "\n";
    return 2;
  } catch (const induct::error& e) {
    std::cerr << "induct " << chosen->path << ": error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "induct " << chosen->path << ": internal error: " << e.what() << "\n";
    return 1;
  }
}
