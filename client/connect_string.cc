#include "client/connect_string.h"

#include <charconv>

namespace zk::client {

std::string ConnectString::ToServer(std::string_view path) const {
  if (chroot.empty()) return std::string(path);
  if (path == "/") return chroot;
  return chroot + std::string(path);
}

std::string ConnectString::ToClient(std::string_view path) const {
  if (chroot.empty()) return std::string(path);
  if (path == chroot) return "/";
  if (path.size() > chroot.size() && path.starts_with(chroot) && path[chroot.size()] == '/') {
    return std::string(path.substr(chroot.size()));
  }
  return std::string(path);
}

bool ValidPath(std::string_view path, bool sequential) {
  if (path.empty() || path[0] != '/') return false;
  if (path.size() == 1) return true;
  if (path.back() == '/' && !sequential) return false;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view comp = path.substr(start, end - start);
    bool last = end == path.size();
    if (comp.empty() && !(last && sequential)) return false;
    if (comp == "." || comp == "..") return false;
    for (unsigned char c : comp) {
      if (c < 0x20 || c == 0x7f) return false;
    }
    start = end + 1;
  }
  return true;
}

namespace {

bool ParsePort(std::string_view s, uint16_t* port) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v == 0 || v > 65535) return false;
  *port = static_cast<uint16_t>(v);
  return true;
}

}  // namespace

std::optional<ConnectString> ParseConnectString(std::string_view s) {
  ConnectString cs;
  size_t slash = s.find('/');
  std::string_view hosts = s.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view chroot = s.substr(slash);
    if (!ValidPath(chroot)) return std::nullopt;
    if (chroot != "/") cs.chroot = std::string(chroot);
  }
  size_t start = 0;
  while (start <= hosts.size()) {
    size_t comma = hosts.find(',', start);
    if (comma == std::string_view::npos) comma = hosts.size();
    std::string_view hp = hosts.substr(start, comma - start);
    start = comma + 1;
    while (!hp.empty() && hp.front() == ' ') hp.remove_prefix(1);
    while (!hp.empty() && hp.back() == ' ') hp.remove_suffix(1);
    if (hp.empty()) continue;
    HostPort h;
    std::string_view port;
    if (hp.front() == '[') {
      size_t close = hp.find(']');
      if (close == std::string_view::npos) return std::nullopt;
      h.host = std::string(hp.substr(1, close - 1));
      std::string_view rest = hp.substr(close + 1);
      if (!rest.empty()) {
        if (rest.front() != ':') return std::nullopt;
        port = rest.substr(1);
      }
    } else {
      size_t colon = hp.rfind(':');
      h.host = std::string(hp.substr(0, colon));
      if (colon != std::string_view::npos) port = hp.substr(colon + 1);
    }
    if (h.host.empty()) return std::nullopt;
    if (!port.empty() && !ParsePort(port, &h.port)) return std::nullopt;
    cs.hosts.push_back(std::move(h));
  }
  if (cs.hosts.empty()) return std::nullopt;
  return cs;
}

}  // namespace zk::client
