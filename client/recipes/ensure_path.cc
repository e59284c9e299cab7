#include "client/recipes/ensure_path.h"

#include <algorithm>

namespace zk::recipes {

Err EnsurePath(client::Client& client, const std::string& path,
               const std::vector<client::Acl>& acl, CreateMode mode) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    auto r = client.Create(path.substr(0, pos), "", acl, mode);
    if (!r.ok() && r.err() != Err::kNodeExists) return r.err();
  }
  return Err::kOk;
}

Err WaitConnectedUntil(client::Client& client,
                       std::optional<std::chrono::steady_clock::time_point> deadline) {
  auto limit = std::chrono::milliseconds(3600 * 1000);
  if (deadline) {
    limit = std::max(std::chrono::milliseconds(0),
                     std::chrono::duration_cast<std::chrono::milliseconds>(
                         *deadline - std::chrono::steady_clock::now()));
  }
  while (true) {
    Err e = client.WaitConnected(limit).err();
    if (e != Err::kOperationTimeout || deadline) return e;
  }
}

}  // namespace zk::recipes
