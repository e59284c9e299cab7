#include "client/recipes/config_watcher.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace zk::recipes {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Quoted(std::string_view s) {
  constexpr size_t kMax = 40;
  std::string out = "\"" + std::string(s.substr(0, kMax));
  if (s.size() > kMax) out += "...";
  return out + "\"";
}

}  // namespace

std::optional<std::string> ParseString(std::string_view data, std::string* error) {
  (void)error;
  return std::string(data);
}

std::optional<int64_t> ParseInt64(std::string_view data, std::string* error) {
  const std::string_view s = Trim(data);
  int64_t v = 0;
  const char* begin = s.data();
  const char* end = s.data() + s.size();
  if (!s.empty() && s.front() == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, v);
  if (s.empty() || ec != std::errc() || ptr != end) {
    *error = ec == std::errc::result_out_of_range ? "integer out of range: " + Quoted(s)
                                                  : "not an integer: " + Quoted(s);
    return std::nullopt;
  }
  return v;
}

std::optional<double> ParseDouble(std::string_view data, std::string* error) {
  const std::string s(Trim(data));
  char* end = nullptr;
  const double v = s.empty() ? 0 : std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v)) {
    *error = "not a finite number: " + Quoted(s);
    return std::nullopt;
  }
  return v;
}

std::optional<bool> ParseBool(std::string_view data, std::string* error) {
  std::string s(Trim(data));
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s == "true" || s == "1" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "0" || s == "no" || s == "off") return false;
  *error = "not a boolean: " + Quoted(s);
  return std::nullopt;
}

}  // namespace zk::recipes
