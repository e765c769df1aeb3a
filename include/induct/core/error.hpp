#pragma once
// Errors of induct: every failure of bad input is an exception that says what and where.
#include <stdexcept>
#include <string>

namespace induct {

/// Base of all induct errors; `what()` is a complete, human-readable message.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Malformed text input (grammar file, prompt, JSON): names the source, line and column.
class parse_error : public error {
 public:
  parse_error(std::string source, int line, int column, const std::string& message)
      : error(source + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message),
        source_(std::move(source)), line_(line), column_(column) {}
  [[nodiscard]] const std::string& source() const noexcept { return source_; }
  [[nodiscard]] int line() const noexcept { return line_; }
  [[nodiscard]] int column() const noexcept { return column_; }

 private:
  std::string source_;
  int line_;
  int column_;
};

/// A configuration value out of its domain: names the field.
class config_error : public error {
 public:
  config_error(std::string field, const std::string& message)
      : error("invalid config field '" + field + "': " + message), field_(std::move(field)) {}
  [[nodiscard]] const std::string& field() const noexcept { return field_; }

 private:
  std::string field_;
};

/// A file that cannot be read or is corrupt/truncated/mismatched: names the file.
class file_error : public error {
 public:
  file_error(std::string path, const std::string& message)
      : error(path + ": " + message), path_(std::move(path)) {}
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

/// An input that would need more memory or disk than the machine has: refused before allocating, with the
/// estimate, instead of failing halfway (or with std::bad_alloc).
class resource_error : public error {
 public:
  resource_error(const std::string& message, double needed_bytes, double available_bytes)
      : error(message), needed_(needed_bytes), available_(available_bytes) {}
  [[nodiscard]] double needed_bytes() const noexcept { return needed_; }
  [[nodiscard]] double available_bytes() const noexcept { return available_; }

 private:
  double needed_;
  double available_;
};

/// A long run stopped at a safe point because SIGINT or SIGTERM asked it to (core/interrupt.hpp); the
/// message says what was saved and how to continue. Exit status 128 + signal, as the shell reports it.
class interrupted : public error {
 public:
  interrupted(int signal_number, const std::string& message) : error(message), signal_(signal_number) {}
  [[nodiscard]] int signal_number() const noexcept { return signal_; }

 private:
  int signal_;
};

/// A grammar that is well-formed text but not a valid (proper, consistent) PCFG.
class grammar_error : public error {
 public:
  using error::error;
};

}  // namespace induct
