#include "client/zkcli/shell.h"

#include <pthread.h>
#include <signal.h>

#include <ctime>
#include <iostream>

#include "client/zkcli/commands.h"

namespace zk::zkcli {

std::atomic<bool> g_interrupted{false};

namespace {

Wakeup* g_interrupt_wakeup = nullptr;

void OnSigint(int) {
  g_interrupted.store(true);
  if (g_interrupt_wakeup) g_interrupt_wakeup->Notify();
}

// Prompt states; kConnecting until the first connection.
enum DisplayState : int {
  kShowConnecting = 0,
  kShowReadOnly,
  kShowConnected,
  kShowExpired,
  kShowAuthFailed,
  kShowClosed
};

const char* DisplayName(int s) {
  switch (s) {
    case kShowConnected:
      return "CONNECTED";
    case kShowReadOnly:
      return "CONNECTEDREADONLY";
    case kShowExpired:
      return "EXPIRED";
    case kShowAuthFailed:
      return "AUTH_FAILED";
    case kShowClosed:
      return "CLOSED";
    default:
      return "CONNECTING";
  }
}

int DisplayFor(client::ConnectionState s) {
  switch (s) {
    case client::ConnectionState::kConnected:
    case client::ConnectionState::kReconnected:
      return kShowConnected;
    case client::ConnectionState::kReadOnly:
      return kShowReadOnly;
    case client::ConnectionState::kSuspended:
      return kShowConnecting;
    case client::ConnectionState::kExpired:
      return kShowExpired;
    case client::ConnectionState::kAuthFailed:
      return kShowAuthFailed;
    case client::ConnectionState::kClosed:
      return kShowClosed;
  }
  return kShowConnecting;
}

// The session event zkCli.sh prints for a state change.
client::WatchEvent StateEvent(client::ConnectionState s) {
  client::WatchEvent e;
  e.type = EventType::kNone;
  switch (s) {
    case client::ConnectionState::kConnected:
    case client::ConnectionState::kReconnected:
      e.state = KeeperState::kSyncConnected;
      break;
    case client::ConnectionState::kReadOnly:
      e.state = KeeperState::kConnectedReadOnly;
      break;
    case client::ConnectionState::kSuspended:
      e.state = KeeperState::kDisconnected;
      break;
    case client::ConnectionState::kExpired:
      e.state = KeeperState::kExpired;
      break;
    case client::ConnectionState::kAuthFailed:
      e.state = KeeperState::kAuthFailed;
      break;
    case client::ConnectionState::kClosed:
      e.state = KeeperState::kClosed;
      break;
  }
  return e;
}

}  // namespace

void InstallInterruptHandler(Wakeup* wakeup) {
  g_interrupt_wakeup = wakeup;
  struct sigaction sa = {};
  sa.sa_handler = OnSigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // No SA_RESTART: poll(2) and read(2) return EINTR.
  sigaction(SIGINT, &sa, nullptr);
}

Shell::Shell(MainOptions options, Mode mode)
    : options_(std::move(options)),
      mode_(mode),
      events_(std::make_shared<EventQueue>(&wakeup_)),
      state_(std::make_shared<std::atomic<int>>(kShowConnecting)) {
  Connect(options_.server);
}

Shell::~Shell() { CloseSession(); }

void Shell::Connect(const std::string& server) {
  CloseSession();
  server_ = server;
  state_ = std::make_shared<std::atomic<int>>(kShowConnecting);
  watches_ = std::make_shared<WatchPrinter>(events_);
  ever_connected_check_done_ = false;
  client::Options o;
  o.connect_string = server;
  o.session_timeout = options_.session_timeout;
  o.request_timeout = options_.request_timeout;
  o.can_be_read_only = options_.read_only;
  o.tls.enabled = options_.tls;
  o.tls.ca_file = options_.tls_ca;
  o.tls.cert_file = options_.tls_cert;
  o.tls.key_file = options_.tls_key;
  o.tls.key_password = options_.tls_key_password;
  o.tls.verify_hostname = options_.tls_verify_hostname;
  std::weak_ptr<EventQueue> weak_events = events_;
  auto state = state_;
  o.state_listener = [weak_events, state](client::ConnectionState s) {
    state->store(DisplayFor(s));
    if (auto q = weak_events.lock()) {
      q->Push(QueuedEvent{StateEvent(s), s, std::chrono::system_clock::now()});
    }
  };
  // The client's io thread never takes SIGINT, so the handler runs on the main thread and
  // interrupts (EINTR) the wait it is in; the line editor also hears of it through the wakeup
  // pipe, whichever thread ran the handler. Threads inherit the mask, so block it around the
  // thread's creation.
  sigset_t sigint, previous;
  sigemptyset(&sigint);
  sigaddset(&sigint, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigint, &previous);
  auto started = client::Client::Start(std::move(o));
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (!started.ok()) {
    state_->store(kShowClosed);
    if (options_.tls) {
      err() << "Cannot connect to \"" << server
            << "\": not a valid host:port[,host:port...][/chroot], or a TLS file (--tls-ca, "
               "--tls-cert, --tls-key) cannot be used"
            << std::endl;
    } else {
      err() << "Cannot connect to \"" << server
            << "\": not a valid host:port[,host:port...][/chroot]" << std::endl;
    }
    return;
  }
  client_ = std::move(started).value();
}

void Shell::CloseSession() {
  if (client_) {
    client_->Close();
    client_.reset();
  }
  state_->store(kShowClosed);
}

std::string Shell::Prompt() const {
  return "[zk: " + server_ + "(" + DisplayName(state_->load()) + ") " +
         std::to_string(history_.size()) + "] ";
}

std::ostream& Shell::out() { return std::cout; }
std::ostream& Shell::err() { return std::cerr; }

void Shell::EmitJson(const Json& j) {
  out() << j.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
}

client::Client& Shell::Session() {
  if (!client_) throw CommandError{kExitNotConnected, "Not connected"};
  int s = state_->load();
  if (s == kShowExpired) Fail(Err::kSessionExpired, "");
  if (s == kShowAuthFailed) Fail(Err::kAuthFailed, "");
  if (s == kShowClosed) throw CommandError{kExitNotConnected, "Not connected"};
  if (!ever_connected_check_done_) {
    // Before the first connection, fail fast with a clear message instead of queueing.
    auto deadline = std::chrono::steady_clock::now() + options_.request_timeout;
    while (!client_->connected()) {
      ThrowIfInterrupted();
      if (std::chrono::steady_clock::now() >= deadline) {
        throw CommandError{kExitNotConnected,
                           "Not connected: no server of " + server_ + " answered within " +
                               std::to_string(options_.request_timeout.count()) + " ms"};
      }
      client_->WaitConnected(std::chrono::milliseconds(50));
      DrainEvents();
      s = state_->load();
      if (s == kShowExpired || s == kShowAuthFailed || s == kShowClosed) {
        throw CommandError{kExitNotConnected, "Not connected"};
      }
    }
    ever_connected_check_done_ = true;
  }
  return *client_;
}

void Shell::Fail(Err err, std::string_view path) {
  throw CommandError{ExitCodeFor(err), ErrorMessage(err, path)};
}

void Shell::UsageError(std::string_view command, std::string_view message) {
  const CommandDef* def = FindCommand(command);
  std::string usage = def ? UsageLine(*def) : std::string(command);
  std::string msg = message.empty() ? "Usage: " + usage
                                    : std::string(command) + ": " + std::string(message) +
                                          " (usage: " + usage + ")";
  throw CommandError{kExitUsage, msg};
}

void Shell::ThrowIfInterrupted() {
  if (g_interrupted.exchange(false)) throw CommandError{kExitInterrupted, "Interrupted"};
}

client::Watcher Shell::PrintingWatcher(WatchClass cls, const std::string& path) {
  return watches_->OneShot(cls, path);
}

client::Watcher Shell::PrintingListener(const std::string& path, AddWatchMode mode) {
  return watches_->Persistent(path, mode);
}

void Shell::ForgetWatch(WatchClass cls, const std::string& path) { watches_->Forget(cls, path); }

int Shell::DrainEvents() {
  auto events = events_->TakeAll();
  int printed = 0;
  for (const auto& e : events) {
    if (e.state) {
      // Session events: zkCli.sh prints them in its interactive shell only.
      if (mode_ != Mode::kInteractive || *e.state == client::ConnectionState::kClosed) continue;
    }
    if (!printwatches) continue;
    if (json()) {
      EmitJson(Json{{"event", EventJson(e.event)}});
    } else {
      out() << "\nWATCHER::\n\n" << FormatEvent(e.event) << "\n";
    }
    ++printed;
  }
  if (printed) out().flush();
  return printed;
}

std::optional<std::vector<std::string>> Shell::ListForCompletion(const std::string& path) {
  if (!client_ || !client_->connected()) return std::nullopt;
  auto f = client_->GetChildrenFuture(path);
  if (f.wait_for(std::chrono::seconds(2)) != std::future_status::ready) return std::nullopt;
  auto r = f.get();
  if (!r.ok()) return std::nullopt;
  return r->children;
}

int Shell::RunLine(const std::string& line) {
  size_t first = line.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || line[first] == '#') return kExitOk;
  std::string error;
  auto words = SplitWords(line, &error);
  history_.push_back(line.substr(first));
  if (!words) {
    err() << "Cannot parse the line: " << error << std::endl;
    return last_exit_code_ = kExitUsage;
  }
  if ((*words)[0] == "redo") return last_exit_code_ = RunRedo(*words);
  return last_exit_code_ = Dispatch(*words);
}

int Shell::RunWords(const std::vector<std::string>& words) {
  if (words.empty()) return kExitOk;
  return last_exit_code_ = Dispatch(words);
}

int Shell::RunRedo(const std::vector<std::string>& words) {
  // The redo line itself is history_.back(); it is replaced by the command it repeats.
  auto n = words.size() == 2 ? ParseInt(words[1], 0, INT32_MAX) : std::nullopt;
  if (!n || static_cast<size_t>(*n) + 1 >= history_.size()) {
    err() << (words.size() == 2 ? "Command index out of range" : "Usage: redo cmdno") << std::endl;
    return kExitUsage;
  }
  std::string target = history_[static_cast<size_t>(*n)];
  auto again = SplitWords(target, nullptr);
  if (!again || again->empty()) return kExitUsage;
  if ((*again)[0] == "redo") {
    err() << "No redoing redos" << std::endl;
    return kExitUsage;
  }
  history_.back() = target;
  return Dispatch(*again);
}

int Shell::Dispatch(const std::vector<std::string>& words) {
  g_interrupted.store(false);
  int code = kExitOk;
  try {
    const CommandDef* def = FindCommand(words[0]);
    if (!def || !def->run) {
      throw CommandError{
          kExitUsage, "Command not found: " + words[0] + " (type 'help' for the list of commands)"};
    }
    std::string error;
    std::vector<std::string> rest(words.begin() + 1, words.end());
    auto args = ParseCommandArgs(def->options, rest, &error);
    if (!args) UsageError(def->name, error);
    if (args->positional.size() < def->min_args) UsageError(def->name);
    if (args->positional.size() > def->max_args) UsageError(def->name, "too many arguments");
    def->run(*this, *args);
  } catch (const CommandError& e) {
    out().flush();
    if (!e.message.empty()) err() << e.message << std::endl;
    code = e.exit_code;
  } catch (const std::exception& e) {
    out().flush();
    err() << "Error: " << e.what() << std::endl;
    code = kExitFailed;
  }
  out().flush();
  DrainEvents();
  return code;
}

}  // namespace zk::zkcli
