// zk::recipes::Cache: what the watch-driven caches (NodeCache, ChildrenCache, TreeCache) have in
// common — their events, listeners, lifecycle and resynchronisation — on the public
// zk::client::Client API. Use one of the three derived classes; this header defines the parts
// they share.
//
// A cache keeps a local copy of znodes (data and Stat) and tells listeners what changed. It reads
// the nodes with watches (one-shot getData/exists/getChildren watches, or one persistent
// recursive watch for a TreeCache where the server has addWatch) and re-reads a node whenever a
// watch says it changed. Every read result is compared with the last state the cache delivered —
// a node is the same node while its czxid is, and newer while its mzxid grows — and only the
// differences become events; a reply older than what the cache holds changes nothing. Hence:
//
// Guarantees and failure model:
// * No event is duplicated and none is missing: applying the events, in order, to an empty map
//   (kAdded inserts, kUpdated replaces, kRemoved erases) gives the cache's state; once the tree
//   stops changing and the cache is connected, that state equals the server's. Changes that
//   follow each other faster than the cache reads are coalesced (a watch-based cache sees the
//   latest version of a node, not necessarily every version), as in Curator; a node deleted
//   and created again in between is reported as kRemoved then kAdded (its czxid changed).
// * Reconnect (kSuspended, then kReconnected): watches may have fired while disconnected, and a
//   persistent watch's events are not replayed by ZooKeeper, so after every reconnect the cache
//   re-reads the whole cached tree and emits exactly the differences from the state it last
//   delivered, then kResynced. The one-shot watches it holds were re-registered by the client
//   (setWatches with the last zxid seen) and fire for whatever changed meanwhile; they re-arm
//   without being duplicated.
// * Session expiry: a zk::client::Client never gets a new session (kExpired is terminal), so
//   the cache reports kSessionEnded (also for the client's Close or an auth failure), keeps its
//   last state (queries keep answering) and waits. Create a new Client and call Rebind(it): the
//   cache syncs the new session with the leader, re-reads everything and emits the differences
//   from the last delivered state, then kResynced. Rebind may be called from a listener.
// * Nodes the cache may not read (kNoAuth) are left out; other failed reads are retried at the
//   next reconnect or, on a live connection (request timeouts), after a short delay.
//
// Threads: every listener of a cache runs on that cache's own event thread (started by Start,
// ended by Close), one call at a time, in the order of the changes. A listener may block and may
// call the blocking client methods (it delays only this cache's later events). Queries (Get,
// the derived classes' snapshots) are thread-safe and answer from the cache's latest state,
// which may already be ahead of the event a listener is handling. Start, Rebind, Close,
// AddListener, RemoveListener may be called from any thread, including a listener;
// AwaitInitialized blocks (not from a listener or a client callback).
//
// Watches left behind: one-shot watches cannot be removed one by one (RemoveWatches removes all
// of a client's watchers on a path), so a closed cache leaves each of them registered until it
// fires once (then it is dropped, doing nothing). A TreeCache removes its persistent recursive
// watch on Close (RemoveWatches of kPersistentRecursive on its root, local): other persistent
// recursive listeners of the same client on exactly that path go with it — another TreeCache
// notices, registers its watch again and resyncs.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/zk_client.h"

namespace zk::recipes {

// A cached znode. `data` is empty when the cache does not keep data.
struct CachedNode {
  std::string path;
  std::string data;
  client::Stat stat;
  bool operator==(const CachedNode&) const = default;
};

enum class CacheEventType {
  kAdded,          // a node appeared (Curator: NODE_ADDED, CHILD_ADDED; NodeCache: created)
  kUpdated,        // its data changed: a greater mzxid (NODE_UPDATED, CHILD_UPDATED; changed)
  kRemoved,        // it is gone (NODE_REMOVED, CHILD_REMOVED; deleted)
  kInitialized,    // the initial load is complete: every node present then was kAdded before
  kSuspended,      // the connection broke; the state may be stale until kResynced
  kReconnected,    // the connection is back (same session); differences and kResynced follow
  kResynced,       // a re-read after a reconnect or Rebind is complete; its differences came before
  kSessionEnded,   // the client's session ended (expired, closed, auth failed): call Rebind
};
const char* CacheEventTypeName(CacheEventType type);

struct CacheEvent {
  CacheEventType type = CacheEventType::kInitialized;
  // kAdded, kUpdated: the node as it is now; kRemoved: as it was last.
  CachedNode node;
  // kUpdated: the node as it was before.
  std::optional<CachedNode> previous;
};

using CacheListener = std::function<void(const CacheEvent&)>;

namespace detail {
class CacheEngine;
struct CacheEngineOptions;
}  // namespace detail

class Cache {
 public:
  // Closes the cache (see Close).
  virtual ~Cache();
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  // Starts the event thread and the initial load; returns at once (the load is event-driven).
  // Errors: kInvalidState (started before, or closed), kBadArguments (not an absolute path),
  // kSessionExpired / kClosing (the client's session already ended: Rebind first).
  client::Result<void> Start();
  // Waits until the initial load is complete (true) or `timeout` passed (false). Errors:
  // kInvalidState (not started, or closed meanwhile: Close cancels the wait).
  client::Result<bool> AwaitInitialized(std::chrono::milliseconds timeout);
  bool initialized() const;

  // Moves the cache to `client` (normally a new Client after kSessionEnded): the cache stops
  // listening to the old client, re-reads everything through the new one and emits the
  // differences from the state it last delivered, then kResynced.
  // REQUIRES: `client` outlives the cache (or the next Rebind). Errors: kInvalidState (closed).
  client::Result<void> Rebind(client::Client& client);

  // Stops the cache: no listener is called after Close returns (unless Close is called from a
  // listener: then after that listener returns), events not yet delivered are dropped, the
  // state stays readable. Idempotent.
  void Close();

  // Adds a listener (add it before Start to see the initial load). Returns its id.
  uint64_t AddListener(CacheListener listener);
  // After it returns the listener is not running and never runs again (from within a listener:
  // it is not called for any later event).
  void RemoveListener(uint64_t id);

  // The cached node at `path`, if the cache holds it.
  std::optional<CachedNode> Get(const std::string& path) const;

  // Whether the cache reads nodes through one persistent recursive watch (TreeCache only, and
  // only once the server accepted it) rather than one-shot watches.
  bool uses_persistent_watch() const;

 protected:
  Cache(client::Client& client, const detail::CacheEngineOptions& options);
  // Every cached node under (and including, if reported) the root, by path.
  std::map<std::string, CachedNode> Nodes() const;
  // The cached direct children of `path`, by name.
  std::map<std::string, CachedNode> ChildrenOf(const std::string& path) const;

  std::shared_ptr<detail::CacheEngine> engine_;
};

}  // namespace zk::recipes
