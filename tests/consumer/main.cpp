// A downstream project: uses the installed package through find_package(induct CONFIG).
#include <induct/induct.hpp>

#include <cstdio>

int main() {
  induct::random_engine rng(7);
  const double u = rng.uniform();
  std::printf("induct consumer: uniform draw %.6f\n", u);
  return (u >= 0.0 && u < 1.0) ? 0 : 1;
}
