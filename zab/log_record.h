// The on-disk encoding of LeveldbLogStore records, exposed for tests and decoder fuzzing.
//   log key:   'L' + 8-byte big-endian zxid
//   log value: 8-byte big-endian xxh64(zxid as 8 big-endian bytes || data) + data
//   meta key:  'M' + name; meta value: the raw bytes
// Stateless functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "zab/status.h"

namespace zk::zab::record {

inline constexpr char kLogPrefix = 'L';
inline constexpr char kMetaPrefix = 'M';
inline constexpr size_t kLogKeySize = 9;
inline constexpr size_t kChecksumSize = 8;

std::string LogKey(int64_t zxid);
// Returns false unless key is 'L' followed by exactly 8 bytes.
bool DecodeLogKey(std::string_view key, int64_t* zxid);

std::string MetaKey(std::string_view name);

uint64_t Checksum(int64_t zxid, std::string_view data);

// Replaces *value with the encoded value of (zxid, data).
void EncodeLogValue(int64_t zxid, std::string_view data, std::string* value);
// Checks the value's length and checksum; on success points *data into value.
Status DecodeLogValue(int64_t zxid, std::string_view value, std::string_view* data);

}  // namespace zk::zab::record
