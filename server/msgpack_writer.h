// MsgpackWriter: appends msgpack values to a growing byte buffer, each with a few inline stores.
// It writes exactly the bytes msgpack-c's packer writes (every integer in its smallest form,
// str8/bin8 for short strings), so readers see no difference; it exists because the packer
// hands each field to an out-of-line write() that ends in a memcpy call, which was 13 % of a
// snapshot's CPU. Used where millions of small values are packed: snapshot writing.
//
// Thread-compatible. The bytes are valid until the next call that writes or clear().
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace zk::server {

class MsgpackWriter {
 public:
  explicit MsgpackWriter(size_t capacity) : bytes_(std::max<size_t>(capacity, 64)) {}

  const char* data() const { return bytes_.data(); }
  size_t size() const { return size_; }
  void clear() { size_ = 0; }

  void ArrayHeader(uint32_t n) {
    if (n < 16) return Byte(static_cast<uint8_t>(0x90 | n));
    Head(n, 0xdc, 0xdd);
  }
  void Str(std::string_view s) {
    const auto n = static_cast<uint32_t>(s.size());
    if (n < 32) {
      Byte(static_cast<uint8_t>(0xa0 | n));
    } else {
      LengthHead(n, 0xd9, 0xda, 0xdb);
    }
    Raw(s);
  }
  void Bin(std::string_view s) {
    LengthHead(static_cast<uint32_t>(s.size()), 0xc4, 0xc5, 0xc6);
    Raw(s);
  }
  void Bool(bool b) { Byte(b ? 0xc3 : 0xc2); }
  void Int(int64_t v) {
    Reserve(9);
    char* p = bytes_.data() + size_;
    if (v >= 0) {
      const auto u = static_cast<uint64_t>(v);
      if (u < 0x80) {
        p[0] = static_cast<char>(u);
        size_ += 1;
      } else if (u <= 0xff) {
        p[0] = static_cast<char>(0xcc);
        p[1] = static_cast<char>(u);
        size_ += 2;
      } else if (u <= 0xffff) {
        Tagged<uint16_t>(p, 0xcd, static_cast<uint16_t>(u));
      } else if (u <= 0xffffffff) {
        Tagged<uint32_t>(p, 0xce, static_cast<uint32_t>(u));
      } else {
        Tagged<uint64_t>(p, 0xcf, u);
      }
    } else if (v >= -32) {
      p[0] = static_cast<char>(static_cast<int8_t>(v));  // negative fixint
      size_ += 1;
    } else if (v >= INT8_MIN) {
      p[0] = static_cast<char>(0xd0);
      p[1] = static_cast<char>(static_cast<int8_t>(v));
      size_ += 2;
    } else if (v >= INT16_MIN) {
      Tagged<uint16_t>(p, 0xd1, static_cast<uint16_t>(v));
    } else if (v >= INT32_MIN) {
      Tagged<uint32_t>(p, 0xd2, static_cast<uint32_t>(v));
    } else {
      Tagged<uint64_t>(p, 0xd3, static_cast<uint64_t>(v));
    }
  }

 private:
  void Reserve(size_t n) {
    if (n > bytes_.size() - size_) [[unlikely]] Grow(n);
  }
  [[gnu::noinline]] void Grow(size_t n) { bytes_.resize(std::max(2 * bytes_.size(), size_ + n)); }

  void Byte(uint8_t b) {
    Reserve(1);
    bytes_[size_++] = static_cast<char>(b);
  }
  void Raw(std::string_view s) {
    Reserve(s.size());
    if (!s.empty()) std::memcpy(bytes_.data() + size_, s.data(), s.size());
    size_ += s.size();
  }
  // A tag byte then `v` big-endian, at p (room reserved).
  template <class U>
  void Tagged(char* p, int tag, U v) {
    p[0] = static_cast<char>(tag);
    if constexpr (sizeof(U) == 2) v = __builtin_bswap16(v);
    if constexpr (sizeof(U) == 4) v = __builtin_bswap32(v);
    if constexpr (sizeof(U) == 8) v = __builtin_bswap64(v);
    std::memcpy(p + 1, &v, sizeof v);
    size_ += 1 + sizeof v;
  }
  // An array header of 16 or more items.
  void Head(uint32_t n, int tag16, int tag32) {
    Reserve(5);
    char* p = bytes_.data() + size_;
    if (n <= 0xffff) return Tagged<uint16_t>(p, tag16, static_cast<uint16_t>(n));
    Tagged<uint32_t>(p, tag32, n);
  }
  // A str or bin length: 8-, 16- or 32-bit.
  void LengthHead(uint32_t n, int tag8, int tag16, int tag32) {
    Reserve(5);
    char* p = bytes_.data() + size_;
    if (n <= 0xff) {
      p[0] = static_cast<char>(tag8);
      p[1] = static_cast<char>(n);
      size_ += 2;
      return;
    }
    Head(n, tag16, tag32);
  }

  std::vector<char> bytes_;
  size_t size_ = 0;
};

}  // namespace zk::server
