#include "client/zkcli/four_letter.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace zk::zkcli {

namespace {

using Clock = std::chrono::steady_clock;

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

}  // namespace

FourLetterAnswer SendFourLetterWord(const std::string& host, uint16_t port, std::string_view word,
                                    std::chrono::milliseconds timeout) {
  FourLetterAnswer a;
  auto deadline = Clock::now() + timeout;
  addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0) {
    a.error = std::string("cannot resolve host: ") + gai_strerror(rc);
    return a;
  }
  int fd = -1;
  a.error = "connection failed";
  for (addrinfo* ai = res; ai && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) continue;
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p = {fd, POLLOUT, 0};
      rc = poll(&p, 1, MillisLeft(deadline)) == 1 ? 0 : -1;
      int soerr = 0;
      socklen_t len = sizeof soerr;
      if (rc == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr != 0) {
        errno = soerr;
        rc = -1;
      } else if (rc != 0) {
        errno = ETIMEDOUT;
      }
    }
    if (rc != 0) {
      a.error = std::strerror(errno);
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0) return a;
  size_t sent = 0;
  while (sent < word.size()) {
    ssize_t n = send(fd, word.data() + sent, word.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EAGAIN) {
      pollfd p = {fd, POLLOUT, 0};
      if (poll(&p, 1, MillisLeft(deadline)) == 1) continue;
    }
    a.error = "send failed";
    close(fd);
    return a;
  }
  shutdown(fd, SHUT_WR);
  std::string text;
  char buf[4096];
  while (true) {
    pollfd p = {fd, POLLIN, 0};
    int left = MillisLeft(deadline);
    if (left == 0 || poll(&p, 1, left) != 1) {
      a.error = "timed out";
      close(fd);
      return a;
    }
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      text.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EAGAIN) {
      break;
    }
  }
  close(fd);
  a.ok = true;
  a.error.clear();
  a.text = std::move(text);
  return a;
}

std::vector<std::pair<std::string, std::string>> ParseKeyValues(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) continue;
    size_t tab = line.find('\t');
    size_t colon = line.find(": ");
    if (tab != std::string_view::npos && (colon == std::string_view::npos || tab < colon)) {
      out.emplace_back(std::string(line.substr(0, tab)), std::string(line.substr(tab + 1)));
    } else if (colon != std::string_view::npos) {
      out.emplace_back(std::string(line.substr(0, colon)), std::string(line.substr(colon + 2)));
    } else if (line.back() == ':') {
      out.emplace_back(std::string(line.substr(0, line.size() - 1)), "");
    } else {
      return {};
    }
  }
  return out;
}

std::string FormatTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    if (width.size() < r.size()) width.resize(r.size(), 0);
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace zk::zkcli
