#include "server/path_utils.h"

#include <cstdint>

namespace zk::server {
namespace {

// Decodes one UTF-8 code point at s[*i], advancing *i. Returns -1 for malformed input (which a
// Java server would have turned into U+FFFD, itself a forbidden character).
int32_t NextCodePoint(std::string_view s, size_t* i) {
  auto c = static_cast<uint8_t>(s[*i]);
  int len;
  int32_t cp;
  if (c < 0x80) {
    ++*i;
    return c;
  } else if ((c & 0xE0) == 0xC0) {
    len = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    cp = c & 0x07;
  } else {
    return -1;
  }
  if (*i + len > s.size()) return -1;
  for (int k = 1; k < len; ++k) {
    auto cc = static_cast<uint8_t>(s[*i + k]);
    if ((cc & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (cc & 0x3F);
  }
  // Overlong forms ("\xc0\xaf" for '/') are malformed too.
  static constexpr int32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinForLength[len]) return -1;
  *i += len;
  return cp;
}

bool ForbiddenCodePoint(int32_t cp) {
  // Supplementary characters are two UTF-16 surrogates in Java, which ZooKeeper rejects.
  return cp < 0 || (cp > 0x00 && cp <= 0x1F) || (cp >= 0x7F && cp <= 0x9F) ||
         (cp >= 0xD800 && cp <= 0xF8FF) || (cp >= 0xFFF0 && cp <= 0xFFFF) || cp > 0xFFFF;
}

}  // namespace

bool IsValidPath(std::string_view path, bool sequential) {
  std::string with_suffix;
  if (sequential) {
    with_suffix.assign(path);
    with_suffix.push_back('1');
    path = with_suffix;
  }
  if (path.empty() || path[0] != '/') return false;
  if (path.size() == 1) return true;
  if (path.back() == '/') return false;
  size_t i = 1;
  size_t component_start = 1;
  while (i <= path.size()) {
    if (i == path.size() || path[i] == '/') {
      std::string_view comp = path.substr(component_start, i - component_start);
      if (comp.empty() || comp == "." || comp == "..") return false;
      component_start = i + 1;
      ++i;
      continue;
    }
    if (path[i] == '\0') return false;
    int32_t cp = NextCodePoint(path, &i);
    if (ForbiddenCodePoint(cp)) return false;
  }
  return true;
}

std::string_view ParentPath(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == 0 || slash == std::string_view::npos) return "/";
  return path.substr(0, slash);
}

std::string_view NodeName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string JoinPath(std::string_view parent, std::string_view name) {
  std::string out;
  out.reserve(parent.size() + name.size() + 1);
  out.append(parent);
  if (out.empty() || out.back() != '/') out.push_back('/');
  out.append(name);
  return out;
}

bool PathCovers(std::string_view prefix, std::string_view path) {
  if (prefix == "/") return !path.empty() && path[0] == '/';
  if (path.size() < prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

}  // namespace zk::server
