// Prep: turns a client write into a deterministic Txn with the next zxid, validating it against
// the committed DataTree plus an overlay of the changes still in flight (so pipelined writes see
// each other), exactly as ZooKeeper's PrepRequestProcessor: the same checks in the same order,
// hence the same error codes. A failed write still takes a zxid and becomes an ErrorTxn, as in
// ZooKeeper. Quota limits are checked as ZooKeeper does, against the committed tree's stats
// (server/quota.h). Only the leader preps. Single-threaded (the io thread); holds a reference to
// the tree, which must outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "server/acl.h"
#include "server/data_tree.h"
#include "server/prep_overlay.h"
#include "server/txn.h"

namespace zk::server {

// One write operation, as decoded from the wire (top-level or inside a multi).
struct WriteOp {
  OpCode type = OpCode::kError;  // create, create2, createContainer, createTTL, delete,
                                 // setData, setACL, check, deleteContainer (server-issued)
  std::string path;
  std::string data;
  bool data_null = false;
  AclList acl;
  int32_t flags = 0;
  int64_t ttl = -1;
  int32_t version = -1;
};

struct WriteRequest {
  OpCode type = OpCode::kError;  // a WriteOp type, kMulti, kCreateSession, kCloseSession or
                                 // kReconfig
  WriteOp op;                    // single ops
  std::vector<WriteOp> multi;    // kMulti
  int32_t session_timeout_ms = 0;  // kCreateSession
  std::string session_password;    // kCreateSession: NewSessionPassword()'s bytes
  // kReconfig: the request as sent; then, filled in by the leader before Prep (the membership
  // checks need the ZAB state): the error of those checks, or the new /zookeeper/config text.
  proto::ReconfigRequest reconfig;
  Err reconfig_err = Err::kOk;
  std::string config_text;
};

// Who is asking: the identities of the session (for ACL checks and the `auth` scheme).
struct Principal {
  std::vector<AuthId> ids;
  bool is_super = false;
};

struct PrepOptions {
  bool extended_types_enabled = false;
  // enforceQuota: creates and setData over a quota's hard limit fail with kQuotaExceeded.
  bool enforce_quota = false;
  // Receives ZooKeeper's "Quota exceeded: ..." message when a write passes a quota's limit
  // (soft or hard, enforced or not); may be empty.
  std::function<void(const std::string&)> quota_warning;
  bool sasl_scheme = false;  // the SASL authentication provider is configured (FixupAcl)
  // Whether a session may still write: known and not closing (its close or expiry is not yet
  // proposed). A node write of any other session fails with kSessionExpired, as ZooKeeper's
  // leader checks it — so no ephemeral is ever created after its session's close. Empty: every
  // session may write. Session 0 (the server's own reaper) is never asked about.
  std::function<bool(int64_t session_id)> session_may_write;
  // A test seam (ServerConfig::test_reaper_ignores_ttl): deleteContainer of a TTL node does not
  // check that its TTL has passed.
  bool test_ignore_ttl = false;
};

class Prep {
 public:
  Prep(const DataTree& tree, PrepOptions options);

  // Builds the txn for `req`; never fails (errors become ErrorTxn / failed MultiTxn). The
  // request's paths and data move into the txn.
  Txn Prepare(WriteRequest req, int64_t session_id, int32_t cxid, int64_t time_ms,
              const Principal& who);

  // Drops overlay records of txns up to `zxid`, which the tree has now applied.
  void Applied(int64_t zxid);
  // Drops the whole overlay (e.g. after a failed disk write the pending txns are gone).
  void Reset(int64_t last_zxid);

  int64_t last_zxid() const { return last_zxid_; }
  void set_last_zxid(int64_t zxid) { last_zxid_ = zxid; }
  size_t overlay_size() const { return overlay_.size(); }

 private:
  using Record = PrepRecord;
  using RecordMap = absl::flat_hash_map<std::string, Record>;

  // The latest view of `path`: multi-local changes, then the overlay, then the tree.
  std::optional<Record> Lookup(const std::string& path, const RecordMap& local) const;
  // Whether `path` exists in that view, without copying its record.
  bool Exists(const std::string& path, const RecordMap& local) const;
  Err PrepOp(WriteOp& op, int64_t zxid, int64_t session_id, const Principal& who,
             RecordMap* local, MultiOp* out);
  Err PrepCreate(WriteOp& op, int64_t zxid, int64_t session_id, const Principal& who,
                 RecordMap* local, MultiOp* out);
  Err PrepDelete(const WriteOp& op, int64_t zxid, const Principal& who, RecordMap* local,
                 MultiOp* out);
  // The records of one request, emptied: a member reused from request to request.
  RecordMap& ScratchRecords();
  // Moves a request's records into the overlay and empties `local`.
  void Commit(RecordMap& local, int64_t zxid);
  void PrepCloseSession(int64_t session_id, int64_t zxid);

  const DataTree& tree_;
  PrepOptions options_;
  int64_t last_zxid_ = 0;
  int64_t time_ms_ = 0;  // of the txn being prepared
  PrepOverlay overlay_;
  RecordMap scratch_;
};

}  // namespace zk::server
