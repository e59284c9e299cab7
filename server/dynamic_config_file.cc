#include "server/dynamic_config_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include <fmt/format.h>

namespace zk::server {
namespace {

zab::Status Errno(const std::string& what) {
  return zab::Status::IOError(what + ": " + std::strerror(errno));
}

zab::Status SyncPath(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) return Errno("open " + path);
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? zab::Status::OK() : Errno("fsync " + path);
}

// Replaces `path` with `content`: temporary file, fsync, rename, directory fsync.
zab::Status ReplaceFile(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) return zab::Status::IOError("cannot write " + tmp);
  }
  if (zab::Status s = SyncPath(tmp, O_RDONLY); !s.ok()) return s;
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Errno("rename " + tmp);
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  return SyncPath(dir, O_RDONLY | O_DIRECTORY);
}

bool IsMembershipKey(std::string_view line) {
  const size_t eq = line.find('=');
  if (eq == std::string_view::npos) return false;
  std::string_view key = line.substr(0, eq);
  while (!key.empty() && (key.front() == ' ' || key.front() == '\t')) key.remove_prefix(1);
  while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.remove_suffix(1);
  return key.starts_with("server.") || key.starts_with("group.") || key.starts_with("weight.") ||
         key == "dynamicConfigFile";
}

}  // namespace

std::string DynamicConfigPath(const std::string& config_path, int64_t version) {
  return fmt::format("{}.dynamic.{:x}", config_path, version);
}

zab::Status WriteDynamicConfig(const std::string& config_path, const std::string& text,
                               int64_t version) {
  const std::string dynamic_path = DynamicConfigPath(config_path, version);
  if (zab::Status s = ReplaceFile(dynamic_path, text + "\n"); !s.ok()) return s;
  std::ifstream in(config_path, std::ios::binary);
  if (!in) return zab::Status::IOError("cannot read " + config_path);
  std::string rewritten;
  std::string line;
  while (std::getline(in, line)) {
    if (!IsMembershipKey(line)) rewritten += line + "\n";
  }
  rewritten += "dynamicConfigFile=" + dynamic_path + "\n";
  return ReplaceFile(config_path, rewritten);
}

}  // namespace zk::server
