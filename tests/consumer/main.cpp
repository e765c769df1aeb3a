// A downstream project: uses the installed package through find_package(induct CONFIG), in
// header-only mode (induct::induct) and in compiled mode (induct::compiled), calling heavy functions
// whose definitions come from the headers in the first and from the library in the second.
#include <induct/induct.hpp>

#include <cstdio>

int main() {
  induct::random_engine rng(7);
  const double u = rng.uniform();
  // Clopper-Pearson for 0 of 10: the upper limit is 1 - (alpha/2)^(1/n) exactly.
  const auto interval = induct::theory::clopper_pearson(0, 10, 0.05);
  const double expected_high = 1.0 - std::pow(0.025, 0.1);
  std::printf("induct consumer (%s): uniform draw %.6f, Clopper-Pearson 0/10 high %.6f (exact %.6f)\n",
              INDUCT_HEADER_ONLY ? "header-only" : "compiled", u, interval.high, expected_high);
  const bool ok = u >= 0.0 && u < 1.0 && std::abs(interval.high - expected_high) < 1e-12;
  return ok ? 0 : 1;
}
