#pragma once
// The terminal's bar line and the progress bars drawn on it (issue 18: a bar and a log line never share
// a line). One place owns stderr's last line: a bar is drawn there as "\r TEXT \033[K" only when stderr
// is a terminal; a log line first clears that line ("\r\033[K"), is written and flushed, and then the
// bar is drawn again below it. When stderr is not a terminal no bar is drawn and no control character
// is written at all, so logs and CI output stay clean. Drawing is throttled (10 per second) so a bar
// never costs measurable time in a hot loop.
//
// Single-threaded by contract: bars and log lines are written from the thread that runs the loop.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include <unistd.h>

namespace induct {

/// Stderr's bar line, shared by every progress_bar and every log line of the process.
class terminal_line {
 public:
  /// Whether stderr is a terminal (asked once: it does not change while the process runs).
  static bool stderr_is_terminal() {
    static const bool terminal = ::isatty(2) != 0;
    return terminal;
  }

  /// Sets the bar line to `text` (drawn at once, replacing what the line held).
  static void draw(std::string_view text) {
    auto& s = state();
    s.text.assign(text);
    s.drawn = true;
    paint(s.text);
  }

  /// Ends the bar line: its last text stays on screen, the cursor goes to the next line.
  static void end() {
    auto& s = state();
    if (!s.drawn) return;
    std::fputc('\n', stderr);
    std::fflush(stderr);
    s.drawn = false;
    s.text.clear();
  }

  /// Writes `line` and a newline to `out` and flushes it; a bar on the terminal is cleared first and
  /// drawn again after, so the line never shares the bar's line (whether `out` is the terminal or a file).
  static void write_log_line(std::ostream& out, std::string_view line) {
    auto& s = state();
    if (s.drawn) {
      std::fputs("\r\033[K", stderr);
      std::fflush(stderr);
    }
    out << line << '\n';
    out.flush();
    if (s.drawn) paint(s.text);
  }

 private:
  struct line_state {
    std::string text;
    bool drawn = false;  // a bar is on the line and its text is `text`
  };
  static line_state& state() {
    static line_state s;
    return s;
  }
  static void paint(const std::string& text) {
    std::fprintf(stderr, "\r%s\033[K", text.c_str());
    std::fflush(stderr);
  }
};

/// A bar on terminal_line for one phase of work: its clock starts when the bar is made, so make it when
/// the phase starts (its elapsed time and ETA are the phase's, not the program's).
class progress_bar {
 public:
  /// `wanted`: draw if stderr is a terminal (false: never draw).
  progress_bar(std::string label, double total, bool wanted = true)
      : label_(std::move(label)),
        total_(total),
        enabled_(wanted && terminal_line::stderr_is_terminal()),
        start_(clock::now()),
        last_draw_(start_) {}

  /// Sets the done amount; `detail` is appended (e.g. "loss 2.31 | 41k tok/s").
  void update(double done, const std::string& detail = {}) {
    if (!enabled_) return;
    const auto now = clock::now();
    if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const double fraction = total_ > 0 ? std::min(1.0, done / total_) : 1.0;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double eta = fraction > 0 ? elapsed * (1.0 - fraction) / fraction : 0.0;
    constexpr int width = 28;
    const int filled = static_cast<int>(fraction * width);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(width, '.');
    char text[512];
    std::snprintf(text, sizeof text, "%s [%s] %5.1f%% %s | %.0fs elapsed, ETA %.0fs", label_.c_str(), bar.c_str(),
                  100.0 * fraction, detail.c_str(), elapsed, eta);
    terminal_line::draw(text);
    drawn_ = true;
  }

  /// Ends the bar's line (nothing if it was never drawn).
  void finish() {
    if (!drawn_) return;
    terminal_line::end();
    drawn_ = false;
  }

  [[nodiscard]] double elapsed_seconds() const {
    return std::chrono::duration<double>(clock::now() - start_).count();
  }

 private:
  using clock = std::chrono::steady_clock;
  std::string label_;
  double total_;
  bool enabled_;
  bool drawn_ = false;
  clock::time_point start_;
  clock::time_point last_draw_;
};

}  // namespace induct
