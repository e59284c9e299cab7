// WriteDynamicConfig: a committed reconfiguration on disk, as ZooKeeper keeps it. The text of
// the configuration goes to `<config file>.dynamic.<version in hex>`, and the config file is
// rewritten without its server.N (group.*, weight.*, dynamicConfigFile) lines and with
// `dynamicConfigFile=` naming that file, so the server restarts with the new membership. Each file is
// replaced atomically (temporary file, fsync, rename, directory fsync). Blocking file I/O;
// thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string>

#include "zab/status.h"

namespace zk::server {

// The dynamic file's name for `version` (ZooKeeper's: the config file's path, ".dynamic.", hex).
std::string DynamicConfigPath(const std::string& config_path, int64_t version);

zab::Status WriteDynamicConfig(const std::string& config_path, const std::string& text,
                               int64_t version);

}  // namespace zk::server
