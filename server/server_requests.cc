// ServerNode: the handshake, request dispatch, and everything answered from the local tree
// (reads, watches, auth, pings). See zookeeper_server.h for the ordering rules.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "server/path_utils.h"
#include "server/reply_builder.h"
#include "server/request_decoding.h"
#include "server/server_node.h"

namespace zk::server {
namespace {


bool IsKnownRead(OpCode t) {
  switch (t) {
    case OpCode::kExists:
    case OpCode::kGetData:
    case OpCode::kGetAcl:
    case OpCode::kGetChildren:
    case OpCode::kGetChildren2:
    case OpCode::kSync:
    case OpCode::kPing:
    case OpCode::kMultiRead:
    case OpCode::kGetEphemerals:
    case OpCode::kGetAllChildrenNumber:
    case OpCode::kSetWatches:
    case OpCode::kSetWatches2:
    case OpCode::kAddWatch:
    case OpCode::kRemoveWatches:
    case OpCode::kCheckWatches:
    case OpCode::kWhoAmI:
    case OpCode::kSasl:
      return true;
    default:
      return false;
  }
}

// Short op names for `cons` (lop=), as ZooKeeper's Request.op2String abbreviations.
const char* OpName(OpCode t) {
  switch (t) {
    case OpCode::kCreate: return "CREA";
    case OpCode::kCreate2: return "CREA";
    case OpCode::kCreateContainer: return "CREA";
    case OpCode::kCreateTtl: return "CREA";
    case OpCode::kDelete: return "DELE";
    case OpCode::kExists: return "EXIS";
    case OpCode::kGetData: return "GETD";
    case OpCode::kSetData: return "SETD";
    case OpCode::kGetAcl: return "GETA";
    case OpCode::kSetAcl: return "SETA";
    case OpCode::kGetChildren: return "GETC";
    case OpCode::kGetChildren2: return "GETC";
    case OpCode::kSync: return "SYNC";
    case OpCode::kPing: return "PING";
    case OpCode::kCheck: return "CHEC";
    case OpCode::kMulti: return "MULT";
    case OpCode::kMultiRead: return "MLTR";
    case OpCode::kCloseSession: return "CLOS";
    case OpCode::kSetWatches: return "SETW";
    case OpCode::kSetWatches2: return "STW2";
    case OpCode::kAddWatch: return "ADDW";
    case OpCode::kRemoveWatches: return "REMW";
    case OpCode::kCheckWatches: return "CHKW";
    case OpCode::kGetEphemerals: return "GETE";
    case OpCode::kGetAllChildrenNumber: return "GETACN";
    case OpCode::kWhoAmI: return "HOMI";
    default: return "UNKN";
  }
}

}  // namespace

void ServerNode::OnFrame(ClientLink& conn, std::string_view frame) {
  ++stats_.packets_received;
  ConnState* st = StateOf(conn.id());
  if (!st) return;
  if (st->session_id == 0) {
    HandleConnect(*st, frame);
    return;
  }
  if (st->handshake_pending) {
    if (!st->early_frames) st->early_frames = std::make_unique<std::vector<std::string>>();
    st->early_frames->emplace_back(frame);
    return;
  }
  HandleRequest(*st, frame);
}

void ServerNode::HandleConnect(ConnState& st, std::string_view frame) {
  ClientLink& conn = *st.conn;
  proto::JuteReader r(frame, MaxFieldBytes());
  proto::ConnectRequest req;
  if (!req.Read(r)) {
    spdlog::warn("closing connection {} from {}: malformed connect request", conn.id(),
                 conn.remote_address());
    conn.Close();
    return;
  }
  st.client_wants_read_only_byte = req.has_read_only;
  if (diverged_) {
    spdlog::warn("refusing session request from {}: this server's data differs from the "
                 "leader's (digest mismatch)",
                 conn.remote_address());
    conn.Close();
    return;
  }
  if (!serving() && !(read_only_ && req.read_only)) {
    spdlog::info("refusing session request from {}: this server is not serving (no leader){}",
                 conn.remote_address(),
                 read_only_ ? "; it is read-only and the client did not ask for read-only" : "");
    conn.Close();
    return;
  }
  if (req.last_zxid_seen > tree_->last_zxid()) {
    spdlog::warn(
        "refusing session request from {}: it has seen zxid 0x{:x}, our last zxid is 0x{:x}; "
        "the client must try another server",
        conn.remote_address(), req.last_zxid_seen, tree_->last_zxid());
    conn.Close();
    return;
  }
  if (!serving()) {
    AcceptReadOnly(st, req);
    return;
  }
  int32_t timeout = std::clamp(req.timeout_ms, config_.MinSessionTimeoutMs(),
                               config_.MaxSessionTimeoutMs());
  st.negotiated_timeout_ms = timeout;
  if (req.session_id == 0) {
    int64_t id = sessions_->NextSessionId();
    st.session_id = id;
    st.handshake_pending = true;
    conn_of_session_[id] = conn.id();
    bool sent = leading() ? ProposeSession(id, timeout) != 0
                          : replication_->SendApp(replication_->peer().leader(),
                                             EncodeAppMessage(ForwardedCreateSession{id, timeout}));
    if (!sent) conn.Close();
    return;
  }
  // As ZooKeeper: a reconnect closes the session's previous connection (if still open)
  // before the password is checked.
  auto old = conn_of_session_.find(req.session_id);
  if (old != conn_of_session_.end() && old->second != conn.id()) {
    uint64_t prev_id = old->second;
    conn_of_session_.erase(old);
    if (ConnState* prev = StateOf(prev_id)) {
      spdlog::info("session 0x{:x} reconnecting; closing its previous connection",
                   req.session_id);
      prev->session_id = 0;
      prev->conn->Close();
    }
  }
  const SessionInfo* info = sessions_->Find(req.session_id);
  bool valid =
      info && !info->closing && SessionPasswordMatches(info->password, req.passwd);
  st.session_id = req.session_id;
  if (valid) {
    conn_of_session_[req.session_id] = conn.id();
    sessions_->Touch(req.session_id, NowMs());
    active_sessions_.insert(req.session_id);
  } else {
    spdlog::info("invalid session 0x{:x} for client {}, probably expired", req.session_id,
                 conn.remote_address());
  }
  FinishConnect(st, valid);
}

void ServerNode::FinishConnect(ConnState& st, bool valid) {
  st.handshake_pending = false;
  proto::ConnectResponse rsp;
  rsp.protocol_version = kProtocolVersion;
  rsp.timeout_ms = valid ? st.negotiated_timeout_ms : 0;
  rsp.session_id = valid ? st.session_id : 0;
  const SessionInfo* info = valid ? sessions_->Find(st.session_id) : nullptr;
  auto local = valid ? read_only_sessions_.find(st.session_id) : read_only_sessions_.end();
  if (local != read_only_sessions_.end()) {
    rsp.passwd.assign(local->second.password.data(), local->second.password.size());
  } else if (info) {
    rsp.passwd.assign(info->password.data(), info->password.size());
  } else {
    rsp.passwd.assign(kSessionPasswordLength, '\0');
  }
  rsp.read_only = st.read_only;
  rsp.has_read_only = st.client_wants_read_only_byte;
  proto::JuteWriter w;
  size_t mark = w.BeginFrame();
  rsp.Write(w);
  w.EndFrame(mark);
  st.conn->Send(w.Take());
  ++stats_.packets_sent;
  if (!valid) {
    if (conn_of_session_.contains(st.session_id) &&
        conn_of_session_[st.session_id] == st.conn->id()) {
      conn_of_session_.erase(st.session_id);
    }
    st.session_id = 0;
    st.conn->CloseAfterFlush();
    return;
  }
  st.last_zxid = tree_->last_zxid();
  std::vector<std::string> early;
  if (st.early_frames) early = std::move(*std::exchange(st.early_frames, nullptr));
  uint64_t id = st.conn->id();
  for (const auto& f : early) {
    ConnState* s = StateOf(id);
    if (!s || s->conn->closed()) break;
    HandleRequest(*s, f);
  }
}

void ServerNode::HandleRequest(ConnState& st, std::string_view frame) {
  ClientLink& conn = *st.conn;
  proto::JuteReader r(frame, MaxFieldBytes());
  proto::RequestHeader h;
  if (!h.Read(r)) {
    spdlog::warn("closing connection {} from {}: malformed request header", conn.id(),
                 conn.remote_address());
    ++stats_.frames_rejected;
    conn.Close();
    return;
  }
  std::string_view body = frame.substr(r.position());
  auto type = static_cast<OpCode>(h.type);
  if (!st.read_only && !sessions_->Touch(st.session_id, NowMs())) {
    // In the session's order: its earlier requests still waiting for their txns (proposed
    // before the close) are answered first, as the client expects replies in xid order.
    Pending p;
    p.xid = h.xid;
    p.type = type;
    p.received = std::chrono::steady_clock::now();
    p.session_expired = true;
    AnswerInOrder(st, std::move(p), std::string());
    return;
  }
  if (!leading() && !st.read_only) active_sessions_.insert(st.session_id);
  if (type == OpCode::kAuth) {
    HandleAuth(st, body);
    return;
  }
  if (type == OpCode::kSasl && sasl_enabled_) {
    HandleSasl(st, h.xid, body);
    return;
  }
  if (type != OpCode::kSasl && !AuthEnforced(st, h.xid)) return;
  Pending p;
  p.xid = h.xid;
  p.type = type;
  p.received = std::chrono::steady_clock::now();
  if (st.read_only && AnswerReadOnly(st, p)) return;
  if (type == OpCode::kReconfig && !config_.reconfig_enabled) {
    // As ZooKeeper with reconfigEnabled=false (its default).
    AnswerInOrder(st, std::move(p),
                  FrameReply(h.xid, tree_->last_zxid(), Err::kReconfigDisabled));
    return;
  }
  if (IsWriteOp(type)) {
    WriteRequest req;
    if (!DecodeWriteRequest(type, body, MaxFieldBytes(), &req)) {
      // As ZooKeeper: MARSHALLINGERROR in the session's order; the connection stays open.
      spdlog::warn("malformed {} request from {} (session 0x{:x}): answered MARSHALLINGERROR",
                   OpName(type), conn.remote_address(), st.session_id);
      ++stats_.frames_rejected;
      AnswerInOrder(st, std::move(p), FrameReply(h.xid, tree_->last_zxid(),
                                                 Err::kMarshallingError));
      return;
    }
    if (type == OpCode::kCloseSession) sessions_->SetClosing(st.session_id);
    if (type == OpCode::kMulti) {
      for (const auto& op : req.multi) p.multi_types.push_back(op.type);
    }
    p.zxid = RouteWrite(st, std::move(req), h.type, h.xid, body);
    if (p.zxid == 0) {
      conn.Close();  // no leader to take it: the client reconnects elsewhere
      return;
    }
    st.queue.push_back(std::move(p));
    LimitOutstanding(st);
    return;
  }
  if (type == OpCode::kDeleteContainer) {
    // Server-internal; a client may not send it (ZooKeeper answers BADARGUMENTS).
    AnswerInOrder(st, std::move(p), FrameReply(h.xid, tree_->last_zxid(), Err::kBadArguments));
    return;
  }
  if (type == OpCode::kCreateSession) {
    // Only a handshake creates a session; ZooKeeper fails to decode this one.
    AnswerInOrder(st, std::move(p),
                  FrameReply(h.xid, tree_->last_zxid(), Err::kMarshallingError));
    return;
  }
  if (!IsKnownRead(type)) {
    // As ZooKeeper's UnimplementedRequestProcessor: answer, then close the connection.
    spdlog::warn("closing connection {} from {}: unknown op code {}", conn.id(),
                 conn.remote_address(), h.type);
    ++stats_.frames_rejected;
    conn.Send(FrameReply(h.xid, -1, Err::kUnimplemented));
    conn.CloseAfterFlush();
    return;
  }
  if (type == OpCode::kSync && !leading()) {
    // A follower answers a sync once the leader has sent it every txn proposed before it.
    p.frame.assign(body);
    p.zxid = kAwaitingLeader;
    if (!replication_->SendApp(replication_->peer().leader(),
                          EncodeAppMessage(SyncRequest{st.session_id, h.xid}))) {
      conn.Close();
      return;
    }
    st.queue.push_back(std::move(p));
    LimitOutstanding(st);
    return;
  }
  if (st.queue.empty()) {
    // Fast path: nothing of this session is pending, answer now without copying the request.
    std::string reply = EvaluateRead(st, type, h.xid, body);
    RecordLatency(st, p);
    conn.Send(std::move(reply));
    ++stats_.packets_sent;
    return;
  }
  p.frame.assign(body);
  st.queue.push_back(std::move(p));
  LimitOutstanding(st);
}

void ServerNode::AnswerInOrder(ConnState& st, Pending p, std::string reply) {
  if (st.queue.empty()) {
    RecordLatency(st, p);
    if (p.session_expired) {
      st.conn->Send(FrameReply(p.xid, tree_->last_zxid(), Err::kSessionExpired));
      st.conn->CloseAfterFlush();
    } else {
      st.conn->Send(std::move(reply));
    }
    ++stats_.packets_sent;
    return;
  }
  p.reply = std::move(reply);
  p.done = true;
  st.queue.push_back(std::move(p));
  LimitOutstanding(st);
}

void ServerNode::LimitOutstanding(ConnState& st) {
  // A session may have at most globalOutstandingLimit requests waiting; beyond that its
  // connection stops being read until half of them are answered.
  if (st.queue.size() >= static_cast<size_t>(config_.global_outstanding_limit)) {
    st.conn->PauseReading();
  }
}

void ServerNode::HandleAuth(ConnState& st, std::string_view body) {
  proto::JuteReader r(body, MaxFieldBytes());
  proto::AuthPacket auth;
  if (!auth.Read(r)) {
    spdlog::warn("closing connection {}: malformed auth packet", st.conn->id());
    st.conn->Close();
    return;
  }
  if (auth.scheme != "digest") {
    spdlog::warn("authentication with unsupported scheme '{}' from {}", auth.scheme,
                 st.conn->remote_address());
    st.conn->Send(FrameReply(xids::kAuth, 0, Err::kAuthFailed));
    st.conn->CloseAfterFlush();
    return;
  }
  std::string id = DigestId(auth.auth);
  if (!config_.super_digest.empty() && id == config_.super_digest) {
    st.who.is_super = true;
    AuthId super_id{"super", ""};
    if (std::find(st.who.ids.begin(), st.who.ids.end(), super_id) == st.who.ids.end()) {
      st.who.ids.push_back(super_id);
    }
  }
  AuthId digest{"digest", id};
  if (std::find(st.who.ids.begin(), st.who.ids.end(), digest) == st.who.ids.end()) {
    st.who.ids.push_back(digest);
  }
  st.conn->Send(FrameReply(xids::kAuth, 0, Err::kOk));
}

void ServerNode::WriteDataResponse(proto::JuteWriter& w, const DataTree::Node& n) const {
  // GetDataResponse{data, stat}, written straight from the tree (no copy of the data).
  if (tree_->DataIsNull(n)) {
    w.WriteNullBuffer();
  } else {
    w.WriteBuffer(tree_->DataOf(n));
  }
  proto::WriteStat(w, tree_->StatOf(n));
}

void ServerNode::RecordLatency(ConnState& st, const Pending& p) {
  const auto micros = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                               std::chrono::steady_clock::now() - p.received)
                                               .count());
  stats_.RecordRequest(IsWriteOp(p.type), micros);
  const auto ms = static_cast<int32_t>(std::min<uint64_t>(micros / 1000, INT32_MAX));
  st.last_latency_ms = ms;
  if (st.min_latency_ms < 0 || ms < st.min_latency_ms) st.min_latency_ms = ms;
  st.max_latency_ms = std::max(st.max_latency_ms, ms);
  st.total_latency_ms += ms;
  ++st.latency_count;
  st.last_cxid = p.xid;
  st.last_op = OpName(p.type);
  st.last_zxid = p.zxid ? p.zxid : tree_->last_zxid();
}

void ServerNode::Drain(ConnState& st) {
  uint64_t id = st.conn->id();
  while (!st.queue.empty()) {
    Pending& p = st.queue.front();
    if ((p.zxid != 0 && !p.done) || p.held) break;
    std::string reply = p.session_expired
                            ? FrameReply(p.xid, tree_->last_zxid(), Err::kSessionExpired)
                        : p.done ? std::move(p.reply)
                                 : EvaluateRead(st, p.type, p.xid, p.frame);
    RecordLatency(st, p);
    OpCode type = p.type;
    const bool session_expired = p.session_expired;
    st.queue.pop_front();
    st.conn->Send(std::move(reply));
    ++stats_.packets_sent;
    if (type == OpCode::kCloseSession || session_expired) {
      st.conn->CloseAfterFlush();
      return;
    }
    if (!StateOf(id)) return;
  }
  if (st.queue.size() <= static_cast<size_t>(config_.global_outstanding_limit) / 2) {
    st.conn->ResumeReading();
  }
}

std::string ServerNode::EvaluateRead(ConnState& st, OpCode type, int32_t xid,
                                          std::string_view body) {
  const int64_t zxid = tree_->last_zxid();
  const WatcherId watcher = st.conn->id();
  proto::JuteReader r(body, MaxFieldBytes());
  auto can = [&](const DataTree::Node& n, int32_t perm) {
    return CheckAcl(tree_->AclOf(n), perm, st.who.ids, st.who.is_super);
  };
  auto bad = [&] { return FrameReply(xid, zxid, Err::kMarshallingError); };

  switch (type) {
    case OpCode::kPing:
      return FrameReply(xids::kPing, zxid, Err::kOk);
    case OpCode::kExists: {
      proto::PathWatchRequest req;
      if (!req.Read(r)) return bad();
      if (req.path.find('\0') != std::string::npos) {
        return FrameReply(xid, zxid, Err::kBadArguments);
      }
      // As Apache ZooKeeper 3.8.0 (the differential reference): exists does not check the
      // READ permission (3.8.4+ does).
      const DataTree::Node* n = tree_->Find(req.path);
      if (req.watch && IsValidPath(req.path)) watches_.Add(WatchKind::kData, req.path, watcher);
      if (!n) return FrameReply(xid, zxid, Err::kNoNode);
      return FrameReply(xid, zxid, proto::StatResponse{tree_->StatOf(*n)});
    }
    case OpCode::kGetData: {
      proto::PathWatchRequest req;
      if (!req.Read(r)) return bad();
      const DataTree::Node* n = tree_->Find(req.path);
      if (!n) return FrameReply(xid, zxid, Err::kNoNode);
      if (!can(*n, perms::kRead)) return FrameReply(xid, zxid, Err::kNoAuth);
      if (req.watch) watches_.Add(WatchKind::kData, req.path, watcher);
      proto::JuteWriter w;
      size_t mark = w.BeginFrame();
      proto::ReplyHeader{xid, zxid, 0}.Write(w);
      WriteDataResponse(w, *n);
      w.EndFrame(mark);
      return w.Take();
    }
    case OpCode::kGetAcl: {
      proto::PathRequest req;
      if (!req.Read(r)) return bad();
      const DataTree::Node* n = tree_->Find(req.path);
      if (!n) return FrameReply(xid, zxid, Err::kNoNode);
      if (!can(*n, perms::kRead | perms::kAdmin)) return FrameReply(xid, zxid, Err::kNoAuth);
      proto::GetAclResponse rsp;
      rsp.acl = can(*n, perms::kAdmin) ? tree_->AclOf(*n) : MaskDigests(tree_->AclOf(*n));
      rsp.stat = tree_->StatOf(*n);
      return FrameReply(xid, zxid, rsp);
    }
    case OpCode::kGetChildren:
    case OpCode::kGetChildren2: {
      proto::PathWatchRequest req;
      if (!req.Read(r)) return bad();
      const DataTree::Node* n = tree_->Find(req.path);
      if (!n) return FrameReply(xid, zxid, Err::kNoNode);
      if (!can(*n, perms::kRead)) return FrameReply(xid, zxid, Err::kNoAuth);
      if (req.watch) watches_.Add(WatchKind::kChild, req.path, watcher);
      if (type == OpCode::kGetChildren) {
        return FrameReply(xid, zxid, proto::GetChildrenResponse{tree_->Children(*n)});
      }
      return FrameReply(xid, zxid,
                        proto::GetChildren2Response{tree_->Children(*n), tree_->StatOf(*n)});
    }
    case OpCode::kSync: {
      proto::PathRequest req;
      if (!req.Read(r)) return bad();
      return FrameReply(xid, zxid, proto::PathResponse{req.path});
    }
    case OpCode::kGetEphemerals: {
      proto::PathRequest req;
      if (!req.Read(r)) return bad();
      proto::StringListResponse rsp;
      for (const auto& p : tree_->EphemeralsOf(st.session_id)) {
        if (req.path == "/" || p.starts_with(req.path)) rsp.values.push_back(p);
      }
      return FrameReply(xid, zxid, rsp);
    }
    case OpCode::kGetAllChildrenNumber: {
      proto::PathRequest req;
      if (!req.Read(r)) return bad();
      const DataTree::Node* n = tree_->Find(req.path);
      if (!n) return FrameReply(xid, zxid, Err::kNoNode);
      if (!can(*n, perms::kRead)) return FrameReply(xid, zxid, Err::kNoAuth);
      int64_t count = tree_->CountDescendants(*n);
      // ZooKeeper counts by path prefix, so "" also counts the root it stores as "/".
      if (req.path.empty()) ++count;
      return FrameReply(xid, zxid,
                        proto::GetAllChildrenNumberResponse{static_cast<int32_t>(count)});
    }
    case OpCode::kSetWatches:
    case OpCode::kSetWatches2: {
      proto::SetWatchesRequest req;
      if (!req.Read(r, type == OpCode::kSetWatches2)) return bad();
      std::vector<Notification> notes;
      for (const auto& p : req.data_watches) {
        const DataTree::Node* n = tree_->Find(p);
        if (!n) {
          notes.push_back({watcher, EventType::kNodeDeleted, p});
        } else if (tree_->StoredStat(*n).mzxid > req.relative_zxid) {
          notes.push_back({watcher, EventType::kNodeDataChanged, p});
        } else {
          watches_.Add(WatchKind::kData, p, watcher);
        }
      }
      for (const auto& p : req.exist_watches) {
        if (tree_->Find(p)) {
          notes.push_back({watcher, EventType::kNodeCreated, p});
        } else {
          watches_.Add(WatchKind::kData, p, watcher);
        }
      }
      for (const auto& p : req.child_watches) {
        const DataTree::Node* n = tree_->Find(p);
        if (!n) {
          notes.push_back({watcher, EventType::kNodeDeleted, p});
        } else if (tree_->StoredStat(*n).pzxid > req.relative_zxid) {
          notes.push_back({watcher, EventType::kNodeChildrenChanged, p});
        } else {
          watches_.Add(WatchKind::kChild, p, watcher);
        }
      }
      for (const auto& p : req.persistent_watches) watches_.Add(WatchKind::kPersistent, p, watcher);
      for (const auto& p : req.persistent_recursive_watches) {
        watches_.Add(WatchKind::kRecursive, p, watcher);
      }
      SendNotifications(notes);
      return FrameReply(xid, zxid, Err::kOk);
    }
    case OpCode::kAddWatch: {
      // As ZooKeeper: an unknown mode fails to decode (MARSHALLINGERROR); the path is not
      // validated (a watch on a path no node can have never fires).
      proto::AddWatchRequest req;
      if (!req.Read(r)) return bad();
      if (req.mode == static_cast<int32_t>(AddWatchMode::kPersistent)) {
        watches_.Add(WatchKind::kPersistent, req.path, watcher);
      } else if (req.mode == static_cast<int32_t>(AddWatchMode::kPersistentRecursive)) {
        watches_.Add(WatchKind::kRecursive, req.path, watcher);
      } else {
        return bad();
      }
      // As ZooKeeper: the reply carries an ErrorResponse{0} body, which the Java client reads
      // (without it, it misreads the next frame and drops the connection).
      return FrameReply(xid, zxid, proto::ErrorResponse{0});
    }
    case OpCode::kRemoveWatches:
    case OpCode::kCheckWatches: {
      proto::WatchesRequest req;
      if (!req.Read(r)) return bad();
      if (req.type < static_cast<int32_t>(WatcherType::kChildren) ||
          req.type > static_cast<int32_t>(WatcherType::kPersistentRecursive)) {
        return bad();  // as ZooKeeper: an unknown watcher type fails to decode
      }
      auto wt = static_cast<WatcherType>(req.type);
      bool found = type == OpCode::kRemoveWatches ? watches_.Remove(req.path, wt, watcher)
                                                  : watches_.Has(req.path, wt, watcher);
      return FrameReply(xid, zxid, found ? Err::kOk : Err::kNoWatcher);
    }
    case OpCode::kWhoAmI: {
      proto::WhoAmIResponse rsp;
      for (const auto& id : InJavaHashSetOrder(st.who.ids)) {
        std::string user = id.id;
        if (id.scheme == "digest") user = user.substr(0, user.find(':'));
        rsp.client_info.push_back(proto::ClientInfo{id.scheme, user});
      }
      return FrameReply(xid, zxid, rsp);
    }
    case OpCode::kMultiRead: {
      // As ZooKeeper: the whole request is decoded first, as a multi is (every op a known
      // multi op, all reads or all writes; else MARSHALLINGERROR alone). Writes are refused
      // with MARSHALLINGERROR and an empty result list. Ops take no watches (ZooKeeper's
      // multiRead drops the watch flag).
      std::vector<std::pair<OpCode, std::string>> ops;
      bool has_read = false, has_write = false;
      while (true) {
        proto::MultiHeader mh;
        if (!mh.Read(r)) return bad();
        if (mh.done) break;
        auto op = static_cast<OpCode>(mh.type);
        if (op == OpCode::kGetChildren || op == OpCode::kGetData) {
          proto::PathWatchRequest req;
          if (!req.Read(r)) return bad();
          ops.emplace_back(op, std::move(req.path));
          has_read = true;
        } else {
          WriteOp ignored;
          if (!ReadMultiWriteOp(op, r, &ignored)) return bad();
          has_write = true;
        }
        if (has_read && has_write) return bad();
      }
      proto::JuteWriter w;
      size_t mark = w.BeginFrame();
      proto::ReplyHeader{xid, zxid, has_write ? static_cast<int32_t>(Err::kMarshallingError) : 0}
          .Write(w);
      for (size_t i = 0; i < ops.size() && !has_write; ++i) {
        const auto& [op, path] = ops[i];
        const DataTree::Node* n = tree_->Find(path);
        Err err = !n ? Err::kNoNode : !can(*n, perms::kRead) ? Err::kNoAuth : Err::kOk;
        if (err != Err::kOk) {
          proto::MultiHeader{static_cast<int32_t>(OpCode::kError), false,
                             static_cast<int32_t>(err)}
              .Write(w);
          proto::ErrorResponse{static_cast<int32_t>(err)}.Write(w);
          continue;
        }
        proto::MultiHeader{static_cast<int32_t>(op), false, 0}.Write(w);
        if (op == OpCode::kGetChildren) {
          proto::GetChildrenResponse{tree_->Children(*n)}.Write(w);
        } else {
          WriteDataResponse(w, *n);
        }
      }
      proto::MultiHeader{-1, true, -1}.Write(w);
      w.EndFrame(mark);
      return w.Take();
    }
    case OpCode::kSasl: {
      // No SASL provider is configured: as ZooKeeper then, OK with a null token and zxid 0,
      // and the connection stays unauthenticated.
      proto::JuteWriter w;
      size_t mark = w.BeginFrame();
      proto::ReplyHeader{xid, 0, 0}.Write(w);
      w.WriteNullBuffer();
      w.EndFrame(mark);
      return w.Take();
    }
    default:
      return FrameReply(xid, zxid, Err::kUnimplemented);
  }
}

}  // namespace zk::server
