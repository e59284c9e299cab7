// ParseSeedRange: "A..B" (inclusive, A <= B) as the simulators' --seeds take it.
#pragma once

#include <cstdint>
#include <string>

namespace zk::sim {

inline bool ParseSeedRange(const std::string& s, uint64_t* a, uint64_t* b) {
  const size_t dots = s.find("..");
  if (dots == std::string::npos) return false;
  try {
    *a = std::stoull(s.substr(0, dots));
    *b = std::stoull(s.substr(dots + 2));
  } catch (...) {
    return false;
  }
  return *a <= *b;
}

}  // namespace zk::sim
