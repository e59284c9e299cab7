// detail::CacheEngine: the machinery behind NodeCache, ChildrenCache and TreeCache (internal
// header; see cache.h for the guarantees). One engine caches the subtree of `root` down to
// `max_depth` levels below it: NodeCache is depth 0, ChildrenCache depth 1 without the root.
//
// How it stays exact: every read reply and watch event is handled under the engine's mutex in the
// order the client delivers them, which is the server's order for one session; each reply is
// compared with the node table (czxid: same node; mzxid: newer version) and only differences
// become events, appended under the same mutex to the event queue that the event thread drains.
// Requests are issued after the mutex is released (a client that has ended runs callbacks
// inline). Callbacks carry the epoch of the client they came from; Rebind starts a new epoch, and
// replies and events of an older one are ignored.
//
// Thread-safety: all methods are thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "client/recipes/cache.h"

namespace zk::recipes::detail {

enum class CacheWatchMode {
  kOneShot,  // getData/exists/getChildren watches on every node
  kAuto,     // one addWatch(PERSISTENT_RECURSIVE) on the root; one-shot if it is kUnimplemented
};

struct CacheEngineOptions {
  std::string root;
  int max_depth = 0;         // levels below the root that are cached (0: the root alone)
  bool report_root = true;   // the root is part of the state and of the events
  bool cache_data = true;    // keep the data (else the Stat only, read with exists)
  CacheWatchMode mode = CacheWatchMode::kOneShot;
};

class CacheEngine : public std::enable_shared_from_this<CacheEngine> {
 public:
  CacheEngine(client::Client& client, CacheEngineOptions options);
  ~CacheEngine();

  client::Result<void> Start();
  client::Result<bool> AwaitInitialized(std::chrono::milliseconds timeout);
  bool initialized() const;
  client::Result<void> Rebind(client::Client& client);
  void Close();
  uint64_t AddListener(CacheListener listener);
  void RemoveListener(uint64_t id);

  std::optional<CachedNode> Get(const std::string& path) const;
  std::map<std::string, CachedNode> Nodes() const;
  std::map<std::string, CachedNode> ChildrenOf(const std::string& path) const;
  bool uses_persistent_watch() const;

 private:
  struct Node {
    bool exists = false;  // only the root is kept while absent
    CachedNode cached;
    bool data_armed = false;     // a one-shot data/exist watch of this epoch is registered
    bool data_watching = false;  // a read that registers one is in flight
    bool child_armed = false;
    bool child_watching = false;
  };
  // Requests to issue once the mutex is released.
  using Actions = std::vector<std::function<void()>>;

  // --- under mu_ -------------------------------------------------------------------------------
  int DepthOf(const std::string& path) const;
  bool Reported(const std::string& path) const;
  bool OneShot() const { return !recursive_; }
  void Emit(CacheEvent event);
  void StartWalk(Actions& out);
  void Walk(const std::string& path, uint64_t walk, Actions& out);
  void ReadData(const std::string& path, uint64_t walk, Actions& out);
  void ReadChildren(const std::string& path, uint64_t walk, Actions& out);
  void ReadExists(const std::string& path, bool watch, uint64_t walk, Actions& out);
  void OnData(uint64_t epoch, const std::string& path, bool watch, uint64_t walk,
              client::Result<client::DataResult> r);
  void OnExists(uint64_t epoch, const std::string& path, bool watch, uint64_t walk,
                bool stat_only, const client::Result<client::Stat>& r);
  void OnChildren(uint64_t epoch, const std::string& path, bool watch, uint64_t walk,
                  const client::Result<client::ChildrenResult>& r);
  void ApplyData(const std::string& path, std::optional<CachedNode> now, bool walk,
                 Actions& out);
  void ApplyChildren(const std::string& path, const std::vector<std::string>& names,
                     uint64_t walk, Actions& out);
  void RemoveSubtree(const std::string& path);
  void WalkStep(uint64_t walk);
  void ReadFailed(Err err, uint64_t walk, Actions& out);
  void OnEvent(uint64_t epoch, bool child_channel, const client::WatchEvent& ev);
  void OnState(uint64_t epoch, client::ConnectionState state);
  void AddRecursiveWatch(Actions& out);

  // --- without mu_ ------------------------------------------------------------------------------
  static void Run(Actions& actions);
  void DispatchLoop();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  client::Client* client_;
  const CacheEngineOptions options_;
  bool started_ = false;
  bool closed_ = false;
  bool ended_ = false;           // the current client's session ended
  bool suspended_ = false;       // the connection broke and is not back yet
  bool recursive_ = false;       // reading through the persistent recursive watch
  bool watch_added_ = false;     // the server accepted it (this epoch)
  bool initialized_ = false;
  uint64_t epoch_ = 1;
  uint64_t state_listener_ = 0;
  uint64_t walk_ = 0;            // the current walk's id (0: none yet)
  int walk_pending_ = 0;         // its reads not answered yet
  bool walk_done_ = true;        // finished (or abandoned) walks need no more counting
  bool walk_failed_ = false;
  bool resync_needed_ = false;   // a read failed; walk again once connected
  uint64_t retry_timer_ = 0;
  std::map<std::string, Node> nodes_;

  // The event thread and its queue.
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<CacheEvent> queue_;
  bool stop_ = false;
  std::mutex running_mu_;  // held while listeners run
  std::mutex listeners_mu_;
  std::map<uint64_t, CacheListener> listeners_;
  uint64_t next_listener_ = 1;
  std::thread thread_;
  std::thread::id thread_id_;  // under mu_
};

}  // namespace zk::recipes::detail
