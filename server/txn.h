// Txn: the deterministic record of one committed write, as Prep produces it and DataTree applies
// it. Txns are what the log stores and what ZAB replicates; they are encoded with msgpack
// (EncodeTxn/DecodeTxn). Every field Apply needs is in the txn, so applying the same txns in the
// same order gives the same tree on every replica. Plain values; no thread-safety concerns.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "client/proto/records.h"
#include "client/proto/wire_constants.h"

namespace zk::server {

// Creates a node. `ephemeral_owner` holds the session id, or the container / TTL encodings.
// `parent_cversion` is the parent's stored child-creation counter after this create.
struct CreateTxn {
  std::string path;
  std::string data;
  bool data_null = false;
  std::vector<proto::Acl> acl;
  int64_t ephemeral_owner = 0;
  int32_t parent_cversion = 0;
};

struct DeleteTxn {
  std::string path;
};

// Sets data; `version` is the node's new data version.
struct SetDataTxn {
  std::string path;
  std::string data;
  bool data_null = false;
  int32_t version = 0;
};

// Sets the ACL; `version` is the node's new ACL version.
struct SetAclTxn {
  std::string path;
  std::vector<proto::Acl> acl;
  int32_t version = 0;
};

// A successful version check inside a multi; applying it changes nothing.
struct CheckTxn {
  std::string path;
};

// A write that failed in Prep: it still takes a zxid, as in ZooKeeper.
struct ErrorTxn {
  Err err = Err::kOk;
};

// Opens a session. `password` is the session's 16 random bytes (SessionPassword); empty only in
// txns written before passwords were random (the password is then derived from the id).
struct CreateSessionTxn {
  int32_t timeout_ms = 0;
  std::string password;
};

// Closes a session; Apply deletes every ephemeral the session owns.
struct CloseSessionTxn {};

// One op of a multi: the same bodies as top-level txns (no sessions, no nested multis).
using MultiOp = std::variant<CreateTxn, DeleteTxn, SetDataTxn, SetAclTxn, CheckTxn, ErrorTxn>;

// All-or-nothing: either every op is a real change, or every op is an ErrorTxn carrying the
// per-op result, as ZooKeeper reports them: ops before the failing one kOk, the failing op its
// code, later ops kRuntimeInconsistency.
struct MultiTxn {
  std::vector<MultiOp> ops;
};

using TxnBody = std::variant<CreateTxn, DeleteTxn, SetDataTxn, SetAclTxn, CheckTxn, ErrorTxn,
                             CreateSessionTxn, CloseSessionTxn, MultiTxn>;

struct Txn {
  int64_t zxid = 0;
  int64_t session_id = 0;
  int32_t cxid = 0;
  int64_t time_ms = 0;
  OpCode type = OpCode::kError;  // the client's op code (create2, createTTL, ... are kept)
  TxnBody body;
};

// Encodes a txn as msgpack bytes (the log record and the ZAB payload).
std::string EncodeTxn(const Txn& txn);

// Decodes bytes written by EncodeTxn. Returns false on any malformed input (never throws).
bool DecodeTxn(std::string_view bytes, Txn* txn);

}  // namespace zk::server
