// "--name value" integer options of the benchmark programs.
#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <string>

namespace weightfault::bench {

// Sets the named integers from argv; false (after printing the reason) on an unknown option.
inline bool parse_int_options(int argc, char** argv, const std::map<std::string, int*>& options) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const auto it = options.find(argv[i]);
    if (it == options.end()) {
      fmt::print(stderr, "unknown option {}\n", argv[i]);
      return false;
    }
    *it->second = std::stoi(argv[i + 1]);
  }
  return true;
}

}  // namespace weightfault::bench
