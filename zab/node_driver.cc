#include "zab/node_driver.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <future>
#include <sstream>
#include <utility>

#include "zab/check.h"

namespace zk::zab {
namespace {

constexpr size_t kLogRangeChunkBytes = size_t{4} << 20;

// About the bytes a message takes on the wire (for the bound on messages held behind a stream).
size_t ApproximateSize(const Message& m) {
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

const char* StateName(PeerState s) {
  switch (s) {
    case PeerState::kLooking:
      return "looking";
    case PeerState::kFollowing:
      return "following";
    case PeerState::kLeading:
      return "leading";
    case PeerState::kObserving:
      return "observing";
  }
  return "?";
}

Status ReadEpoch(LogStore* store, const char* key, int64_t* out) {
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

Status ReadEpochs(LogStore* store, int64_t* accepted, int64_t* current) {
  if (Status s = ReadEpoch(store, kAcceptedEpochKey, accepted); !s.ok()) return s;
  if (Status s = ReadEpoch(store, kCurrentEpochKey, current); !s.ok()) return s;
  if (*current > *accepted) return Status::Corruption("current epoch above the accepted epoch");
  return Status::OK();
}

NodeDriver::NodeDriver(asio::io_context& io, PeerConfig config, DurableState restored,
                       LogStore* store, StateMachine* machine, NodeDriverOptions options,
                       uint64_t seed)
    : io_(io),
      store_(store),
      machine_(machine),
      options_(std::move(options)),
      tick_timer_(io) {
  std::weak_ptr<bool> alive = alive_;
  log_ = std::make_unique<GroupCommitLog>(store_, [this, alive](int64_t zxid, Status status) {
    asio::post(io_, [this, alive, zxid, status = std::move(status)]() mutable {
      if (alive.lock()) OnAppendDurable(zxid, std::move(status));
    });
  });
  peer_ = std::make_unique<Peer>(std::move(config), restored, store_, seed);
}

NodeDriver::~NodeDriver() { Stop(); }

void NodeDriver::Start() {
  ScheduleTick();
  Process();
}

void NodeDriver::Stop() {
  if (stopped_) return;
  stopped_ = true;
  tick_timer_.cancel();
  log_->Stop();
  alive_.reset();
  reader_.join();
}

int64_t NodeDriver::Propose(std::string data) {
  if (stopped_ || failed_) return 0;
  int64_t zxid = peer_->Propose(std::move(data));
  Process();
  return zxid;
}

bool NodeDriver::SendApp(ServerId to, std::string data) {
  if (stopped_) return false;
  bool ok = peer_->SendApp(to, std::move(data));
  Process();
  return ok;
}

void NodeDriver::OnConnected(ServerId peer, Channel channel) {
  if (stopped_) return;
  peer_->Connected(peer, channel);
  Process();
}

void NodeDriver::OnDisconnected(ServerId peer, Channel channel) {
  if (stopped_) return;
  if (channel == Channel::kQuorum) log_streams_.erase(peer);
  peer_->Disconnected(peer, channel);
  Process();
}

void NodeDriver::OnMessage(ServerId from, Message&& msg) {
  if (stopped_) return;
  if (auto* sync = std::get_if<SyncStart>(&msg)) {
    static constexpr const char* kModes[] = {"DIFF", "TRUNC", "SNAP"};
    spdlog::info("zab: synchronizing with leader {} by {} (from zxid 0x{:x}, our last 0x{:x})",
                 from, kModes[static_cast<int>(sync->mode) % 3], sync->zxid, peer_->last_zxid());
  }
  peer_->Step(from, std::move(msg));
  Process();
}

void NodeDriver::ScheduleTick() {
  tick_timer_.expires_after(options_.tick);
  tick_timer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](const asio::error_code& ec) {
    if (ec || !alive.lock() || stopped_) return;
    peer_->Tick();
    Process();
    ScheduleTick();
  });
}

void NodeDriver::Process() {
  if (processing_) return;  // the outer loop picks up what a callback caused
  processing_ = true;
  while (!failed_ && peer_->HasActions()) {
    for (Action& a : peer_->TakeActions()) {
      if (failed_) break;
      Carry(a);
    }
  }
  processing_ = false;
  if (peer_->state() != last_state_ || peer_->serving() != last_serving_) {
    if (peer_->state() != last_state_) {
      spdlog::info("zab: {} -> {} (epoch {}, leader {}, last zxid 0x{:x}){}{}",
                   StateName(last_state_), StateName(peer_->state()), peer_->current_epoch(),
                   peer_->leader(), peer_->last_zxid(),
                   peer_->state() == PeerState::kLooking ? ": " : "",
                   peer_->state() == PeerState::kLooking ? peer_->last_transition() : "");
    } else if (last_serving_ && !peer_->serving()) {
      // Left and re-entered the same state within one step (a standalone leader that ran out of
      // zxids starts its next epoch at once): still say why service was interrupted.
      spdlog::info("zab: {} again (epoch {}, last zxid 0x{:x}) after: {}",
                   StateName(peer_->state()), peer_->current_epoch(), peer_->last_zxid(),
                   peer_->last_transition());
    }
    last_state_ = peer_->state();
    last_serving_ = peer_->serving();
    machine_->RoleChanged();
  }
}

void NodeDriver::Carry(Action& a) {
  std::weak_ptr<bool> alive = alive_;
  auto done = [this, alive](uint64_t seq, Status s) {
    asio::post(io_, [this, alive, seq, s = std::move(s)]() mutable {
      if (alive.lock()) OnDiskOpDone(seq, std::move(s));
    });
  };
  if (auto* ap = std::get_if<AppendAction>(&a)) {
    pending_disk_.push_back({ap->seq, true, ap->entries.back().zxid});
    log_->Submit(std::move(ap->entries));
  } else if (auto* t = std::get_if<TruncateAction>(&a)) {
    pending_disk_.push_back({t->seq, false, 0});
    const int64_t after = t->after_zxid;
    const uint64_t seq = t->seq;
    if (!t->rebuild_state) {
      log_->RunOnDiskThread([store = store_, after, seq, done] {
        done(seq, store->TruncateAfter(after));
      });
    } else {
      // The state machine holds txns being removed: truncate, wait, rebuild from disk.
      Status s = RunOnDiskThreadAndWait([store = store_, after] { return store->TruncateAfter(after); });
      if (s.ok()) s = machine_->RebuildState(after);
      done(seq, s);
    }
  } else if (auto* se = std::get_if<SaveEpochsAction>(&a)) {
    pending_disk_.push_back({se->seq, false, 0});
    log_->RunOnDiskThread([store = store_, s = *se, done] {
      Status st = store->PutMeta(kAcceptedEpochKey, std::to_string(s.accepted_epoch), false);
      if (st.ok()) st = store->PutMeta(kCurrentEpochKey, std::to_string(s.current_epoch), true);
      done(s.seq, st);
    });
  } else if (auto* is = std::get_if<InstallSnapshotAction>(&a)) {
    // Empty the log first: a crash in between leaves an older state and no foreign history.
    pending_disk_.push_back({is->seq, false, 0});
    Status s = RunOnDiskThreadAndWait([store = store_] { return store->TruncateAfter(0); });
    if (s.ok()) s = machine_->InstallState(is->zxid, is->data);
    if (!s.ok()) {
      Fail(s);
      return;
    }
    done(is->seq, Status::OK());
  } else if (auto* apply = std::get_if<ApplyAction>(&a)) {
    machine_->ApplyCommitted(apply->entry);
  } else if (auto* send = std::get_if<SendAction>(&a)) {
    SendExpanded(send->to, send->msg);
  } else if (auto* d = std::get_if<DisconnectAction>(&a)) {
    if (options_.disconnect) options_.disconnect(d->peer);
  } else if (auto* deliver = std::get_if<DeliverAction>(&a)) {
    machine_->Deliver(deliver->from, std::move(deliver->data));
  }
}

void NodeDriver::SendExpanded(ServerId to, Message& msg) {
  if (!options_.send) return;
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
      stream.held_bytes += ApproximateSize(msg);
      stream.held.push_back(std::move(msg));
      if (stream.held_bytes > options_.stream_max_held_bytes) {
        spdlog::warn("zab: server {} is not catching up ({} bytes wait behind its log range); "
                     "disconnecting it", to, stream.held_bytes);
        log_streams_.erase(it);
        if (options_.disconnect) options_.disconnect(to);
      }
      return;
    }
  }
  if (auto* snap = std::get_if<Snapshot>(&msg); snap && snap->data.empty()) {
    SendStoredSnapshot(to, snap->zxid);
    return;
  }
  options_.send(to, std::move(msg));
}

void NodeDriver::SendStoredSnapshot(ServerId to, int64_t upto) {
  int64_t stored = 0;
  std::string path;
  if (!machine_->StoredSnapshotFile(upto, &stored, &path)) {
    spdlog::warn("zab: no stored snapshot for server {}; it will synchronize again", to);
    if (options_.disconnect) options_.disconnect(to);
    return;
  }
  if (path.empty()) {
    // The initial state: no bytes to read.
    spdlog::info("zab: sending server {} the initial state and the log up to 0x{:x}", to, upto);
    options_.send(to, Snapshot{stored, std::string()});
    SendLogRange(to, stored, upto);
    return;
  }
  LogStream& stream = log_streams_[to];
  stream = LogStream{.next = stored + 1, .upto = upto, .awaiting_snapshot = true,
                     .generation = ++stream_generation_};
  asio::post(reader_, [this, alive = std::weak_ptr<bool>(alive_), to,
                                generation = stream.generation, stored, path] {
    std::string data;
    if (std::ifstream in(path, std::ios::binary); in) {
      std::ostringstream buf;
      buf << in.rdbuf();
      data = buf.str();
    }
    asio::post(io_, [this, alive, to, generation, stored, data = std::move(data)]() mutable {
      if (alive.expired()) return;
      OnSnapshotRead(to, generation, stored, std::move(data));
    });
  });
}

void NodeDriver::OnSnapshotRead(ServerId to, uint64_t generation, int64_t zxid,
                                std::string data) {
  if (stopped_) return;
  auto it = log_streams_.find(to);
  if (it == log_streams_.end() || it->second.generation != generation ||
      !it->second.awaiting_snapshot) {
    return;  // the learner went away or is synchronizing anew
  }
  if (data.empty()) {
    spdlog::warn("zab: cannot read the snapshot of zxid 0x{:x} for server {}; it will "
                 "synchronize again", zxid, to);
    log_streams_.erase(it);
    if (options_.disconnect) options_.disconnect(to);
    return;
  }
  spdlog::info("zab: sending server {} the snapshot of zxid 0x{:x} ({} bytes) and the log up "
               "to 0x{:x}", to, zxid, data.size(), it->second.upto);
  it->second.awaiting_snapshot = false;
  if (!options_.send(to, Snapshot{zxid, std::move(data)})) {
    log_streams_.erase(it);
    return;
  }
  PumpLogStream(to);
}

void NodeDriver::SendLogRange(ServerId to, int64_t after, int64_t upto) {
  // A range replaces any stream still running for this learner (it is synchronizing anew).
  LogStream& stream = log_streams_[to];
  stream = LogStream{.next = after + 1, .upto = upto, .generation = ++stream_generation_};
  PumpLogStream(to);
}

void NodeDriver::PumpLogStream(ServerId to) {
  auto it = log_streams_.find(to);
  if (it == log_streams_.end()) return;
  LogStream& stream = it->second;
  // OnSnapshotRead starts the range; OnLogChunkRead continues it.
  if (stream.awaiting_snapshot || stream.reading) return;
  if (stream.next > stream.upto) {
    // The range is out: what waited behind it follows, in order.
    std::deque<Message> held = std::move(stream.held);
    log_streams_.erase(it);
    for (Message& m : held) options_.send(to, std::move(m));
    return;
  }
  if (options_.queued_bytes && options_.queued_bytes(to) >= options_.stream_high_water_bytes) {
    return;  // OnOutputWritten resumes
  }
  const size_t chunk = options_.queued_bytes
                           ? std::min(kLogRangeChunkBytes, options_.stream_high_water_bytes)
                           : kLogRangeChunkBytes;
  // The read runs on the reader thread (LogStore reads may run beside the disk thread's
  // appends), so a long range never stalls the io thread.
  stream.reading = true;
  asio::post(reader_, [this, alive = std::weak_ptr<bool>(alive_), to,
                       generation = stream.generation, next = stream.next, upto = stream.upto,
                       chunk, store = store_] {
    std::vector<LogEntry> entries;
    Status s = store->Read(next, upto, chunk, &entries);
    asio::post(io_, [this, alive, to, generation, s = std::move(s),
                     entries = std::move(entries)]() mutable {
      if (alive.expired()) return;
      OnLogChunkRead(to, generation, s, std::move(entries));
    });
  });
}

void NodeDriver::OnLogChunkRead(ServerId to, uint64_t generation, const Status& status,
                                std::vector<LogEntry> entries) {
  if (stopped_) return;
  auto it = log_streams_.find(to);
  if (it == log_streams_.end() || it->second.generation != generation) return;
  LogStream& stream = it->second;
  stream.reading = false;
  if (!status.ok() || entries.empty()) {
    // Purged or unreadable: the learner must not get a history with a hole. Dropping its
    // connection makes it synchronize again.
    spdlog::warn("zab: cannot read the log for server {} from 0x{:x}: {}", to, stream.next,
                 status.ok() ? "purged" : status.ToString());
    log_streams_.erase(it);
    if (options_.disconnect) options_.disconnect(to);
    return;
  }
  for (LogEntry& e : entries) {
    stream.next = e.zxid + 1;
    const int64_t zxid = e.zxid;
    if (!options_.send(to, Proposal{zxid, std::move(e.data)}) ||
        !options_.send(to, Commit{zxid})) {
      log_streams_.erase(it);  // the connection is gone; the learner will synchronize again
      return;
    }
  }
  PumpLogStream(to);
}

void NodeDriver::OnOutputWritten(ServerId peer) {
  if (stopped_) return;
  PumpLogStream(peer);
}

void NodeDriver::OnAppendDurable(int64_t zxid, Status status) {
  if (stopped_) return;
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
  peer_->Persisted(seq);
  Process();
}

void NodeDriver::OnDiskOpDone(uint64_t seq, Status status) {
  if (stopped_) return;
  if (!status.ok()) {
    Fail(status);
    return;
  }
  while (!pending_disk_.empty() && pending_disk_.front().seq <= seq) pending_disk_.pop_front();
  peer_->Persisted(seq);
  Process();
}

Status NodeDriver::RunOnDiskThreadAndWait(std::function<Status()> work) {
  std::promise<Status> result;
  std::future<Status> f = result.get_future();
  log_->RunOnDiskThread([&work, &result] { result.set_value(work()); });
  return f.get();
}

void NodeDriver::Fail(const Status& status) {
  if (failed_) return;
  failed_ = true;
  spdlog::critical("zab: storage failed: {}", status.ToString());
  machine_->Failed(status);
}

}  // namespace zk::zab
