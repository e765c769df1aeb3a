// core/resources.hpp: the memory a new allocation can use, lowered by ulimit -v (checked in a child
// process, so the limit does not stay on the test runner).
#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "induct/core/resources.hpp"

TEST_CASE("available_memory_bytes: below MemAvailable, and below the headroom of ulimit -v") {
  const double unlimited = induct::available_memory_bytes();
  CHECK(unlimited > 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Child: 256 MiB of address space beyond what is mapped now.
    const double mapped = induct::detail::number_in_file("/proc/self/statm") * static_cast<double>(::sysconf(_SC_PAGE_SIZE));
    const double headroom = 256.0 * 1024 * 1024;
    rlimit limit{};
    limit.rlim_cur = limit.rlim_max = static_cast<rlim_t>(mapped + headroom);
    if (::setrlimit(RLIMIT_AS, &limit) != 0) ::_exit(10);
    const double available = induct::available_memory_bytes();
    if (!(available <= headroom && available > headroom - 64.0 * 1024 * 1024)) ::_exit(11);
    try {
      induct::require_memory(1e9, "a test allocation");
      ::_exit(12);  // 1 GB passed a 256 MiB limit
    } catch (const induct::resource_error& e) {
      if (!(e.available_bytes() <= headroom)) ::_exit(13);
    }
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);  // 10 setrlimit failed, 11 headroom not seen, 12/13 require_memory wrong
}
