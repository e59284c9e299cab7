#include "tests/sim/sim_node_storage.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "server/snapshot.h"
#include "tests/sim/checker.h"

namespace zk::sim {
namespace {

std::filesystem::path SimStorageRoot() {
  std::error_code ec;
  const std::filesystem::path shm = "/dev/shm";
  if (std::filesystem::is_directory(shm, ec) && access(shm.c_str(), W_OK) == 0) return shm;
  return std::filesystem::temp_directory_path();
}

}  // namespace

SimNodeStorage::SimNodeStorage(const std::string& name) {
  dir_ = (SimStorageRoot() / ("zk-sim-" + std::to_string(getpid()) + "-" + name)).string();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  if (!std::filesystem::create_directories(dir_, ec) && ec) {
    throw SimFailure("cannot create the snapshot directory " + dir_ + ": " + ec.message());
  }
}

SimNodeStorage::~SimNodeStorage() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string SimNodeStorage::ReadFile(const std::string& path) const {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

zab::Result<std::optional<server::LoadedSnapshot>> SimNodeStorage::LoadNewestSnapshot(
    std::unique_ptr<server::DataTree>* tree) {
  return server::LoadNewestSnapshot(dir_, tree);
}

std::vector<int64_t> SimNodeStorage::SnapshotZxids() { return server::ListSnapshotZxids(dir_); }

std::string SimNodeStorage::SnapshotLocation(int64_t zxid) {
  return server::SnapshotFileName(dir_, zxid);
}

zab::Status SimNodeStorage::StoreSnapshot(int64_t zxid, std::string_view bytes) {
  return server::WriteSnapshotBytes(dir_, zxid, bytes);
}

void SimNodeStorage::RemoveSnapshot(int64_t zxid) {
  std::error_code ec;
  std::filesystem::remove(server::SnapshotFileName(dir_, zxid), ec);
}

bool SimNodeStorage::StartSnapshot(const server::DataTree& tree,
                                   const server::SessionTracker& sessions) {
  done_ = server::WriteSnapshotFile(tree, sessions, dir_, /*zstd_level=*/1);
  ++taken_;
  return true;
}

std::optional<zab::Status> SimNodeStorage::PollSnapshot() {
  std::optional<zab::Status> done = std::move(done_);
  done_.reset();
  return done;
}

int64_t SimNodeStorage::PurgeSnapshots(int retain_count) {
  return server::PurgeSnapshots(dir_, retain_count);
}

}  // namespace zk::sim
