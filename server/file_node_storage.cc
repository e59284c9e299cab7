#include "server/file_node_storage.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <filesystem>

#include "server/process_figures.h"

namespace zk::server {

FileNodeStorage::FileNodeStorage(const ServerConfig& config)
    : data_dir_(config.data_dir),
      data_log_dir_(config.data_log_dir),
      snapshot_dir_(SnapshotDir(config)),
      log_dir_(TxnLogDir(config)),
      writer_(std::make_unique<SnapshotWriter>(snapshot_dir_, config.snapshot_compression_level)) {}

FileNodeStorage::~FileNodeStorage() { Close(); }

zab::Result<std::optional<LoadedSnapshot>> FileNodeStorage::LoadNewestSnapshot(
    std::unique_ptr<DataTree>* tree) {
  return server::LoadNewestSnapshot(snapshot_dir_, tree);
}

std::vector<int64_t> FileNodeStorage::SnapshotZxids() { return ListSnapshotZxids(snapshot_dir_); }

std::string FileNodeStorage::SnapshotLocation(int64_t zxid) {
  return SnapshotFileName(snapshot_dir_, zxid);
}

zab::Status FileNodeStorage::StoreSnapshot(int64_t zxid, std::string_view bytes) {
  return WriteSnapshotBytes(snapshot_dir_, zxid, bytes);
}

void FileNodeStorage::RemoveSnapshot(int64_t zxid) {
  std::error_code ec;
  std::filesystem::remove(SnapshotFileName(snapshot_dir_, zxid), ec);
}

int64_t FileNodeStorage::SnapshotWrittenAt(int64_t zxid) {
  struct stat st {};
  if (::stat(SnapshotFileName(snapshot_dir_, zxid).c_str(), &st) != 0) return 0;
  return st.st_mtime;
}

namespace {

void LogRestored(const CollapseFigures& f) {
  if (f.unsupported) {
    spdlog::warn(
        "memory.hugePages: this kernel cannot collapse pages into huge pages (MADV_COLLAPSE, "
        "Linux 6.1); pages that snapshots split stay split, and each fork copies their page "
        "tables");
    return;
  }
  constexpr int64_t kMiB = int64_t{1} << 20;
  spdlog::info(
      "heap back on huge pages after the snapshot: {} MiB in {} ms ({} MiB sparse, {} "
      "MiB not collapsible now)",
      f.collapsed_bytes / kMiB, f.wall_us / 1000, f.sparse_bytes / kMiB, f.failed_bytes / kMiB);
}

}  // namespace

bool FileNodeStorage::StartSnapshot(const DataTree& tree, const SessionTracker& sessions) {
  if (restorer_.running()) return false;
  if (std::optional<CollapseFigures> restored = restorer_.TakeFigures()) LogRestored(*restored);
  if (!writer_ || !writer_->Start(tree, sessions)) return false;
  // fork() stops this thread while it copies the page tables: every client waits that long.
  spdlog::info("snapshot: fork took {:.1f} ms", static_cast<double>(writer_->last_fork_us()) / 1000);
  return true;
}

// A snapshot counts as running until the heap is back on huge pages, so the next fork waits.
bool FileNodeStorage::SnapshotRunning() const {
  return (writer_ && writer_->running()) || restorer_.running();
}

std::optional<zab::Status> FileNodeStorage::PollSnapshot() {
  if (std::optional<CollapseFigures> restored = restorer_.TakeFigures()) LogRestored(*restored);
  if (!writer_) return std::nullopt;
  const int64_t zxid = writer_->running_zxid();
  std::optional<zab::Status> done = writer_->Poll();
  if (done && done->ok()) {
    // What a snapshot costs, as an operator sizing snapCount or the machine wants to see it.
    spdlog::info("snapshot of zxid 0x{:x} written in {} ms, {} ms of CPU", zxid,
                 writer_->last_wall_us() / 1000, writer_->last_child_cpu_us() / 1000);
  }
  // The child is gone (either way), so the pages it shared are the server's alone again.
  if (done) (void)restorer_.Start(HeapHugePageRanges().Ranges());
  return done;
}

int64_t FileNodeStorage::PurgeSnapshots(int retain_count) {
  return server::PurgeSnapshots(snapshot_dir_, retain_count, &remover_);
}

void FileNodeStorage::Close() {
  writer_.reset();
  restorer_.Stop();
}

StorageSizes FileNodeStorage::Sizes() {
  StorageSizes s;
  s.data_dir = DirSize(data_dir_);
  s.data_log_dir = data_log_dir_ == data_dir_ ? s.data_dir : DirSize(data_log_dir_);
  s.snapshots = DirSize(snapshot_dir_);
  s.log = DirSize(log_dir_);
  return s;
}

}  // namespace zk::server
