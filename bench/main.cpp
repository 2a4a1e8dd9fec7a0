// strata-bench SUITE: runs one benchmark suite (see `strata-bench --list`).
#include "suites.hpp"

#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  const auto& all = strata::bench::suites();
  if (argc != 2 || std::strcmp(argv[1], "--list") == 0) {
    std::fprintf(argc == 2 ? stdout : stderr, "usage: strata-bench SUITE\nsuites:\n");
    for (const auto& s : all)
      std::fprintf(argc == 2 ? stdout : stderr, "  %-10s %s\n", s.name.c_str(), s.description.c_str());
    return argc == 2 ? 0 : 2;
  }
  for (const auto& s : all)
    if (s.name == argv[1])
      return s.run();
  std::fprintf(stderr, "strata-bench: no suite named '%s' (try --list)\n", argv[1]);
  return 2;
}
