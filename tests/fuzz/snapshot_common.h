// Shared by the two snapshot fuzz targets: loads the one snapshot file in a scratch directory with
// LoadNewestSnapshot and, if it loads, checks the write/load round trip. Header-only.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "server/data_tree.h"
#include "server/session_tracker.h"
#include "server/snapshot.h"
#include "tests/fuzz/fuzz_util.h"

namespace zk::fuzz {

inline void WriteFileOrDie(const std::string& path, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  FUZZ_CHECK(fd >= 0);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    FUZZ_CHECK(w > 0);
    done += static_cast<size_t>(w);
  }
  FUZZ_CHECK(::close(fd) == 0);
}

// Writes `file` as <dir>/snapshot.<zxid> and loads it. If it loads, the tree is at `zxid`, and
// writing it out again and loading that gives the same tree (digest and node count).
inline void LoadSnapshotBytes(const ScratchDir& dir, int64_t zxid, std::string_view file) {
  using namespace zk::server;
  const std::string name = SnapshotFileName(dir.path(), zxid);
  WriteFileOrDie(name, file);
  std::unique_ptr<DataTree> tree;
  auto loaded = LoadNewestSnapshot(dir.path(), &tree);
  ::unlink(name.c_str());
  FUZZ_CHECK(loaded.ok());
  FUZZ_CHECK(tree != nullptr);
  if (!loaded.value().has_value()) return;
  const LoadedSnapshot& snap = *loaded.value();
  FUZZ_CHECK(snap.zxid == zxid);
  FUZZ_CHECK(tree->last_zxid() == zxid);

  // Round trip through the writer.
  const std::string again_dir = dir.path() + "/again";
  std::filesystem::create_directory(again_dir);
  SessionTracker sessions(/*server_id=*/1, /*expiry_interval_ms=*/2000, /*now_ms=*/0);
  for (const auto& s : snap.sessions) sessions.Add(s.id, s.timeout_ms, s.password, 0);
  FUZZ_CHECK(WriteSnapshotFile(*tree, sessions, again_dir, 1).ok());
  std::unique_ptr<DataTree> tree2;
  auto loaded2 = LoadNewestSnapshot(again_dir, &tree2);
  std::filesystem::remove_all(again_dir);
  FUZZ_CHECK(loaded2.ok() && loaded2.value().has_value());
  FUZZ_CHECK(tree2->digest() == tree->digest());
  FUZZ_CHECK(tree2->node_count() == tree->node_count());
  FUZZ_CHECK(tree2->last_zxid() == zxid);
}

}  // namespace zk::fuzz
