// Small helpers the recipes share: creating a recipe's path (and its missing ancestors) as
// containers or persistent nodes, and waiting for the client's connection with a deadline.
// Thread-safe; they block the calling thread (never call them from a client callback).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "client/zk_client.h"

namespace zk::recipes {

// Creates `path` and its missing ancestors with `mode` (kContainer, as Curator's
// creatingParentContainersIfNeeded, or kPersistent); existing nodes are left alone.
Err EnsurePath(client::Client& client, const std::string& path,
               const std::vector<client::Acl>& acl, CreateMode mode = CreateMode::kContainer);

// Waits until the client is connected (kOk), the deadline passes (kOperationTimeout) or the
// session ends (its error). No deadline: waits for as long as the session lives.
Err WaitConnectedUntil(client::Client& client,
                       std::optional<std::chrono::steady_clock::time_point> deadline);

}  // namespace zk::recipes
