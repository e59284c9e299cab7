#include "client/zkcli/terminal_input.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <future>

namespace zk::zkcli {
namespace {

// A pseudo-terminal in raw mode, as libedit's edit mode leaves it (non-canonical, VMIN 1).
struct Pty {
  int master = -1;
  int slave = -1;
  Pty() {
    master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    REQUIRE(master >= 0);
    REQUIRE(grantpt(master) == 0);
    REQUIRE(unlockpt(master) == 0);
    slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
    REQUIRE(slave >= 0);
    termios t = {};
    REQUIRE(tcgetattr(slave, &t) == 0);
    cfmakeraw(&t);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    REQUIRE(tcsetattr(slave, TCSANOW, &t) == 0);
  }
  ~Pty() {
    close(slave);
    close(master);
  }
  void Type(const char* s) const {
    for (; *s; ++s) REQUIRE(write(master, s, 1) == 1);
  }
};

bool Readable(int fd) {
  pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, 5000) == 1 && (p.revents & POLLIN);
}

struct ReadOutcome {
  ssize_t n;
  int error;
  char c;
};

// ReadByte on another thread; fails (and unblocks it with a key) if it does not return at once.
ReadOutcome ReadByteWithoutBlocking(TerminalInput& in, const Pty& pty) {
  auto f = std::async(std::launch::async, [&in] {
    ReadOutcome o = {};
    o.n = in.ReadByte(&o.c);
    o.error = errno;
    return o;
  });
  if (f.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    pty.Type("x");
    FAIL_CHECK("ReadByte blocked on a terminal with no pending input");
  }
  return f.get();
}

TEST_CASE("terminal input: reads keys, and never blocks when Ctrl-C discarded what poll saw") {
  for (bool reopen : {true, false}) {
    CAPTURE(reopen);
    Pty pty;
    TerminalInput in(pty.slave, reopen);
    CHECK(in.reopened() == reopen);
    CHECK((in.fd() != pty.slave) == reopen);

    pty.Type("a");
    REQUIRE(Readable(in.fd()));
    char c = 0;
    CHECK(in.ReadByte(&c) == 1);
    CHECK(c == 'a');

    // The line editor's race: poll reports a key, then the terminal discards its input queue
    // (ISIG does this when it turns Ctrl-C into SIGINT) before the editor reads.
    pty.Type("j");
    REQUIRE(Readable(in.fd()));
    REQUIRE(tcflush(pty.slave, TCIFLUSH) == 0);
    ReadOutcome o = ReadByteWithoutBlocking(in, pty);
    CHECK(o.n == -1);
    CHECK(o.error == EAGAIN);

    // Keys typed afterwards are read as usual, and stdin's own description stays blocking (it
    // is shared with the processes that started the shell).
    pty.Type("b");
    REQUIRE(Readable(in.fd()));
    CHECK(in.ReadByte(&c) == 1);
    CHECK(c == 'b');
    CHECK((fcntl(pty.slave, F_GETFL) & O_NONBLOCK) == 0);
  }
}

}  // namespace
}  // namespace zk::zkcli
