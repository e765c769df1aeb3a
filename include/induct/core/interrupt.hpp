#pragma once
// Interrupts as requests: SIGINT and SIGTERM set a flag that long loops poll at safe points (the
// trainer after a whole step, the corpus writer between documents), so Ctrl-C finishes the step,
// writes a checkpoint and exits instead of losing the run. The handlers are one-shot (SA_RESETHAND):
// a second Ctrl-C kills at once. Nothing here allocates in the handler; it only stores the signal.
#include <csignal>

namespace induct {

namespace detail {
inline volatile std::sig_atomic_t interrupt_signal = 0;
inline void record_interrupt(int signal_number) { interrupt_signal = signal_number; }
}  // namespace detail

/// Installs the one-shot SIGINT and SIGTERM handlers that set the flag (a program that never calls this
/// keeps the default: the signal ends it).
inline void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = detail::record_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

/// The signal that asked to stop (SIGINT, SIGTERM), or 0.
[[nodiscard]] inline int interrupt_requested() noexcept { return detail::interrupt_signal; }

/// Forgets a request (e.g. after a caller has handled it and wants to go on).
inline void clear_interrupt() noexcept { detail::interrupt_signal = 0; }

/// The name of a signal for messages ("SIGINT").
[[nodiscard]] inline const char* signal_name(int signal_number) noexcept {
  switch (signal_number) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default: return "a signal";
  }
}

}  // namespace induct
