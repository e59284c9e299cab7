#include "tests/sim/sim_disk.h"

#include <cstdio>
#include <cstdlib>
#include <iterator>

#include "zab/log_record.h"

namespace zk::sim {

uint64_t SeqOf(const DiskOp& op) {
  return std::visit([](const auto& a) { return a.seq; }, op);
}

uint64_t SimDisk::CompleteOne() {
  DiskOp op = std::move(pending_.front());
  pending_.pop_front();
  std::visit(
      [&](auto& a) {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, zab::AppendAction>) {
          zab::Status s = Append(a.entries, true);
          if (!s.ok()) {
            std::fprintf(stderr, "sim disk: append refused: %s\n", s.ToString().c_str());
            std::abort();
          }
        } else if constexpr (std::is_same_v<T, zab::TruncateAction>) {
          (void)TruncateAfter(a.after_zxid);
        } else if constexpr (std::is_same_v<T, zab::SaveConfigAction>) {
          (void)zab::WriteCommittedConfig(this, a.config);
        } else {
          (void)zab::WriteEpochs(this, a.accepted_epoch, a.current_epoch);
        }
      },
      op);
  return SeqOf(op);
}

std::string SimDisk::Crash(Rng* rng, bool tear) {
  std::string what = std::to_string(pending_.size()) + " pending disk ops lost";
  if (tear && !pending_.empty()) {
    auto* append = std::get_if<zab::AppendAction>(&pending_.front());
    if (append != nullptr && !append->entries.empty()) {
      // A prefix of the batch reached the disk; its last record is damaged.
      size_t n = 1 + rng->Below(append->entries.size());
      int64_t last = records_.empty() ? 0 : records_.rbegin()->first;
      for (size_t i = 0; i < n; ++i) {
        const zab::LogEntry& e = append->entries[i];
        if (e.zxid <= last) break;  // never happens for a valid append
        std::string value;
        zab::record::EncodeLogValue(e.zxid, e.data, &value);
        if (i + 1 == n) {
          if (rng->PerMille(500) && value.size() > 1) {
            value.resize(rng->Below(value.size()));
          } else {
            value[rng->Below(value.size())] ^= static_cast<char>(1 + rng->Below(255));
          }
        }
        records_[e.zxid] = std::move(value);
      }
      what += ", torn append: " + std::to_string(n) + " of " +
              std::to_string(append->entries.size()) + " records written, the last damaged";
    }
  }
  pending_.clear();
  ++generation_;
  completion_scheduled_ = false;
  replica_ = nullptr;
  return what;
}

int SimDisk::Recover() {
  int cut = 0;
  bool bad = false;
  for (auto it = records_.begin(); it != records_.end();) {
    std::string_view data;
    if (!bad && !zab::record::DecodeLogValue(it->first, it->second, &data).ok()) bad = true;
    if (bad) {
      it = records_.erase(it);
      ++cut;
    } else {
      ++it;
    }
  }
  return cut;
}

void SimDisk::Compact(int64_t zxid, std::string data) {
  snapshot_zxid_ = zxid;
  snapshot_data_ = std::move(data);
  (void)PurgeBefore(zxid);
}

void SimDisk::InstallSnapshot(int64_t zxid, std::string data) {
  snapshot_zxid_ = zxid;
  snapshot_data_ = std::move(data);
  records_.clear();
}

std::string SimDisk::SnapshotPath(int64_t zxid) { return "snapshot." + Hex(zxid); }

int64_t SimDisk::accepted_epoch() {
  int64_t accepted = 0, current = 0;
  (void)zab::ReadEpochs(this, &accepted, &current);
  return accepted;
}

int64_t SimDisk::current_epoch() {
  int64_t accepted = 0, current = 0;
  (void)zab::ReadEpochs(this, &accepted, &current);
  return current;
}

zab::DurableState SimDisk::Durable() {
  zab::DurableState d;
  if (zab::Status s = zab::ReadEpochs(this, &d.accepted_epoch, &d.current_epoch); !s.ok()) {
    std::fprintf(stderr, "sim disk: bad epochs: %s\n", s.ToString().c_str());
    std::abort();
  }
  d.last_zxid = records_.empty() ? snapshot_zxid_ : records_.rbegin()->first;
  if (zab::Status s = zab::ReadCommittedConfig(this, &d.committed_config); !s.ok()) {
    std::fprintf(stderr, "sim disk: bad committed config: %s\n", s.ToString().c_str());
    std::abort();
  }
  return d;
}

std::vector<zab::LogEntry> SimDisk::DurableLog() {
  std::vector<zab::LogEntry> out;
  (void)Read(0, INT64_MAX, SIZE_MAX, &out);
  return out;
}

bool SimDisk::DurableRecord(int64_t zxid, std::string* data) {
  auto it = records_.find(zxid);
  if (it == records_.end()) return false;
  std::string_view view;
  if (!zab::record::DecodeLogValue(zxid, it->second, &view).ok()) return false;
  data->assign(view);
  return true;
}

void SimDisk::Configure(zab::ServerId id, SimDiskTiming timing, EventQueue* queue, Rng* rng,
                        Trace* trace) {
  id_ = id;
  timing_ = timing;
  queue_ = queue;
  rng_ = rng;
  trace_ = trace;
}

int64_t SimDisk::RandomDelay() {
  return rng_->PerMille(timing_.slow_per_mille) ? rng_->Range(timing_.max_delay, timing_.slow_delay)
                                                : rng_->Range(timing_.min_delay, timing_.max_delay);
}

void SimDisk::ScheduleCompletion() {
  if (completion_scheduled_ || pending_.empty() || replica_ == nullptr) return;
  completion_scheduled_ = true;
  const uint64_t gen = generation_;
  queue_->After(RandomDelay(), [this, gen] { CompleteSome(gen); });
}

void SimDisk::CompleteSome(uint64_t generation) {
  if (generation != generation_) return;
  completion_scheduled_ = false;
  if (pending_.empty() || replica_ == nullptr) return;
  // Group commit: one sync makes everything queued durable, or sometimes only a prefix.
  const uint64_t n = rng_->PerMille(700) ? pending_.size() : 1 + rng_->Below(pending_.size());
  struct Completion {
    bool append;
    uint64_t seq;
    int64_t zxid;
  };
  std::vector<Completion> done;
  for (uint64_t i = 0; i < n; ++i) {
    const auto* append = std::get_if<zab::AppendAction>(&pending_.front());
    const int64_t zxid = append != nullptr ? append->entries.back().zxid : 0;
    const bool is_append = append != nullptr;
    done.push_back({is_append, CompleteOne(), zxid});
  }
  trace_->Note(12, id_, static_cast<int64_t>(done.back().seq));
  if (trace_->verbose()) {
    trace_->Print("server " + std::to_string(id_) + ": persisted seq " +
                  std::to_string(done.back().seq));
  }
  for (const Completion& c : done) {
    if (generation != generation_ || replica_ == nullptr) return;
    if (c.append) {
      replica_->OnAppendDurable(c.zxid, zab::Status::OK());
    } else {
      replica_->OnDiskOpDone(c.seq, zab::Status::OK());
    }
  }
  ScheduleCompletion();
}

void SimDisk::Append(uint64_t seq, std::vector<zab::LogEntry> entries) {
  Enqueue(zab::AppendAction{seq, std::move(entries)});
  ScheduleCompletion();
}

void SimDisk::Truncate(uint64_t seq, int64_t after_zxid) {
  Enqueue(zab::TruncateAction{seq, after_zxid, false});
  ScheduleCompletion();
}

void SimDisk::SaveEpochs(uint64_t seq, int64_t accepted, int64_t current) {
  Enqueue(zab::SaveEpochsAction{seq, accepted, current});
  ScheduleCompletion();
}

void SimDisk::SaveConfig(uint64_t seq, const zab::QuorumConfig& config) {
  Enqueue(zab::SaveConfigAction{seq, config});
  ScheduleCompletion();
}

void SimDisk::ReadLogChunk(const zab::LogChunkRequest& request) {
  const uint64_t gen = generation_;
  queue_->After(RandomDelay(), [this, gen, request] {
    if (gen != generation_ || replica_ == nullptr) return;
    std::vector<zab::LogEntry> entries;
    zab::Status s = Read(request.from, request.upto, request.max_bytes, &entries);
    replica_->OnLogChunkRead(request, s, std::move(entries), FirstZxid());
  });
}

void SimDisk::ReadSnapshotFile(const zab::SnapshotFileRequest& request) {
  const uint64_t gen = generation_;
  queue_->After(RandomDelay(), [this, gen, request] {
    if (gen != generation_ || replica_ == nullptr) return;
    // A snapshot replaced since (compaction) is gone, as a deleted file would be.
    std::string data = snapshot_file_reader_ ? snapshot_file_reader_(request.path)
                       : request.path == SnapshotPath(snapshot_zxid_) ? snapshot_data_
                                                                      : "";
    replica_->OnSnapshotFileRead(request, std::move(data));
  });
}

zab::Status SimDisk::Append(const std::vector<zab::LogEntry>& entries, bool /*sync*/) {
  int64_t last = LastZxid();
  for (const zab::LogEntry& e : entries) {
    if (e.zxid <= last) return zab::Status::InvalidArgument("append out of zxid order");
    last = e.zxid;
  }
  for (const zab::LogEntry& e : entries) {
    zab::record::EncodeLogValue(e.zxid, e.data, &records_[e.zxid]);
  }
  return zab::Status::OK();
}

zab::Status SimDisk::TruncateAfter(int64_t zxid) {
  records_.erase(records_.upper_bound(zxid), records_.end());
  return zab::Status::OK();
}

zab::Status SimDisk::PurgeBefore(int64_t zxid) {
  records_.erase(records_.begin(), records_.lower_bound(zxid));
  return zab::Status::OK();
}

zab::Status SimDisk::PurgeSome(int64_t zxid, size_t max_entries, bool* more) {
  auto it = records_.begin();
  for (size_t n = 0; n < max_entries && it != records_.end() && it->first < zxid; ++n) ++it;
  records_.erase(records_.begin(), it);
  *more = !records_.empty() && records_.begin()->first < zxid;
  return zab::Status::OK();
}

zab::Status SimDisk::Read(int64_t from_zxid, int64_t to_zxid, size_t max_bytes,
                          std::vector<zab::LogEntry>* out) {
  out->clear();
  size_t bytes = 0;
  for (auto it = records_.lower_bound(from_zxid); it != records_.end() && it->first <= to_zxid;
       ++it) {
    std::string_view data;
    zab::Status s = zab::record::DecodeLogValue(it->first, it->second, &data);
    if (!s.ok()) return s;
    bytes += data.size();
    if (!out->empty() && bytes > max_bytes) break;
    out->push_back(zab::LogEntry{it->first, std::string(data)});
  }
  return zab::Status::OK();
}

zab::Result<int64_t> SimDisk::FloorZxid(int64_t zxid) {
  auto it = records_.upper_bound(zxid);
  if (it == records_.begin()) return int64_t{0};
  return std::prev(it)->first;
}

int64_t SimDisk::FirstZxid() { return records_.empty() ? 0 : records_.begin()->first; }

int64_t SimDisk::LastZxid() { return records_.empty() ? 0 : records_.rbegin()->first; }

zab::Status SimDisk::PutMeta(std::string_view key, std::string_view value, bool /*sync*/) {
  meta_.insert_or_assign(std::string(key), std::string(value));
  return zab::Status::OK();
}

zab::Result<std::optional<std::string>> SimDisk::GetMeta(std::string_view key) {
  auto it = meta_.find(key);
  if (it == meta_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

}  // namespace zk::sim
