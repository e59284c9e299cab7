// ServerNode: read-only mode (readonlymode.enabled=true), as Apache ZooKeeper's
// ReadOnlyZooKeeperServer. A member cut off from its quorum keeps answering reads from its own
// tree to clients that asked for a read-only session in their handshake:
//  - it enters the mode max(2 s, tickTime) after it started looking for a leader (checked at
//    the node's next tick), if it is still looking then (a short election does not flip clients to read-only);
//  - it accepts a handshake only with the read-only flag set; new sessions are local to this
//    server (never replicated, forgotten when the mode ends; they expire here after their
//    timeout without a connection); a replicated session known here resumes read-only;
//  - writes, sync and reconfig are answered NOTREADONLY; closeSession ends the connection (and a
//    local session) without a txn; reads, watches and pings are served from the local tree,
//    which does not change while the member has no leader;
//  - it leaves the mode as soon as the member stops looking (a leader was found): every
//    read-only connection is closed, so its client reconnects, to a read-write server.
// Threads: the io thread only.
#include <spdlog/spdlog.h>

#include "server/reply_builder.h"
#include "server/server_node.h"

namespace zk::server {
namespace {

// ZooKeeper's lower bound on the grace period before a looking member turns read-only.
constexpr int64_t kReadOnlyGraceMs = 2000;

// What ReadOnlyRequestProcessor refuses with NOTREADONLY.
bool RefusedWhenReadOnly(OpCode t) {
  switch (t) {
    case OpCode::kSync:
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateTtl:
    case OpCode::kCreateContainer:
    case OpCode::kDelete:
    case OpCode::kDeleteContainer:
    case OpCode::kSetData:
    case OpCode::kReconfig:
    case OpCode::kSetAcl:
    case OpCode::kMulti:
    case OpCode::kCheck:
      return true;
    default:
      return false;
  }
}

}  // namespace

void ServerNode::UpdateReadOnlyMode() {
  const bool looking = config_.read_only_mode && config_.IsDistributed() && replication_ &&
                       !serving() && replication_->peer().state() == zab::PeerState::kLooking;
  if (!looking) {
    read_only_due_ms_ = -1;
    if (read_only_) LeaveReadOnlyMode();
    return;
  }
  if (read_only_ || read_only_due_ms_ >= 0) return;
  read_only_due_ms_ = NowMs() + std::max<int64_t>(kReadOnlyGraceMs, config_.tick_time_ms);
}

void ServerNode::MaybeEnterReadOnlyMode() {
  if (read_only_due_ms_ < 0 || NowMs() < read_only_due_ms_) return;
  read_only_due_ms_ = -1;
  if (!serving() && replication_->peer().state() == zab::PeerState::kLooking) EnterReadOnlyMode();
}

void ServerNode::EnterReadOnlyMode() {
  read_only_ = true;
  spdlog::info("read-only mode: no leader; serving reads to read-only clients (last zxid 0x{:x})",
               tree_->last_zxid());
}

void ServerNode::LeaveReadOnlyMode() {
  read_only_ = false;
  read_only_sessions_.clear();
  const std::vector<std::shared_ptr<ClientLink>> doomed =
      LinksWhere([](const ConnState& st) { return st.read_only; });
  spdlog::info("leaving read-only mode; closing {} read-only client connections", doomed.size());
  for (auto& c : doomed) c->Close();
}

void ServerNode::AcceptReadOnly(ConnState& st, const proto::ConnectRequest& req) {
  ClientLink& conn = *st.conn;
  st.read_only = true;
  st.negotiated_timeout_ms = std::clamp(req.timeout_ms, config_.MinSessionTimeoutMs(),
                                        config_.MaxSessionTimeoutMs());
  if (req.session_id == 0) {
    int64_t id = sessions_->NextSessionId();
    while (read_only_sessions_.contains(id)) id = sessions_->NextSessionId();
    read_only_sessions_[id] = ReadOnlySession{NewSessionPassword(), st.negotiated_timeout_ms, -1};
    st.session_id = id;
    conn_of_session_[id] = conn.id();
    spdlog::info("read-only session 0x{:x} created for {}", id, conn.remote_address());
    FinishConnect(st, true);
    return;
  }
  // A reconnect closes the session's previous connection here too.
  auto old = conn_of_session_.find(req.session_id);
  if (old != conn_of_session_.end() && old->second != conn.id()) {
    const uint64_t prev_id = old->second;
    conn_of_session_.erase(old);
    if (ConnState* prev = StateOf(prev_id)) {
      prev->session_id = 0;
      prev->conn->Close();
    }
  }
  bool valid = false;
  if (auto local = read_only_sessions_.find(req.session_id); local != read_only_sessions_.end()) {
    valid = SessionPasswordMatches(local->second.password, req.passwd);
    if (valid) local->second.idle_since_ms = -1;
  } else if (const SessionInfo* info = sessions_->Find(req.session_id)) {
    // A replicated session resumes read-only, as ZooKeeper's learner session tracker lets it;
    // only the leader can expire or close it.
    valid = !info->closing && SessionPasswordMatches(info->password, req.passwd);
  }
  st.session_id = req.session_id;
  if (valid) {
    conn_of_session_[req.session_id] = conn.id();
  } else {
    spdlog::info("invalid session 0x{:x} for read-only client {}", req.session_id,
                 conn.remote_address());
  }
  FinishConnect(st, valid);
}

bool ServerNode::AnswerReadOnly(ConnState& st, Pending& p) {
  if (RefusedWhenReadOnly(p.type)) {
    const int32_t xid = p.xid;
    AnswerInOrder(st, std::move(p), FrameReply(xid, tree_->last_zxid(), Err::kNotReadOnly));
    return true;
  }
  if (p.type != OpCode::kCloseSession) return false;
  // No txn: a local session is forgotten, a replicated one is left to the leader's expiry.
  read_only_sessions_.erase(st.session_id);
  std::string reply = FrameReply(p.xid, tree_->last_zxid(), Err::kOk);
  if (st.queue.empty()) {
    st.conn->Send(std::move(reply));
    st.conn->CloseAfterFlush();
    return true;
  }
  p.reply = std::move(reply);
  p.done = true;
  st.queue.push_back(std::move(p));  // Drain closes the connection after answering it
  return true;
}

void ServerNode::ReadOnlyConnectionClosed(int64_t session_id) {
  auto it = read_only_sessions_.find(session_id);
  if (it != read_only_sessions_.end()) it->second.idle_since_ms = NowMs();
}

void ServerNode::ExpireReadOnlySessions() {
  const int64_t now = NowMs();
  for (auto it = read_only_sessions_.begin(); it != read_only_sessions_.end();) {
    const ReadOnlySession& s = it->second;
    if (s.idle_since_ms >= 0 && now - s.idle_since_ms > s.timeout_ms) {
      read_only_sessions_.erase(it++);
    } else {
      ++it;
    }
  }
}

}  // namespace zk::server
