// Fuzzes ParseConfigText (server/config.h), the zoo.cfg parser. Checks: it never crashes or
// throws on any text, and an accepted config is consistent: dataDir and dataLogDir set, the
// session timeout bounds ordered, "srvr" always allowed, and every server line printable.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/config.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zk::server;
  zk::fuzz::QuietLogs();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> warnings;
  zk::zab::Result<ServerConfig> parsed = ParseConfigText(text, &warnings);
  if (!parsed.ok()) {
    FUZZ_CHECK(!parsed.status().ToString().empty());
    return 0;
  }
  const ServerConfig& config = parsed.value();
  FUZZ_CHECK(!config.data_dir.empty());
  FUZZ_CHECK(!config.data_log_dir.empty());
  FUZZ_CHECK(config.MinSessionTimeoutMs() <= config.MaxSessionTimeoutMs());
  FUZZ_CHECK(config.IsFourLetterWordAllowed("srvr"));
  for (const auto& [id, server] : config.servers) {
    FUZZ_CHECK(!server.ToString().empty());
  }
  (void)config.IsDistributed();
  return 0;
}
