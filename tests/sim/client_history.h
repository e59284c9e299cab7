// ClientHistory: what one simulated client session did and saw, in the order it saw it — the
// input of the HistoryChecker (tests/sim/history_checker.h). A SimClient (tests/sim/sim_client.h)
// records it; tests may also write one by hand.
//
//   ops    every request the session sent (OpRecord), in send order: what was asked (type, path,
//          data, version, create mode, watch flag, the session's lastZxidSeen when sent) and, once
//          known, its outcome: replied (error code, the ReplyHeader zxid, Stat, created path, data
//          or children read, per-op results of a multi) or unknown (the connection was lost
//          first: the op may or may not have taken effect);
//   steps  the session's timeline: each op's invoke and outcome, each watch event received, and
//          the session's own changes (connected, disconnected, expired, closed), in the order
//          the client saw them.
//
// Ops use the wire op codes: kCreate2 (every create: createContainer and createTTL are kCreate2
// with create_mode 4, 5 or 6 here, as they answer like create2), kSetData, kDelete, kCheck (inside a multi
// only), kGetData, kExists, kGetChildren2, kMulti, kSync, kCloseSession. Values only; no
// thread-safety concerns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "client/proto/records.h"
#include "client/proto/wire_constants.h"

namespace zk::sim {

enum class Outcome { kPending, kReplied, kUnknown };

// One op of a multi: the request and its per-op result.
struct SubOp {
  OpCode type = OpCode::kError;  // kCreate2, kSetData, kDelete, kCheck
  std::string path;
  std::string data;
  int32_t version = kAnyVersion;
  int32_t create_mode = 0;  // CreateMode
  // Result (valid when the multi's outcome is kReplied).
  int32_t err = 0;
  std::string created_path;
  proto::Stat stat;  // setData
  bool has_stat = false;
};

struct OpRecord {
  // Invoke.
  int64_t session_id = 0;
  int32_t xid = 0;
  OpCode type = OpCode::kError;
  std::string path;
  std::string data;
  int32_t version = kAnyVersion;
  int32_t create_mode = 0;  // CreateMode, creates only (4: container, 5 and 6: TTL)
  int64_t ttl = -1;         // ms, TTL creates only
  bool watch = false;       // getData, exists, getChildren2
  std::vector<SubOp> multi;
  int64_t last_zxid_at_send = 0;

  // Outcome.
  Outcome outcome = Outcome::kPending;
  int32_t err = 0;   // Err; a multi's is its first failing op's
  int64_t zxid = 0;  // the ReplyHeader's
  proto::Stat stat;  // create2, setData, getData, exists, getChildren2
  bool has_stat = false;
  std::string created_path;
  std::string data_read;
  std::vector<std::string> children;

  bool ok() const { return outcome == Outcome::kReplied && err == 0; }
};

struct WatchEventRecord {
  int32_t type = 0;   // EventType
  int32_t state = 0;  // KeeperState
  std::string path;
  int64_t zxid = -1;  // the notification's ReplyHeader zxid (-1: the server did not say)
};

enum class StepKind {
  kInvoke,        // ops[op] was sent
  kOutcome,       // ops[op]'s reply arrived, or its outcome became unknown
  kEvent,         // events[event] arrived
  kConnected,     // a handshake completed (session_id)
  kDisconnected,  // the connection was lost
  kExpired,       // the session is gone (SESSIONEXPIRED, or a refused reconnect)
  kClosed,        // closeSession succeeded
};

struct Step {
  StepKind kind = StepKind::kInvoke;
  size_t op = 0;     // kInvoke, kOutcome
  size_t event = 0;  // kEvent
};

struct ClientHistory {
  uint64_t client_id = 0;
  int64_t session_id = 0;  // 0 until the first handshake completed
  std::vector<OpRecord> ops;
  std::vector<WatchEventRecord> events;
  std::vector<Step> steps;
  // Replies the client could not match or decode (each one a protocol violation).
  std::vector<std::string> protocol_errors;
};

// "getData /p0/a" style label of an op, for messages.
std::string DescribeOp(const OpRecord& op);
// Every op of a history with its outcome, one line each (for traces of failed runs).
std::string DescribeHistory(const ClientHistory& history);

}  // namespace zk::sim
