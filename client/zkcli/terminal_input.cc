#include "client/zkcli/terminal_input.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace zk::zkcli {

TerminalInput::TerminalInput(int fd, bool reopen) : fd_(fd) {
  if (!reopen) return;
  // /proc/self/fd/N opens the terminal device itself (a new open file description), which
  // works inside containers where ttyname() finds no /dev entry.
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  int own = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (own < 0) return;
  if (isatty(own) == 0) {  // Not a terminal: keep the shared descriptor.
    close(own);
    return;
  }
  fd_ = own;
  owned_ = true;
}

TerminalInput::~TerminalInput() {
  if (owned_) close(fd_);
}

ssize_t TerminalInput::ReadByte(char* c) {
  if (owned_) return read(fd_, c, 1);
  int flags = fcntl(fd_, F_GETFL);
  if (flags < 0) return -1;
  if ((flags & O_NONBLOCK) == 0) fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
  ssize_t k = read(fd_, c, 1);
  int saved = errno;
  if ((flags & O_NONBLOCK) == 0) fcntl(fd_, F_SETFL, flags);
  errno = saved;
  return k;
}

}  // namespace zk::zkcli
