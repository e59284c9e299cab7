#include "client/proto/stats_track.h"

#include <charconv>

namespace zk::proto {
namespace {

// Java's Long.parseLong: an optional sign, then decimal digits, no overflow.
std::optional<int64_t> ParseLong(std::string_view s) {
  if (!s.empty() && s[0] == '+') {
    s.remove_prefix(1);
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) return std::nullopt;
  }
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<StatsTrack> StatsTrack::Parse(std::string_view text) {
  StatsTrack t;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find_first_of(",;", i);
    if (j == std::string_view::npos) j = text.size();
    std::string_view pair = text.substr(i, j - i);
    i = j + 1;
    if (pair.empty()) continue;
    // Java splits the pair on '=' and drops trailing empty parts: "bytes=5=" is {bytes, 5},
    // "a==5" is {a, "", 5} (value -1), "a=" is {a} (no value: an error).
    std::string_view rest = pair;
    size_t eq = rest.find('=');
    std::string_view key = rest.substr(0, eq);
    if (eq == std::string_view::npos || rest.find_first_not_of('=', eq) == std::string_view::npos) {
      return std::nullopt;
    }
    std::string_view value = rest.substr(eq + 1);
    value = value.substr(0, value.find('='));
    int64_t v = -1;
    if (!value.empty()) {
      auto parsed = ParseLong(value);
      if (!parsed) return std::nullopt;
      v = *parsed;
    }
    t.values_[std::string(key)] = v;
  }
  return t;
}

int64_t StatsTrack::Get(std::string_view key) const {
  auto it = values_.find(key);
  return it == values_.end() ? -1 : it->second;
}

std::string StatsTrack::ToString() const {
  std::string out = std::string(kCount) + "=" + std::to_string(Get(kCount)) + "," +
                    std::string(kBytes) + "=" + std::to_string(Get(kBytes));
  bool first = true;
  for (const auto& [k, v] : values_) {
    if (k == kCount || k == kBytes) continue;
    if (first) out += "=";
    first = false;
    out += ";" + k + "=" + std::to_string(v);
  }
  return out;
}

}  // namespace zk::proto
