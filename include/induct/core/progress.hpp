#pragma once
// A progress bar for long runs: drawn on stderr only when stderr is a terminal, so logs and CI
// output stay clean; throttled so it never costs measurable time in a hot loop.
#include <chrono>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace induct {

class progress_bar {
 public:
  progress_bar(std::string label, double total, bool enabled = ::isatty(2) != 0)
      : label_(std::move(label)), total_(total), enabled_(enabled), start_(clock::now()), last_draw_(start_) {}

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
    std::fprintf(stderr, "\r%s [%s] %5.1f%% %s | %.0fs elapsed, ETA %.0fs\033[K", label_.c_str(), bar.c_str(),
                 100.0 * fraction, detail.c_str(), elapsed, eta);
    std::fflush(stderr);
  }

  /// Ends the bar's line.
  void finish() {
    if (!enabled_) return;
    std::fputc('\n', stderr);
    std::fflush(stderr);
  }

  [[nodiscard]] double elapsed_seconds() const {
    return std::chrono::duration<double>(clock::now() - start_).count();
  }

 private:
  using clock = std::chrono::steady_clock;
  std::string label_;
  double total_;
  bool enabled_;
  clock::time_point start_;
  clock::time_point last_draw_;
};

}  // namespace induct
