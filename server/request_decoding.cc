#include "server/request_decoding.h"

#include <algorithm>
#include <cstddef>
#include <utility>

#include "client/proto/jute.h"
#include "client/proto/records.h"

namespace zk::server {
namespace {

// Moves the fields CreateRequest and CreateTtlRequest share into a WriteOp.
template <class CreateRecord>
void TakeCreateFields(CreateRecord& req, WriteOp* op) {
  op->path = std::move(req.path);
  op->data = std::move(req.data);
  op->data_null = req.data_null;
  op->acl = std::move(req.acl);
  op->flags = req.flags;
}

bool ReadWriteOp(OpCode type, proto::JuteReader& r, WriteOp* op) {
  op->type = type;
  switch (type) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer: {
      proto::CreateRequest req;
      if (!req.Read(r)) return false;
      TakeCreateFields(req, op);
      return true;
    }
    case OpCode::kCreateTtl: {
      proto::CreateTtlRequest req;
      if (!req.Read(r)) return false;
      TakeCreateFields(req, op);
      op->ttl = req.ttl;
      return true;
    }
    case OpCode::kDelete: {
      proto::DeleteRequest req;
      if (!req.Read(r)) return false;
      op->path = std::move(req.path);
      op->version = req.version;
      return true;
    }
    case OpCode::kSetData: {
      proto::SetDataRequest req;
      if (!req.Read(r)) return false;
      op->path = std::move(req.path);
      op->data = std::move(req.data);
      op->data_null = req.data_null;
      op->version = req.version;
      return true;
    }
    case OpCode::kSetAcl: {
      proto::SetAclRequest req;
      if (!req.Read(r)) return false;
      op->path = std::move(req.path);
      op->acl = std::move(req.acl);
      op->version = req.version;
      return true;
    }
    case OpCode::kCheck: {
      proto::CheckVersionRequest req;
      if (!req.Read(r)) return false;
      op->path = std::move(req.path);
      op->version = req.version;
      return true;
    }
    default:
      return false;
  }
}

}  // namespace

bool IsWriteOp(OpCode t) {
  switch (t) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
    case OpCode::kCreateTtl:
    case OpCode::kDelete:
    case OpCode::kSetData:
    case OpCode::kSetAcl:
    case OpCode::kCheck:
    case OpCode::kMulti:
    case OpCode::kCloseSession:
    case OpCode::kReconfig:
      return true;
    default:
      return false;
  }
}

bool ReadMultiWriteOp(OpCode type, proto::JuteReader& r, WriteOp* op) {
  // setACL is a write but not a multi op (ZooKeeper's MultiOperationRecord refuses it).
  if (type == OpCode::kSetAcl || type == OpCode::kCloseSession || type == OpCode::kMulti) {
    return false;
  }
  return ReadWriteOp(type, r, op);
}

bool DecodeWriteRequest(OpCode type, std::string_view body, size_t max_field_bytes,
                        WriteRequest* req) {
  proto::JuteReader r(body, max_field_bytes);
  req->type = type;
  if (type == OpCode::kCloseSession) return true;
  if (type == OpCode::kReconfig) return req->reconfig.Read(r);
  if (type != OpCode::kMulti) return ReadWriteOp(type, r, &req->op);
  // The op count is not on the wire, but each op takes at least its header (type, done, err)
  // and a path's length: room for up to 16 ops at once spares the vector most of its growth.
  constexpr size_t kMinMultiOpBytes = 4 + 1 + 4 + 4;
  constexpr size_t kReservedMultiOps = 16;
  req->multi.reserve(std::min(body.size() / kMinMultiOpBytes, kReservedMultiOps));
  while (true) {
    proto::MultiHeader mh;
    if (!mh.Read(r)) return false;
    if (mh.done) return true;
    WriteOp op;
    if (!ReadMultiWriteOp(static_cast<OpCode>(mh.type), r, &op)) return false;
    req->multi.push_back(std::move(op));
  }
}

}  // namespace zk::server
