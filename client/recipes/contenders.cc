#include "client/recipes/contenders.h"

#include <algorithm>
#include <cstdio>
#include <random>

namespace zk::recipes {

std::string NewProtectionPrefix() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = rng(), lo = rng();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  char buf[64];
  std::snprintf(buf, sizeof buf, "_c_%08x-%04x-%04x-%04x-%012llx-",
                static_cast<unsigned>(hi >> 32), static_cast<unsigned>((hi >> 16) & 0xffff),
                static_cast<unsigned>(hi & 0xffff), static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

int64_t SequenceOf(std::string_view name) {
  constexpr size_t kDigits = 10;
  if (name.size() < kDigits) return -1;
  int64_t v = 0;
  for (char ch : name.substr(name.size() - kDigits)) {
    if (ch < '0' || ch > '9') return -1;
    v = v * 10 + (ch - '0');
  }
  return v;
}

std::vector<std::string> SortBySequence(std::vector<std::string> names) {
  std::erase_if(names, [](const std::string& n) { return SequenceOf(n) < 0; });
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    int64_t sa = SequenceOf(a), sb = SequenceOf(b);
    return sa != sb ? sa < sb : a < b;
  });
  return names;
}

std::string FindWithPrefix(const std::vector<std::string>& names, std::string_view prefix) {
  for (const auto& n : names) {
    if (n.starts_with(prefix)) return n;
  }
  return {};
}

std::string JoinPath(std::string_view parent, std::string_view child) {
  std::string out(parent);
  if (out.empty() || out.back() != '/') out += '/';
  out += child;
  return out;
}

}  // namespace zk::recipes
