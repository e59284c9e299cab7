#include "zab/log_record.h"

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

namespace zk::zab::record {

namespace {

void PutBigEndian64(uint64_t v, char* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

uint64_t GetBigEndian64(const char* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

}  // namespace

std::string LogKey(int64_t zxid) {
  std::string key(kLogKeySize, '\0');
  key[0] = kLogPrefix;
  PutBigEndian64(static_cast<uint64_t>(zxid), key.data() + 1);
  return key;
}

bool DecodeLogKey(std::string_view key, int64_t* zxid) {
  if (key.size() != kLogKeySize || key[0] != kLogPrefix) return false;
  *zxid = static_cast<int64_t>(GetBigEndian64(key.data() + 1));
  return true;
}

std::string MetaKey(std::string_view name) {
  std::string key(1, kMetaPrefix);
  key.append(name);
  return key;
}

uint64_t Checksum(int64_t zxid, std::string_view data) {
  char zxid_bytes[8];
  PutBigEndian64(static_cast<uint64_t>(zxid), zxid_bytes);
  XXH64_state_t state;
  XXH64_reset(&state, 0);
  XXH64_update(&state, zxid_bytes, sizeof(zxid_bytes));
  XXH64_update(&state, data.data(), data.size());
  return XXH64_digest(&state);
}

void EncodeLogValue(int64_t zxid, std::string_view data, std::string* value) {
  value->resize(kChecksumSize);
  PutBigEndian64(Checksum(zxid, data), value->data());
  value->append(data);
}

Status DecodeLogValue(int64_t zxid, std::string_view value, std::string_view* data) {
  if (value.size() < kChecksumSize) {
    return Status::Corruption("log value of " + std::to_string(value.size()) +
                              " bytes is shorter than its checksum");
  }
  std::string_view payload = value.substr(kChecksumSize);
  if (GetBigEndian64(value.data()) != Checksum(zxid, payload)) {
    return Status::Corruption("log value checksum mismatch");
  }
  *data = payload;
  return Status::OK();
}

}  // namespace zk::zab::record
