// Fuzzes the LeveldbLogStore record decoders (zab/log_record.h): DecodeLogKey, DecodeLogValue
// and DecodeRecord of a group. Input: one mode byte, 8 bytes of zxid, then the key or value
// bytes. Checks: no out-of-bounds access; an accepted key re-encodes to itself; an accepted
// value (single or group) re-encodes to itself and its entries' data lie inside it. In "fixed checksum" mode the harness writes a correct
// checksum first, so the payload gets past it and is fed to DecodeTxn, as log recovery does.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "server/txn.h"
#include "tests/fuzz/fuzz_util.h"
#include "zab/log_record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zk::zab;
  if (size < 9) return 0;
  const uint8_t mode = data[0];
  uint64_t raw = 0;
  for (int i = 1; i <= 8; ++i) raw = (raw << 8) | data[i];
  const int64_t zxid = static_cast<int64_t>(raw);
  const std::string_view rest(reinterpret_cast<const char*>(data) + 9, size - 9);

  switch (mode % 4) {
    case 0: {
      int64_t decoded = 0;
      if (record::DecodeLogKey(rest, &decoded)) {
        FUZZ_CHECK(record::LogKey(decoded) == rest);
      }
      break;
    }
    case 1: {
      std::string_view payload;
      if (record::DecodeLogValue(zxid, rest, &payload).ok()) {
        FUZZ_CHECK(payload.data() >= rest.data());
        FUZZ_CHECK(payload.data() + payload.size() == rest.data() + rest.size());
        std::string value;
        record::EncodeLogValue(zxid, payload, &value);
        FUZZ_CHECK(value == rest);
      }
      break;
    }
    case 3: {
      std::vector<record::EntryView> entries;
      if (record::DecodeRecord(record::GroupKey(zxid), rest, &entries).ok()) {
        FUZZ_CHECK(!entries.empty());
        FUZZ_CHECK(entries.back().zxid == zxid);
        std::string value;
        record::GroupValueBuilder group(&value);
        for (const record::EntryView& e : entries) {
          FUZZ_CHECK(e.data.data() >= rest.data());
          FUZZ_CHECK(e.data.data() + e.data.size() <= rest.data() + rest.size());
          group.Add(e.zxid, e.data);
        }
        group.Finish();
        FUZZ_CHECK(value == rest);
      } else {
        FUZZ_CHECK(entries.empty());
      }
      break;
    }
    default: {
      std::string value;
      record::EncodeLogValue(zxid, rest, &value);
      std::string_view payload;
      FUZZ_CHECK(record::DecodeLogValue(zxid, value, &payload).ok());
      FUZZ_CHECK(payload == rest);
      if (!value.empty()) {
        value[0] = static_cast<char>(value[0] ^ 1);  // any flipped checksum bit is caught
        FUZZ_CHECK(!record::DecodeLogValue(zxid, value, &payload).ok());
      }
      zk::server::Txn txn;
      (void)zk::server::DecodeTxn(rest, &txn);
      break;
    }
  }
  return 0;
}
