#pragma once
// Subcommands of the theory module for the induct tool.
#include "cli/args.hpp"

namespace induct::cli {

inline void register_theory_commands(command_table& commands) {
  (void)commands;  // the theory module's commands are added here as they land
}

}  // namespace induct::cli
