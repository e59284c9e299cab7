// TerminalInput: the line editor's source of keystrokes, a descriptor of the terminal that never
// blocks in read(2).
//
// Why: the line editor polls the terminal and then reads one byte. Between the two, the terminal
// may discard its pending input: with ISIG (libedit's edit mode keeps it), Ctrl-C makes the
// kernel send SIGINT and flush the input queue. A blocking read(2) then sleeps until the next
// key, and since the SIGINT handler already ran before the read began, nothing interrupts it:
// the Ctrl-C is lost. A non-blocking read returns EAGAIN instead and the editor polls again,
// where it sees the interrupt's wakeup.
//
// The descriptor is a second open of the same terminal (its own open file description), so
// O_NONBLOCK never leaks to the other processes that share stdin. If the terminal cannot be
// reopened, the given descriptor itself is made non-blocking for the duration of each read.
//
// Threading: one thread at a time (the line editor's, the main thread).
#pragma once

#include <sys/types.h>

namespace zk::zkcli {

class TerminalInput {
 public:
  // `fd` is the terminal (stdin). With `reopen` false, always uses `fd` (the fallback path).
  explicit TerminalInput(int fd, bool reopen = true);
  ~TerminalInput();
  TerminalInput(const TerminalInput&) = delete;
  TerminalInput& operator=(const TerminalInput&) = delete;

  // The descriptor to poll for input.
  int fd() const { return fd_; }
  // True if it reads through its own open of the terminal.
  bool reopened() const { return owned_; }
  // Reads at most one byte without blocking: 1, 0 at end of input, or -1 with errno (EAGAIN
  // when no input is pending, e.g. because the terminal discarded it after a poll saw it).
  ssize_t ReadByte(char* c);

 private:
  int fd_;
  bool owned_ = false;
};

}  // namespace zk::zkcli
