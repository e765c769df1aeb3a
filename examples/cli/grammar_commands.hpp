#pragma once
// Subcommands of the grammar module for the induct tool.
#include "cli/args.hpp"

namespace induct::cli {

inline void register_grammar_commands(command_table& commands) {
  (void)commands;  // the grammar module's commands are added here as they land
}

}  // namespace induct::cli
