// Helpers shared by the proto unit tests: hex rendering, round trips and truncation sweeps.
#pragma once

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "client/proto/jute.h"

namespace zk::proto::testing {

inline std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

inline std::string Unhex(std::string_view hex) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
  }
  return out;
}

template <class T>
std::string Encode(const T& value) {
  JuteWriter w;
  value.Write(w);
  return w.Take();
}

// Encodes, decodes and checks equality and that every byte was consumed.
template <class T>
void CheckRoundTrip(const T& in) {
  std::string bytes = Encode(in);
  JuteReader r(bytes);
  T out;
  REQUIRE(out.Read(r));
  CHECK(r.ok());
  CHECK(r.remaining() == 0);
  CHECK(r.position() == bytes.size());
  CHECK(out == in);
}

// Every strict prefix of `bytes` must fail to decode cleanly, except the lengths in `allowed`.
template <class ReadFn>
void CheckTruncations(const std::string& bytes, ReadFn read, size_t allowed_prefix = SIZE_MAX) {
  for (size_t n = 0; n < bytes.size(); ++n) {
    if (n == allowed_prefix) continue;
    // A heap copy of exactly n bytes, so ASan catches any read past the end.
    std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n));
    JuteReader r(prefix.data(), prefix.size());
    CAPTURE(n);
    CHECK_FALSE(read(r));
    CHECK_FALSE(r.ok());
    CHECK(r.position() <= n);
  }
}

template <class T>
void CheckTruncations(const T& value, size_t allowed_prefix = SIZE_MAX) {
  CheckTruncations(
      Encode(value), [](JuteReader& r) { return T().Read(r); }, allowed_prefix);
}

}  // namespace zk::proto::testing
