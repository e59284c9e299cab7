// Client::Impl: the session engine behind zk::client::Client (internal header), and
// EventLoop::Impl, the io thread several of them may share.
//
// All state below the "io thread only" line is touched only on the io thread; the few fields
// that public methods read from other threads are guarded by mu_. With an io thread of its own,
// Impl outlives it: the thread holds a shared_ptr to it, and Close() joins the thread (or, when
// called on the io thread itself, lets it finish and destroy the Impl last). On a shared
// EventLoop, every pending handler holds a shared_ptr to the Impl (Keep()), so the Impl lives
// until the last of them has run after the close, and Close() waits for the close to finish.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>

#include <chrono>
#include <condition_variable>
#include <future>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "client/connect_string.h"
#include "client/event_loop.h"
#include "client/watch_registry.h"
#include "client/zk_client.h"

namespace zk::client {

using Clock = std::chrono::steady_clock;

// One request of the session (not pings, auth or setWatches, which the Impl sends itself).
struct Request {
  OpCode op = OpCode::kPing;
  std::string body;  // The record after the RequestHeader.
  // Called exactly once on the io thread: with the reply's error code and a reader over the
  // reply body, or with a client-side error (kConnectionLoss, kRequestTimeout, kClosing,
  // kSessionExpired...) and a null reader. May also be called inline by Submit when the
  // session is over.
  std::function<void(Err, proto::JuteReader*)> on_reply;
  Clock::time_point deadline = Clock::time_point::max();
  WatchKind watch_kind = WatchKind::kNone;
  std::string watch_path;  // Server path (with chroot).
  Watcher watcher;
  // Complete with kConnectionLoss at once instead of waiting in the queue for a connection.
  bool fail_if_disconnected = false;
  // io thread only:
  int32_t xid = 0;
  bool done = false;  // on_reply already called (timed out); a late reply is dropped.
};

class EventLoop::Impl {
 public:
  Impl();   // starts the thread
  ~Impl();  // waits for every client to be gone, then stops and joins the thread

  asio::io_context& io() { return io_; }
  std::thread::id thread_id() const { return thread_id_; }
  // A Client::Impl on this loop was constructed / destroyed.
  void ClientStarted();
  void ClientGone();

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  std::thread::id thread_id_;
  std::mutex mu_;
  std::condition_variable cv_;
  int clients_ = 0;
};

class Client::Impl {
 public:
  // `tls_context` is set when options.tls.enabled (see MakeTlsContext).
  Impl(Options options, ConnectString cs, std::shared_ptr<asio::ssl::context> tls_context);
  ~Impl();

  void StartThread(std::shared_ptr<Impl> self);

  // Any thread. Completes inline (on the caller's thread) if the session is over.
  void Submit(std::shared_ptr<Request> req);
  void AddAuth(std::string scheme, std::string auth, Callback<void> cb);
  void Close();
  Result<void> WaitConnected(std::chrono::milliseconds timeout);
  void DropConnection();
  // Client::UpdateServerList on the io thread.
  void UpdateHosts(std::vector<HostPort> hosts);

  // io thread only. Removes the client's watchers of `type` at `server_path` and tells each of
  // them with its removal event; false if there was none.
  bool RemoveLocalWatches(const std::string& server_path, WatcherType type);

  bool OnIoThread() const { return std::this_thread::get_id() == io_thread_id_; }
  // What a handler captures to keep this Impl alive until it ran: a shared_ptr on a shared
  // EventLoop, null with an io thread of its own (whose thread keeps the Impl alive).
  std::shared_ptr<Impl> Keep() const { return shared_loop() ? self_.lock() : nullptr; }
  bool shared_loop() const { return registration_.loop != nullptr; }
  const ConnectString& cs() const { return cs_; }
  Clock::duration request_timeout() const { return options_.request_timeout; }

  uint64_t AddStateListener(StateListener listener);
  void RemoveStateListener(uint64_t id);

  int64_t session_id() const;
  std::string session_password() const;
  std::chrono::milliseconds negotiated_timeout() const;
  ConnectionState state() const;
  bool connected() const;

 private:
  enum class Phase { kIdle, kResolving, kConnecting, kHandshaking, kConnected, kClosing, kDone };

  // Connection (client_conn.cc).
  void StartConnect();
  void ScheduleReconnect();
  void OnConnected(uint64_t gen);
  void StartTlsHandshake(uint64_t gen);
  void SendConnectRequest(uint64_t gen);
  void StartRead(uint64_t gen);
  void OnBytes(uint64_t gen);
  uint32_t FrameLength() const;  // Of the frame at in_begin_ (4 bytes available).
  void OnFrame(std::string_view frame);
  void OnHandshake(proto::JuteReader& r);
  void OnReply(proto::JuteReader& r);
  void OnNotification(proto::JuteReader& r);
  void Disconnect(Err why);
  void Tick();
  void ArmTick();
  void WriteFrame(const std::string& frame);
  void SendRequest(const std::shared_ptr<Request>& req);
  void SendPing();
  void SendAuths();
  void SendSetWatches();
  void KickWrite();

  // Read-only sessions (client_read_only.cc): while connected to a read-only server, the other
  // hosts are probed in turn with `isro` (ClientCnxn's pingRwServer: 100 ms after connecting,
  // then twice as long each time up to a minute) and the client moves to the first that
  // answers "rw".
  void StartRwProbing();
  void ArmRwProbe();
  void ProbeHost(size_t index);
  void ProbeDone(uint64_t gen, size_t index, bool rw);
  void StopRwProbing();

  // Session end (client_session.cc).
  void Enqueue(std::shared_ptr<Request> req);
  void Terminate(ConnectionState final_state, Err err);
  void StartClose();
  void FinishClose();
  void FailAll(Err err);
  void Notify(ConnectionState st);
  void RegisterWatch(Request& req, Err err);
  void FireWatches(const WatchEvent& ev);
  void ExpireTimedOutRequests(Clock::time_point now);
  void TrackDeadline(const std::shared_ptr<Request>& req);
  void Deliver(const std::vector<WatcherPtr>& watchers, const WatchEvent& ev);

  const Options options_;
  const ConnectString cs_;

  // Registers this Impl with the shared loop, and unregisters it last of all its members, once
  // its sockets and timers are gone (the loop may be destroyed from then on).
  struct LoopRegistration {
    explicit LoopRegistration(EventLoop::Impl* l) : loop(l) {
      if (loop != nullptr) loop->ClientStarted();
    }
    ~LoopRegistration() {
      if (loop != nullptr) loop->ClientGone();
    }
    LoopRegistration(const LoopRegistration&) = delete;
    LoopRegistration& operator=(const LoopRegistration&) = delete;
    EventLoop::Impl* const loop;
  };
  const LoopRegistration registration_;
  std::unique_ptr<asio::io_context> own_io_;   // without a shared loop
  asio::io_context& io_;                       // the loop's or own_io_
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;  // the own io thread
  std::thread::id io_thread_id_;
  std::weak_ptr<Impl> self_;  // set by StartThread

  // Guarded by mu_ (read by other threads).
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Err terminal_err_ = Err::kOk;  // Once set, Submit completes inline with it.
  bool close_requested_ = false;
  size_t posted_ = 0;  // Submits posted to the io thread and not yet enqueued.
  bool thread_joined_ = false;
  bool closed_ = false;  // FinishClose ran (what Close waits for on a shared loop)
  ConnectionState state_ = ConnectionState::kSuspended;
  bool connected_ = false;
  int64_t session_id_ = 0;
  std::string passwd_;
  int32_t negotiated_ms_ = 0;

  // ---- io thread only ----
  Phase phase_ = Phase::kIdle;
  bool ever_connected_ = false;
  asio::ip::tcp::socket socket_;
  // TLS over socket_ for the current connection (a new one per connection). Handlers hold a
  // reference, so a stream outlives its last operation after a disconnect.
  std::shared_ptr<asio::ssl::context> tls_context_;
  std::shared_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
  std::string current_host_;  // the host of the current connection attempt
  HostPort current_;          // the host and port of the current connection attempt
  asio::ip::tcp::resolver resolver_;
  asio::steady_timer tick_timer_;
  asio::steady_timer backoff_timer_;
  uint64_t gen_ = 0;  // Connection generation; completions of older connections are ignored.
  std::vector<HostPort> hosts_;
  size_t next_host_ = 0;
  size_t attempts_in_round_ = 0;
  std::mt19937_64 rng_;
  Clock::time_point attempt_deadline_;
  Clock::time_point last_recv_;
  Clock::time_point last_send_;
  Clock::time_point last_heard_;  // Last time the session was known alive (for local expiry).
  Clock::time_point close_deadline_;
  Clock::duration read_timeout_{};
  int64_t last_zxid_ = 0;
  int32_t next_xid_ = 1;
  std::vector<char> in_buf_;  // Received bytes; frames are parsed in place.
  size_t in_begin_ = 0;       // First unparsed byte.
  size_t in_end_ = 0;         // End of the received bytes.
  std::string out_pending_;
  std::string out_inflight_;
  bool writing_ = false;
  std::deque<std::shared_ptr<Request>> queued_;  // Not yet sent (timed-out ones are skipped).
  std::deque<std::shared_ptr<Request>> sent_;    // Sent, awaiting replies in order.
  // Min-heap (by deadline) of the requests with a timeout. Completed requests stay until their
  // deadline or the next compaction (when the heap doubled since the last one).
  struct Deadline {
    Clock::time_point at;
    std::shared_ptr<Request> req;
    bool operator<(const Deadline& o) const { return at > o.at; }  // std heap: max first.
  };
  std::vector<Deadline> deadlines_;
  size_t compact_deadlines_at_ = 1024;
  struct Auth {
    std::string scheme;
    std::string auth;
    Callback<void> unsent_cb;  // Callback of an AddAuth not yet sent.
  };
  // Sends one addAuth packet; its answer goes to a.unsent_cb.
  void SendAuth(Auth& a);
  std::vector<Auth> auths_;
  std::deque<Callback<void>> auth_waiters_;  // One per auth packet sent (null for re-sends).
  WatchRegistry watches_;

  // Read-only sessions (client_read_only.cc).
  bool read_only_ = false;       // the current connection is to a read-only server
  bool seen_rw_server_ = false;  // the session exists on the quorum (else reconnects start anew)
  asio::steady_timer probe_timer_;
  asio::ip::tcp::socket probe_socket_;
  asio::ip::tcp::resolver probe_resolver_;
  uint64_t probe_gen_ = 0;
  std::chrono::milliseconds probe_delay_{0};
  std::string probe_answer_;

  // Listeners of AddStateListener. listeners_mu_ guards the map; notifying_mu_ is held while
  // they are called (on the io thread), so RemoveStateListener from another thread can wait
  // for a running call to finish.
  std::mutex listeners_mu_;
  std::mutex notifying_mu_;
  uint64_t next_listener_id_ = 1;
  std::map<uint64_t, std::shared_ptr<StateListener>> listeners_;
};

// The TLS context of options.tls (CA, client certificate and key, verification), or
// kBadArguments when a file cannot be used.
Result<std::shared_ptr<asio::ssl::context>> MakeTlsContext(const TlsOptions& tls);

// Builds a request whose reply decodes into T with `decode(JuteReader&, T*) -> bool`.
template <class T, class Decode>
std::shared_ptr<Request> MakeRequest(Client::Impl* impl, OpCode op, std::string body,
                                     Callback<T> cb, Decode decode) {
  auto req = std::make_shared<Request>();
  req->op = op;
  req->body = std::move(body);
  if (impl->request_timeout().count() > 0) req->deadline = Clock::now() + impl->request_timeout();
  req->on_reply = [cb = std::move(cb), decode = std::move(decode)](Err err,
                                                                   proto::JuteReader* r) {
    if (err != Err::kOk) {
      cb(err);
      return;
    }
    if constexpr (std::is_void_v<T>) {
      (void)r;
      (void)decode;
      cb(Result<void>());
    } else {
      T value{};
      if (!decode(*r, &value)) {
        cb(Err::kMarshallingError);
        return;
      }
      cb(std::move(value));
    }
  };
  return req;
}

struct NoDecode {
  bool operator()(proto::JuteReader&, void*) const { return true; }
};

template <class Record>
std::string Encode(const Record& rec) {
  proto::JuteWriter w;
  rec.Write(w);
  return w.Take();
}

}  // namespace zk::client
