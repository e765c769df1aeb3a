#pragma once
// The induct tool's shared parts. Every command is: parse (CLI11: each option declared once, with its
// variable, default, range and help), one library call, print (text, or one JSON object with --json).
// Errors map to exit codes in one place (main.cpp, describe): usage 2, bad input 1, internal 3, and
// 128 + signal for a run stopped by SIGINT (130) or SIGTERM (143) after saving what it had;
// with --json the error is a JSON object on stderr too.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "induct/core/error.hpp"

namespace induct::nn {
class communicator;
}

namespace induct::tool {

/// The processes of this invocation (nn/data_parallel.hpp): MPI_COMM_WORLD when the tool was built with
/// INDUCT_MPI and started by mpirun or srun (MPI is initialised on the first call), else one process.
nn::communicator& job_processes();

/// A wrong invocation (exit 2), naming the option ("--prompt") it is about.
class usage_error : public induct::error {
 public:
  usage_error(std::string option, const std::string& message)
      : error(option.empty() ? message : "option " + option + ": " + message), option_(std::move(option)) {}
  [[nodiscard]] const std::string& option() const noexcept { return option_; }

 private:
  std::string option_;
};

/// Exit codes of the tool (documented in `induct --help` and docs/cli.md).
enum exit_code : int { exit_ok = 0, exit_bad_input = 1, exit_usage = 2, exit_internal = 3, exit_interrupted_base = 128 };

/// What the chosen command runs once parsing succeeded (set by its CLI11 callback).
struct invocation {
  std::function<int()> run;
};

/// --json and --threads, on every command. --threads defaults to the machine's cores.
struct common_flags {
  bool json = false;
  int threads = 0;
  /// Applies --threads (omp_set_num_threads) and returns it.
  int apply() const;
};
void add_common_flags(CLI::App* command, common_flags& flags);

/// An integer option: decimal or exact scientific notation ("1e8"); a fraction, a value outside the type
/// (no wrap-around: 5e9 into int is refused) or outside [low, high] is a usage error naming the option.
CLI::Option* add_integer(CLI::App* command, const std::string& name, std::int64_t& value, const std::string& help,
                         std::int64_t low, std::int64_t high);
CLI::Option* add_integer(CLI::App* command, const std::string& name, int& value, const std::string& help, int low,
                         int high);
CLI::Option* add_unsigned(CLI::App* command, const std::string& name, std::uint64_t& value, const std::string& help,
                          std::uint64_t low, std::uint64_t high);
/// A finite number in [low, high].
CLI::Option* add_number(CLI::App* command, const std::string& name, double& value, const std::string& help, double low,
                        double high);
/// A list of integers: "a..b" (inclusive), one integer, or a comma list "0,1,2,4"; each in [low, high].
CLI::Option* add_int_list(CLI::App* command, const std::string& name, std::vector<int>& values, const std::string& help,
                          int low, int high);
/// One of `names` (the default shown is `value`'s initial text).
CLI::Option* add_choice(CLI::App* command, const std::string& name, std::string& value, const std::string& help,
                        const std::vector<std::string>& names);
/// Comma-separated names, each one of `allowed`, none twice.
CLI::Option* add_name_list(CLI::App* command, const std::string& name, std::vector<std::string>& values,
                           const std::string& help, const std::vector<std::string>& allowed);

/// Shortest text that reads back to x ("0.1", "1e-05").
std::string number_text(double x);
/// x with `digits` decimals, "-" when not finite.
std::string fixed(double x, int digits = 4);
/// One JSON object on stdout, on one line.
void print_json(const nlohmann::json& j);
/// A JSON object given inline ('{"a":1}') or as a file name; file_error / usage_error name `option`.
nlohmann::json read_json_argument(const std::string& option, const std::string& text);

// One function per command group, each in its own compiled unit.
void add_grammar_commands(CLI::App& app, invocation& chosen);
void add_setup_commands(CLI::App& app, invocation& chosen);
void add_theory_commands(CLI::App& app, invocation& chosen);
void add_train_command(CLI::App& app, invocation& chosen);
void add_inference_commands(CLI::App& app, invocation& chosen);
void add_demo_command(CLI::App& app, invocation& chosen);
void add_evaluate_command(CLI::App& app, invocation& chosen);
void add_sweep_command(CLI::App& app, invocation& chosen);
void add_probe_command(CLI::App& app, invocation& chosen);

/// A subcommand: `summary` is its line in the parent's list, `details` the text below its options.
inline CLI::App* add_command(CLI::App* parent, const std::string& name, const std::string& summary,
                             const std::string& details = "") {
  CLI::App* command = parent->add_subcommand(name, summary);
  if (!details.empty()) command->footer(details);
  return command;
}

/// Sets `chosen.run` to `body` when `command` is the one parsed (its options are all read by then).
inline void on_run(CLI::App* command, invocation& chosen, std::function<int()> body) {
  command->callback([&chosen, body = std::move(body)] { chosen.run = body; });
}

}  // namespace induct::tool
