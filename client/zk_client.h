// zk::client::Client: an asynchronous ZooKeeper client session.
//
// One Client is one ZooKeeper session. It owns one internal io thread (standalone asio), or
// shares one with other clients (Options::event_loop, client/event_loop.h), that runs the
// connection: handshake, pipelined requests (many outstanding at once, replies matched
// in order), pings, reconnects to the next host with session resume, watch re-registration and
// timers. Every operation exists in three forms:
//
//   void GetDataAsync(path, watcher, Callback<DataResult> cb);   // cb runs on the io thread
//   std::future<Result<DataResult>> GetDataFuture(path, watcher);
//   Result<DataResult> GetData(path, watcher);                   // blocks the calling thread
//
// Results are values (Result<T>, see client/result.h) carrying ZooKeeper's error codes; no
// exception crosses this API.
//
// Threading:
// * Every public method is thread-safe and may be called from any thread, concurrently.
// * Callbacks (operation callbacks, watchers, the connection-state listener) all run on the
//   internal io thread, one at a time, in the order the events happened. They must not block: a
//   blocking callback stalls the whole session (no replies, no pings). In particular the blocking
//   wrappers (the methods without Async/Future suffix) must not be called from a callback: the
//   client detects this and returns Err::kInvalidState at once instead of deadlocking. The Async
//   and Future forms may be called from callbacks (do not wait on such a future there).
// * The only callback that may run on the caller's thread is an operation callback of a request
//   issued after Close() (or after the session ended): it is invoked inline with kClosing /
//   kSessionExpired / kAuthFailed before the Async method returns.
//
// Ordering: requests are sent in the order they were issued (per client, across threads in the
// order their calls returned) and completed in that order; a watch event is delivered before the
// reply of any request that the server answered after triggering it.
//
// Failures: a request that was sent on a connection that then breaks completes with
// kConnectionLoss (it is never retried silently: it may or may not have been applied). Requests
// issued while the client is (re)connecting wait in a queue and are sent once a connection is
// established. A request with a timeout (Options::request_timeout) completes with kRequestTimeout
// if no reply arrived in time; its late reply is discarded. When the session expires every queued
// and outstanding request completes with kSessionExpired, and so does every later request.
//
// Ownership: the Client owns its thread (unless it shares an EventLoop), socket and all
// registered watchers. Destroying it calls Close().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "client/event_loop.h"
#include "client/proto/records.h"
#include "client/proto/wire_constants.h"
#include "client/result.h"

namespace zk::client {

using proto::Acl;
using proto::Id;
using proto::Stat;

// world:anyone with all permissions (ZooDefs.Ids.OPEN_ACL_UNSAFE).
std::vector<Acl> OpenAclUnsafe();
// world:anyone read-only (READ_ACL_UNSAFE).
std::vector<Acl> ReadAclUnsafe();
// All permissions for the authenticated ids of the creating session (CREATOR_ALL_ACL).
std::vector<Acl> CreatorAllAcl();
// The id of the digest scheme for "user:password": "user:base64(sha1(user:password))".
std::string DigestId(std::string_view user, std::string_view password);

// The connection state model, reported to Options::state_listener:
//   kConnected   - the session was established (first connection only).
//   kSuspended   - the connection broke; the client is reconnecting. The session may still be
//                  alive; outstanding requests failed with kConnectionLoss.
//   kReconnected - a connection was re-established and the same session resumed (watches
//                  re-registered).
//   kExpired     - the session is gone: the server said so, or no server could be reached within
//                  the session timeout. Terminal; ephemerals are (or will be) deleted by the
//                  server. Create a new Client.
//   kAuthFailed  - the server rejected an addAuth. Terminal (as in the Java client).
//   kClosed      - Close() finished. Terminal.
//   kReadOnly    - connected (first time or again) to a server that is partitioned from its
//                  quorum and serves reads only (only with Options::can_be_read_only); writes
//                  and sync fail with kNotReadOnly. Meanwhile the client asks the other hosts
//                  `isro` in the background (as the Java client) and moves to the first
//                  read-write one (kSuspended, then kReconnected; or kConnected with a new
//                  session id if the session was created read-only: such a session exists only
//                  on that server, and until a read-write server was reached every connection
//                  asks for a new session, as the Java client).
enum class ConnectionState {
  kConnected,
  kSuspended,
  kReconnected,
  kExpired,
  kAuthFailed,
  kClosed,
  kReadOnly,
};
std::string_view ConnectionStateName(ConnectionState state);

// A watch notification. `path` is relative to the chroot. For session events (type kNone) the
// state is kExpired (the session ended: every registered watcher gets exactly one such event) or,
// for persistent listeners only, kClosed (Close() ended the session). RemoveWatches reports
// kDataWatchRemoved / kChildWatchRemoved / kPersistentWatchRemoved to each watcher it removes.
struct WatchEvent {
  EventType type = EventType::kNone;
  KeeperState state = KeeperState::kSyncConnected;
  std::string path;
};

// A one-shot watcher is called at most once, on the io thread. Registered with AddWatch* it is a
// persistent listener instead, called for every event until its final one (see AddWatchAsync).
using Watcher = std::function<void(const WatchEvent&)>;
using StateListener = std::function<void(ConnectionState)>;
template <class T>
using Callback = std::function<void(Result<T>)>;

struct CreateResult {
  std::string path;  // The created path (with the sequence suffix), relative to the chroot.
  Stat stat;
};

struct DataResult {
  std::string data;
  Stat stat;
};

struct AclResult {
  std::vector<Acl> acl;
  Stat stat;
};

struct ChildrenResult {
  std::vector<std::string> children;  // Names, not paths; in the server's order.
  Stat stat;                          // Only filled by GetChildren2* (zeroes otherwise).
};

// One operation of a multi. Build with the static constructors.
struct Op {
  OpCode type = OpCode::kCheck;
  std::string path;
  std::string data;
  std::vector<Acl> acl;
  CreateMode mode = CreateMode::kPersistent;
  int64_t ttl_ms = 0;
  int32_t version = kAnyVersion;

  static Op Create(std::string path, std::string data, std::vector<Acl> acl,
                   CreateMode mode = CreateMode::kPersistent, int64_t ttl_ms = 0);
  static Op Delete(std::string path, int32_t version = kAnyVersion);
  static Op SetData(std::string path, std::string data, int32_t version = kAnyVersion);
  static Op Check(std::string path, int32_t version);
  // Read ops, for MultiRead only (no watch).
  static Op GetData(std::string path);
  static Op GetChildren(std::string path);
};

// The result of one op of a multi. On success: `path` (create; relative to the chroot) and `stat`
// (create, setData) are filled. When the multi failed, every op has err != kOk: the op that failed
// has its real code, the others kOk (before it) or kRuntimeInconsistency (after it), as the server
// reports them.
// In a MultiRead every op succeeds or fails on its own: `err` is that op's code; on success
// `data` and `stat` (getData) or `children` (getChildren) are filled.
struct OpResult {
  OpCode type = OpCode::kError;
  Err err = Err::kOk;
  std::string path;
  Stat stat;
  std::string data;
  std::vector<std::string> children;
};

// A multi is all-or-nothing. A Result<MultiResult> that is !ok() means the multi could not be
// executed at all (connection loss, timeout, bad arguments...). An ok() Result still has to be
// checked: `err` is kOk if every op was applied, else the code of the first failing op (and
// nothing was applied).
struct MultiResult {
  Err err = Err::kOk;
  std::vector<OpResult> results;
  bool committed() const { return err == Err::kOk; }
};

struct ClientInfo {
  std::string auth_scheme;
  std::string user;
};

// TLS to the servers (their secureClientPort, or a port with client.portUnification). Files are
// PEM; they are read by Client::Start (an unreadable or mismatched file is kBadArguments), so a
// renewed certificate takes a new Client.
struct TlsOptions {
  bool enabled = false;
  std::string ca_file;    // CA bundle that verifies the server; empty = the system's CAs
  std::string cert_file;  // the client's certificate chain, for servers with ssl.clientAuth
  std::string key_file;   // its private key; empty = in cert_file (ZooKeeper's PEM key store)
  std::string key_password;  // for an encrypted key
  // Check that the server's certificate names the host connected to (DNS name or IP address),
  // as ZooKeeper's client does by default (zookeeper.ssl.hostnameVerification).
  bool verify_hostname = true;
};

struct Options {
  // "host:port,host:port/chroot". Hosts are tried in a shuffled order (IPv4 literals or names;
  // "[v6]:port" for IPv6 literals). The chroot, if any, is prepended to every request path and
  // stripped from every path in responses and events.
  std::string connect_string;
  // Requested session timeout; the server negotiates it (see Client::negotiated_timeout()).
  std::chrono::milliseconds session_timeout{10000};
  // Per-request timeout measured from the call; 0 = none (wait until reply, connection loss or
  // session end). Expired requests complete with kRequestTimeout.
  std::chrono::milliseconds request_timeout{0};
  // Accept a read-only session from a server partitioned from its quorum (the handshake's
  // read-only flag; the Java client's canBeReadOnly). See ConnectionState::kReadOnly.
  bool can_be_read_only = false;
  // Resume an existing session (e.g. of another Client) instead of creating one. 0 = new session.
  int64_t session_id = 0;
  std::string session_password;
  // Seed for the host shuffle and the reconnect jitter; 0 = random.
  uint64_t seed = 0;
  // Limits: requests waiting or outstanding (more fail with kThrottledOp) and the largest frame
  // accepted from the server.
  size_t max_pending_requests = 100000;
  size_t max_frame_bytes = 16 * 1024 * 1024;
  // Called on the io thread on every state change.
  StateListener state_listener;
  TlsOptions tls;
  // Run on this shared io thread instead of one of the client's own (not owned; it must outlive
  // the client). Null: the client starts its own.
  EventLoop* event_loop = nullptr;
};

// The client connect string ("host:port,...") of a configuration's text (GetConfig's data):
// each member's client address and port, a wildcard address (0.0.0.0, ::) replaced by the
// member's quorum host; members without a client port are left out. Empty when there is none.
std::string ClientHostsOf(std::string_view config_text);

class Client {
 public:
  // Validates the options, starts the io thread (or joins the shared one) and begins
  // connecting. Does not wait for the connection: requests issued before it is up are queued.
  // Errors: kBadArguments (malformed connect string or chroot, no host, non-positive timeout).
  static Result<std::unique_ptr<Client>> Start(Options options);

  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Blocks until the session is connected (kOk), or ended (kSessionExpired, kAuthFailed,
  // kClosing), or `timeout` passed (kOperationTimeout). kInvalidState from a callback.
  Result<void> WaitConnected(std::chrono::milliseconds timeout);

  // Ends the session: waits (bounded by the request timeout, or the negotiated read timeout)
  // for outstanding requests and the closeSession reply, completes everything still pending
  // with kClosing, reports kClosed, and joins the io thread (on a shared EventLoop: waits until
  // the close is done). Idempotent. After Close returns no
  // callback of this client runs any more (except inline ones of later requests, see above).
  // Called from a callback, Close only starts closing and returns at once.
  void Close();

  // Session identity (0 / empty before the first connection). Thread-safe snapshots.
  int64_t session_id() const;
  std::string session_password() const;
  std::chrono::milliseconds negotiated_timeout() const;
  ConnectionState state() const;
  bool connected() const;

  // --- create ---------------------------------------------------------------------------------
  // TTL modes need ttl_ms in (0, 2^40); other modes need ttl_ms == 0 (else kBadArguments).
  void CreateAsync(std::string_view path, std::string_view data, std::vector<Acl> acl,
                   CreateMode mode, int64_t ttl_ms, Callback<CreateResult> cb);
  std::future<Result<CreateResult>> CreateFuture(std::string_view path, std::string_view data,
                                                 std::vector<Acl> acl,
                                                 CreateMode mode = CreateMode::kPersistent,
                                                 int64_t ttl_ms = 0);
  Result<CreateResult> Create(std::string_view path, std::string_view data,
                              std::vector<Acl> acl = OpenAclUnsafe(),
                              CreateMode mode = CreateMode::kPersistent, int64_t ttl_ms = 0);

  // --- delete ---------------------------------------------------------------------------------
  void DeleteAsync(std::string_view path, int32_t version, Callback<void> cb);
  std::future<Result<void>> DeleteFuture(std::string_view path, int32_t version = kAnyVersion);
  Result<void> Delete(std::string_view path, int32_t version = kAnyVersion);

  // --- exists: kNoNode if absent. A watcher is registered in both cases (it then fires on
  // kNodeCreated). --------------------------------------------------------------------------
  void ExistsAsync(std::string_view path, Watcher watcher, Callback<Stat> cb);
  std::future<Result<Stat>> ExistsFuture(std::string_view path, Watcher watcher = nullptr);
  Result<Stat> Exists(std::string_view path, Watcher watcher = nullptr);

  // --- getData / setData ----------------------------------------------------------------------
  void GetDataAsync(std::string_view path, Watcher watcher, Callback<DataResult> cb);
  std::future<Result<DataResult>> GetDataFuture(std::string_view path, Watcher watcher = nullptr);
  Result<DataResult> GetData(std::string_view path, Watcher watcher = nullptr);

  void SetDataAsync(std::string_view path, std::string_view data, int32_t version,
                    Callback<Stat> cb);
  std::future<Result<Stat>> SetDataFuture(std::string_view path, std::string_view data,
                                          int32_t version = kAnyVersion);
  Result<Stat> SetData(std::string_view path, std::string_view data,
                       int32_t version = kAnyVersion);

  // --- ACLs -----------------------------------------------------------------------------------
  void GetAclAsync(std::string_view path, Callback<AclResult> cb);
  std::future<Result<AclResult>> GetAclFuture(std::string_view path);
  Result<AclResult> GetAcl(std::string_view path);

  void SetAclAsync(std::string_view path, std::vector<Acl> acl, int32_t version,
                   Callback<Stat> cb);
  std::future<Result<Stat>> SetAclFuture(std::string_view path, std::vector<Acl> acl,
                                         int32_t version = kAnyVersion);
  Result<Stat> SetAcl(std::string_view path, std::vector<Acl> acl,
                      int32_t version = kAnyVersion);

  // --- children -------------------------------------------------------------------------------
  // GetChildren* uses getChildren (no Stat); GetChildren2* uses getChildren2 (with Stat).
  void GetChildrenAsync(std::string_view path, Watcher watcher, Callback<ChildrenResult> cb);
  std::future<Result<ChildrenResult>> GetChildrenFuture(std::string_view path,
                                                        Watcher watcher = nullptr);
  Result<ChildrenResult> GetChildren(std::string_view path, Watcher watcher = nullptr);

  void GetChildren2Async(std::string_view path, Watcher watcher, Callback<ChildrenResult> cb);
  std::future<Result<ChildrenResult>> GetChildren2Future(std::string_view path,
                                                         Watcher watcher = nullptr);
  Result<ChildrenResult> GetChildren2(std::string_view path, Watcher watcher = nullptr);

  // Number of all descendants of `path` (not counting itself).
  void GetAllChildrenNumberAsync(std::string_view path, Callback<int32_t> cb);
  std::future<Result<int32_t>> GetAllChildrenNumberFuture(std::string_view path);
  Result<int32_t> GetAllChildrenNumber(std::string_view path);

  // This session's ephemeral nodes whose paths start with `prefix` ("/" = all), as paths
  // relative to the chroot.
  void GetEphemeralsAsync(std::string_view prefix, Callback<std::vector<std::string>> cb);
  std::future<Result<std::vector<std::string>>> GetEphemeralsFuture(std::string_view prefix);
  Result<std::vector<std::string>> GetEphemerals(std::string_view prefix);

  // --- sync: returns the path --------------------------------------------------------------------
  void SyncAsync(std::string_view path, Callback<std::string> cb);
  std::future<Result<std::string>> SyncFuture(std::string_view path);
  Result<std::string> Sync(std::string_view path);

  // --- multi (all-or-nothing; see MultiResult) -----------------------------------------------
  void MultiAsync(std::vector<Op> ops, Callback<MultiResult> cb);
  std::future<Result<MultiResult>> MultiFuture(std::vector<Op> ops);
  Result<MultiResult> Multi(std::vector<Op> ops);

  // --- check: kOk if `path` exists with `version` (kAnyVersion: any), else kNoNode or
  // kBadVersion. Sent as a multi of one check op, which every server version supports. -------
  void CheckAsync(std::string_view path, int32_t version, Callback<void> cb);
  std::future<Result<void>> CheckFuture(std::string_view path, int32_t version);
  Result<void> Check(std::string_view path, int32_t version);

  // --- multiRead (ZooKeeper 3.6+): Op::GetData / Op::GetChildren ops, each answered on its own
  // (see OpResult), read at one point of the session's order. kBadArguments for a write op. -----
  void MultiReadAsync(std::vector<Op> ops, Callback<std::vector<OpResult>> cb);
  std::future<Result<std::vector<OpResult>>> MultiReadFuture(std::vector<Op> ops);
  Result<std::vector<OpResult>> MultiRead(std::vector<Op> ops);

  // --- persistent watches (addWatch, ZooKeeper 3.6+) -------------------------------------------
  // Registers `listener` as a persistent watch on `path` once the server accepted it:
  //   kPersistent:          created, deleted, data changed and children changed of `path`;
  //   kPersistentRecursive: created, deleted and data changed of `path` and of every node below
  //                         it (never children changed).
  // Unlike a one-shot watcher the listener stays registered across events and reconnects (the
  // client re-registers it with setWatches2) and is called for every event, in order, on the io
  // thread, until a final event: kPersistentWatchRemoved (RemoveWatches*), or type kNone with
  // state kExpired or kClosed (the session ended). Events that happen while the client is
  // disconnected are not replayed (ZooKeeper does not keep them). WatchStream (watch_stream.h)
  // turns a listener into a stream that another thread pulls.
  void AddWatchAsync(std::string_view path, AddWatchMode mode, Watcher listener,
                     Callback<void> cb);
  std::future<Result<void>> AddWatchFuture(std::string_view path, AddWatchMode mode,
                                           Watcher listener);
  Result<void> AddWatch(std::string_view path, AddWatchMode mode, Watcher listener);

  // Removes all of this client's watchers of `type` on exactly `path`: kData covers getData and
  // exists watchers, kChildren getChildren watchers, kPersistent / kPersistentRecursive the
  // listeners of AddWatch, kAny all of them. The server's watch is removed first
  // (removeWatches); then each removed watcher receives one last event (kDataWatchRemoved,
  // kChildWatchRemoved, kPersistentWatchRemoved). kNoWatcher if the server has no such watch
  // (the client's watchers then stay). With `local` the client's watchers are removed even when
  // the server cannot be asked (not connected: done at once, without a request) or does not
  // know them; kNoWatcher then only if the client had none either.
  void RemoveWatchesAsync(std::string_view path, WatcherType type, bool local, Callback<void> cb);
  std::future<Result<void>> RemoveWatchesFuture(std::string_view path, WatcherType type,
                                                bool local = false);
  Result<void> RemoveWatches(std::string_view path, WatcherType type, bool local = false);

  // Asks the server whether it holds a watch of `type` on `path` for this session
  // (checkWatches): kOk or kNoWatcher. Changes nothing.
  void CheckWatchesAsync(std::string_view path, WatcherType type, Callback<void> cb);
  std::future<Result<void>> CheckWatchesFuture(std::string_view path, WatcherType type);
  Result<void> CheckWatches(std::string_view path, WatcherType type);

  // --- auth -----------------------------------------------------------------------------------
  // Adds credentials to the session (e.g. scheme "digest", auth "user:password"); they are
  // re-sent after every reconnect. A rejection completes with kAuthFailed and ends the client
  // (state kAuthFailed).
  void AddAuthAsync(std::string_view scheme, std::string_view auth, Callback<void> cb);
  std::future<Result<void>> AddAuthFuture(std::string_view scheme, std::string_view auth);
  Result<void> AddAuth(std::string_view scheme, std::string_view auth);

  // The identities the server associates with this session (ip, digest user...).
  void WhoAmIAsync(Callback<std::vector<ClientInfo>> cb);
  std::future<Result<std::vector<ClientInfo>>> WhoAmIFuture();
  Result<std::vector<ClientInfo>> WhoAmI();

  // --- dynamic membership (ZooKeeper 3.5+) ---------------------------------------------------
  // The ensemble's configuration, /zookeeper/config (outside any chroot): "server.N=<line>"
  // lines, then "version=<hex>". `watcher` is told when it changes (a reconfig committed).
  void GetConfigAsync(Watcher watcher, Callback<DataResult> cb);
  std::future<Result<DataResult>> GetConfigFuture(Watcher watcher = nullptr);
  Result<DataResult> GetConfig(Watcher watcher = nullptr);

  // Changes the membership (servers with reconfigEnabled=true; the session must be super or
  // have WRITE on /zookeeper/config). Incremental: `joining` holds comma-separated
  // "server.N=host:quorumPort:electionPort[:participant|:observer];[clientHost:]clientPort"
  // lines (added, or replacing the line of that id), `leaving` comma-separated ids. Bulk:
  // `new_members` holds the whole new membership (joining and leaving then empty). An empty
  // argument is sent as null. `from_config` is the version the change applies to
  // (kAnyConfigId: any; otherwise kBadVersion if the configuration moved on). Returns the new
  // configuration, as GetConfig. Errors as ZooKeeper's: kReconfigDisabled, kNoAuth,
  // kBadArguments, kNewConfigNoQuorum, kReconfigInProgress, kBadVersion.
  void ReconfigAsync(std::string_view joining, std::string_view leaving,
                     std::string_view new_members, int64_t from_config, Callback<DataResult> cb);
  std::future<Result<DataResult>> ReconfigFuture(std::string_view joining,
                                                 std::string_view leaving,
                                                 std::string_view new_members,
                                                 int64_t from_config = kAnyConfigId);
  Result<DataResult> Reconfig(std::string_view joining, std::string_view leaving,
                              std::string_view new_members, int64_t from_config = kAnyConfigId);

  // Replaces the servers this client connects to, as the Java client's updateServerList (for
  // instance with the client addresses of a new configuration; ClientHostsOf below). The
  // session moves when the server it is connected to is not in `hosts`, and, so that sessions
  // spread over a grown ensemble, with probability 1 - old/new to one of the added servers when
  // the list grew: the client then drops its connection and resumes the session there
  // (kSuspended, kReconnected). `hosts` is "host:port,..." without a chroot (the chroot stays).
  // kBadArguments when it is malformed. Any thread.
  Result<void> UpdateServerList(std::string_view hosts);

  // --- more connection-state listeners (for libraries such as the recipes) ---------------------
  // Adds a listener called, like Options::state_listener and after it, on the io thread for
  // every later state change. Returns its id. A listener added while the state is S is not told
  // S: read state() after adding. Any thread.
  uint64_t AddStateListener(StateListener listener);
  // Removes a listener. Called from any thread but the io thread, it returns only when the
  // listener is not running and never runs again; from the io thread (a callback) it takes
  // effect for every later state change. Unknown ids are ignored.
  void RemoveStateListener(uint64_t id);

  // Test seam: drop the current connection as if the network broke (the client then
  // reconnects and resumes the session).
  void TEST_DropConnection();

  class Impl;

 private:
  explicit Client(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace zk::client
