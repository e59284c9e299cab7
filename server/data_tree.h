// DataTree: the in-memory znode tree. Deterministic: applying the same txns in the same order
// gives the same tree (and the same digest) on every replica. Single-threaded: it belongs to the
// io thread. Nodes are compact (header, name and data in one heap block, children in a flat hash
// set, ACLs interned) because memory per znode is a headline figure.
//
// Quotas (server/quota.h): the tree knows which paths have a zookeeper_limits node under
// /zookeeper/quota and, as ZooKeeper's DataTree does, rewrites the zookeeper_stats node of the
// deepest quota'd ancestor-or-self of every created, deleted or re-set node (its data only: the
// stats node's Stat keeps its mzxid and version, its dataLength follows the data). Creating a
// stats node counts the quota'd subtree into it. Trees without quotas pay one emptiness check.
//
// cversion: like ZooKeeper, a node stores the number of child creations (which is also the
// next sequential suffix); the Stat shown to clients is 2 * stored - numChildren, which counts
// creations and deletions.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "client/proto/records.h"
#include "server/acl.h"
#include "server/sharded_hash_set.h"
#include "server/txn.h"

namespace zk::server {

// The persisted part of a node's Stat (ZooKeeper's StatPersisted); cversion in stored form.
struct NodeStat {
  int64_t czxid = 0;
  int64_t mzxid = 0;
  int64_t pzxid = 0;
  int64_t ctime = 0;
  int64_t mtime = 0;
  int64_t ephemeral_owner = 0;
  int32_t version = 0;
  int32_t cversion = 0;
  int32_t aversion = 0;
};

// What kind of node an ephemeralOwner value denotes.
enum class OwnerKind { kNone, kSession, kContainer, kTtl };
OwnerKind ClassifyOwner(int64_t ephemeral_owner);

// The node holding the ensemble's configuration (ZooKeeper's ZooDefs.CONFIG_NODE). As in
// ZooKeeper, it is outside the tree's digest: each member also sets it locally
// (DataTree::SetConfigData) from the configuration it has committed.
inline constexpr std::string_view kConfigNodePath = "/zookeeper/config";

// A change the tree made, for the watch manager.
struct TreeEvent {
  EventType type;
  std::string path;
};

// The outcome of applying one txn (or one op of a multi).
struct ApplyResult {
  OpCode type = OpCode::kError;
  Err err = Err::kOk;
  std::string path;  // created path
  proto::Stat stat;  // create2/setData/setACL
  std::vector<ApplyResult> multi;
};

class DataTree {
 public:
  class Node;

  DataTree();
  ~DataTree();
  DataTree(const DataTree&) = delete;
  DataTree& operator=(const DataTree&) = delete;

  // Applies a committed txn; appends the resulting events to `events` (null: none are built).
  // REQUIRES: txn.zxid > last_zxid() unless replaying (then older txns are skipped).
  ApplyResult Apply(const Txn& txn, std::vector<TreeEvent>* events);

  // Reads. Pointers stay valid until the next Apply.
  const Node* Find(std::string_view path) const;
  proto::Stat StatOf(const Node& node) const;
  const NodeStat& StoredStat(const Node& node) const;
  std::string_view DataOf(const Node& node) const;
  bool DataIsNull(const Node& node) const;
  const AclList& AclOf(const Node& node) const;
  // The node's ACL list, shared (valid after the node changes or goes).
  std::shared_ptr<const AclList> SharedAclOf(const Node& node) const;
  int32_t NumChildren(const Node& node) const;
  std::vector<std::string> Children(const Node& node) const;
  // Number of nodes below `node` (not counting itself).
  int64_t CountDescendants(const Node& node) const;
  // Calls fn(path) for every node below `path`, depth first (not the node itself).
  void ForEachDescendant(std::string_view path, const std::function<void(const std::string&)>& fn)
      const;

  // Ephemerals of a session (sorted paths). Empty when none.
  const std::set<std::string>& EphemeralsOf(int64_t session_id) const;
  const absl::flat_hash_map<int64_t, std::set<std::string>>& AllEphemerals() const {
    return ephemerals_;
  }
  const std::set<std::string>& Containers() const { return containers_; }
  const std::set<std::string>& TtlNodes() const { return ttl_nodes_; }

  int64_t last_zxid() const { return last_zxid_; }
  size_t node_count() const { return node_count_; }
  int64_t approximate_data_size() const { return data_size_; }
  // The deepest path at or above `path` (never "/") that has a quota; nullopt when none. The
  // view stays valid until the next Apply.
  std::optional<std::string_view> QuotaPathFor(std::string_view path) const;
  size_t quota_count() const { return quota_paths_.size(); }

  // A running digest over every node's path, stat and data; equal trees have equal digests.
  uint64_t digest() const { return digest_; }

  // Snapshot support: visits every node (parents before children) with its full path.
  void Walk(const std::function<void(const std::string& path, const Node& node)>& fn) const;
  // Snapshot loading: inserts a node under an existing parent. Returns false if the parent is
  // missing or the node exists (the snapshot is then corrupt). Root and /zookeeper nodes are
  // overwritten in place.
  // `expected_children` (the node's child count when saved) sizes its child set up front.
  bool LoadNode(std::string_view path, const NodeStat& stat, std::string_view data, bool data_null,
                const AclList& acl, uint64_t expected_children = 0);
  void SetLastZxid(int64_t zxid) { last_zxid_ = zxid; }
  // Sets kConfigNodePath's data outside any txn, as ZooKeeper's initConfigInZKDatabase does:
  // data version -1, mzxid `version` (the configuration's), mtime `time_ms`. False (nothing
  // changed) when the node already holds `text`.
  bool SetConfigData(std::string_view text, int64_t version, int64_t time_ms);
  // Importing a fuzzy snapshot (server/zookeeper_import.h): when `cversion` (stored form) is
  // above the node's, raises it and sets its pzxid to `zxid`, as replaying a create the snapshot
  // already holds does in ZooKeeper. Returns false if the node is missing.
  bool RaiseChildVersion(std::string_view path, int32_t cversion, int64_t zxid);

 private:
  struct NameHash;
  struct NameEq;
  // A node's children; a large one grows a slice at a time (server/sharded_hash_set.h).
  using ChildSet = ShardedHashSet<Node*, NameHash, NameEq>;

  Node* FindMutable(std::string_view path) const;
  Node* NewNode(std::string_view name, std::string_view data, bool data_null, uint32_t acl_id,
                const NodeStat& stat);
  static Node* AllocateNode(std::string_view name, std::string_view data);
  static void DestroyNode(Node* n);
  // Sets a node's data; returns the node, which moved if the data's size changed.
  Node* ReplaceData(std::string_view path, Node* n, std::string_view data, bool data_null);
  void FreeNode(Node* node);
  void AddChild(Node* parent, Node* child);
  uint64_t HashOf(std::string_view path, const Node& node) const;
  void Track(std::string_view path, int64_t owner);
  void Untrack(std::string_view path, int64_t owner);

  ApplyResult ApplyOp(const Txn& txn, const MultiOp& op, std::vector<TreeEvent>* events);
  // One op of a multi, or a single-op txn's body (any MultiOp alternative), applied in place.
  template <class Body>
  ApplyResult ApplyBody(const Txn& txn, const Body& body, std::vector<TreeEvent>* events);
  ApplyResult ApplyCreate(const Txn& txn, const CreateTxn& c, std::vector<TreeEvent>* events);
  ApplyResult ApplyDelete(const Txn& txn, std::string_view path, std::vector<TreeEvent>* events);
  ApplyResult ApplySetData(const Txn& txn, const SetDataTxn& s, std::vector<TreeEvent>* events);
  ApplyResult ApplySetAcl(const Txn& txn, const SetAclTxn& s);

  // Quota upkeep (data_tree_quota.cc), called after the change to `path` is in the tree.
  void QuotaNodeCreated(std::string_view path);
  void QuotaNodeDeleted(std::string_view path);
  void CountIntoQuota(std::string_view path, int64_t bytes_diff, int64_t count_diff);
  // ZooKeeper's updateQuotaForPath: counts the subtree at `quota_path` into its stats node.
  void RecountQuota(std::string_view quota_path);
  // The number of nodes in the subtree at `top` (itself included) and their data bytes.
  void SubtreeTotals(const Node& top, int64_t* count, int64_t* bytes) const;
  // Replaces a stats node's data, leaving its Stat as it is.
  void RewriteStats(const std::string& stat_path, const std::string& data);

  Node* root_;
  AclTable acls_;
  absl::flat_hash_map<int64_t, std::set<std::string>> ephemerals_;
  std::set<std::string> containers_;
  std::set<std::string> ttl_nodes_;
  absl::flat_hash_set<std::string> quota_paths_;  // paths with a zookeeper_limits node
  int64_t last_zxid_ = 0;
  size_t node_count_ = 0;
  int64_t data_size_ = 0;
  uint64_t digest_ = 0;
  // LoadNode's caches of the last parent and ACL (cleared by Apply).
  Node* load_parent_ = nullptr;
  std::string load_parent_path_;
  uint32_t load_acl_id_ = 0;
};

}  // namespace zk::server
