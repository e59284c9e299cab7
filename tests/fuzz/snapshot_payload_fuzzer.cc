// Fuzzes the snapshot payload parser (the msgpack chunk stream inside the zstd frame) past the
// integrity checks: LoadNewestSnapshot is the only public entry point, so the harness builds a
// well-formed file around the input, with a correct magic, header, zstd frame and XXH64
// trailer. Input layout (little-endian): u32 session_count, u32 node_count, u64 tree digest,
// then the uncompressed payload. Checks: as snapshot_file_fuzzer (no crash, leak or unbounded
// allocation; a loaded tree round-trips through WriteSnapshotFile).
#include <xxhash.h>
#include <zstd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "server/snapshot.h"
#include "tests/fuzz/fuzz_util.h"
#include "tests/fuzz/snapshot_common.h"

namespace {

constexpr int64_t kZxid = 0x100000042;

void PutLe(std::string* out, size_t at, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) (*out)[at + i] = static_cast<char>(v >> (8 * i));
}

uint64_t GetLe(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zk::server;
  zk::fuzz::QuietLogs();
  static zk::fuzz::ScratchDir dir;
  static ZSTD_CCtx* cctx = ZSTD_createCCtx();
  constexpr size_t kPrefix = 16;
  if (size < kPrefix) return 0;
  const uint8_t* payload = data + kPrefix;
  const size_t payload_size = size - kPrefix;

  std::string file(kSnapshotHeaderSize, '\0');
  std::memcpy(file.data(), kSnapshotMagic, 8);
  PutLe(&file, 8, kSnapshotFormatVersion, 4);
  PutLe(&file, 16, static_cast<uint64_t>(kZxid), 8);
  PutLe(&file, 24, GetLe(data + 4, 4), 8);  // node_count
  PutLe(&file, 32, GetLe(data, 4), 8);      // session_count
  PutLe(&file, 40, GetLe(data + 8, 8), 8);  // digest
  PutLe(&file, 48, payload_size, 8);
  const size_t bound = ZSTD_compressBound(payload_size);
  file.resize(kSnapshotHeaderSize + bound);
  const size_t n = ZSTD_compressCCtx(cctx, file.data() + kSnapshotHeaderSize, bound, payload,
                                     payload_size, /*compressionLevel=*/1);
  FUZZ_CHECK(!ZSTD_isError(n));
  file.resize(kSnapshotHeaderSize + n);
  const uint64_t sum = XXH64(file.data(), file.size(), 0);
  file.resize(file.size() + kSnapshotTrailerSize);
  PutLe(&file, file.size() - kSnapshotTrailerSize, sum, 8);
  zk::fuzz::LoadSnapshotBytes(dir, kZxid, file);
  return 0;
}
