// The on-disk encoding of LeveldbLogStore records, exposed for tests and decoder fuzzing.
// A log record holds the entries of one Append (a group commit), or, in logs written before
// group records, one entry:
//   group key:    'L' + the last entry's zxid as 8 big-endian bytes + 'g'
//   group value:  8-byte big-endian xxh64(last zxid as 8 big-endian bytes || body) + body, where
//                 body = 4-byte big-endian entry count (>= 1), then per entry its zxid (8 bytes
//                 big-endian), its size (4 bytes big-endian) and its data; zxids strictly
//                 increase and the last is the key's
//   single key:   'L' + 8-byte big-endian zxid
//   single value: 8-byte big-endian xxh64(zxid as 8 big-endian bytes || data) + data
//   meta key:     'M' + name; meta value: the raw bytes
// Both kinds of log key sort by their zxid, and never share one, so LevelDB's order of the
// records is the zxid order of their entries.
// Stateless functions and a builder used by one thread at a time; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <vector>

#include "zab/status.h"

namespace zk::zab::record {

inline constexpr char kLogPrefix = 'L';
inline constexpr char kMetaPrefix = 'M';
inline constexpr size_t kLogKeySize = 9;
inline constexpr size_t kChecksumSize = 8;
inline constexpr char kGroupSuffix = 'g';
inline constexpr size_t kGroupKeySize = kLogKeySize + 1;
inline constexpr size_t kGroupCountSize = 4;
inline constexpr size_t kGroupEntryHeaderSize = 12;  // zxid and size

std::string LogKey(int64_t zxid);
// Returns false unless key is 'L' followed by exactly 8 bytes.
bool DecodeLogKey(std::string_view key, int64_t* zxid);

std::string MetaKey(std::string_view name);

uint64_t Checksum(int64_t zxid, std::string_view data);

// Replaces *value with the encoded value of (zxid, data).
void EncodeLogValue(int64_t zxid, std::string_view data, std::string* value);
// Checks the value's length and checksum; on success points *data into value.
Status DecodeLogValue(int64_t zxid, std::string_view value, std::string_view* data);

std::string GroupKey(int64_t last_zxid);
// Returns false unless key is a log record's key of either kind; *zxid is its (last) zxid and
// *group (when not null) whether it is a group's.
bool DecodeRecordKey(std::string_view key, int64_t* zxid, bool* group = nullptr);

// An entry decoded from a record: its data points into the record's value.
struct EntryView {
  int64_t zxid = 0;
  std::string_view data;
};

// Builds a group value in *value: Add each entry in zxid order, then Finish.
class GroupValueBuilder {
 public:
  explicit GroupValueBuilder(std::string* value);
  void Add(int64_t zxid, std::string_view data);
  // Writes the count and the checksum. REQUIRES: at least one entry was added.
  void Finish();
  size_t entries() const { return count_; }

 private:
  std::string* const value_;
  uint32_t count_ = 0;
  int64_t last_zxid_ = 0;
};

// Checks a group value stored under `last_zxid` (its checksum, its layout, its zxids strictly
// increasing and ending at last_zxid) and on success appends its entries to *entries.
Status DecodeGroupValue(int64_t last_zxid, std::string_view value, std::vector<EntryView>* entries);
// Decodes a log record of either kind; on success appends its entries (one or more) to *entries.
Status DecodeRecord(std::string_view key, std::string_view value, std::vector<EntryView>* entries);

}  // namespace zk::zab::record
