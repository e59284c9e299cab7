#include "client/discovery/dubbo_url.h"

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <vector>

namespace zk::discovery {

namespace {

// The next code point of valid or invalid UTF-8 at `i` (an invalid byte is taken as itself, which
// a Java string cannot hold anyway); advances `i`.
uint32_t NextCodePoint(std::string_view s, size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  size_t len = b0 < 0x80           ? 1
               : (b0 >> 5) == 0x6  ? 2
               : (b0 >> 4) == 0xE  ? 3
               : (b0 >> 3) == 0x1E ? 4
                                   : 1;
  if (i + len > s.size()) len = 1;
  uint32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += len;
  return cp;
}

// String.trim(): strips leading and trailing chars <= ' '.
std::string_view JavaTrim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && static_cast<unsigned char>(s[b]) <= ' ') ++b;
  while (e > b && static_cast<unsigned char>(s[e - 1]) <= ' ') --e;
  return s.substr(b, e - b);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<int32_t> ParseInt(std::string_view s) {
  // Integer.parseInt: an optional sign, then decimal digits.
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  int32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void CommonParameters(const DubboServiceSpec& spec, DubboUrl& url) {
  auto& p = url.parameters;
  if (!spec.application.empty()) p["application"] = spec.application;
  p["dubbo"] = "2.0.2";
  if (!spec.group.empty()) p["group"] = spec.group;
  p["interface"] = spec.interface;
  if (!spec.methods.empty()) p["methods"] = spec.methods;
  p["pid"] = std::to_string(spec.pid != 0 ? spec.pid : static_cast<int64_t>(::getpid()));
  if (!spec.release.empty()) p["release"] = spec.release;
  p["timestamp"] = std::to_string(spec.timestamp_ms != 0 ? spec.timestamp_ms : NowMs());
  if (!spec.version.empty()) p["version"] = spec.version;
}

}  // namespace

bool JavaStringLess::operator()(std::string_view a, std::string_view b) const {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const uint32_t ca = NextCodePoint(a, i);
    const uint32_t cb = NextCodePoint(b, j);
    if (ca == cb) continue;
    // A supplementary character is a surrogate pair in UTF-16: it compares as its high
    // surrogate (0xD800..0xDBFF) against a BMP character.
    const bool sa = ca > 0xFFFF, sb = cb > 0xFFFF;
    if (sa == sb) return ca < cb;
    const uint32_t ka = sa ? 0xD800 + ((ca - 0x10000) >> 10) : ca;
    const uint32_t kb = sb ? 0xD800 + ((cb - 0x10000) >> 10) : cb;
    return ka < kb;  // never equal: valid UTF-8 holds no surrogate code point
  }
  return a.size() - i < b.size() - j;
}

std::string DubboUrl::ToFullString() const {
  std::string out;
  if (!protocol.empty()) out.append(protocol).append("://");
  if (!username.empty()) {
    out.append(username);
    if (!password.empty()) out.append(":").append(password);
    out.append("@");
  }
  if (!host.empty()) {
    out.append(host);
    if (port > 0) out.append(":").append(std::to_string(port));
  }
  if (!path.empty()) out.append("/").append(path);
  bool first = true;
  for (const auto& [key, value] : parameters) {
    if (key.empty()) continue;
    out.append(first ? "?" : "&");
    first = false;
    out.append(key).append("=").append(JavaTrim(value));
  }
  return out;
}

std::optional<DubboUrl> DubboUrl::Parse(std::string_view text) {
  text = JavaTrim(text);
  if (text.empty()) return std::nullopt;
  DubboUrl url;
  if (size_t q = text.find('?'); q != std::string_view::npos) {
    std::string_view query = text.substr(q + 1);
    text = text.substr(0, q);
    while (true) {
      const size_t amp = query.find('&');
      std::string_view part = JavaTrim(query.substr(0, amp));
      if (!part.empty()) {
        const size_t eq = part.find('=');
        if (eq != std::string_view::npos) {
          url.parameters[std::string(part.substr(0, eq))] = std::string(part.substr(eq + 1));
        } else {
          url.parameters[std::string(part)] = std::string(part);
        }
      }
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  if (size_t p = text.find("://"); p != std::string_view::npos) {
    if (p == 0) return std::nullopt;
    url.protocol = std::string(text.substr(0, p));
    text.remove_prefix(p + 3);
  } else if (size_t p2 = text.find(":/"); p2 != std::string_view::npos) {
    if (p2 == 0) return std::nullopt;
    url.protocol = std::string(text.substr(0, p2));
    text.remove_prefix(p2 + 1);
  }
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    std::string_view path = text.substr(slash + 1);
    while (!path.empty() && path.front() == '/') path.remove_prefix(1);
    url.path = std::string(path);
    text = text.substr(0, slash);
  }
  if (size_t at = text.rfind('@'); at != std::string_view::npos) {
    std::string_view user = text.substr(0, at);
    if (size_t colon = user.find(':'); colon != std::string_view::npos) {
      url.password = std::string(user.substr(colon + 1));
      user = user.substr(0, colon);
    }
    url.username = std::string(user);
    text.remove_prefix(at + 1);
  }
  if (url.username.empty() && !url.password.empty()) return std::nullopt;
  if (size_t colon = text.rfind(':'); colon != std::string_view::npos && colon + 1 < text.size()) {
    const size_t percent = text.rfind('%');
    if (percent == std::string_view::npos || percent < colon) {  // else an IPv6 scope id
      auto port = ParseInt(text.substr(colon + 1));
      if (!port) return std::nullopt;
      url.port = *port < 0 ? 0 : *port;
      text = text.substr(0, colon);
    }
  }
  url.host = std::string(text);
  return url;
}

bool DubboUrl::Representable() const {
  auto parsed = Parse(ToFullString());
  return parsed && *parsed == *this;
}

std::string DubboUrl::Parameter(std::string_view key, std::string_view fallback) const {
  auto it = parameters.find(key);
  if (it == parameters.end() || it->second.empty()) return std::string(fallback);
  return it->second;
}

std::string DubboUrl::ServiceInterface() const { return Parameter(dubbo_keys::kInterface, path); }

std::string DubboUrl::Category() const {
  return Parameter(dubbo_keys::kCategory, dubbo_keys::kProviders);
}

std::string DubboEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '.' ||
        b == '-' || b == '*' || b == '_') {
      out.push_back(c);
    } else if (b == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xF]);
    }
  }
  return out;
}

std::optional<std::string> DubboDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      // Integer.parseInt(two chars, 16), negative values refused: a sign is accepted, so "%+A"
      // is 0x0A and "%-0" is 0x00.
      const char s0 = text[i + 1];
      const int lo = HexValue(text[i + 2]);
      const int hi = (s0 == '+' || s0 == '-') ? 0 : HexValue(s0);
      if (hi < 0 || lo < 0 || (s0 == '-' && lo != 0)) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<DubboUrl> DecodeDubboNodeName(std::string_view name) {
  if (name.find("%3A%2F%2F") == std::string_view::npos) return std::nullopt;
  auto decoded = DubboDecode(name);
  if (!decoded) return std::nullopt;
  return DubboUrl::Parse(*decoded);
}

DubboUrl MakeProviderUrl(const DubboServiceSpec& spec) {
  DubboUrl url;
  url.protocol = spec.protocol;
  url.host = spec.host;
  url.port = spec.port;
  url.path = spec.interface;
  CommonParameters(spec, url);
  auto& p = url.parameters;
  p["anyhost"] = spec.anyhost ? "true" : "false";
  p["deprecated"] = "false";
  p["dynamic"] = spec.dynamic ? "true" : "false";
  p["generic"] = "false";
  p["side"] = "provider";
  if (spec.weight) p["weight"] = std::to_string(*spec.weight);
  for (const auto& [k, v] : spec.extra) p[k] = v;
  return url;
}

DubboUrl MakeConsumerUrl(const DubboServiceSpec& spec) {
  DubboUrl url;
  url.protocol = "consumer";
  url.host = spec.host;
  url.path = spec.interface;
  CommonParameters(spec, url);
  auto& p = url.parameters;
  p["category"] = "consumers";
  p["check"] = "false";
  p["side"] = "consumer";
  p["sticky"] = "false";
  for (const auto& [k, v] : spec.extra) p[k] = v;
  return url;
}

}  // namespace zk::discovery
