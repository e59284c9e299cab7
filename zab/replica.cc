#include "zab/replica.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace zk::zab {
namespace {

// Log range chunk size when the network port does not track queued bytes.
constexpr size_t kReplicaLogChunkBytes = size_t{4} << 20;

Status ReadEpochValue(LogStore* store, const char* key, int64_t* out) {
  *out = 0;
  Result<std::optional<std::string>> v = store->GetMeta(key);
  if (!v.ok()) return v.status();
  if (!v.value()) return Status::OK();
  try {
    size_t used = 0;
    *out = std::stoll(*v.value(), &used);
    if (used != v.value()->size() || *out < 0) throw std::invalid_argument("trailing bytes");
  } catch (const std::exception&) {
    return Status::Corruption(std::string("bad value of ") + key + ": '" + *v.value() + "'");
  }
  return Status::OK();
}

}  // namespace

size_t ApproximateWireSize(const Message& m) {
  return std::visit(
      [](const auto& body) -> size_t {
        if constexpr (requires { body.data.size(); }) {
          return 32 + body.data.size();
        } else {
          return 32;
        }
      },
      m);
}

Status ReadEpochs(LogStore* store, int64_t* accepted, int64_t* current) {
  if (Status s = ReadEpochValue(store, kAcceptedEpochKey, accepted); !s.ok()) return s;
  if (Status s = ReadEpochValue(store, kCurrentEpochKey, current); !s.ok()) return s;
  if (*current > *accepted) return Status::Corruption("current epoch above the accepted epoch");
  return Status::OK();
}

Status ReadCommittedConfig(LogStore* store, std::optional<QuorumConfig>* config) {
  config->reset();
  Result<std::optional<std::string>> v = store->GetMeta(kCommittedConfigKey);
  if (!v.ok()) return v.status();
  if (!v.value()) return Status::OK();
  QuorumConfig c;
  if (!DecodeQuorumConfig(*v.value(), &c) || !c.Validate().empty()) {
    return Status::Corruption(std::string("bad value of ") + kCommittedConfigKey);
  }
  *config = std::move(c);
  return Status::OK();
}

Status WriteCommittedConfig(LogStore* store, const QuorumConfig& config) {
  return store->PutMeta(kCommittedConfigKey, EncodeQuorumConfig(config), true);
}

Status WriteEpochs(LogStore* store, int64_t accepted, int64_t current) {
  Status s = store->PutMeta(kAcceptedEpochKey, std::to_string(accepted), false);
  if (s.ok()) s = store->PutMeta(kCurrentEpochKey, std::to_string(current), true);
  return s;
}

Replica::Replica(PeerConfig config, DurableState restored, LogStore* store, StateMachine* machine,
                 ReplicaDisk* disk, ReplicaNetwork* network, ReplicaOptions options,
                 uint64_t seed)
    : store_(store),
      machine_(machine),
      disk_(disk),
      net_(network),
      options_(std::move(options)),
      peer_(std::make_unique<Peer>(std::move(config), restored, store, seed)),
      last_epoch_(peer_->current_epoch()) {}

Replica::~Replica() = default;

void Replica::Start() { Process(); }

void Replica::Stop() {
  stopped_ = true;
  log_streams_.clear();
  held_.clear();
}

void Replica::Tick() {
  if (stopped_) return;
  peer_->Tick();
  Process();
}

int64_t Replica::Propose(std::string data) {
  if (stopped_ || failed_) return 0;
  int64_t zxid = peer_->Propose(std::move(data));
  Process();
  return zxid;
}

ConfigProposal Replica::ProposeConfig(QuorumConfig next, std::string txn) {
  if (stopped_ || failed_) return {};
  ConfigProposal p = peer_->ProposeConfig(std::move(next), std::move(txn));
  Process();
  return p;
}

bool Replica::SendApp(ServerId to, std::string data) {
  if (stopped_) return false;
  bool ok = peer_->SendApp(to, std::move(data));
  Process();
  return ok;
}

void Replica::OnConnected(ServerId peer, Channel channel) {
  if (stopped_) return;
  peer_->Connected(peer, channel);
  Process();
}

void Replica::OnDisconnected(ServerId peer, Channel channel) {
  if (stopped_) return;
  if (channel == Channel::kQuorum) log_streams_.erase(peer);
  peer_->Disconnected(peer, channel);
  Process();
}

void Replica::OnMessage(ServerId from, Message&& msg) {
  if (stopped_) return;
  if (auto* sync = std::get_if<SyncStart>(&msg)) {
    static constexpr const char* kModes[] = {"DIFF", "TRUNC", "SNAP"};
    spdlog::info("zab: synchronizing with leader {} by {} (from zxid 0x{:x}, our last 0x{:x})",
                 from, kModes[static_cast<int>(sync->mode) % 3], sync->zxid, peer_->last_zxid());
  }
  peer_->Step(from, std::move(msg));
  Process();
}

void Replica::OnOutputWritten(ServerId peer) {
  if (stopped_) return;
  PumpLogStream(peer);
}

void Replica::Process() {
  if (processing_ || stopped_) return;  // the outer loop picks up what a callback caused
  processing_ = true;
  while (!failed_ && peer_->HasActions()) {
    peer_->TakeActions(&carrying_);
    for (Action& a : carrying_) {
      if (failed_) break;
      if (load_) {
        held_.push_back(std::move(a));
      } else {
        Carry(a);
      }
    }
    carrying_.clear();
    // Kept for the next batch, unless a burst grew it: then the memory goes back.
    if (carrying_.capacity() > kKeptActionCapacity) carrying_ = std::vector<Action>();
  }
  processing_ = false;
  ReportRole();
}

void Replica::BeginLoad(uint64_t seq, int64_t truncate_after, StateLoad load) {
  pending_disk_.push_back({seq, false, 0});
  load_ = PendingLoad{seq, std::move(load), false};
  disk_->Truncate(seq, truncate_after);
}

void Replica::CarryHeld() {
  while (!held_.empty() && !load_ && !failed_ && !stopped_) {
    Action a = std::move(held_.front());
    held_.pop_front();
    Carry(a);
  }
}

void Replica::OnStateLoaded(const Status& status) {
  if (stopped_ || failed_ || !load_ || !load_->started) return;
  if (!status.ok()) {
    Fail(status);
    return;
  }
  const uint64_t seq = load_->seq;
  load_.reset();
  Persisted(seq);
  // The held actions came before whatever Persisted caused: they go first.
  processing_ = true;
  CarryHeld();
  processing_ = false;
  Process();
}

void Replica::ReportRole() {
  // While a state load is pending the machine hears nothing: the change is reported after it.
  if (failed_ || stopped_ || load_) return;
  const PeerState state = peer_->state();
  const bool serving = peer_->serving();
  const int64_t epoch = peer_->current_epoch();
  if (state == last_state_ && serving == last_serving_ && epoch == last_epoch_) return;
  if (state != last_state_) {
    spdlog::info("zab: {} -> {} (epoch {}, leader {}, last zxid 0x{:x}){}{}",
                 PeerStateName(last_state_), PeerStateName(state), epoch, peer_->leader(),
                 peer_->last_zxid(), state == PeerState::kLooking ? ": " : "",
                 state == PeerState::kLooking ? peer_->last_transition() : "");
  } else if (last_serving_ && (!serving || epoch != last_epoch_)) {
    // Left and re-entered the same state within one step (a standalone leader that ran out of
    // zxids starts its next epoch at once): still say why service was interrupted.
    spdlog::info("zab: {} again (epoch {}, last zxid 0x{:x}) after: {}", PeerStateName(state),
                 epoch, peer_->last_zxid(), peer_->last_transition());
  }
  last_state_ = state;
  last_serving_ = serving;
  last_epoch_ = epoch;
  machine_->RoleChanged();
}

void Replica::Carry(Action& a) {
  if (options_.on_action) options_.on_action(a);
  if (auto* ap = std::get_if<AppendAction>(&a)) {
    pending_disk_.push_back({ap->seq, true, ap->entries.back().zxid});
    disk_->Append(ap->seq, std::move(ap->entries));
  } else if (auto* t = std::get_if<TruncateAction>(&a)) {
    if (t->rebuild_state) {
      // The state machine holds txns being removed: truncate, then rebuild from disk.
      BeginLoad(t->seq, t->after_zxid, StateLoad{StateLoad::Kind::kRebuild, t->after_zxid, {}});
      return;
    }
    pending_disk_.push_back({t->seq, false, 0});
    disk_->Truncate(t->seq, t->after_zxid);
  } else if (auto* se = std::get_if<SaveEpochsAction>(&a)) {
    pending_disk_.push_back({se->seq, false, 0});
    disk_->SaveEpochs(se->seq, se->accepted_epoch, se->current_epoch);
  } else if (auto* sc = std::get_if<SaveConfigAction>(&a)) {
    pending_disk_.push_back({sc->seq, false, 0});
    disk_->SaveConfig(sc->seq, sc->config);
  } else if (auto* is = std::get_if<InstallSnapshotAction>(&a)) {
    // Empty the log first: a crash in between leaves an older state and no foreign history.
    BeginLoad(is->seq, 0,
              StateLoad{StateLoad::Kind::kInstall, is->zxid, std::move(is->data)});
  } else if (auto* apply = std::get_if<ApplyAction>(&a)) {
    machine_->ApplyCommitted(apply->entry);
  } else if (auto* send = std::get_if<SendAction>(&a)) {
    SendExpanded(send->to, send->msg);
  } else if (auto* b = std::get_if<BroadcastAction>(&a)) {
    // A learner being sent a log range gets its copy held behind the range (SendExpanded); the
    // others get it at once, encoded once for all of them.
    std::vector<ServerId> now;
    now.reserve(b->to.size());
    for (ServerId id : b->to) {
      if (log_streams_.contains(id)) {
        Message copy = b->msg;
        SendExpanded(id, copy);
      } else {
        now.push_back(id);
      }
    }
    if (!now.empty()) net_->SendToAll(now, b->msg);
  } else if (auto* d = std::get_if<DisconnectAction>(&a)) {
    net_->Disconnect(d->peer);
  } else if (auto* deliver = std::get_if<DeliverAction>(&a)) {
    machine_->Deliver(deliver->from, std::move(deliver->data));
  }
}

void Replica::SendExpanded(ServerId to, Message& msg) {
  if (auto* range = std::get_if<LogRange>(&msg)) {
    SendLogRange(to, range->after, range->upto);
    return;
  }
  if (auto it = log_streams_.find(to); it != log_streams_.end()) {
    if (std::holds_alternative<Snapshot>(msg)) {
      // A new synchronization of this learner: the old stream is void.
      log_streams_.erase(it);
    } else if (ChannelOf(msg) == Channel::kQuorum) {
      LogStream& stream = it->second;
      stream.held_bytes += ApproximateWireSize(msg);
      stream.held.push_back(std::move(msg));
      if (stream.held_bytes > options_.stream_max_held_bytes) {
        spdlog::warn("zab: server {} is not catching up ({} bytes wait behind its log range); "
                     "disconnecting it", to, stream.held_bytes);
        DropLearner(to);
      }
      return;
    }
  }
  if (auto* snap = std::get_if<Snapshot>(&msg); snap && snap->data.empty()) {
    SendStoredSnapshot(to, snap->zxid);
    return;
  }
  net_->Send(to, std::move(msg));
}

void Replica::DropLearner(ServerId to) {
  log_streams_.erase(to);
  net_->Disconnect(to);
}

void Replica::SendStoredSnapshot(ServerId to, int64_t upto) {
  int64_t stored = 0;
  std::string path;
  if (!machine_->StoredSnapshotFile(upto, &stored, &path)) {
    spdlog::warn("zab: no stored snapshot for server {}; it will synchronize again", to);
    DropLearner(to);
    return;
  }
  if (path.empty()) {
    // The initial state: no bytes to read.
    spdlog::info("zab: sending server {} the initial state and the log up to 0x{:x}", to, upto);
    net_->Send(to, Snapshot{stored, std::string()});
    SendLogRange(to, stored, upto);
    return;
  }
  LogStream& stream = log_streams_[to];
  stream = LogStream{.next = stored + 1, .upto = upto, .first_at_start = store_->FirstZxid(),
                     .awaiting_snapshot = true, .generation = ++stream_generation_};
  disk_->ReadSnapshotFile(SnapshotFileRequest{to, stream.generation, stored, std::move(path)});
}

void Replica::OnSnapshotFileRead(const SnapshotFileRequest& request, std::string data) {
  if (stopped_ || failed_) return;
  const ServerId to = request.to;
  auto it = log_streams_.find(to);
  if (it == log_streams_.end() || it->second.generation != request.generation ||
      !it->second.awaiting_snapshot) {
    return;  // the learner went away or is synchronizing anew
  }
  if (data.empty()) {
    spdlog::warn("zab: cannot read the snapshot of zxid 0x{:x} for server {}; it will "
                 "synchronize again", request.zxid, to);
    DropLearner(to);
    return;
  }
  spdlog::info("zab: sending server {} the snapshot of zxid 0x{:x} ({} bytes) and the log up "
               "to 0x{:x}", to, request.zxid, data.size(), it->second.upto);
  it->second.awaiting_snapshot = false;
  if (!net_->Send(to, Snapshot{request.zxid, std::move(data)})) {
    log_streams_.erase(to);
    return;
  }
  PumpLogStream(to);
}

void Replica::SendLogRange(ServerId to, int64_t after, int64_t upto) {
  // A range replaces any stream still running for this learner (it is synchronizing anew).
  LogStream& stream = log_streams_[to];
  stream = LogStream{.next = after + 1, .upto = upto, .first_at_start = store_->FirstZxid(),
                     .generation = ++stream_generation_};
  PumpLogStream(to);
}

void Replica::PumpLogStream(ServerId to) {
  auto it = log_streams_.find(to);
  if (it == log_streams_.end()) return;
  LogStream& stream = it->second;
  // OnSnapshotFileRead starts the range; OnLogChunkRead continues it.
  if (stream.awaiting_snapshot || stream.reading) return;
  if (stream.next > stream.upto) {
    // The range is out: what waited behind it follows, in order.
    std::deque<Message> held = std::move(stream.held);
    log_streams_.erase(it);
    for (Message& m : held) net_->Send(to, std::move(m));
    return;
  }
  const std::optional<size_t> queued = net_->QueuedBytes(to);
  if (queued && *queued >= options_.stream_high_water_bytes) {
    return;  // OnOutputWritten resumes
  }
  const size_t chunk = queued ? std::min(kReplicaLogChunkBytes, options_.stream_high_water_bytes)
                              : kReplicaLogChunkBytes;
  stream.reading = true;
  disk_->ReadLogChunk(LogChunkRequest{to, stream.generation, stream.next, stream.upto, chunk});
}

void Replica::OnLogChunkRead(const LogChunkRequest& request, const Status& status,
                             std::vector<LogEntry> entries, int64_t first_zxid) {
  if (stopped_ || failed_) return;
  const ServerId to = request.to;
  auto it = log_streams_.find(to);
  if (it == log_streams_.end() || it->second.generation != request.generation) return;
  LogStream& stream = it->second;
  stream.reading = false;
  // Purging removes a prefix of the log. Nothing from `next` on is gone if the log still starts
  // below it, or still starts where it did when the range was decided (it then held the range).
  const bool purged = first_zxid >= stream.next && first_zxid != stream.first_at_start;
  if (!status.ok() || entries.empty() || purged) {
    // Purged or unreadable: the learner must not get a history with a hole. Dropping its
    // connection makes it synchronize again.
    spdlog::warn("zab: cannot read the log for server {} from 0x{:x}: {}", to, stream.next,
                 status.ok() ? "purged" : status.ToString());
    DropLearner(to);
    return;
  }
  for (LogEntry& e : entries) {
    stream.next = e.zxid + 1;
    const int64_t zxid = e.zxid;
    if (!net_->Send(to, Proposal{zxid, std::move(e.data)}) || !net_->Send(to, Commit{zxid})) {
      log_streams_.erase(it);  // the connection is gone; the learner will synchronize again
      return;
    }
  }
  PumpLogStream(to);
}

void Replica::OnAppendDurable(int64_t zxid, const Status& status) {
  if (stopped_ || failed_) return;
  if (!status.ok()) {
    Fail(status);
    return;
  }
  uint64_t seq = 0;
  while (!pending_disk_.empty() && pending_disk_.front().append &&
         pending_disk_.front().zxid <= zxid) {
    seq = pending_disk_.front().seq;
    pending_disk_.pop_front();
  }
  if (seq == 0) return;
  Persisted(seq);
  Process();
}

void Replica::OnDiskOpDone(uint64_t seq, const Status& status) {
  if (stopped_ || failed_) return;
  if (!status.ok()) {
    Fail(status);
    return;
  }
  if (load_ && seq >= load_->seq) {
    // The truncation before a state load is durable: the load starts; it is reported Persisted
    // once it completed (OnStateLoaded).
    if (load_->seq > 1) Persisted(load_->seq - 1);
    if (!load_->started) {
      load_->started = true;
      machine_->LoadState(std::move(load_->load));
    }
    Process();
    return;
  }
  Persisted(seq);
  Process();
}

void Replica::Persisted(uint64_t seq) {
  while (!pending_disk_.empty() && pending_disk_.front().seq <= seq) pending_disk_.pop_front();
  peer_->Persisted(seq);
}

void Replica::Fail(const Status& status) {
  if (failed_) return;
  failed_ = true;
  log_streams_.clear();
  spdlog::critical("zab: storage failed: {}", status.ToString());
  machine_->Failed(status);
}

}  // namespace zk::zab
