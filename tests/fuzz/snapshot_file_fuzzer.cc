// Fuzzes snapshot loading (server/snapshot.h) with whole files: the input is written as the only
// file of a scratch directory, named snapshot.<zxid> with the zxid taken from the input's own
// header (offset 16, so that check passes) and loaded with LoadNewestSnapshot. The XXH64 trailer
// is checked only after the stream is parsed, so mutated inputs still reach the zstd decoder and
// the msgpack chunk parser; snapshot_payload_fuzzer feeds that parser directly. Checks: no
// crash, leak or unbounded allocation; a file that loads yields a tree at its zxid, and
// writing and reloading that tree gives the same digest.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tests/fuzz/fuzz_util.h"
#include "tests/fuzz/snapshot_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  zk::fuzz::QuietLogs();
  static zk::fuzz::ScratchDir dir;
  uint64_t zxid = 0;
  if (size >= 24) {
    for (int i = 7; i >= 0; --i) zxid = (zxid << 8) | data[16 + i];
  }
  zk::fuzz::LoadSnapshotBytes(dir, static_cast<int64_t>(zxid),
                              std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
