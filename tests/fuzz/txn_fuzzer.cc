// Fuzzes DecodeTxn (server/txn.h), the decoder of every log record and ZAB payload. Checks: it
// never crashes, throws or over-allocates on any bytes, and when it accepts the input, the txn
// re-encodes to bytes that decode again and re-encode identically (EncodeTxn is a fixed point
// after one round).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/txn.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zk::server;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Txn txn;
  if (!DecodeTxn(bytes, &txn)) return 0;
  const std::string once = EncodeTxn(txn);
  Txn again;
  FUZZ_CHECK(DecodeTxn(once, &again));
  FUZZ_CHECK(again.zxid == txn.zxid && again.session_id == txn.session_id);
  FUZZ_CHECK(again.cxid == txn.cxid && again.time_ms == txn.time_ms && again.type == txn.type);
  FUZZ_CHECK(again.body.index() == txn.body.index());
  FUZZ_CHECK(EncodeTxn(again) == once);
  return 0;
}
