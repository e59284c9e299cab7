// Jute binary serialization, the encoding of every ZooKeeper client record: big-endian int32 and
// int64, booleans as one byte, buffers and strings as an int32 length (-1 = null) followed by the
// bytes, vectors as an int32 count (-1 = null) followed by the elements.
//
// JuteReader decodes untrusted bytes: every read is bounds-checked, and the first failure makes
// the reader sticky-failed (ok() == false, every later read fails). It never throws and never
// reads outside [data, data + size). JuteWriter appends to a string. Neither is thread-safe; the
// reader does not own the bytes it reads, which must outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "client/proto/wire_constants.h"

namespace zk::proto {

class JuteReader {
 public:
  // `max_length` caps every buffer/string length read; callers that accept larger frames (up to
  // their frame size limit) may raise it.
  JuteReader(const uint8_t* data, size_t size,
             size_t max_length = static_cast<size_t>(kDefaultJuteMaxBuffer));
  JuteReader(const char* data, size_t size,
             size_t max_length = static_cast<size_t>(kDefaultJuteMaxBuffer))
      : JuteReader(reinterpret_cast<const uint8_t*>(data), size, max_length) {}
  explicit JuteReader(std::string_view bytes,
                      size_t max_length = static_cast<size_t>(kDefaultJuteMaxBuffer));

  JuteReader(const JuteReader&) = delete;
  JuteReader& operator=(const JuteReader&) = delete;

  bool ok() const { return ok_; }
  size_t remaining() const { return size_ - pos_; }
  size_t position() const { return pos_; }
  size_t max_length() const { return max_length_; }

  bool ReadInt(int32_t* out);
  bool ReadLong(int64_t* out);
  bool ReadBool(bool* out);
  // A null buffer (length -1) reads as an empty string with *is_null = true.
  bool ReadBuffer(std::string* out, bool* is_null = nullptr);
  // Same encoding as a buffer; null reads as empty.
  bool ReadString(std::string* out) { return ReadBuffer(out, nullptr); }

  // Reads an int32 count then `count` elements with `read_one(JuteReader&, T*) -> bool`. A null
  // vector (count -1) reads as empty. A count that cannot fit in the remaining bytes fails before
  // anything is allocated.
  template <class T, class F>
  bool ReadVector(std::vector<T>* out, F read_one, bool* is_null = nullptr);

  bool ReadStringVector(std::vector<std::string>* out) {
    return ReadVector(out, [](JuteReader& r, std::string* s) { return r.ReadString(s); });
  }
  bool ReadLongVector(std::vector<int64_t>* out) {
    return ReadVector(out, [](JuteReader& r, int64_t* v) { return r.ReadLong(v); });
  }
  bool ReadIntVector(std::vector<int32_t>* out) {
    return ReadVector(out, [](JuteReader& r, int32_t* v) { return r.ReadInt(v); });
  }

  // Marks the reader failed, e.g. when a decoded value is semantically invalid.
  void Fail() { ok_ = false; }

 private:
  // Reads a length/count prefix: -1 gives *is_null; other negatives or values above `limit` fail.
  bool ReadLength(size_t limit, size_t* length, bool* is_null);
  bool Need(size_t n);

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  size_t max_length_;
  bool ok_ = true;
};

class JuteWriter {
 public:
  // Appends to a string the writer owns.
  JuteWriter() = default;
  // Appends to the caller's string, which must outlive the writer.
  explicit JuteWriter(std::string* out) : external_(out) {}

  void WriteInt(int32_t v);
  void WriteLong(int64_t v);
  void WriteBool(bool v);
  // REQUIRES: bytes.size() <= INT32_MAX.
  void WriteBuffer(std::string_view bytes);
  void WriteNullBuffer();
  void WriteString(std::string_view s) { WriteBuffer(s); }
  void WriteNullVector() { WriteInt(kJuteNullLength); }

  // Writes an int32 count then each element with `write_one(JuteWriter&, const T&)`.
  template <class T, class F>
  void WriteVector(const std::vector<T>& values, F write_one);

  void WriteStringVector(const std::vector<std::string>& values) {
    WriteVector(values, [](JuteWriter& w, const std::string& s) { w.WriteString(s); });
  }
  void WriteLongVector(const std::vector<int64_t>& values) {
    WriteVector(values, [](JuteWriter& w, int64_t v) { w.WriteLong(v); });
  }
  void WriteIntVector(const std::vector<int32_t>& values) {
    WriteVector(values, [](JuteWriter& w, int32_t v) { w.WriteInt(v); });
  }

  // Reserves a 4-byte length prefix and returns its offset, to be passed to EndFrame.
  size_t BeginFrame();
  // Patches the prefix at `mark` with the number of bytes written after it.
  // REQUIRES: `mark` came from BeginFrame on this writer; the frame body is <= INT32_MAX bytes.
  void EndFrame(size_t mark);

  std::string& buffer() { return external_ != nullptr ? *external_ : owned_; }
  // Makes room for `bytes` more without reallocating (a hint; writing more is fine).
  void Reserve(size_t bytes) { buffer().reserve(size() + bytes); }
  size_t size() const { return external_ != nullptr ? external_->size() : owned_.size(); }
  // Moves the bytes out, leaving the buffer empty.
  std::string Take() {
    std::string out = std::move(buffer());
    buffer().clear();
    return out;
  }

 private:
  std::string owned_;
  std::string* external_ = nullptr;
};

template <class T, class F>
bool JuteReader::ReadVector(std::vector<T>* out, F read_one, bool* is_null) {
  out->clear();
  size_t count = 0;
  bool null = false;
  // Every element takes at least one byte, so a count above the remaining bytes is a lie.
  if (!ReadLength(remaining(), &count, &null)) return false;
  if (is_null != nullptr) *is_null = null;
  out->reserve(count);
  for (size_t i = 0; i < count; ++i) {
    out->emplace_back();
    if (!read_one(*this, &out->back()) || !ok_) {
      ok_ = false;
      return false;
    }
  }
  return true;
}

template <class T, class F>
void JuteWriter::WriteVector(const std::vector<T>& values, F write_one) {
  WriteInt(static_cast<int32_t>(values.size()));
  for (const T& v : values) write_one(*this, v);
}

}  // namespace zk::proto
