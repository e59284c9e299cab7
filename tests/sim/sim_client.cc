// SimClient: the session's state machine, request encoding and reply decoding.
#include "tests/sim/sim_client.h"

#include <algorithm>
#include <utility>

#include "client/proto/jute.h"
#include "client/proto/records.h"

namespace zk::sim {

namespace {

const std::vector<proto::Acl>& OpenAclForSimClient() {
  static const std::vector<proto::Acl> acl = {
      proto::Acl{perms::kAll, proto::Id{"world", "anyone"}}};
  return acl;
}

// Appends one multi op (header and record).
void EncodeSubOpForSimClient(const SubOp& s, proto::JuteWriter& w) {
  proto::MultiHeader{static_cast<int32_t>(s.type), false, -1}.Write(w);
  switch (s.type) {
    case OpCode::kCreate2:
      proto::CreateRequest{s.path, s.data, false, OpenAclForSimClient(), s.create_mode}.Write(w);
      break;
    case OpCode::kSetData:
      proto::SetDataRequest{s.path, s.data, false, s.version}.Write(w);
      break;
    case OpCode::kDelete:
      proto::DeleteRequest{s.path, s.version}.Write(w);
      break;
    default:  // kCheck
      proto::CheckVersionRequest{s.path, s.version}.Write(w);
      break;
  }
}

// Reads a multi's per-op results into `op.multi`; false when malformed.
bool DecodeMultiResultsForSimClient(proto::JuteReader& r, OpRecord& op) {
  size_t i = 0;
  for (;;) {
    proto::MultiHeader h;
    if (!h.Read(r)) return false;
    if (h.done) break;
    if (i >= op.multi.size()) return false;
    SubOp& s = op.multi[i++];
    s.err = h.err;
    switch (static_cast<OpCode>(h.type)) {
      case OpCode::kError: {
        proto::ErrorResponse e;
        if (!e.Read(r)) return false;
        s.err = e.err;
        break;
      }
      case OpCode::kCreate: {
        proto::PathResponse p;
        if (!p.Read(r)) return false;
        s.created_path = p.path;
        break;
      }
      case OpCode::kCreate2: {
        proto::Create2Response p;
        if (!p.Read(r)) return false;
        s.created_path = p.path;
        s.stat = p.stat;
        s.has_stat = true;
        break;
      }
      case OpCode::kSetData:
        if (!s.stat.Read(r)) return false;
        s.has_stat = true;
        break;
      case OpCode::kDelete:
      case OpCode::kCheck:
        break;
      default:
        return false;
    }
  }
  if (i != op.multi.size()) return false;
  // The multi's error: the first op that failed for its own reason (the others answer
  // RUNTIMEINCONSISTENCY), as the Java client reports it.
  op.err = 0;
  for (const SubOp& s : op.multi) {
    if (s.err != 0 && s.err != static_cast<int32_t>(Err::kRuntimeInconsistency)) {
      op.err = s.err;
      return true;
    }
  }
  for (const SubOp& s : op.multi) {
    if (s.err != 0) {
      op.err = s.err;
      break;
    }
  }
  return true;
}

}  // namespace

SimClient::SimClient(uint64_t client_id, uint64_t seed, SimClientOptions options)
    : client_id_(client_id), rng_(seed), options_(std::move(options)) {
  history_.client_id = client_id;
}

void SimClient::AddStep(StepKind kind, size_t op, size_t event) {
  history_.steps.push_back(Step{kind, op, event});
}

std::string SimClient::ConnectFrame() {
  proto::ConnectRequest req;
  req.last_zxid_seen = last_zxid_;
  req.timeout_ms = options_.session_timeout_ms;
  req.session_id = session_id_;
  req.passwd = session_id_ != 0 ? passwd_ : std::string(kSessionPasswordLength, '\0');
  proto::JuteWriter w;
  req.Write(w);
  state_ = State::kHandshaking;
  return w.Take();
}

std::string SimClient::PingFrame() const {
  proto::JuteWriter w;
  proto::RequestHeader{xids::kPing, static_cast<int32_t>(OpCode::kPing)}.Write(w);
  return w.Take();
}

std::optional<std::string> SimClient::NextFrame() {
  if (state_ != State::kConnected) return std::nullopt;
  if (pending_set_watches_) {
    std::string f = std::move(*pending_set_watches_);
    pending_set_watches_.reset();
    return f;
  }
  if (closing_ || outstanding_.size() >= static_cast<size_t>(options_.max_outstanding)) {
    return std::nullopt;
  }
  OpRecord op = RandomOp();
  op.session_id = session_id_;
  op.xid = next_xid_++;
  op.last_zxid_at_send = last_zxid_;
  if (op.type == OpCode::kCloseSession) closing_ = true;
  std::string frame = Encode(op);
  history_.ops.push_back(std::move(op));
  size_t index = history_.ops.size() - 1;
  outstanding_.push_back(Outstanding{history_.ops[index].xid, index});
  AddStep(StepKind::kInvoke, index);
  return frame;
}

std::string SimClient::Encode(const OpRecord& op) const {
  proto::JuteWriter w;
  // Containers and TTL nodes have create ops of their own (they answer as create2).
  OpCode wire_type = op.type;
  if (op.type == OpCode::kCreate2 && op.ttl >= 0) {
    wire_type = OpCode::kCreateTtl;
  } else if (op.type == OpCode::kCreate2 &&
             op.create_mode == static_cast<int32_t>(CreateMode::kContainer)) {
    wire_type = OpCode::kCreateContainer;
  }
  proto::RequestHeader{op.xid, static_cast<int32_t>(wire_type)}.Write(w);
  switch (op.type) {
    case OpCode::kCreate2:
      if (op.ttl >= 0) {
        proto::CreateTtlRequest{op.path, op.data, false, OpenAclForSimClient(), op.create_mode,
                                op.ttl}
            .Write(w);
      } else {
        proto::CreateRequest{op.path, op.data, false, OpenAclForSimClient(), op.create_mode}
            .Write(w);
      }
      break;
    case OpCode::kSetData:
      proto::SetDataRequest{op.path, op.data, false, op.version}.Write(w);
      break;
    case OpCode::kDelete:
      proto::DeleteRequest{op.path, op.version}.Write(w);
      break;
    case OpCode::kGetData:
    case OpCode::kExists:
    case OpCode::kGetChildren2:
      proto::PathWatchRequest{op.path, op.watch}.Write(w);
      break;
    case OpCode::kSync:
      proto::PathRequest{op.path}.Write(w);
      break;
    case OpCode::kMulti:
      for (const SubOp& s : op.multi) EncodeSubOpForSimClient(s, w);
      proto::MultiHeader{-1, true, -1}.Write(w);
      break;
    default:  // kCloseSession: no body
      break;
  }
  return w.Take();
}

std::string SimClient::NextData() {
  return "c" + std::to_string(client_id_) + "-" + std::to_string(++data_counter_);
}

const std::string& SimClient::RandomParent() {
  const size_t plain = options_.parents.size();
  const size_t n = plain + (options_.extended_types ? options_.container_parents.size() : 0);
  const size_t i = rng_.Below(n);
  return i < plain ? options_.parents[i] : options_.container_parents[i - plain];
}

std::string SimClient::RandomChildPath() {
  const std::string& parent = RandomParent();
  return parent + "/" + options_.child_names[rng_.Below(options_.child_names.size())];
}

std::string SimClient::AnyKnownPath() {
  if (!created_.empty() && rng_.PerMille(300)) return created_[rng_.Below(created_.size())];
  return RandomChildPath();
}

OpRecord SimClient::RandomOp() {
  OpRecord op;
  auto version_for = [this](const std::string& path) {
    auto it = known_versions_.find(path);
    if (it == known_versions_.end() || rng_.PerMille(500)) return kAnyVersion;
    return it->second;
  };
  // Persistent, ephemeral, and their sequentials; with `ttl` (not null) and extended types,
  // the two TTL modes too (*ttl is then set).
  auto random_create = [this](std::string* path, int32_t* mode, int64_t* ttl) {
    const bool extended = ttl != nullptr && options_.extended_types;
    const uint64_t pick = rng_.Below(extended ? 6 : 4);
    *mode = pick < 4 ? static_cast<int32_t>(pick)
                     : static_cast<int32_t>(pick == 4 ? CreateMode::kPersistentWithTtl
                                                      : CreateMode::kPersistentSequentialWithTtl);
    if (pick >= 4) *ttl = rng_.Range(options_.min_ttl_ms, options_.max_ttl_ms);
    const std::string& parent = RandomParent();
    if (*mode == static_cast<int32_t>(CreateMode::kPersistentSequential)) {
      *path = parent + "/s-";
    } else if (*mode == static_cast<int32_t>(CreateMode::kEphemeralSequential)) {
      *path = parent + "/e-";
    } else if (*mode == static_cast<int32_t>(CreateMode::kPersistentSequentialWithTtl)) {
      *path = parent + "/t-";
    } else {
      *path = parent + "/" + options_.child_names[rng_.Below(options_.child_names.size())];
    }
  };
  if (options_.close_per_mille > 0 && rng_.PerMille(options_.close_per_mille)) {
    op.type = OpCode::kCloseSession;
    return op;
  }
  uint64_t roll = rng_.Below(100);
  if (roll < 5) {
    op.type = OpCode::kCreate2;
    op.path = RandomParent();
    if (std::find(options_.container_parents.begin(), options_.container_parents.end(),
                  op.path) != options_.container_parents.end()) {
      op.create_mode = static_cast<int32_t>(CreateMode::kContainer);
    }
    op.data = NextData();
  } else if (roll < 25) {
    op.type = OpCode::kCreate2;
    random_create(&op.path, &op.create_mode, &op.ttl);
    op.data = NextData();
  } else if (roll < 37) {
    op.type = OpCode::kSetData;
    op.path = AnyKnownPath();
    op.data = NextData();
    op.version = version_for(op.path);
  } else if (roll < 47) {
    op.type = OpCode::kDelete;
    op.path = AnyKnownPath();
    op.version = version_for(op.path);
  } else if (roll < 61) {
    op.type = OpCode::kGetData;
    op.path = AnyKnownPath();
    op.watch = rng_.PerMille(500);
  } else if (roll < 71) {
    op.type = OpCode::kExists;
    op.path = AnyKnownPath();
    op.watch = rng_.PerMille(500);
  } else if (roll < 81) {
    op.type = OpCode::kGetChildren2;
    op.path = RandomParent();
    op.watch = rng_.PerMille(500);
  } else if (roll < 94) {
    op.type = OpCode::kMulti;
    int n = static_cast<int>(rng_.Range(2, 4));
    for (int i = 0; i < n; ++i) {
      SubOp s;
      switch (rng_.Below(4)) {
        case 0:
          s.type = OpCode::kCreate2;
          random_create(&s.path, &s.create_mode, nullptr);
          s.data = NextData();
          break;
        case 1:
          s.type = OpCode::kSetData;
          s.path = AnyKnownPath();
          s.data = NextData();
          s.version = version_for(s.path);
          break;
        case 2:
          s.type = OpCode::kDelete;
          s.path = AnyKnownPath();
          s.version = version_for(s.path);
          break;
        default:
          s.type = OpCode::kCheck;
          s.path = AnyKnownPath();
          s.version = version_for(s.path);
          break;
      }
      op.multi.push_back(std::move(s));
    }
  } else {
    op.type = OpCode::kSync;
    op.path = RandomParent();
  }
  return op;
}

void SimClient::OnFrame(std::string_view frame) {
  if (state_ == State::kHandshaking) {
    OnConnectResponse(frame);
  } else if (state_ == State::kConnected) {
    OnReply(frame);
  }
  // Frames after the session ended or the connection was given up are dropped.
}

void SimClient::OnConnectResponse(std::string_view frame) {
  proto::JuteReader r(frame);
  proto::ConnectResponse rsp;
  if (!rsp.Read(r)) {
    history_.protocol_errors.push_back("malformed ConnectResponse");
    state_ = State::kDisconnected;
    return;
  }
  if (rsp.session_id == 0 || rsp.timeout_ms <= 0) {
    End(StepKind::kExpired);
    return;
  }
  if (session_id_ != 0 && rsp.session_id != session_id_) {
    history_.protocol_errors.push_back("reconnect answered with another session id");
  }
  session_id_ = rsp.session_id;
  history_.session_id = rsp.session_id;
  passwd_ = rsp.passwd;
  timeout_ms_ = rsp.timeout_ms;
  state_ = State::kConnected;
  AddStep(StepKind::kConnected);
  if (!data_watches_.empty() || !child_watches_.empty()) {
    proto::SetWatchesRequest req;
    req.relative_zxid = last_zxid_;
    for (const auto& [path, existed] : data_watches_) {
      (existed ? req.data_watches : req.exist_watches).push_back(path);
    }
    req.child_watches.assign(child_watches_.begin(), child_watches_.end());
    proto::JuteWriter w;
    proto::RequestHeader{xids::kSetWatches, static_cast<int32_t>(OpCode::kSetWatches)}.Write(w);
    req.Write(w, false);
    pending_set_watches_ = w.Take();
  }
}

void SimClient::OnReply(std::string_view frame) {
  proto::JuteReader r(frame);
  proto::ReplyHeader h;
  if (!h.Read(r)) {
    history_.protocol_errors.push_back("malformed ReplyHeader");
    return;
  }
  if (h.xid == xids::kNotification) {
    proto::WatcherEvent ev;
    if (!ev.Read(r)) {
      history_.protocol_errors.push_back("malformed WatcherEvent");
      return;
    }
    WatchEventRecord rec{ev.type, ev.state, ev.path, h.zxid};
    NoteEvent(rec);
    history_.events.push_back(std::move(rec));
    AddStep(StepKind::kEvent, 0, history_.events.size() - 1);
    return;
  }
  if (h.xid == xids::kPing || h.xid == xids::kSetWatches || h.xid == xids::kAuth) return;
  if (outstanding_.empty() || outstanding_.front().xid != h.xid) {
    history_.protocol_errors.push_back(
        "reply xid " + std::to_string(h.xid) + " expected " +
        (outstanding_.empty() ? std::string("none") : std::to_string(outstanding_.front().xid)));
    return;
  }
  size_t index = outstanding_.front().op;
  outstanding_.pop_front();
  if (h.zxid > 0) last_zxid_ = h.zxid;
  OpRecord& op = history_.ops[index];
  op.outcome = Outcome::kReplied;
  op.err = h.err;
  op.zxid = h.zxid;
  std::string_view body = frame.substr(r.position());
  if ((h.err == 0 || (op.type == OpCode::kMulti && !body.empty())) && !DecodeBody(op, body)) {
    history_.protocol_errors.push_back("malformed reply body of " + DescribeOp(op));
  }
  AddStep(StepKind::kOutcome, index);
  if (op.err == 0) {
    NoteWatches(op);
  } else if (op.type == OpCode::kExists && op.watch &&
             op.err == static_cast<int32_t>(Err::kNoNode)) {
    data_watches_.try_emplace(op.path, false);  // an exists watch on a missing node
  }
  if (h.err == static_cast<int32_t>(Err::kSessionExpired)) {
    End(StepKind::kExpired);
  } else if (op.type == OpCode::kCloseSession && h.err == 0) {
    End(StepKind::kClosed);
  }
}

bool SimClient::DecodeBody(OpRecord& op, std::string_view body) {
  proto::JuteReader r(body);
  auto remember = [this](const std::string& path, const proto::Stat& stat) {
    known_versions_[path] = stat.version;
  };
  switch (op.type) {
    case OpCode::kCreate2: {
      proto::Create2Response p;
      if (!p.Read(r)) return false;
      op.created_path = p.path;
      op.stat = p.stat;
      op.has_stat = true;
      created_.push_back(p.path);
      remember(p.path, p.stat);
      return true;
    }
    case OpCode::kSetData:
    case OpCode::kExists: {
      proto::StatResponse p;
      if (!p.Read(r)) return false;
      op.stat = p.stat;
      op.has_stat = true;
      remember(op.path, p.stat);
      return true;
    }
    case OpCode::kGetData: {
      proto::GetDataResponse p;
      if (!p.Read(r)) return false;
      op.data_read = std::move(p.data);
      op.stat = p.stat;
      op.has_stat = true;
      remember(op.path, p.stat);
      return true;
    }
    case OpCode::kGetChildren2: {
      proto::GetChildren2Response p;
      if (!p.Read(r)) return false;
      op.children = std::move(p.children);
      op.stat = p.stat;
      op.has_stat = true;
      return true;
    }
    case OpCode::kSync: {
      proto::PathResponse p;
      return p.Read(r);
    }
    case OpCode::kMulti: {
      if (!DecodeMultiResultsForSimClient(r, op)) return false;
      for (const SubOp& s : op.multi) {
        if (s.err != 0) continue;
        if (s.type == OpCode::kCreate2 && !s.created_path.empty())
          created_.push_back(s.created_path);
        if (s.has_stat) remember(s.type == OpCode::kCreate2 ? s.created_path : s.path, s.stat);
      }
      return true;
    }
    default:  // delete, closeSession
      return true;
  }
}

void SimClient::NoteWatches(const OpRecord& op) {
  if (!op.watch) return;
  if (op.type == OpCode::kGetData || op.type == OpCode::kExists) {
    data_watches_[op.path] = true;
  } else if (op.type == OpCode::kGetChildren2) {
    child_watches_.insert(op.path);
  }
}

void SimClient::NoteEvent(const WatchEventRecord& ev) {
  switch (static_cast<EventType>(ev.type)) {
    case EventType::kNodeCreated:
    case EventType::kNodeDataChanged:
      data_watches_.erase(ev.path);
      break;
    case EventType::kNodeChildrenChanged:
      child_watches_.erase(ev.path);
      break;
    case EventType::kNodeDeleted:
      data_watches_.erase(ev.path);
      child_watches_.erase(ev.path);
      break;
    default:
      break;
  }
}

void SimClient::OnDisconnected() {
  if (state_ == State::kDisconnected || state_ == State::kEnded) return;
  for (const Outstanding& o : outstanding_) {
    history_.ops[o.op].outcome = Outcome::kUnknown;
    AddStep(StepKind::kOutcome, o.op);
  }
  outstanding_.clear();
  pending_set_watches_.reset();
  closing_ = false;
  state_ = State::kDisconnected;
  AddStep(StepKind::kDisconnected);
}

void SimClient::End(StepKind why) {
  for (const Outstanding& o : outstanding_) {
    history_.ops[o.op].outcome = Outcome::kUnknown;
    AddStep(StepKind::kOutcome, o.op);
  }
  outstanding_.clear();
  pending_set_watches_.reset();
  state_ = State::kEnded;
  AddStep(why);
}

}  // namespace zk::sim
