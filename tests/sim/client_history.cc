// ClientHistory: labels of ops for messages.
#include "tests/sim/client_history.h"

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
  if (op.watch) out += " (watch)";
  return out;
}

}  // namespace zk::sim
