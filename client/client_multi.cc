// Client::MultiAsync: encoding a multi's ops and decoding its per-op results.
#include "client/client_impl.h"

namespace zk::client {

namespace {

bool IsSequentialMode(CreateMode m) {
  return m == CreateMode::kPersistentSequential || m == CreateMode::kEphemeralSequential ||
         m == CreateMode::kPersistentSequentialWithTtl;
}
bool IsTtlMode(CreateMode m) {
  return m == CreateMode::kPersistentWithTtl || m == CreateMode::kPersistentSequentialWithTtl;
}

// Appends one op (MultiHeader + record); false if its arguments are invalid.
bool EncodeOp(const ConnectString& cs, const Op& op, proto::JuteWriter& w) {
  const bool seq = op.type == OpCode::kCreate && IsSequentialMode(op.mode);
  if (!ValidPath(op.path, seq)) return false;
  const std::string sp = cs.ToServer(op.path);
  switch (op.type) {
    case OpCode::kCreate: {
      const int32_t m = static_cast<int32_t>(op.mode);
      if (m < 0 || m > static_cast<int32_t>(CreateMode::kPersistentSequentialWithTtl)) return false;
      if (op.acl.empty()) return false;
      if (IsTtlMode(op.mode)) {
        if (op.ttl_ms <= 0 || op.ttl_ms > ephemeral_owner::kMaxTtl) return false;
        proto::MultiHeader{static_cast<int32_t>(OpCode::kCreateTtl), false, -1}.Write(w);
        proto::CreateTtlRequest{sp, op.data, false, op.acl, m, op.ttl_ms}.Write(w);
        return true;
      }
      if (op.ttl_ms != 0) return false;
      OpCode code =
          op.mode == CreateMode::kContainer ? OpCode::kCreateContainer : OpCode::kCreate2;
      proto::MultiHeader{static_cast<int32_t>(code), false, -1}.Write(w);
      proto::CreateRequest{sp, op.data, false, op.acl, m}.Write(w);
      return true;
    }
    case OpCode::kDelete:
      if (op.path == "/") return false;
      proto::MultiHeader{static_cast<int32_t>(OpCode::kDelete), false, -1}.Write(w);
      proto::DeleteRequest{sp, op.version}.Write(w);
      return true;
    case OpCode::kSetData:
      proto::MultiHeader{static_cast<int32_t>(OpCode::kSetData), false, -1}.Write(w);
      proto::SetDataRequest{sp, op.data, false, op.version}.Write(w);
      return true;
    case OpCode::kCheck:
      proto::MultiHeader{static_cast<int32_t>(OpCode::kCheck), false, -1}.Write(w);
      proto::CheckVersionRequest{sp, op.version}.Write(w);
      return true;
    default:
      return false;
  }
}

// Appends one read op of a multiRead; false for a write op or an invalid path.
bool EncodeReadOp(const ConnectString& cs, const Op& op, proto::JuteWriter& w) {
  if (op.type != OpCode::kGetData && op.type != OpCode::kGetChildren) return false;
  if (!ValidPath(op.path)) return false;
  proto::MultiHeader{static_cast<int32_t>(op.type), false, -1}.Write(w);
  proto::PathWatchRequest{cs.ToServer(op.path), false}.Write(w);
  return true;
}

bool DecodeResults(const ConnectString& cs, proto::JuteReader& r, MultiResult* out) {
  for (;;) {
    proto::MultiHeader h;
    if (!h.Read(r)) return false;
    if (h.done) break;
    OpResult res;
    res.type = static_cast<OpCode>(h.type);
    res.err = static_cast<Err>(h.err);
    switch (res.type) {
      case OpCode::kCreate: {
        proto::PathResponse p;
        if (!p.Read(r)) return false;
        res.path = cs.ToClient(p.path);
        break;
      }
      case OpCode::kCreate2:
      case OpCode::kCreateContainer:
      case OpCode::kCreateTtl: {
        proto::Create2Response p;
        if (!p.Read(r)) return false;
        res.path = cs.ToClient(p.path);
        res.stat = p.stat;
        break;
      }
      case OpCode::kSetData:
        if (!res.stat.Read(r)) return false;
        break;
      case OpCode::kDelete:
      case OpCode::kCheck:
        break;
      case OpCode::kGetData: {
        proto::GetDataResponse p;
        if (!p.Read(r)) return false;
        res.data = std::move(p.data);
        res.stat = p.stat;
        break;
      }
      case OpCode::kGetChildren:
        if (!r.ReadStringVector(&res.children)) return false;
        break;
      case OpCode::kError: {
        proto::ErrorResponse e;
        if (!e.Read(r)) return false;
        res.err = static_cast<Err>(e.err);
        break;
      }
      default:
        return false;
    }
    out->results.push_back(std::move(res));
  }
  for (const OpResult& res : out->results) {
    if (res.err != Err::kOk && res.err != Err::kRuntimeInconsistency) {
      out->err = res.err;
      return true;
    }
  }
  for (const OpResult& res : out->results) {
    if (res.err != Err::kOk) {
      out->err = res.err;
      break;
    }
  }
  return true;
}

// Submits a multi-shaped request (multi or multiRead) whose reply decodes into per-op results.
void SubmitMulti(Client::Impl* impl, OpCode op, std::string body,
                 std::function<void(Err, MultiResult*)> done) {
  auto req = std::make_shared<Request>();
  req->op = op;
  req->body = std::move(body);
  if (impl->request_timeout().count() > 0) req->deadline = Clock::now() + impl->request_timeout();
  req->on_reply = [impl, done = std::move(done)](Err err, proto::JuteReader* r) {
    // A failed multi still carries its per-op results; without a body the error is all we have.
    if (r == nullptr || (err != Err::kOk && r->remaining() == 0)) {
      done(err != Err::kOk ? err : Err::kMarshallingError, nullptr);
      return;
    }
    MultiResult out;
    if (!DecodeResults(impl->cs(), *r, &out)) {
      done(Err::kMarshallingError, nullptr);
      return;
    }
    if (out.err == Err::kOk && err != Err::kOk) out.err = err;
    done(Err::kOk, &out);
  };
  impl->Submit(std::move(req));
}

}  // namespace

Op Op::GetData(std::string path) {
  Op op;
  op.type = OpCode::kGetData;
  op.path = std::move(path);
  return op;
}

Op Op::GetChildren(std::string path) {
  Op op;
  op.type = OpCode::kGetChildren;
  op.path = std::move(path);
  return op;
}

void Client::MultiAsync(std::vector<Op> ops, Callback<MultiResult> cb) {
  proto::JuteWriter w;
  for (const Op& op : ops) {
    if (!EncodeOp(impl_->cs(), op, w)) {
      cb(Err::kBadArguments);
      return;
    }
  }
  proto::MultiHeader{static_cast<int32_t>(OpCode::kError), true, -1}.Write(w);
  if (ops.empty()) {
    // Nothing to do; the server would answer an empty list with an empty list.
    cb(MultiResult{});
    return;
  }
  SubmitMulti(impl_.get(), OpCode::kMulti, w.Take(),
              [cb = std::move(cb)](Err err, MultiResult* out) {
                if (out == nullptr) {
                  cb(err);
                } else {
                  cb(std::move(*out));
                }
              });
}

void Client::MultiReadAsync(std::vector<Op> ops, Callback<std::vector<OpResult>> cb) {
  proto::JuteWriter w;
  for (const Op& op : ops) {
    if (!EncodeReadOp(impl_->cs(), op, w)) {
      cb(Err::kBadArguments);
      return;
    }
  }
  if (ops.empty()) {
    cb(std::vector<OpResult>{});
    return;
  }
  proto::MultiHeader{static_cast<int32_t>(OpCode::kError), true, -1}.Write(w);
  SubmitMulti(impl_.get(), OpCode::kMultiRead, w.Take(),
              [cb = std::move(cb)](Err err, MultiResult* out) {
                if (out == nullptr) {
                  cb(err);
                } else {
                  cb(std::move(out->results));
                }
              });
}

void Client::CheckAsync(std::string_view path, int32_t version, Callback<void> cb) {
  if (!ValidPath(path)) {
    cb(Err::kBadArguments);
    return;
  }
  std::vector<Op> ops;
  ops.push_back(Op::Check(std::string(path), version));
  MultiAsync(std::move(ops), [cb = std::move(cb)](Result<MultiResult> r) {
    if (!r.ok()) {
      cb(r.err());
    } else if (!r->committed()) {
      cb(r->err);
    } else {
      cb(Result<void>());
    }
  });
}

}  // namespace zk::client
