#pragma once
// Definitions for experiment/slurm.hpp (see induct/core/linkage.hpp for the two modes).
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "induct/core/atomic_file.hpp"
#include "induct/core/error.hpp"
#include "induct/core/fields.hpp"
#include "induct/experiment/design.hpp"
#include "induct/experiment/learning_curve.hpp"
#include "induct/experiment/pipeline.hpp"
#include "induct/experiment/scaling.hpp"
#include "induct/experiment/slurm.hpp"
#include "induct/experiment/sweep.hpp"
#include "induct/nn/data_parallel.hpp"
#include "induct/nn/gpt_config.hpp"
#include "induct/setup/world.hpp"

extern char** environ;

namespace induct::experiment {

namespace slurm_detail {

/// A design point carries its run_config under "run"; a scaling point does not.
inline bool is_design_point(const nlohmann::json& point) { return point.is_object() && point.contains("run"); }

inline bool is_slurm_word(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  });
}

/// "1.23e+12" for the FLOPs comment lines.
inline std::string scientific(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3g", x);
  return buffer;
}

/// The #SBATCH lines every job of the plan shares: name, partition, account.
inline std::string shared_directives(const slurm_plan& plan, const std::string& job_name) {
  std::string text = "#SBATCH --job-name=";
  text += job_name;
  text += '\n';
  if (!plan.resources.partition.empty()) {
    text += "#SBATCH --partition=";
    text += plan.resources.partition;
    text += '\n';
  }
  if (!plan.resources.account.empty()) {
    text += "#SBATCH --account=";
    text += plan.resources.account;
    text += '\n';
  }
  return text;
}

/// `induct sweep --grid G --out DIR` with the paths quoted, the start of every job's command.
inline std::string sweep_command_line(const slurm_plan& plan) {
  std::string text = shell_quote(plan.paths.tool.string());
  text += " sweep --grid ";
  text += shell_quote(plan.paths.grid_file.string());
  text += " --out ";
  text += shell_quote(plan.paths.directory.string());
  return text;
}

/// An #SBATCH --output pattern in DIR/slurm/logs (Slurm writes there; the folder must exist).
inline std::string log_directive(const slurm_plan& plan, const std::string& pattern) {
  // Slurm does not unquote directive values: a path with a space or a quote cannot be a directive.
  const std::string path = (plan.paths.directory / "slurm" / "logs" / pattern).string();
  if (path.find_first_of(" \t\n'\"\\") != std::string::npos)
    throw config_error("out", "the sweep directory '" + plan.paths.directory.string() +
                                  "' holds a space, quote or backslash, which #SBATCH --output cannot take");
  std::string text = "#SBATCH --output=";
  text += path;
  text += '\n';
  return text;
}

}  // namespace slurm_detail

INDUCT_DEFINE void slurm_config::validate() const {
  check_field_bounds(*this);
  if (!slurm_detail::is_slurm_word(partition))
    throw config_error("partition", "must be a Slurm name of letters, digits, '_', '.' or '-', got '" + partition + "'");
  if (!slurm_detail::is_slurm_word(account))
    throw config_error("account", "must be a Slurm name of letters, digits, '_', '.' or '-', got '" + account + "'");
}

INDUCT_DEFINE nlohmann::json slurm_config::to_json() const { return fields_to_json(*this); }

INDUCT_DEFINE slurm_config slurm_config::from_json(const nlohmann::json& j) {
  slurm_config c;
  fields_from_json(c, j);
  c.validate();
  return c;
}

INDUCT_DEFINE std::vector<nlohmann::json> sweep_grid_points(const nlohmann::json& grid) {
  return is_design_grid(grid) ? design_points(grid) : grid_points(grid);
}

INDUCT_DEFINE run_config sweep_point_run(const nlohmann::json& point) {
  return slurm_detail::is_design_point(point) ? run_config::from_json(point.at("run")) : point_run_config(point);
}

INDUCT_DEFINE std::string sweep_point_label(const nlohmann::json& point) {
  if (slurm_detail::is_design_point(point)) return design_point_label(point);
  std::string label = model_label(point);
  label += ", ";
  label += token_label(point.at("tokens").get<std::uint64_t>());
  label += " tokens, seed ";
  label += std::to_string(point.at("seed").get<std::uint64_t>());
  return label;
}

INDUCT_DEFINE nlohmann::json run_grid_point(const nlohmann::json& point, const std::filesystem::path& directory,
                                           nn::communicator* processes) {
  return slurm_detail::is_design_point(point) ? run_design_point(point, directory, processes)
                                              : run_sweep_point(point, directory, processes);
}

INDUCT_DEFINE sweep_summary run_point_in_job(sweep_runner& runner, const nlohmann::json& point,
                                             nn::communicator& processes) {
  if (processes.rank() == 0 || runner.finished_result(point))
    return runner.run({point}, [&](const nlohmann::json& p) { return run_grid_point(p, runner.directory(), &processes); });
  const auto scratch = std::filesystem::temp_directory_path() /
                       ("induct-point-rank" + std::to_string(processes.rank()) + "-" + std::to_string(::getpid()));
  sweep_runner private_runner(scratch);
  sweep_summary summary;
  try {
    summary = private_runner.run({point}, [&](const nlohmann::json& p) { return run_grid_point(p, scratch, &processes); });
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove_all(scratch, ec);
    throw;
  }
  std::error_code ec;
  std::filesystem::remove_all(scratch, ec);
  return summary;
}

INDUCT_DEFINE result_table write_grid_outputs(const sweep_runner& runner, const std::vector<nlohmann::json>& points,
                                              const nlohmann::json& grid) {
  return is_design_grid(grid) ? write_design_outputs(runner, points, grid) : write_sweep_outputs(runner, points, grid);
}

INDUCT_DEFINE const nlohmann::json& sweep_point_at(const std::vector<nlohmann::json>& points, std::int64_t index) {
  if (index < 0 || static_cast<std::uint64_t>(index) >= points.size())
    throw config_error("point", "index " + std::to_string(index) + " is outside the grid, whose " +
                                    std::to_string(points.size()) + " points are 0 to " +
                                    std::to_string(static_cast<std::int64_t>(points.size()) - 1));
  return points[static_cast<std::size_t>(index)];
}

INDUCT_DEFINE std::vector<std::size_t> missing_points(const sweep_runner& runner,
                                                      const std::vector<nlohmann::json>& points) {
  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < points.size(); ++i)
    if (!runner.finished_result(points[i])) missing.push_back(i);
  return missing;
}

INDUCT_DEFINE result_table assemble_sweep(const sweep_runner& runner, const std::vector<nlohmann::json>& points,
                                          const nlohmann::json& grid) {
  const auto missing = missing_points(runner, points);
  if (!missing.empty()) {
    std::string message = "cannot assemble " + runner.directory().string() + ": " + std::to_string(missing.size()) +
                          " of " + std::to_string(points.size()) + " points are missing:";
    for (std::size_t i : missing) {
      message += "\n  point ";
      message += std::to_string(i);
      message += " (";
      message += point_key(points[i]);
      message += "): ";
      message += sweep_point_label(points[i]);
    }
    message += "\nrun them (induct sweep --point K, or --slurm --submit again), then --assemble";
    throw error(message);
  }
  return write_grid_outputs(runner, points, grid);
}

INDUCT_DEFINE point_work estimate_point_work(const nlohmann::json& point) {
  run_config run = sweep_point_run(point);
  run.model.vocab_size = static_cast<int>(setup::world(run.setup).vocab().size());  // as run_experiment sets it
  const learning_curve_config curve =
      point.contains("curve") ? learning_curve_config::from_json(point.at("curve")) : learning_curve_config{};
  const double per_token = nn::training_flops_per_token(run.model);
  const double context = run.model.context_length, tasks = static_cast<double>(run.tasks.size());
  point_work work;
  work.training_flops = static_cast<double>(run.training.steps) * run.training.batch * context * per_token;
  // Forward only (a third of a training step), each prompt taken at the full context: an upper bound.
  work.evaluation_flops = tasks * static_cast<double>(run.evaluation.examples.size()) * run.evaluation.prompts *
                          context * per_token / 3;
  if (curve.enabled()) {
    const double checkpoints = std::floor(static_cast<double>(run.training.steps) / static_cast<double>(curve.every)) + 2;
    work.evaluation_flops +=
        checkpoints * tasks * static_cast<double>(curve.examples.size()) * curve.prompts * context * per_token / 3;
  }
  return work;
}

INDUCT_DEFINE std::int64_t time_class_seconds(double seconds) {
  if (!(seconds <= static_cast<double>(longest_time_limit_seconds)))
    throw config_error("time limit", "an estimate of " + slurm_detail::scientific(seconds) +
                                         " s is beyond a year: check the grid, or raise --flops-per-second");
  std::int64_t limit = shortest_time_class_seconds;
  while (static_cast<double>(limit) < seconds) limit *= 2;
  return limit;
}

INDUCT_DEFINE std::string slurm_time(std::int64_t seconds) {
  const std::int64_t days = seconds / 86400, hours = seconds % 86400 / 3600, minutes = seconds % 3600 / 60,
                     rest = seconds % 60;
  char buffer[48];
  if (days > 0)
    std::snprintf(buffer, sizeof buffer, "%lld-%02lld:%02lld:%02lld", static_cast<long long>(days),
                  static_cast<long long>(hours), static_cast<long long>(minutes), static_cast<long long>(rest));
  else
    std::snprintf(buffer, sizeof buffer, "%02lld:%02lld:%02lld", static_cast<long long>(hours),
                  static_cast<long long>(minutes), static_cast<long long>(rest));
  return buffer;
}

INDUCT_DEFINE std::string slurm_index_list(const std::vector<std::size_t>& indices) {
  std::string text;
  for (std::size_t i = 0; i < indices.size();) {
    std::size_t j = i;
    while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1) ++j;
    if (!text.empty()) text += ',';
    text += std::to_string(indices[i]);
    if (j > i) {
      text += '-';
      text += std::to_string(indices[j]);
    }
    i = j + 1;
  }
  return text;
}

INDUCT_DEFINE slurm_plan plan_slurm_sweep(const std::vector<nlohmann::json>& points,
                                          const std::vector<std::size_t>& missing, const slurm_config& resources,
                                          const slurm_paths& paths) {
  resources.validate();
  slurm_plan plan;
  plan.resources = resources;
  plan.paths = paths;
  plan.total_points = points.size();
  for (std::size_t index : missing) {
    const auto& point = sweep_point_at(points, static_cast<std::int64_t>(index));
    point_estimate e;
    e.index = index;
    e.key = point_key(point);
    e.label = sweep_point_label(point);
    e.work = estimate_point_work(point);
    e.estimate_seconds = resources.safety_factor * (e.work.training_flops + e.work.evaluation_flops) /
                             resources.task_flops_per_second() +
                         resources.overhead_seconds;
    e.limit_seconds = time_class_seconds(e.estimate_seconds);
    plan.missing.push_back(std::move(e));
  }
  std::sort(plan.missing.begin(), plan.missing.end(),
            [](const point_estimate& a, const point_estimate& b) { return a.index < b.index; });
  for (std::size_t i = 1; i < plan.missing.size(); ++i)
    if (plan.missing[i].index == plan.missing[i - 1].index)
      throw config_error("point", "index " + std::to_string(plan.missing[i].index) + " is listed twice as missing");
  for (const auto& e : plan.missing) {
    auto array = std::find_if(plan.arrays.begin(), plan.arrays.end(),
                              [&](const slurm_array& a) { return a.limit_seconds == e.limit_seconds; });
    if (array == plan.arrays.end()) array = plan.arrays.insert(plan.arrays.end(), slurm_array{e.limit_seconds, {}});
    array->indices.push_back(e.index);
  }
  // Longest first: the long points start early, so the short ones fill in around them.
  std::sort(plan.arrays.begin(), plan.arrays.end(),
            [](const slurm_array& a, const slurm_array& b) { return a.limit_seconds > b.limit_seconds; });
  return plan;
}

INDUCT_DEFINE std::string sweep_sbatch_text(const slurm_plan& plan) {
  if (plan.missing.empty()) throw error("sweep.sbatch: no point is missing, so there is no array to write");
  std::vector<std::size_t> indices;
  for (const auto& e : plan.missing) indices.push_back(e.index);
  std::string array = slurm_index_list(indices);
  if (plan.resources.max_parallel > 0) {
    array += '%';
    array += std::to_string(plan.resources.max_parallel);
  }
  std::string text = "#!/bin/bash\n";
  text += slurm_detail::shared_directives(plan, "induct-sweep");
  text += "#SBATCH --array=" + array + "\n";
  text += "#SBATCH --time=" + slurm_time(plan.arrays.front().limit_seconds) + "\n";
  text += "#SBATCH --cpus-per-task=" + std::to_string(plan.resources.cpus_per_task) + "\n";
  text += "#SBATCH --ntasks=1\n";
  text += slurm_detail::log_directive(plan, "point-%a-%A.out");
  text += "# induct sweep on Slurm: one array task per missing point of the grid (" + std::to_string(plan.missing.size()) +
          " of " + std::to_string(plan.total_points) + "); the task id is the point's index.\n";
  text += "# A task skips a finished point and writes its file atomically, so any subset may be rerun.\n";
  text += "# Time limits: safety " + slurm_detail::scientific(plan.resources.safety_factor) + " x FLOPs / " +
          slurm_detail::scientific(plan.resources.task_flops_per_second()) + " FLOP/s + " +
          slurm_detail::scientific(plan.resources.overhead_seconds) +
          " s, rounded up to 15 min x 2^k; `induct sweep --slurm --submit`\n";
  text += "# submits one array per time class (sbatch --array=IDS --time=LIMIT this file), the directives above\n";
  text += "# hold every point at the longest limit.\n";
  text += "# point  key               limit        train FLOP  eval FLOP  label\n";
  for (const auto& e : plan.missing) {
    char line[160];
    std::snprintf(line, sizeof line, "# %5zu  %s  %-11s  %10s  %9s  ", e.index, e.key.c_str(),
                  slurm_time(e.limit_seconds).c_str(), slurm_detail::scientific(e.work.training_flops).c_str(),
                  slurm_detail::scientific(e.work.evaluation_flops).c_str());
    text += line;
    text += e.label;
    text += '\n';
  }
  text += "set -euo pipefail\n";
  text += "exec " + slurm_detail::sweep_command_line(plan) +
          " --point \"$SLURM_ARRAY_TASK_ID\" --threads \"${SLURM_CPUS_PER_TASK:-" +
          std::to_string(plan.resources.cpus_per_task) + "}\"\n";
  return text;
}

INDUCT_DEFINE std::string assemble_sbatch_text(const slurm_plan& plan) {
  std::string text = "#!/bin/bash\n";
  text += slurm_detail::shared_directives(plan, "induct-assemble");
  text += "#SBATCH --time=" + slurm_time(shortest_time_class_seconds) + "\n";
  text += "#SBATCH --cpus-per-task=1\n";
  text += "#SBATCH --ntasks=1\n";
  text += slurm_detail::log_directive(plan, "assemble-%j.out");
  text += "# The sweep's table and plots from the point files only; fails, listing them, while points are missing.\n";
  text += "set -euo pipefail\n";
  text += "exec " + slurm_detail::sweep_command_line(plan) + " --assemble --threads 1\n";
  return text;
}

INDUCT_DEFINE std::vector<std::string> array_submission(const slurm_plan& plan, std::size_t a,
                                                        const std::string& previous_job) {
  if (a >= plan.arrays.size())
    throw error("array " + std::to_string(a) + " is not in the plan's " + std::to_string(plan.arrays.size()));
  std::string array = "--array=" + slurm_index_list(plan.arrays[a].indices);
  if (plan.resources.max_parallel > 0) {
    array += '%';
    array += std::to_string(plan.resources.max_parallel);
  }
  std::vector<std::string> args = {"--parsable", array, "--time=" + slurm_time(plan.arrays[a].limit_seconds)};
  if (plan.resources.max_parallel > 0 && !previous_job.empty()) args.push_back("--dependency=afterany:" + previous_job);
  args.push_back((plan.paths.directory / "sweep.sbatch").string());
  return args;
}

INDUCT_DEFINE std::vector<std::string> assembly_submission(const slurm_plan& plan,
                                                           const std::vector<std::string>& array_jobs) {
  std::vector<std::string> args = {"--parsable"};
  if (!array_jobs.empty()) {
    std::string dependency = "--dependency=afterany";
    for (const auto& job : array_jobs) {
      dependency += ':';
      dependency += job;
    }
    args.push_back(dependency);
  }
  args.push_back((plan.paths.directory / "assemble.sbatch").string());
  return args;
}

INDUCT_DEFINE std::string shell_quote(const std::string& word) {
  const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::strchr("_./=:%+-", c) != nullptr;
  });
  if (plain) return word;
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'') quoted += "'\\''";  // close, an escaped quote, reopen
    else quoted += c;
  }
  quoted += '\'';
  return quoted;
}

INDUCT_DEFINE slurm_plan prepare_slurm_sweep(const nlohmann::json& grid, const std::filesystem::path& directory,
                                             const std::filesystem::path& tool, const slurm_config& resources) {
  resources.validate();
  const auto points = sweep_grid_points(grid);
  const std::filesystem::path out = std::filesystem::absolute(directory).lexically_normal();
  const sweep_runner runner(out);
  slurm_paths paths{std::filesystem::absolute(tool).lexically_normal(), out,
                    out / "slurm" / ("grid-" + point_key(grid) + ".json")};
  slurm_plan plan = plan_slurm_sweep(points, missing_points(runner, points), resources, paths);
  std::filesystem::create_directories(out / "slurm" / "logs");
  write_text_atomically(paths.grid_file, grid.dump(1) + "\n");
  if (plan.missing.empty()) std::filesystem::remove(out / "sweep.sbatch");  // no stale array to submit by hand
  else write_text_atomically(out / "sweep.sbatch", sweep_sbatch_text(plan));
  write_text_atomically(out / "assemble.sbatch", assemble_sbatch_text(plan));
  return plan;
}

INDUCT_DEFINE std::string run_command(const std::vector<std::string>& argv) {
  if (argv.empty()) throw error("run_command: no command");
  std::string command_text;
  for (const auto& a : argv) {
    if (!command_text.empty()) command_text += ' ';
    command_text += shell_quote(a);
  }
  // Standard output and standard error into one pipe each; posix_spawnp, not system(): no shell parses argv.
  std::array<int, 2> out{}, err{};
  if (pipe(out.data()) != 0 || pipe(err.data()) != 0) throw error(command_text + ": pipe failed: " + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  for (int fd : {out[0], out[1], err[0], err[1]}) posix_spawn_file_actions_addclose(&actions, fd);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  close(err[1]);
  // Read both pipes together until both end (poll): reading one to its end first would block forever on a
  // command that fills the other's pipe buffer (64 KiB) before closing it.
  std::string stdout_text, stderr_text;
  std::array<pollfd, 2> fds{pollfd{out[0], POLLIN, 0}, pollfd{err[0], POLLIN, 0}};
  std::array<std::string*, 2> texts{&stdout_text, &stderr_text};
  for (int open_pipes = 2; open_pipes > 0;) {
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[4096];
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;  // poll ignores negative descriptors
        --open_pipes;
        continue;
      }
      texts[i]->append(buffer, static_cast<std::size_t>(n));
    }
  }
  if (spawned != 0) throw error(command_text + ": cannot run " + argv[0] + ": " + std::strerror(spawned));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw error(command_text + ": waitpid failed: " + std::strerror(errno));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string how = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                        : "was killed by signal " + std::to_string(WTERMSIG(status));
    throw error(command_text + " " + how + (stderr_text.empty() ? std::string() : ": " + stderr_text));
  }
  return stdout_text;
}

INDUCT_DEFINE slurm_submission submit_slurm_sweep(const slurm_plan& plan, const command_runner& run) {
  // sbatch --parsable prints "ID" or "ID;CLUSTER" and a newline.
  const auto job_id = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "sbatch");
    const std::string printed = run(args);
    const std::string id = printed.substr(0, printed.find_first_of(";\r\n"));
    if (id.empty() || !std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; }))
      throw error("sbatch printed '" + printed + "', not a job id (is this Slurm's sbatch?)");
    return id;
  };
  slurm_submission submission;
  for (std::size_t a = 0; a < plan.arrays.size(); ++a)
    submission.array_jobs.push_back(
        job_id(array_submission(plan, a, submission.array_jobs.empty() ? std::string() : submission.array_jobs.back())));
  submission.assembly_job = job_id(assembly_submission(plan, submission.array_jobs));
  return submission;
}

}  // namespace induct::experiment
