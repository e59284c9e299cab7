// SimDisk: one simulated server's disk, in memory. It holds a durable part — the log as records
// in the LevelDB store's checksummed encoding (zab/log_record.h), the two epochs and the newest
// snapshot — and a queue of pending operations (the Peer's disk actions) that become durable one
// at a time, in order, when the simulation completes them.
//
// The Peer reads the log through the LogStore interface, which shows the durable records only.
//
// Crash() drops every pending operation; with `tear`, the operation in progress, when it is an
// append, is left half-written: a prefix of its records reaches the disk and the last of them is
// damaged (bytes flipped or cut short). Recover() then validates every record the way
// LeveldbLogStore::ValidateAndCut does and cuts the log from the first bad record.
//
// Thread-safety: none. Ownership: owns all its data.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "tests/sim/rng.h"
#include "zab/log_store.h"
#include "zab/peer.h"

namespace zk::sim {

using DiskOp = std::variant<zab::AppendAction, zab::TruncateAction, zab::SaveEpochsAction,
                            zab::InstallSnapshotAction>;

uint64_t SeqOf(const DiskOp& op);

class SimDisk final : public zab::LogStore {
 public:
  SimDisk() = default;

  // Pending work.
  void Enqueue(DiskOp op) { pending_.push_back(std::move(op)); }
  bool HasPending() const { return !pending_.empty(); }
  size_t pending_count() const { return pending_.size(); }
  // Makes the oldest pending operation durable and returns its seq. REQUIRES: HasPending().
  uint64_t CompleteOne();

  // Crash: loses pending work (maybe tearing the operation in progress). Returns a description.
  std::string Crash(Rng* rng, bool tear);
  // Restart: validates the log and cuts a damaged tail. Returns how many records were cut.
  int Recover();

  // Local snapshot (the server's own compaction): persists `data` at `zxid` and purges log
  // records below it. REQUIRES: !HasPending() and zxid <= the last durable log zxid or the log
  // is empty.
  void Compact(int64_t zxid, std::string data);

  // The durable state a restarted Peer is constructed from.
  zab::DurableState Durable();
  int64_t snapshot_zxid() const { return snapshot_zxid_; }
  const std::string& snapshot_data() const { return snapshot_data_; }
  int64_t accepted_epoch() const { return accepted_epoch_; }
  int64_t current_epoch() const { return current_epoch_; }
  // The durable log, decoded. REQUIRES: no damaged record (Recover() ran after a torn crash).
  std::vector<zab::LogEntry> DurableLog();
  // The data of a durable record, or nullptr.
  bool DurableRecord(int64_t zxid, std::string* data);

  // Test setup: durable content written directly.
  void TEST_SetEpochs(int64_t accepted, int64_t current) {
    accepted_epoch_ = accepted;
    current_epoch_ = current;
  }

  // LogStore (the durable view).
  zab::Status Append(const std::vector<zab::LogEntry>& entries, bool sync) override;
  zab::Status TruncateAfter(int64_t zxid) override;
  zab::Status PurgeBefore(int64_t zxid) override;
  zab::Status Read(int64_t from_zxid, int64_t to_zxid, size_t max_bytes,
                   std::vector<zab::LogEntry>* out) override;
  zab::Result<int64_t> FloorZxid(int64_t zxid) override;
  int64_t FirstZxid() override;
  int64_t LastZxid() override;
  zab::Status PutMeta(std::string_view key, std::string_view value, bool sync) override;
  zab::Result<std::optional<std::string>> GetMeta(std::string_view key) override;

 private:
  std::map<int64_t, std::string> records_;  // zxid -> EncodeLogValue(zxid, data)
  std::map<std::string, std::string, std::less<>> meta_;
  int64_t accepted_epoch_ = 0;
  int64_t current_epoch_ = 0;
  int64_t snapshot_zxid_ = 0;
  std::string snapshot_data_;  // empty with snapshot_zxid_ 0: the empty tree
  std::deque<DiskOp> pending_;
};

}  // namespace zk::sim
