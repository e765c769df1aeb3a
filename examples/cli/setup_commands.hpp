#pragma once
// Subcommands of the setup module for the induct tool.
#include "cli/args.hpp"

namespace induct::cli {

inline void register_setup_commands(command_table& commands) {
  (void)commands;  // the setup module's commands are added here as they land
}

}  // namespace induct::cli
