#include "tests/sim/workload.h"

#include <string>

namespace zk::sim {

namespace {
const char* const kPaths[] = {"/a", "/b", "/c", "/a/x", "/a/y", "/b/z"};
constexpr int32_t kEphemeral = 1;
constexpr int32_t kSequential = 2;
}  // namespace

server::WriteOp Workload::RandomOp(int64_t session_id) {
  server::WriteOp op;
  op.path = kPaths[rng_->Below(std::size(kPaths))];
  op.data = "v" + std::to_string(rng_->Below(1000));
  op.acl = server::acls::OpenUnsafe();
  switch (rng_->Below(10)) {
    case 0:
    case 1:
    case 2:
      op.type = OpCode::kCreate;
      if (rng_->PerMille(200)) op.flags |= kSequential;
      if (session_id != 0 && rng_->PerMille(300)) op.flags |= kEphemeral;
      break;
    case 3:
    case 4:
    case 5:
      op.type = OpCode::kSetData;
      op.version = rng_->PerMille(700) ? -1 : static_cast<int32_t>(rng_->Below(3));
      break;
    case 6:
    case 7:
      op.type = OpCode::kDelete;
      op.version = rng_->PerMille(800) ? -1 : static_cast<int32_t>(rng_->Below(3));
      break;
    case 8:
      op.type = OpCode::kSetAcl;
      op.version = -1;
      break;
    default:
      op.type = OpCode::kCheck;
      op.version = static_cast<int32_t>(rng_->Below(3));
      break;
  }
  return op;
}

ClientWrite Workload::Next() {
  ClientWrite w;
  if (!sessions_.empty() && rng_->PerMille(700)) {
    w.session_id = sessions_[rng_->Below(sessions_.size())];
  }
  uint64_t kind = rng_->Below(100);
  if (kind < 5) {
    w.session_id = ++next_session_;
    w.req.type = OpCode::kCreateSession;
    w.req.session_timeout_ms = 10000;
    sessions_.push_back(w.session_id);
  } else if (kind < 9 && !sessions_.empty()) {
    size_t i = rng_->Below(sessions_.size());
    w.session_id = sessions_[i];
    w.req.type = OpCode::kCloseSession;
    sessions_.erase(sessions_.begin() + static_cast<std::ptrdiff_t>(i));
  } else if (kind < 20) {
    w.req.type = OpCode::kMulti;
    size_t n = 1 + rng_->Below(3);
    for (size_t i = 0; i < n; ++i) {
      server::WriteOp op = RandomOp(w.session_id);
      w.req.multi.push_back(std::move(op));
    }
  } else {
    w.req.op = RandomOp(w.session_id);
    w.req.type = w.req.op.type;
    if (w.req.type == OpCode::kCheck) {
      w.req.type = OpCode::kSetData;
      w.req.op.type = OpCode::kSetData;
    }
  }
  return w;
}

}  // namespace zk::sim
