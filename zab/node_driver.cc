#include "zab/node_driver.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include <spdlog/spdlog.h>

namespace zk::zab {
namespace {

// The file's bytes in one read into a buffer of its size (empty if it cannot be read whole): a
// snapshot of a million znodes is over 100 MB, and a stream copy would take twice the memory and
// the CPU time, beside the io thread on a small machine.
std::string ReadWholeSnapshotFile(const std::string& path) {
  std::string data;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return data;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    data.resize(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::read(fd, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    if (done != data.size()) data.clear();
  }
  ::close(fd);
  return data;
}

}  // namespace

// The Replica's disk: queued work on the GroupCommitLog's disk thread, reads on reader_.
class NodeDriver::DiskPort final : public ReplicaDisk {
 public:
  explicit DiskPort(NodeDriver* d) : d_(d) {}

  void Append(uint64_t /*seq*/, std::vector<LogEntry> entries) override {
    d_->log_->Submit(std::move(entries));
  }

  void Truncate(uint64_t seq, int64_t after_zxid) override {
    d_->log_->RunOnDiskThread([this, store = d_->store_, seq, after_zxid] {
      Status s = store->TruncateAfter(after_zxid);
      Done(seq, std::move(s));
    });
  }

  void SaveEpochs(uint64_t seq, int64_t accepted, int64_t current) override {
    d_->log_->RunOnDiskThread([this, store = d_->store_, seq, accepted, current] {
      Done(seq, WriteEpochs(store, accepted, current));
    });
  }

  void SaveConfig(uint64_t seq, const QuorumConfig& config) override {
    d_->log_->RunOnDiskThread([this, store = d_->store_, seq, config] {
      Done(seq, WriteCommittedConfig(store, config));
    });
  }

  void ReadLogChunk(const LogChunkRequest& request) override {
    // LogStore reads may run beside the disk thread's appends, so a long range never stalls
    // the io thread.
    asio::post(d_->reader_, [this, store = d_->store_, request] {
      std::vector<LogEntry> entries;
      Status s = store->Read(request.from, request.upto, request.max_bytes, &entries);
      const int64_t first = store->FirstZxid();
      d_->PostToIo([this, request, s = std::move(s), entries = std::move(entries),
                    first]() mutable {
        d_->replica_->OnLogChunkRead(request, s, std::move(entries), first);
      });
    });
  }

  void ReadSnapshotFile(const SnapshotFileRequest& request) override {
    asio::post(d_->reader_, [this, request] {
      std::string data = ReadWholeSnapshotFile(request.path);
      d_->PostToIo([this, request, data = std::move(data)]() mutable {
        d_->replica_->OnSnapshotFileRead(request, std::move(data));
      });
    });
  }

 private:
  void Done(uint64_t seq, Status s) {
    d_->PostToIo([this, seq, s = std::move(s)] { d_->replica_->OnDiskOpDone(seq, s); });
  }

  NodeDriver* d_;
};

// The Replica's network: the functions the server gave in NodeDriverOptions.
class NodeDriver::NetworkPort final : public ReplicaNetwork {
 public:
  explicit NetworkPort(const NodeDriverOptions* options) : options_(options) {}

  bool Send(ServerId to, Message&& msg) override {
    return options_->send && options_->send(to, std::move(msg));
  }
  void SendToAll(const std::vector<ServerId>& to, const Message& msg) override {
    if (options_->send_to_all) {
      options_->send_to_all(to, msg);
    } else {
      ReplicaNetwork::SendToAll(to, msg);
    }
  }
  void Disconnect(ServerId peer) override {
    if (options_->disconnect) options_->disconnect(peer);
  }
  std::optional<size_t> QueuedBytes(ServerId peer) override {
    if (!options_->queued_bytes) return std::nullopt;
    return options_->queued_bytes(peer);
  }

 private:
  const NodeDriverOptions* options_;
};

NodeDriver::NodeDriver(asio::io_context& io, PeerConfig config, DurableState restored,
                       LogStore* store, StateMachine* machine, NodeDriverOptions options,
                       uint64_t seed)
    : io_(io), store_(store), options_(std::move(options)), tick_timer_(io) {
  log_ = std::make_unique<GroupCommitLog>(
      store_,
      [this](int64_t zxid, Status status) {
        PostToIo([this, zxid, status = std::move(status)] {
          replica_->OnAppendDurable(zxid, status);
        });
      },
      static_cast<uint64_t>(std::chrono::microseconds(options_.slow_sync).count()));
  asio::post(reader_, [] { pthread_setname_np(pthread_self(), "zk-reader"); });
  disk_port_ = std::make_unique<DiskPort>(this);
  network_port_ = std::make_unique<NetworkPort>(&options_);
  ReplicaOptions replica_options;
  replica_options.stream_high_water_bytes = options_.stream_high_water_bytes;
  replica_options.stream_max_held_bytes = options_.stream_max_held_bytes;
  replica_ = std::make_unique<Replica>(std::move(config), restored, store_, machine,
                                       disk_port_.get(), network_port_.get(),
                                       std::move(replica_options), seed);
}

NodeDriver::~NodeDriver() { Stop(); }

void NodeDriver::Start() {
  ScheduleTick();
  replica_->Start();
}

void NodeDriver::Stop() {
  if (stopped_) return;
  stopped_ = true;
  replica_->Stop();
  tick_timer_.cancel();
  log_->Stop();
  alive_.reset();
  reader_.join();
}

void NodeDriver::PostToIo(std::function<void()> fn) {
  // Called from the disk and reader threads too: alive_weak_ is never modified.
  asio::post(io_, [this, alive = alive_weak_, fn = std::move(fn)] {
    if (alive.lock() && !stopped_) fn();
  });
}

int64_t NodeDriver::Propose(std::string data) {
  if (stopped_) return 0;
  return replica_->Propose(std::move(data));
}

ConfigProposal NodeDriver::ProposeConfig(QuorumConfig next, std::string txn) {
  if (stopped_) return {};
  return replica_->ProposeConfig(std::move(next), std::move(txn));
}

bool NodeDriver::SendApp(ServerId to, std::string data) {
  if (stopped_) return false;
  return replica_->SendApp(to, std::move(data));
}

void NodeDriver::OnConnected(ServerId peer, Channel channel) {
  if (!stopped_) replica_->OnConnected(peer, channel);
}

void NodeDriver::OnDisconnected(ServerId peer, Channel channel) {
  if (!stopped_) replica_->OnDisconnected(peer, channel);
}

void NodeDriver::OnMessage(ServerId from, Message&& msg) {
  if (!stopped_) replica_->OnMessage(from, std::move(msg));
}

void NodeDriver::OnOutputWritten(ServerId peer) {
  if (!stopped_) replica_->OnOutputWritten(peer);
}

void NodeDriver::ScheduleTick() {
  tick_timer_.expires_after(options_.tick);
  tick_timer_.async_wait([this, alive = alive_weak_](const asio::error_code& ec) {
    if (ec || !alive.lock() || stopped_) return;
    NoteTickLateness();
    replica_->Tick();
    ScheduleTick();
  });
}

void NodeDriver::NoteTickLateness() {
  // The tick is due options_.tick after it was scheduled; later than that, the io thread was
  // busy (or not given a CPU) for the difference, which every client of this server waited too.
  const auto late = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - tick_timer_.expiry());
  if (late < kIoStallReportThreshold) return;
  ++io_stalls_;
  spdlog::debug("io thread late by {} ms (last zxid 0x{:x}; {} such stalls so far)",
                late.count(), replica_->peer().last_zxid(), io_stalls_);
}

void NodeDriver::RunInBackground(std::function<void()> work, std::function<void()> then) {
  asio::post(reader_, [this, work = std::move(work), then = std::move(then)]() mutable {
    work();
    PostToIo(std::move(then));
  });
}

void NodeDriver::OnStateLoaded(const Status& status) {
  if (!stopped_) replica_->OnStateLoaded(status);
}

}  // namespace zk::zab
