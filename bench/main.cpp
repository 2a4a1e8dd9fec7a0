// strata-bench SUITE: runs one benchmark suite (see `strata-bench --list`).
#include "suites.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

namespace {

void usage(std::FILE* out, const std::vector<strata::bench::suite>& all) {
  std::size_t width = 0;
  for (const auto& s : all)
    width = std::max(width, s.name.size());
  std::fprintf(out, "usage: strata-bench SUITE (RESULT lines on standard output)\nsuites:\n");
  for (const auto& s : all)
    std::fprintf(out, "  %-*s  %s\n", static_cast<int>(width), s.name.c_str(), s.description.c_str());
}

} // namespace

int main(int argc, char** argv) {
  const auto& all = strata::bench::suites();
  const std::string first = argc > 1 ? argv[1] : "";
  if (argc == 2 && (first == "--list" || first == "--help" || first == "-h")) {
    usage(stdout, all);
    return 0;
  }
  if (argc != 2) {
    std::fprintf(stderr, argc < 2 ? "strata-bench: name a suite\n" : "strata-bench: one suite at a time, and no more arguments (got %d)\n",
                 argc - 1);
    usage(stderr, all);
    return 2;
  }
  for (const auto& s : all)
    if (s.name == first)
      return s.run();
  std::fprintf(stderr, "strata-bench: no suite named '%s' (try --list)\n", first.c_str());
  return 2;
}
