// ClientHistory: labels of ops for messages.
#include "tests/sim/client_history.h"

#include <cstdio>

namespace zk::sim {

namespace {

const char* OpNameForHistory(OpCode type) {
  switch (type) {
    case OpCode::kCreate2:
      return "create";
    case OpCode::kSetData:
      return "setData";
    case OpCode::kDelete:
      return "delete";
    case OpCode::kCheck:
      return "check";
    case OpCode::kGetData:
      return "getData";
    case OpCode::kExists:
      return "exists";
    case OpCode::kGetChildren2:
      return "getChildren";
    case OpCode::kMulti:
      return "multi";
    case OpCode::kSync:
      return "sync";
    case OpCode::kCloseSession:
      return "closeSession";
    default:
      return "op";
  }
}

}  // namespace

std::string DescribeOp(const OpRecord& op) {
  std::string out = "#" + std::to_string(op.xid) + " " + OpNameForHistory(op.type);
  if (op.type == OpCode::kMulti) {
    out += " [";
    for (size_t i = 0; i < op.multi.size(); ++i) {
      if (i > 0) out += ", ";
      out += std::string(OpNameForHistory(op.multi[i].type)) + " " + op.multi[i].path;
    }
    out += "]";
  } else if (!op.path.empty()) {
    out += " " + op.path;
  }
  if (op.type == OpCode::kCreate2 && op.create_mode == static_cast<int32_t>(CreateMode::kContainer)) {
    out += " (container)";
  } else if (op.type == OpCode::kCreate2 && op.ttl >= 0) {
    out += " (ttl " + std::to_string(op.ttl) + " ms)";
  }
  if (op.watch) out += " (watch)";
  return out;
}

std::string DescribeHistory(const ClientHistory& h) {
  std::string out;
  char buf[160];
  for (const OpRecord& op : h.ops) {
    std::snprintf(buf, sizeof buf, "client %llu session 0x%llx: ",
                  static_cast<unsigned long long>(h.client_id),
                  static_cast<unsigned long long>(h.session_id));
    out += buf + DescribeOp(op);
    if (op.outcome == Outcome::kPending) {
      out += " -> pending\n";
      continue;
    }
    if (op.outcome == Outcome::kUnknown) {
      out += " -> unknown\n";
      continue;
    }
    std::snprintf(buf, sizeof buf, " -> err %d zxid 0x%llx", op.err,
                  static_cast<unsigned long long>(op.zxid));
    out += buf;
    if (op.has_stat) {
      std::snprintf(buf, sizeof buf, " stat czxid 0x%llx mzxid 0x%llx version %d owner 0x%llx",
                    static_cast<unsigned long long>(op.stat.czxid),
                    static_cast<unsigned long long>(op.stat.mzxid), op.stat.version,
                    static_cast<unsigned long long>(op.stat.ephemeral_owner));
      out += buf;
    }
    if (!op.created_path.empty()) out += " created " + op.created_path;
    for (const SubOp& sub : op.multi) {
      if (!sub.created_path.empty()) out += " created " + sub.created_path;
    }
    out += "\n";
  }
  return out;
}

}  // namespace zk::sim
