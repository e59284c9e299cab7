#include "client/zkcli/line_editor.h"

#include <histedit.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cwchar>

#include "client/zkcli/shell.h"

namespace zk::zkcli {

namespace {

// Private keys that our read function returns to libedit.
constexpr wchar_t kAsyncKey = 0x1d;   // ^]
constexpr wchar_t kCancelKey = 0x1e;  // ^^

std::atomic<bool> g_resized{false};
Wakeup* g_resize_wakeup = nullptr;

void OnSigwinch(int) {
  g_resized.store(true);
  if (g_resize_wakeup) g_resize_wakeup->Notify();
}

LineEditor* Self(EditLine* el) {
  void* data = nullptr;
  el_get(el, EL_CLIENTDATA, &data);
  return static_cast<LineEditor*>(data);
}

char* PromptFn(EditLine* el) { return Self(el)->PromptText(); }
int ReadCharFn(EditLine* el, wchar_t* out) { return Self(el)->ReadChar(out); }
unsigned char AsyncFn(EditLine* el, int) { return Self(el)->OnAsync(); }
unsigned char CancelFn(EditLine* el, int) { return Self(el)->OnCancel(); }
unsigned char CompleteFn(EditLine* el, int) { return Self(el)->OnComplete(); }

void Write(const std::string& s) {
  std::fputs(s.c_str(), stdout);
  std::fflush(stdout);
}

}  // namespace

std::string DefaultHistoryFile() {
  if (const char* f = std::getenv("ZKCLI_HISTORY")) return f;
  if (const char* home = std::getenv("HOME")) return std::string(home) + "/.zkcli_history";
  return "";
}

LineEditor::LineEditor(const char* program, Hooks hooks, Wakeup* wakeup, std::string history_file)
    : hooks_(std::move(hooks)),
      wakeup_(wakeup),
      input_(STDIN_FILENO),
      history_file_(std::move(history_file)) {
  g_resize_wakeup = wakeup_;
  struct sigaction sa = {};
  sa.sa_handler = OnSigwinch;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGWINCH, &sa, nullptr);

  el_ = el_init(program, stdin, stdout, stderr);
  el_set(el_, EL_CLIENTDATA, this);
  el_set(el_, EL_EDITOR, "emacs");
  el_set(el_, EL_PROMPT, PromptFn);
  el_set(el_, EL_GETCFN, ReadCharFn);
  el_set(el_, EL_ADDFN, "zk-async", "print pending events", AsyncFn);
  el_set(el_, EL_ADDFN, "zk-cancel", "discard the line", CancelFn);
  el_set(el_, EL_ADDFN, "zk-complete", "complete a command or path", CompleteFn);
  el_set(el_, EL_BIND, "^]", "zk-async", nullptr);
  el_set(el_, EL_BIND, "^^", "zk-cancel", nullptr);
  el_set(el_, EL_BIND, "^I", "zk-complete", nullptr);
  hist_ = history_init();
  HistEvent ev;
  history(hist_, &ev, H_SETSIZE, 1000);
  history(hist_, &ev, H_SETUNIQUE, 1);
  if (!history_file_.empty()) history(hist_, &ev, H_LOAD, history_file_.c_str());
  el_set(el_, EL_HIST, history, hist_);
  el_source(el_, nullptr);  // ~/.editrc, if any.
}

LineEditor::~LineEditor() {
  el_end(el_);
  history_end(hist_);
  g_resize_wakeup = nullptr;
}

std::optional<std::string> LineEditor::ReadLine() {
  int count = 0;
  const char* line = el_gets(el_, &count);
  if (line == nullptr || count <= 0) return std::nullopt;
  std::string s(line, static_cast<size_t>(count));
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

void LineEditor::AddHistory(const std::string& line) {
  HistEvent ev;
  history(hist_, &ev, H_ENTER, line.c_str());
  if (!history_file_.empty()) {
    history(hist_, &ev, H_SAVE, history_file_.c_str());
    chmod(history_file_.c_str(), 0600);
  }
}

int LineEditor::ReadChar(wchar_t* out) {
  mbstate_t state = {};
  char bytes[MB_LEN_MAX];
  size_t n = 0;
  while (true) {
    if (g_resized.exchange(false)) el_resize(el_);
    pollfd fds[2] = {{input_.fd(), POLLIN, 0}, {wakeup_->read_fd(), POLLIN, 0}};
    int rc = poll(fds, 2, -1);
    if (rc < 0 && errno != EINTR) return -1;
    if (rc <= 0 || (fds[1].revents & POLLIN)) {
      wakeup_->Drain();
      if (g_interrupted.exchange(false)) {
        *out = kCancelKey;
        return 1;
      }
      if (hooks_.has_async()) {
        *out = kAsyncKey;
        return 1;
      }
      continue;
    }
    if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    char c;
    ssize_t k = input_.ReadByte(&c);  // Never blocks: a Ctrl-C may have discarded the input.
    if (k == 0) return 0;
    if (k < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return -1;
    }
    bytes[n++] = c;
    wchar_t wc;
    size_t used = std::mbrtowc(&wc, bytes, n, &state);
    if (used == static_cast<size_t>(-2) && n < sizeof bytes) continue;
    if (used == static_cast<size_t>(-1) || used == static_cast<size_t>(-2)) {
      *out = static_cast<unsigned char>(bytes[0]);  // Not valid in the locale: pass the byte.
      return 1;
    }
    *out = wc;
    return 1;
  }
}

char* LineEditor::PromptText() {
  prompt_ = hooks_.prompt();
  return prompt_.data();
}

int LineEditor::TerminalColumns() const {
  winsize ws = {};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

void LineEditor::ClearPromptArea() {
  const LineInfoW* li = el_wline(el_);
  int before = static_cast<int>(prompt_.size() + static_cast<size_t>(li->cursor - li->buffer));
  int rows_up = before / TerminalColumns();
  std::string s = "\r";
  if (rows_up > 0) s += "\033[" + std::to_string(rows_up) + "A";
  Write(s + "\033[J");
}

unsigned char LineEditor::OnAsync() {
  ClearPromptArea();
  hooks_.print_async();
  std::fflush(stdout);
  el_set(el_, EL_REFRESH);
  return CC_NORM;
}

unsigned char LineEditor::OnCancel() {
  const LineInfoW* li = el_wline(el_);
  el_cursor(el_, static_cast<int>(li->lastchar - li->cursor));
  li = el_wline(el_);
  el_deletestr(el_, static_cast<int>(li->cursor - li->buffer));
  Write("^C\n");
  el_set(el_, EL_REFRESH);
  return CC_NORM;
}

unsigned char LineEditor::OnComplete() {
  const LineInfo* li = el_line(el_);
  std::string before(li->buffer, static_cast<size_t>(li->cursor - li->buffer));
  CompletionResult r = hooks_.complete(before);
  if (!r.insert.empty()) {
    el_insertstr(el_, r.insert.c_str());
    return CC_REFRESH;
  }
  if (r.listing.empty()) return CC_REFRESH_BEEP;
  size_t width = 0;
  for (const auto& s : r.listing) width = std::max(width, s.size());
  width += 2;
  size_t per_row = std::max<size_t>(1, static_cast<size_t>(TerminalColumns()) / width);
  std::string out = "\n";
  for (size_t i = 0; i < r.listing.size(); ++i) {
    bool end_of_row = (i + 1) % per_row == 0 || i + 1 == r.listing.size();
    out += r.listing[i];
    out += end_of_row ? "\n" : std::string(width - r.listing[i].size(), ' ');
  }
  Write(out);
  el_set(el_, EL_REFRESH);
  return CC_NORM;
}

}  // namespace zk::zkcli
