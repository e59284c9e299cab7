#include "client/proto/jute.h"

namespace zk::proto {

namespace {

template <class U>
U LoadBigEndian(const uint8_t* p) {
  U v = 0;
  for (size_t i = 0; i < sizeof(U); ++i) v = static_cast<U>((v << 8) | p[i]);
  return v;
}

template <class U>
void StoreBigEndian(U v, char* p) {
  for (size_t i = sizeof(U); i > 0; --i) {
    p[i - 1] = static_cast<char>(static_cast<uint8_t>(v & 0xff));
    v = static_cast<U>(v >> 8);
  }
}

template <class U>
void AppendBigEndian(U v, std::string* out) {
  char bytes[sizeof(U)];
  StoreBigEndian(v, bytes);
  out->append(bytes, sizeof(U));
}

}  // namespace

JuteReader::JuteReader(const uint8_t* data, size_t size, size_t max_length)
    : data_(data), size_(data == nullptr ? 0 : size), max_length_(max_length) {}

JuteReader::JuteReader(std::string_view bytes, size_t max_length)
    : JuteReader(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), max_length) {}

bool JuteReader::Need(size_t n) {
  if (!ok_ || n > remaining()) {
    ok_ = false;
    return false;
  }
  return true;
}

bool JuteReader::ReadInt(int32_t* out) {
  if (!Need(sizeof(int32_t))) return false;
  *out = static_cast<int32_t>(LoadBigEndian<uint32_t>(data_ + pos_));
  pos_ += sizeof(int32_t);
  return true;
}

bool JuteReader::ReadLong(int64_t* out) {
  if (!Need(sizeof(int64_t))) return false;
  *out = static_cast<int64_t>(LoadBigEndian<uint64_t>(data_ + pos_));
  pos_ += sizeof(int64_t);
  return true;
}

bool JuteReader::ReadBool(bool* out) {
  if (!Need(sizeof(uint8_t))) return false;
  *out = data_[pos_] != 0;  // Java's DataInput.readBoolean: any non-zero byte is true.
  pos_ += sizeof(uint8_t);
  return true;
}

bool JuteReader::ReadLength(size_t limit, size_t* length, bool* is_null) {
  int32_t raw = 0;
  if (!ReadInt(&raw)) return false;
  *is_null = false;
  if (raw == kJuteNullLength) {
    *is_null = true;
    *length = 0;
    return true;
  }
  if (raw < 0 || static_cast<size_t>(raw) > limit) {
    ok_ = false;
    return false;
  }
  *length = static_cast<size_t>(raw);
  return true;
}

bool JuteReader::ReadBuffer(std::string* out, bool* is_null) {
  out->clear();
  size_t length = 0;
  bool null = false;
  if (!ReadLength(max_length_, &length, &null)) return false;
  if (!Need(length)) return false;
  if (is_null != nullptr) *is_null = null;
  out->assign(reinterpret_cast<const char*>(data_ + pos_), length);
  pos_ += length;
  return true;
}

void JuteWriter::WriteInt(int32_t v) { AppendBigEndian(static_cast<uint32_t>(v), &buffer()); }

void JuteWriter::WriteLong(int64_t v) { AppendBigEndian(static_cast<uint64_t>(v), &buffer()); }

void JuteWriter::WriteBool(bool v) { buffer().push_back(v ? '\x01' : '\x00'); }

void JuteWriter::WriteBuffer(std::string_view bytes) {
  WriteInt(static_cast<int32_t>(bytes.size()));
  buffer().append(bytes);
}

void JuteWriter::WriteNullBuffer() { WriteInt(kJuteNullLength); }

size_t JuteWriter::BeginFrame() {
  size_t mark = size();
  WriteInt(0);
  return mark;
}

void JuteWriter::EndFrame(size_t mark) {
  std::string& buf = buffer();
  size_t body = buf.size() - mark - sizeof(int32_t);
  StoreBigEndian(static_cast<uint32_t>(body), buf.data() + mark);
}

}  // namespace zk::proto
