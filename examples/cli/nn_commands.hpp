#pragma once
// Subcommands of the nn module for the induct tool.
#include "cli/args.hpp"

namespace induct::cli {

inline void register_nn_commands(command_table& commands) {
  (void)commands;  // the nn module's commands are added here as they land
}

}  // namespace induct::cli
