#pragma once
// Subcommands of the experiment module for the induct tool.
#include "cli/args.hpp"

namespace induct::cli {

inline void register_experiment_commands(command_table& commands) {
  (void)commands;  // the experiment module's commands are added here as they land
}

}  // namespace induct::cli
