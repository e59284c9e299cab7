// Helpers shared by the server unit tests: a DataTree driven by hand-built txns (TreeHarness),
// and a DataTree + Prep pair that runs writes the way the server does (PrepHarness: Prepare,
// Apply, Applied). Header-only; everything is inline so several test files can include it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/acl.h"
#include "server/data_tree.h"
#include "server/prep.h"
#include "server/txn.h"

namespace zk::server::testutil {

inline AclList Open() { return acls::OpenUnsafe(); }

inline AclList AclOf(int32_t perms, std::string scheme, std::string id) {
  return {proto::Acl{perms, proto::Id{std::move(scheme), std::move(id)}}};
}

// The shown Stat of `path`. REQUIRES: the node exists.
inline proto::Stat StatAt(const DataTree& tree, std::string_view path) {
  const DataTree::Node* n = tree.Find(path);
  if (n == nullptr) return proto::Stat{};
  return tree.StatOf(*n);
}

inline bool Exists(const DataTree& tree, std::string_view path) {
  return tree.Find(path) != nullptr;
}

// A tree fed with hand-built txns; zxids increase by one, times by 10 ms.
struct TreeHarness {
  DataTree tree;
  int64_t zxid = 0;
  int64_t time_ms = 1000;
  std::vector<TreeEvent> events;
  bool record_events = true;  // false: Apply passes no event list (as with no watches set)

  ApplyResult Apply(TxnBody body, OpCode type, int64_t session_id = 0) {
    Txn txn;
    txn.zxid = ++zxid;
    txn.session_id = session_id;
    txn.cxid = static_cast<int32_t>(zxid);
    txn.time_ms = (time_ms += 10);
    txn.type = type;
    txn.body = std::move(body);
    return tree.Apply(txn, record_events ? &events : nullptr);
  }

  // The parent's stored cversion after a create under it (what Prep would put in the txn).
  int32_t NextCversion(std::string_view path) const {
    std::string_view parent =
        path.rfind('/') == 0 ? std::string_view("/") : path.substr(0, path.rfind('/'));
    const DataTree::Node* p = tree.Find(parent);
    return p ? tree.StoredStat(*p).cversion + 1 : 1;
  }

  ApplyResult Create(const std::string& path, std::string data = "", int64_t owner = 0,
                     AclList acl = Open()) {
    CreateTxn c{path, std::move(data), false, std::move(acl), owner, NextCversion(path)};
    return Apply(std::move(c), OpCode::kCreate);
  }
  ApplyResult Delete(const std::string& path) { return Apply(DeleteTxn{path}, OpCode::kDelete); }
  ApplyResult SetData(const std::string& path, std::string data, int32_t version) {
    return Apply(SetDataTxn{path, std::move(data), false, version}, OpCode::kSetData);
  }
  ApplyResult CloseSession(int64_t session_id) {
    return Apply(CloseSessionTxn{}, OpCode::kCloseSession, session_id);
  }
};

// A tree plus a Prep over it, used as the server's write path uses them.
struct PrepHarness {
  explicit PrepHarness(PrepOptions options = {}) : prep(tree, options) {}

  DataTree tree;
  Prep prep;
  int64_t time_ms = 5000;
  std::vector<TreeEvent> events;

  Txn Prepare(const WriteRequest& req, int64_t session_id = 0x100, const Principal& who = {}) {
    return prep.Prepare(req, session_id, /*cxid=*/1, time_ms += 10, who);
  }
  ApplyResult Commit(const Txn& txn) {
    ApplyResult r = tree.Apply(txn, &events);
    prep.Applied(txn.zxid);
    return r;
  }
  ApplyResult Run(const WriteRequest& req, int64_t session_id = 0x100, const Principal& who = {}) {
    return Commit(Prepare(req, session_id, who));
  }
  // Applies a hand-built txn behind Prep's back (to build states Prep would refuse), keeping
  // Prep's zxid counter in step with the tree.
  ApplyResult ApplyRaw(TxnBody body, OpCode type, int64_t session_id = 0) {
    Txn txn;
    txn.zxid = prep.last_zxid() + 1;
    txn.session_id = session_id;
    txn.time_ms = time_ms += 10;
    txn.type = type;
    txn.body = std::move(body);
    ApplyResult r = tree.Apply(txn, &events);
    prep.set_last_zxid(txn.zxid);
    return r;
  }
};

inline WriteOp CreateOp(std::string path, int32_t flags = 0, std::string data = "",
                        AclList acl = Open()) {
  WriteOp op;
  op.type = OpCode::kCreate;
  op.path = std::move(path);
  op.data = std::move(data);
  op.acl = std::move(acl);
  op.flags = flags;
  return op;
}

inline WriteOp DeleteOp(std::string path, int32_t version = -1) {
  WriteOp op;
  op.type = OpCode::kDelete;
  op.path = std::move(path);
  op.version = version;
  return op;
}

inline WriteOp SetDataOp(std::string path, std::string data, int32_t version = -1) {
  WriteOp op;
  op.type = OpCode::kSetData;
  op.path = std::move(path);
  op.data = std::move(data);
  op.version = version;
  return op;
}

inline WriteOp SetAclOp(std::string path, AclList acl, int32_t version = -1) {
  WriteOp op;
  op.type = OpCode::kSetAcl;
  op.path = std::move(path);
  op.acl = std::move(acl);
  op.version = version;
  return op;
}

inline WriteOp CheckOp(std::string path, int32_t version) {
  WriteOp op;
  op.type = OpCode::kCheck;
  op.path = std::move(path);
  op.version = version;
  return op;
}

inline WriteRequest Single(WriteOp op) {
  WriteRequest req;
  req.type = op.type;
  req.op = std::move(op);
  return req;
}

inline WriteRequest Multi(std::vector<WriteOp> ops) {
  WriteRequest req;
  req.type = OpCode::kMulti;
  req.multi = std::move(ops);
  return req;
}

inline WriteRequest CloseSessionReq() {
  WriteRequest req;
  req.type = OpCode::kCloseSession;
  return req;
}

inline WriteRequest CreateSessionReq(int32_t timeout_ms) {
  WriteRequest req;
  req.type = OpCode::kCreateSession;
  req.session_timeout_ms = timeout_ms;
  return req;
}

// The error of a prepared txn: kOk for a real change, the ErrorTxn's code otherwise.
inline Err PrepErr(const Txn& txn) {
  if (auto* e = std::get_if<ErrorTxn>(&txn.body)) return e->err;
  return Err::kOk;
}

}  // namespace zk::server::testutil
