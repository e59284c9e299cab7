// LineEditor: the interactive shell's line input on top of libedit (el_gets): emacs-style
// editing, persistent history, Tab completion, and output that arrives while the user types.
//
// libedit reads its characters through our own read function (EL_GETCFN), which polls the
// terminal and a self-pipe (Wakeup) and reads keys without blocking (TerminalInput: Ctrl-C
// discards pending input, so a byte that poll reported may be gone when it is read). When the
// pipe signals queued events, the read function hands libedit a private key bound to a function
// that clears the prompt line, prints the events and redraws the prompt with the partial input;
// a SIGINT at the prompt (Ctrl-C) becomes another private key that clears the line. Ctrl-D on an
// empty line ends input (ReadLine returns nullopt).
//
// Threading: main thread only; the hooks run on it, inside ReadLine.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "client/zkcli/completion.h"
#include "client/zkcli/event_queue.h"
#include "client/zkcli/terminal_input.h"

struct editline;
struct history;

namespace zk::zkcli {

class LineEditor {
 public:
  struct Hooks {
    std::function<std::string()> prompt;
    std::function<CompletionResult(const std::string& before_cursor)> complete;
    std::function<bool()> has_async;    // Output is waiting to be printed.
    std::function<void()> print_async;  // Prints it; each line ends with '\n'.
  };

  // `history_file` may be empty (no persistent history).
  LineEditor(const char* program, Hooks hooks, Wakeup* wakeup, std::string history_file);
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  // One line without its newline; nullopt at end of input (Ctrl-D on an empty line).
  std::optional<std::string> ReadLine();
  // Adds a line to the history and saves the history file.
  void AddHistory(const std::string& line);

  // libedit callbacks (public so the C trampolines can reach them).
  char* PromptText();  // Valid until the next call.
  int ReadChar(wchar_t* out);
  unsigned char OnAsync();
  unsigned char OnCancel();
  unsigned char OnComplete();

 private:
  int TerminalColumns() const;
  // Moves the terminal cursor to the start of the prompt and clears from there down.
  void ClearPromptArea();

  Hooks hooks_;
  Wakeup* wakeup_;
  TerminalInput input_;
  std::string history_file_;
  std::string prompt_;
  editline* el_ = nullptr;
  history* hist_ = nullptr;
};

// Default history file: $ZKCLI_HISTORY, else $HOME/.zkcli_history, else none.
std::string DefaultHistoryFile();

}  // namespace zk::zkcli
