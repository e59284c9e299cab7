// ServerNode: the write path. Prep assigns a zxid and builds the txn, the group-commit log
// makes it durable, and once durable the txn is applied in zxid order, its watches fire and the
// client that sent it gets the reply. Sessions' creation, closing and expiry, and the
// container/TTL reaper, go through the same path.
#include <spdlog/spdlog.h>

#include "zab/check.h"
#include "server/reply_builder.h"
#include "server/server_node.h"

namespace zk::server {


int64_t ServerNode::SubmitWrite(WriteRequest req, int64_t session_id, int32_t cxid,
                                     const Principal& who) {
  if (stopped_ || !leading()) return 0;
  if (req.type == OpCode::kReconfig) {
    zab::QuorumConfig next;
    PlanMembershipChange(&req, &next);
    Txn txn = prep_->Prepare(std::move(req), session_id, cxid, WallMs(), who);
    if (std::holds_alternative<SetDataTxn>(txn.body)) {
      Err err = Err::kOk;
      int64_t zxid = 0;
      in_flight_.push_back(InFlight{txn});
      if (ProposeReconfig(txn, std::move(next), &err, &zxid)) {
        ++stats_.proposals;
        return zxid;
      }
      if (!in_flight_.empty() && in_flight_.back().txn.zxid == txn.zxid) in_flight_.pop_back();
      if (!leading()) return 0;
      txn.body = ErrorTxn{err};  // refused by ZAB: the same zxid carries the error
    }
    return ProposePrepared(std::move(txn));
  }
  return ProposePrepared(prep_->Prepare(std::move(req), session_id, cxid, WallMs(), who));
}

int64_t ServerNode::ProposePrepared(Txn txn) {
  const int64_t zxid = txn.zxid;
  std::string data = EncodeTxn(txn);
  in_flight_.push_back(InFlight{std::move(txn)});
  const int64_t proposed = replication_->Propose(std::move(data));
  if (proposed == 0) {
    // This server just stopped leading (for instance its epoch ran out of zxids); RoleChanged,
    // called from inside Propose, may already have dropped every txn in flight.
    if (!in_flight_.empty() && in_flight_.back().txn.zxid == zxid) in_flight_.pop_back();
    return 0;
  }
  ZK_CHECK(proposed == zxid);  // Prep and ZAB number txns alike
  ++stats_.proposals;
  return zxid;
}

int64_t ServerNode::ProposeSession(int64_t session_id, int32_t timeout_ms) {
  WriteRequest req;
  req.type = OpCode::kCreateSession;
  req.session_timeout_ms = timeout_ms;
  const SessionPassword password = NewSessionPassword();
  req.session_password.assign(password.data(), password.size());
  return SubmitWrite(std::move(req), session_id, 0, Principal{});
}

int64_t ServerNode::RouteWrite(ConnState& st, WriteRequest req, int32_t type,
                                    int32_t xid, std::string_view body) {
  if (leading()) return SubmitWrite(std::move(req), st.session_id, xid, st.who);
  ForwardedWrite w{st.session_id, xid, type, std::string(body), st.who};
  return replication_->SendApp(replication_->peer().leader(), EncodeAppMessage(w)) ? kAwaitingLeader : 0;
}

void ServerNode::ApplyOne(const Txn& txn) {
  // Committed txns are applied exactly once, in strictly increasing zxid order.
  ZK_CHECK(txn.zxid > tree_->last_zxid());
  // The tree names its changes only for the watches: with none set, it copies no paths.
  std::vector<TreeEvent> events;
  std::vector<TreeEvent>* const want_events = watches_.watch_count() > 0 ? &events : nullptr;
  ApplyResult result;
  const auto* set = std::get_if<SetDataTxn>(&txn.body);
  if (set && !config_.test_diverge_path.empty() && set->path == config_.test_diverge_path) {
    // Test seam: this replica applies a different value than the others.
    Txn diverged = txn;
    std::get<SetDataTxn>(diverged.body).data += "~";
    result = tree_->Apply(diverged, want_events);
  } else {
    result = tree_->Apply(txn, want_events);
  }
  if (leading()) {
    if (++txns_since_digest_sample_ >= kDigestSampleEveryTxns) SampleDigest();
  } else if (auto mismatch = digest_audit_.Applied(txn.zxid, tree_->digest())) {
    OnDigestMismatch(*mismatch);
  }
  prep_->Applied(txn.zxid);
  if (const auto* create = std::get_if<CreateSessionTxn>(&txn.body)) {
    sessions_->Add(txn.session_id, create->timeout_ms,
                   SessionPasswordOf(txn.session_id, create->password), NowMs());
  } else if (std::holds_alternative<CloseSessionTxn>(txn.body)) {
    sessions_->Remove(txn.session_id);
  }
  reaper_.Applied(txn.zxid);

  std::vector<Notification> notes;
  for (const auto& e : events) watches_.Trigger(e, &notes);
  SendNotifications(notes);
  MaybeSnapshot();
  AnswerApplied(txn, result);
}

void ServerNode::AnswerApplied(const Txn& txn, const ApplyResult& result) {
  const bool close_session = std::holds_alternative<CloseSessionTxn>(txn.body);
  auto it = conn_of_session_.find(txn.session_id);
  ConnState* st = it == conn_of_session_.end() ? nullptr : StateOf(it->second);
  bool answered = false;
  if (st && std::holds_alternative<CreateSessionTxn>(txn.body)) {
    if (st->handshake_pending) FinishConnect(*st, true);
    return;
  }
  if (st) {
    // The session's oldest unanswered write is this txn: proposed here (same zxid) or
    // forwarded to the leader (same cxid; a session's writes commit in the order it sent them).
    for (Pending& p : st->queue) {
      if (p.zxid == 0 || p.done || p.type == OpCode::kSync) continue;
      if (p.zxid == txn.zxid || (p.zxid == kAwaitingLeader && p.xid == txn.cxid)) {
        p.zxid = txn.zxid;
        p.reply = BuildWriteReply(p, txn, result);
        p.done = true;
        answered = true;
      }
      break;
    }
    if (answered) Drain(*st);
  }
  // Expired (or closed elsewhere): the session's connection goes.
  if (close_session && !answered) CloseSessionConnections(txn.session_id);
}

std::string ServerNode::BuildWriteReply(const Pending& p, const Txn& txn,
                                             const ApplyResult& r) {
  if (const auto* e = std::get_if<ErrorTxn>(&txn.body)) {
    return FrameReply(p.xid, txn.zxid, e->err);
  }
  if (r.err != Err::kOk) return FrameReply(p.xid, txn.zxid, r.err);
  switch (p.type) {
    case OpCode::kCreate:
      return FrameReply(p.xid, txn.zxid, proto::PathResponse{r.path});
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
    case OpCode::kCreateTtl:
      return FrameReply(p.xid, txn.zxid, proto::Create2Response{r.path, r.stat});
    case OpCode::kSetData:
    case OpCode::kSetAcl:
      return FrameReply(p.xid, txn.zxid, proto::StatResponse{r.stat});
    case OpCode::kReconfig:
      // As ZooKeeper: the new configuration's text and /zookeeper/config's Stat.
      if (const auto* set = std::get_if<SetDataTxn>(&txn.body)) {
        return FrameReply(p.xid, txn.zxid, proto::GetDataResponse{set->data, false, r.stat});
      }
      return FrameReply(p.xid, txn.zxid, Err::kOk);
    case OpCode::kMulti: {
      proto::JuteWriter w;
      // A hint: the frame and header, then per op its 9-byte header and a response, most often
      // a 68-byte Stat (kSmallReplyBytes leaves room for a short path too).
      w.Reserve(4 + 16 + r.multi.size() * (9 + kSmallReplyBytes));
      size_t mark = w.BeginFrame();
      proto::ReplyHeader{p.xid, txn.zxid, 0}.Write(w);
      for (size_t i = 0; i < r.multi.size(); ++i) {
        const ApplyResult& sub = r.multi[i];
        OpCode type = i < p.multi_types.size() ? p.multi_types[i] : sub.type;
        if (sub.type == OpCode::kError) {
          proto::MultiHeader{static_cast<int32_t>(OpCode::kError), false,
                             static_cast<int32_t>(sub.err)}
              .Write(w);
          proto::ErrorResponse{static_cast<int32_t>(sub.err)}.Write(w);
          continue;
        }
        switch (type) {
          case OpCode::kCreate:
          case OpCode::kCreate2:
            // As ZooKeeper 3.8: create and create2 inside a multi answer as a plain create;
            // createTTL and createContainer answer as create2 (type 15, with the Stat).
            proto::MultiHeader{static_cast<int32_t>(OpCode::kCreate), false, 0}.Write(w);
            proto::PathResponse{sub.path}.Write(w);
            continue;
          case OpCode::kCreateContainer:
          case OpCode::kCreateTtl:
            proto::MultiHeader{static_cast<int32_t>(OpCode::kCreate2), false, 0}.Write(w);
            proto::Create2Response{sub.path, sub.stat}.Write(w);
            continue;
          default:
            proto::MultiHeader{static_cast<int32_t>(type), false, 0}.Write(w);
            break;
        }
        switch (type) {
          case OpCode::kSetData:
            proto::StatResponse{sub.stat}.Write(w);
            break;
          default:
            break;  // delete, check: no body
        }
      }
      proto::MultiHeader{-1, true, -1}.Write(w);
      w.EndFrame(mark);
      return w.Take();
    }
    default:
      return FrameReply(p.xid, txn.zxid, Err::kOk);
  }
}

void ServerNode::SendNotifications(const std::vector<Notification>& notes) {
  for (const auto& n : notes) {
    ConnState* st = StateOf(n.watcher);
    if (!st) continue;
    proto::WatcherEvent ev{static_cast<int32_t>(n.type),
                           static_cast<int32_t>(KeeperState::kSyncConnected), n.path};
    st->conn->Send(FrameReply(xids::kNotification, -1, ev));
    ++stats_.packets_sent;
  }
}

void ServerNode::CloseSessionConnections(int64_t session_id) {
  auto it = conn_of_session_.find(session_id);
  if (it == conn_of_session_.end()) return;
  uint64_t conn_id = it->second;
  conn_of_session_.erase(it);
  if (ConnState* st = StateOf(conn_id)) st->conn->Close();
}

void ServerNode::ExpireSessions() {
  for (int64_t id : sessions_->PopExpired(NowMs())) {
    const SessionInfo* info = sessions_->Find(id);
    spdlog::info("expiring session 0x{:x}, timeout of {} ms exceeded", id,
                 info ? info->timeout_ms : 0);
    ++stats_.sessions_expired;
    CloseSessionConnections(id);
    WriteRequest req;
    req.type = OpCode::kCloseSession;
    SubmitWrite(std::move(req), id, 0, Principal{});
  }
}

void ServerNode::ReapContainersAndTtls() {
  for (auto& path : reaper_.Tick(NowMs(), WallMs(), *tree_)) {
    spdlog::info("deleting {} (an empty container or an expired TTL node)", path);
    WriteRequest req;
    req.type = OpCode::kDeleteContainer;
    req.op.type = OpCode::kDeleteContainer;
    req.op.path = path;
    reaper_.Submitted(path, SubmitWrite(std::move(req), 0, 0, Principal{}));
  }
}

}  // namespace zk::server
