// SimDisk: one simulated server's disk, in memory, and the Replica's disk port (zab/replica.h)
// in the simulator. It holds a durable part — the log as records in the LevelDB store's
// checksummed encoding (zab/log_record.h), the epochs under the production meta keys and the
// newest snapshot — and a queue of pending operations (appends, truncates, epoch writes) that
// become durable one at a time, in order, when the simulation completes them: after a random
// delay (sometimes a slow one) a completion makes everything queued durable (group commit), or
// sometimes only a prefix, and reports it to the attached Replica. Log chunk and snapshot file
// reads complete after a random delay.
//
// The Peer reads the log through the LogStore interface, which shows the durable records only.
//
// Crash() drops every pending operation; with `tear`, the operation in progress, when it is an
// append, is left half-written: a prefix of its records reaches the disk and the last of them is
// damaged (bytes flipped or cut short). Recover() then validates every record the way
// LeveldbLogStore::ValidateAndCut does and cuts the log from the first bad record.
//
// Thread-safety: none. Ownership: owns all its data; borrows the event queue, rng, trace and
// the attached Replica (detached by Crash).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "tests/sim/event_queue.h"
#include "tests/sim/rng.h"
#include "tests/sim/trace.h"
#include "zab/log_store.h"
#include "zab/peer.h"
#include "zab/replica.h"

namespace zk::sim {

using DiskOp = std::variant<zab::AppendAction, zab::TruncateAction, zab::SaveEpochsAction,
                            zab::SaveConfigAction>;

uint64_t SeqOf(const DiskOp& op);

// Completion delays, in units.
struct SimDiskTiming {
  int64_t min_delay = 1;
  int64_t max_delay = 12;
  uint64_t slow_per_mille = 30;
  int64_t slow_delay = 80;
};

class SimDisk final : public zab::LogStore, public zab::ReplicaDisk {
 public:
  SimDisk() = default;

  // Completions are scheduled on `queue` (timing from `rng`) and noted in `trace` as server `id`.
  void Configure(zab::ServerId id, SimDiskTiming timing, EventQueue* queue, Rng* rng,
                 Trace* trace);
  // The Replica that receives completions from now on (until Crash).
  void Attach(zab::Replica* replica) { replica_ = replica; }
  // Where ReadSnapshotFile reads from when the snapshots are files of the server's own (the
  // server simulation); unset, the disk's own snapshot is read.
  void SetSnapshotFileReader(std::function<std::string(const std::string& path)> reader) {
    snapshot_file_reader_ = std::move(reader);
  }

  // Pending work.
  void Enqueue(DiskOp op) { pending_.push_back(std::move(op)); }
  bool HasPending() const { return !pending_.empty(); }
  size_t pending_count() const { return pending_.size(); }
  // Makes the oldest pending operation durable and returns its seq. REQUIRES: HasPending().
  uint64_t CompleteOne();

  // Crash: loses pending work (maybe tearing the operation in progress) and every completion or
  // read not yet reported, and detaches the Replica. Returns a description.
  std::string Crash(Rng* rng, bool tear);
  // Restart: validates the log and cuts a damaged tail. Returns how many records were cut.
  int Recover();

  // Local snapshot (the server's own compaction): persists `data` at `zxid` and purges log
  // records below it. REQUIRES: !HasPending() and zxid <= the last durable log zxid or the log
  // is empty.
  void Compact(int64_t zxid, std::string data);

  // A snapshot received from a leader, durable at once (the log was emptied before).
  void InstallSnapshot(int64_t zxid, std::string data);
  // The name under which the stored snapshot at `zxid` is read (ReadSnapshotFile).
  static std::string SnapshotPath(int64_t zxid);

  // The durable state a restarted Peer is constructed from (its seen_configs are the caller's:
  // they need the snapshot's tree).
  zab::DurableState Durable();
  int64_t snapshot_zxid() const { return snapshot_zxid_; }
  const std::string& snapshot_data() const { return snapshot_data_; }
  int64_t accepted_epoch();
  int64_t current_epoch();
  // The durable log, decoded. REQUIRES: no damaged record (Recover() ran after a torn crash).
  std::vector<zab::LogEntry> DurableLog();
  // The data of a durable record, or nullptr.
  bool DurableRecord(int64_t zxid, std::string* data);

  // Test setup: durable content written directly.
  void TEST_SetEpochs(int64_t accepted, int64_t current) {
    (void)zab::WriteEpochs(this, accepted, current);
  }

  // zab::ReplicaDisk.
  void Append(uint64_t seq, std::vector<zab::LogEntry> entries) override;
  void Truncate(uint64_t seq, int64_t after_zxid) override;
  void SaveEpochs(uint64_t seq, int64_t accepted, int64_t current) override;
  void SaveConfig(uint64_t seq, const zab::QuorumConfig& config) override;
  void ReadLogChunk(const zab::LogChunkRequest& request) override;
  void ReadSnapshotFile(const zab::SnapshotFileRequest& request) override;

  // LogStore (the durable view).
  zab::Status Append(const std::vector<zab::LogEntry>& entries, bool sync) override;
  zab::Status TruncateAfter(int64_t zxid) override;
  zab::Status PurgeBefore(int64_t zxid) override;
  zab::Status PurgeSome(int64_t zxid, size_t max_entries, bool* more) override;
  zab::Status Read(int64_t from_zxid, int64_t to_zxid, size_t max_bytes,
                   std::vector<zab::LogEntry>* out) override;
  zab::Result<int64_t> FloorZxid(int64_t zxid) override;
  int64_t FirstZxid() override;
  int64_t LastZxid() override;
  zab::Status PutMeta(std::string_view key, std::string_view value, bool sync) override;
  zab::Result<std::optional<std::string>> GetMeta(std::string_view key) override;

 private:
  int64_t RandomDelay();
  void ScheduleCompletion();
  void CompleteSome(uint64_t generation);

  std::map<int64_t, std::string> records_;  // zxid -> EncodeLogValue(zxid, data)
  std::map<std::string, std::string, std::less<>> meta_;
  int64_t snapshot_zxid_ = 0;
  std::string snapshot_data_;  // empty with snapshot_zxid_ 0: the empty tree
  std::deque<DiskOp> pending_;

  zab::ServerId id_ = 0;
  SimDiskTiming timing_;
  EventQueue* queue_ = nullptr;
  Rng* rng_ = nullptr;
  Trace* trace_ = nullptr;
  zab::Replica* replica_ = nullptr;
  uint64_t generation_ = 0;  // bumped by Crash: voids scheduled completions and reads
  bool completion_scheduled_ = false;
  std::function<std::string(const std::string& path)> snapshot_file_reader_;
};

}  // namespace zk::sim
