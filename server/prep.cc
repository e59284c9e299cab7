#include "server/prep.h"

#include <cstdio>

#include "server/path_utils.h"
#include "server/quota.h"

namespace zk::server {
namespace {

bool IsCreate(OpCode t) {
  return t == OpCode::kCreate || t == OpCode::kCreate2 || t == OpCode::kCreateContainer ||
         t == OpCode::kCreateTtl;
}

bool IsSpecialPath(std::string_view p) {
  return p == "/" || p == "/zookeeper" || p == "/zookeeper/quota" || p == "/zookeeper/config";
}

// Checks an expected version against the current one; returns the next version.
Err CheckVersion(int32_t current, int32_t expected, int32_t* next) {
  if (expected != -1 && expected != current) return Err::kBadVersion;
  *next = current + 1;
  return Err::kOk;
}

}  // namespace

Prep::Prep(const DataTree& tree, PrepOptions options) : tree_(tree), options_(options) {
  last_zxid_ = tree.last_zxid();
}

std::optional<Prep::Record> Prep::Lookup(const std::string& path, const RecordMap& local) const {
  if (auto it = local.find(path); it != local.end()) {
    if (!it->second.exists) return std::nullopt;
    return it->second;
  }
  if (const Record* r = overlay_.Find(path)) {
    if (!r->exists) return std::nullopt;
    return *r;
  }
  const DataTree::Node* n = tree_.Find(path);
  if (!n) return std::nullopt;
  Record r;
  r.exists = true;
  r.stat = tree_.StoredStat(*n);
  r.child_count = tree_.NumChildren(*n);
  r.acl = tree_.SharedAclOf(*n);
  r.data_len = static_cast<int64_t>(tree_.DataOf(*n).size());
  return r;
}

bool Prep::Exists(const std::string& path, const RecordMap& local) const {
  if (auto it = local.find(path); it != local.end()) return it->second.exists;
  if (const Record* r = overlay_.Find(path)) return r->exists;
  return tree_.Find(path) != nullptr;
}

Txn Prep::Prepare(WriteRequest req, int64_t session_id, int32_t cxid, int64_t time_ms,
                  const Principal& who) {
  Txn txn;
  txn.zxid = ++last_zxid_;
  txn.session_id = session_id;
  txn.cxid = cxid;
  txn.time_ms = time_ms;
  time_ms_ = time_ms;
  txn.type = req.type;
  switch (req.type) {
    case OpCode::kCreateSession:
      txn.body = CreateSessionTxn{req.session_timeout_ms, req.session_password};
      return txn;
    case OpCode::kCloseSession:
      PrepCloseSession(session_id, txn.zxid);
      txn.body = CloseSessionTxn{};
      return txn;
    case OpCode::kReconfig: {
      // The membership checks were made by the leader (WriteRequest::reconfig_err); the ACL of
      // /zookeeper/config comes last, as in ZooKeeper. The txn sets the node's data with version
      // -1, as ZooKeeper's does; no overlay record: nothing else prepared reads it back.
      Err err = req.reconfig_err;
      if (err == Err::kOk) {
        auto rec = Lookup(std::string(kConfigNodePath), ScratchRecords());
        if (!rec) {
          err = Err::kNoNode;
        } else if (!CheckAcl(*rec->acl, perms::kWrite, who.ids, who.is_super)) {
          err = Err::kNoAuth;
        }
      }
      if (err != Err::kOk) {
        txn.body = ErrorTxn{err};
      } else {
        txn.body = SetDataTxn{std::string(kConfigNodePath), req.config_text, false, -1};
      }
      return txn;
    }
    case OpCode::kMulti: {
      RecordMap& local = ScratchRecords();
      MultiTxn multi;
      multi.ops.reserve(req.multi.size());
      Err failure = Err::kOk;
      size_t failed_at = 0;
      for (size_t i = 0; i < req.multi.size(); ++i) {
        MultiOp op;
        Err err = PrepOp(req.multi[i], txn.zxid, session_id, who, &local, &op);
        if (err != Err::kOk) {
          failure = err;
          failed_at = i;
          break;
        }
        multi.ops.push_back(std::move(op));
      }
      if (failure != Err::kOk) {
        // All or nothing: earlier ops report OK-as-error, the failing op its code, later ops
        // RUNTIMEINCONSISTENCY; nothing of the multi reaches the overlay.
        multi.ops.clear();
        for (size_t i = 0; i < req.multi.size(); ++i) {
          Err e = i < failed_at ? Err::kOk : i == failed_at ? failure : Err::kRuntimeInconsistency;
          multi.ops.push_back(ErrorTxn{e});
        }
      } else {
        Commit(local, txn.zxid);
      }
      txn.body = std::move(multi);
      return txn;
    }
    default: {
      RecordMap& local = ScratchRecords();
      MultiOp op;
      Err err = PrepOp(req.op, txn.zxid, session_id, who, &local, &op);
      if (err != Err::kOk) {
        txn.body = ErrorTxn{err};
        return txn;
      }
      Commit(local, txn.zxid);
      std::visit([&](auto&& b) { txn.body = std::move(b); }, std::move(op));
      return txn;
    }
  }
}

Prep::RecordMap& Prep::ScratchRecords() {
  // Reused so that a request's few records need no table allocation of their own (clear()
  // keeps a small table's memory).
  scratch_.clear();
  return scratch_;
}

void Prep::Commit(RecordMap& local, int64_t zxid) {
  // The records move into the overlay with their keys (node handles: no path is copied).
  while (!local.empty()) {
    auto handle = local.extract(local.begin());
    overlay_.Put(zxid, std::move(handle.key()), std::move(handle.mapped()));
  }
}

void Prep::Applied(int64_t zxid) { overlay_.DropUpTo(zxid); }

void Prep::Reset(int64_t last_zxid) {
  overlay_.Clear();
  last_zxid_ = last_zxid;
}

void Prep::PrepCloseSession(int64_t session_id, int64_t zxid) {
  // The session's ephemerals as they will be once everything in flight is applied.
  std::set<std::string> paths = tree_.EphemeralsOf(session_id);
  overlay_.ForEachLatest([&](std::string_view path, const Record& rec) {
    if (!rec.exists) {
      paths.erase(std::string(path));
    } else if (rec.stat.ephemeral_owner == session_id) {
      paths.emplace(path);
    }
  });
  RecordMap& local = ScratchRecords();
  for (const auto& p : paths) {
    local[p] = Record{false, {}, 0, {}};
    std::string parent(ParentPath(p));
    if (auto pr = Lookup(parent, local)) {
      pr->child_count--;
      if (zxid > pr->stat.pzxid) pr->stat.pzxid = zxid;
      local[parent] = *pr;
    }
  }
  Commit(local, zxid);
}

Err Prep::PrepOp(WriteOp& op, int64_t zxid, int64_t session_id, const Principal& who,
                 RecordMap* local, MultiOp* out) {
  if (session_id != 0 && options_.session_may_write && !options_.session_may_write(session_id)) {
    return Err::kSessionExpired;
  }
  if (IsCreate(op.type)) return PrepCreate(op, zxid, session_id, who, local, out);
  switch (op.type) {
    case OpCode::kDelete:
      return PrepDelete(op, zxid, who, local, out);
    case OpCode::kDeleteContainer: {
      // Issued by the server's reaper for empty containers and expired TTL nodes.
      auto node = Lookup(op.path, *local);
      if (!node) return Err::kNoNode;
      if (node->child_count > 0) return Err::kNotEmpty;
      OwnerKind kind = ClassifyOwner(node->stat.ephemeral_owner);
      if (kind != OwnerKind::kContainer && kind != OwnerKind::kTtl) return Err::kBadVersion;
      // The reaper judged the committed tree; a setData or re-create still in flight renews a
      // TTL node, which then goes only once its TTL has passed since that change.
      if (kind == OwnerKind::kTtl && !options_.test_ignore_ttl &&
          time_ms_ - node->stat.mtime <= (node->stat.ephemeral_owner & ephemeral_owner::kMaxTtl)) {
        return Err::kBadVersion;
      }
      std::string parent_path(ParentPath(op.path));
      auto parent = Lookup(parent_path, *local);
      if (!parent) return Err::kNoNode;
      parent->child_count--;
      if (zxid > parent->stat.pzxid) parent->stat.pzxid = zxid;
      local->insert_or_assign(std::move(parent_path), std::move(*parent));
      (*local)[op.path] = Record{false, {}, 0, {}};
      *out = DeleteTxn{op.path};
      return Err::kOk;
    }
    case OpCode::kSetData: {
      if (!IsValidPath(op.path)) return Err::kBadArguments;
      auto rec = Lookup(op.path, *local);
      if (!rec) return Err::kNoNode;
      if (!CheckAcl(*rec->acl, perms::kWrite, who.ids, who.is_super)) return Err::kNoAuth;
      const int64_t new_len = static_cast<int64_t>(op.data.size());
      if (Err e = CheckQuota(tree_, op.path, new_len - rec->data_len, 0, options_.enforce_quota,
                             options_.quota_warning);
          e != Err::kOk) {
        return e;
      }
      int32_t next;
      if (Err e = CheckVersion(rec->stat.version, op.version, &next); e != Err::kOk) return e;
      rec->stat.version = next;
      rec->stat.mzxid = zxid;
      rec->stat.mtime = time_ms_;
      rec->data_len = new_len;
      (*local)[op.path] = std::move(*rec);
      *out = SetDataTxn{std::move(op.path), std::move(op.data), op.data_null, next};
      return Err::kOk;
    }
    case OpCode::kSetAcl: {
      if (!IsValidPath(op.path)) return Err::kBadArguments;
      AclList fixed;
      if (Err e = FixupAcl(std::move(op.acl), who.ids, &fixed, options_.sasl_scheme);
          e != Err::kOk) {
        return e;
      }
      auto rec = Lookup(op.path, *local);
      if (!rec) return Err::kNoNode;
      if (!CheckAcl(*rec->acl, perms::kAdmin, who.ids, who.is_super)) return Err::kNoAuth;
      int32_t next;
      if (Err e = CheckVersion(rec->stat.aversion, op.version, &next); e != Err::kOk) return e;
      rec->stat.aversion = next;
      rec->acl = std::make_shared<const AclList>(fixed);
      (*local)[op.path] = std::move(*rec);
      *out = SetAclTxn{op.path, std::move(fixed), next};
      return Err::kOk;
    }
    case OpCode::kCheck: {
      if (!IsValidPath(op.path)) return Err::kBadArguments;
      auto rec = Lookup(op.path, *local);
      if (!rec) return Err::kNoNode;
      if (!CheckAcl(*rec->acl, perms::kRead, who.ids, who.is_super)) return Err::kNoAuth;
      int32_t next;
      if (Err e = CheckVersion(rec->stat.version, op.version, &next); e != Err::kOk) return e;
      *out = CheckTxn{op.path};
      return Err::kOk;
    }
    default:
      return Err::kBadArguments;
  }
}

Err Prep::PrepCreate(WriteOp& op, int64_t zxid, int64_t session_id, const Principal& who,
                     RecordMap* local, MultiOp* out) {
  if (op.flags < static_cast<int32_t>(CreateMode::kPersistent) ||
      op.flags > static_cast<int32_t>(CreateMode::kPersistentSequentialWithTtl)) {
    return Err::kBadArguments;
  }
  auto mode = static_cast<CreateMode>(op.flags);
  bool ttl_mode =
      mode == CreateMode::kPersistentWithTtl || mode == CreateMode::kPersistentSequentialWithTtl;
  bool sequential = mode == CreateMode::kPersistentSequential ||
                    mode == CreateMode::kEphemeralSequential ||
                    mode == CreateMode::kPersistentSequentialWithTtl;
  bool container = mode == CreateMode::kContainer;
  if (ttl_mode && !options_.extended_types_enabled) return Err::kUnimplemented;
  if (ttl_mode) {
    if (op.ttl <= 0 || op.ttl > ephemeral_owner::kMaxTtl) return Err::kBadArguments;
  } else if (op.ttl >= 0) {
    return Err::kBadArguments;
  }

  // validatePathForCreate: a parent must exist syntactically.
  size_t last_slash = op.path.rfind('/');
  if (last_slash == std::string::npos || op.path.find('\0') != std::string::npos) {
    return Err::kBadArguments;
  }
  AclList fixed;
  if (Err e = FixupAcl(std::move(op.acl), who.ids, &fixed, options_.sasl_scheme); e != Err::kOk) {
    return e;
  }
  std::string parent_path(last_slash == 0 ? std::string_view("/") : ParentPath(op.path));
  auto parent = Lookup(parent_path, *local);
  if (!parent) return Err::kNoNode;
  if (!CheckAcl(*parent->acl, perms::kCreate, who.ids, who.is_super)) return Err::kNoAuth;
  std::string path = std::move(op.path);
  if (sequential) {
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "%010d", parent->stat.cversion);
    path += suffix;
  }
  if (!IsValidPath(path)) return Err::kBadArguments;
  if (Exists(path, *local)) return Err::kNodeExists;
  if (ClassifyOwner(parent->stat.ephemeral_owner) == OwnerKind::kSession) {
    return Err::kNoChildrenForEphemerals;
  }
  if (Err e = CheckQuota(tree_, path, static_cast<int64_t>(op.data.size()), 1,
                         options_.enforce_quota, options_.quota_warning);
      e != Err::kOk) {
    return e;
  }
  // Wraps past INT32_MAX as Java's int does (and without signed-overflow UB).
  int32_t new_cversion = static_cast<int32_t>(static_cast<uint32_t>(parent->stat.cversion) + 1u);
  int64_t owner = 0;
  if (mode == CreateMode::kEphemeral || mode == CreateMode::kEphemeralSequential) {
    owner = session_id;
  } else if (container) {
    owner = ephemeral_owner::kContainer;
  } else if (ttl_mode) {
    owner = ephemeral_owner::kTtlMask | op.ttl;
  }
  Record rec;
  rec.exists = true;
  rec.stat.czxid = rec.stat.mzxid = rec.stat.pzxid = zxid;
  rec.stat.ctime = rec.stat.mtime = time_ms_;
  rec.stat.ephemeral_owner = owner;
  // Most nodes have their parent's ACL: then the record shares the parent's list.
  rec.acl = *parent->acl == fixed ? parent->acl : std::make_shared<const AclList>(fixed);
  parent->child_count++;
  parent->stat.cversion = new_cversion;
  parent->stat.pzxid = zxid;
  local->insert_or_assign(std::move(parent_path), std::move(*parent));
  rec.data_len = static_cast<int64_t>(op.data.size());
  (*local)[path] = std::move(rec);
  *out = CreateTxn{std::move(path), std::move(op.data), op.data_null, std::move(fixed), owner, new_cversion};
  return Err::kOk;
}

Err Prep::PrepDelete(const WriteOp& op, int64_t zxid, const Principal& who, RecordMap* local,
                     MultiOp* out) {
  size_t last_slash = op.path.rfind('/');
  if (last_slash == std::string::npos || op.path.find('\0') != std::string::npos ||
      IsSpecialPath(op.path)) {
    return Err::kBadArguments;
  }
  std::string parent_path(last_slash == 0 ? std::string_view("/")
                                          : std::string_view(op.path).substr(0, last_slash));
  auto parent = Lookup(parent_path, *local);
  if (!parent) return Err::kNoNode;
  if (!CheckAcl(*parent->acl, perms::kDelete, who.ids, who.is_super)) return Err::kNoAuth;
  auto node = Lookup(op.path, *local);
  if (!node) return Err::kNoNode;
  int32_t next;
  if (Err e = CheckVersion(node->stat.version, op.version, &next); e != Err::kOk) return e;
  if (node->child_count > 0) return Err::kNotEmpty;
  parent->child_count--;
  if (zxid > parent->stat.pzxid) parent->stat.pzxid = zxid;
  local->insert_or_assign(std::move(parent_path), std::move(*parent));
  (*local)[op.path] = Record{false, {}, 0, {}};
  *out = DeleteTxn{op.path};
  return Err::kOk;
}

}  // namespace zk::server
