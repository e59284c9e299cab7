#include "zab/log_record.h"

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <string>

namespace zk::zab::record {

namespace {

void PutBigEndian64(uint64_t v, char* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

void PutBigEndian32(uint32_t v, char* out) {
  for (int i = 3; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

uint32_t GetBigEndian32(const char* in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
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

std::string GroupKey(int64_t last_zxid) {
  std::string key = LogKey(last_zxid);
  key.push_back(kGroupSuffix);
  return key;
}

bool DecodeRecordKey(std::string_view key, int64_t* zxid, bool* group) {
  const bool is_group = key.size() == kGroupKeySize && key.back() == kGroupSuffix;
  if (group != nullptr) *group = is_group;
  return DecodeLogKey(is_group ? key.substr(0, kLogKeySize) : key, zxid);
}

GroupValueBuilder::GroupValueBuilder(std::string* value) : value_(value) {
  value_->assign(kChecksumSize + kGroupCountSize, '\0');
}

void GroupValueBuilder::Add(int64_t zxid, std::string_view data) {
  char header[kGroupEntryHeaderSize];
  PutBigEndian64(static_cast<uint64_t>(zxid), header);
  PutBigEndian32(static_cast<uint32_t>(data.size()), header + 8);
  value_->append(header, sizeof(header));
  value_->append(data);
  ++count_;
  last_zxid_ = zxid;
}

void GroupValueBuilder::Finish() {
  PutBigEndian32(count_, value_->data() + kChecksumSize);
  const std::string_view body = std::string_view(*value_).substr(kChecksumSize);
  PutBigEndian64(Checksum(last_zxid_, body), value_->data());
}

Status DecodeGroupValue(int64_t last_zxid, std::string_view value,
                        std::vector<EntryView>* entries) {
  if (value.size() < kChecksumSize + kGroupCountSize) {
    return Status::Corruption("log group of " + std::to_string(value.size()) +
                              " bytes is shorter than its header");
  }
  std::string_view body = value.substr(kChecksumSize);
  if (GetBigEndian64(value.data()) != Checksum(last_zxid, body)) {
    return Status::Corruption("log group checksum mismatch");
  }
  const uint32_t count = GetBigEndian32(body.data());
  body.remove_prefix(kGroupCountSize);
  if (count == 0 || count > body.size() / kGroupEntryHeaderSize) {
    return Status::Corruption("log group count " + std::to_string(count) + " does not fit its " +
                              std::to_string(body.size()) + " bytes");
  }
  const size_t first_new = entries->size();
  int64_t prev = 0;
  for (uint32_t i = 0; i < count; ++i) {
    if (body.size() < kGroupEntryHeaderSize) {
      entries->resize(first_new);
      return Status::Corruption("log group entry " + std::to_string(i) + " is cut short");
    }
    const int64_t zxid = static_cast<int64_t>(GetBigEndian64(body.data()));
    const uint32_t size = GetBigEndian32(body.data() + 8);
    body.remove_prefix(kGroupEntryHeaderSize);
    if (size > body.size() || (i > 0 && zxid <= prev)) {
      entries->resize(first_new);
      return Status::Corruption("log group entry " + std::to_string(i) +
                                (size > body.size() ? " overruns the group" : " out of order"));
    }
    entries->push_back(EntryView{zxid, body.substr(0, size)});
    body.remove_prefix(size);
    prev = zxid;
  }
  if (!body.empty() || prev != last_zxid) {
    entries->resize(first_new);
    return Status::Corruption(!body.empty() ? "log group has bytes after its entries"
                                            : "log group's last zxid is not its key's");
  }
  return Status::OK();
}

Status DecodeRecord(std::string_view key, std::string_view value,
                    std::vector<EntryView>* entries) {
  int64_t zxid = 0;
  bool group = false;
  if (!DecodeRecordKey(key, &zxid, &group)) {
    return Status::Corruption("log key of " + std::to_string(key.size()) + " bytes");
  }
  if (group) return DecodeGroupValue(zxid, value, entries);
  std::string_view data;
  Status s = DecodeLogValue(zxid, value, &data);
  if (!s.ok()) return s;
  entries->push_back(EntryView{zxid, data});
  return Status::OK();
}

}  // namespace zk::zab::record
