#include "server/msgpack_writer.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <msgpack.hpp>
#include <string>
#include <vector>

namespace zk::server {
namespace {

// The bytes msgpack-c's packer writes for the same calls: the reference the writer must match.
class Reference {
 public:
  Reference() : pk_(buf_) {}
  msgpack::packer<msgpack::sbuffer>& pk() { return pk_; }
  std::string bytes() const { return {buf_.data(), buf_.size()}; }

 private:
  msgpack::sbuffer buf_;
  msgpack::packer<msgpack::sbuffer> pk_;
};

std::string Bytes(const MsgpackWriter& w) { return {w.data(), w.size()}; }

TEST_CASE("MsgpackWriter: every integer form matches msgpack-c's packer") {
  std::vector<int64_t> values;
  for (int64_t edge : {int64_t{0}, int64_t{0x7f}, int64_t{0xff}, int64_t{0xffff},
                       int64_t{0xffffffff}, std::numeric_limits<int64_t>::max()}) {
    for (int64_t d : {-1, 0, 1}) {
      if (edge == std::numeric_limits<int64_t>::max() && d == 1) continue;  // would overflow
      if (edge + d >= 0) values.push_back(edge + d);
    }
  }
  for (int64_t edge : {int64_t{-32}, int64_t{INT8_MIN}, int64_t{INT16_MIN}, int64_t{INT32_MIN},
                       std::numeric_limits<int64_t>::min()}) {
    for (int64_t d : {-1, 0, 1}) {
      if (edge == std::numeric_limits<int64_t>::min() && d == -1) continue;  // would overflow
      values.push_back(edge + d);
    }
  }
  for (int64_t v : values) {
    CAPTURE(v);
    MsgpackWriter w(1);
    w.Int(v);
    Reference ref;
    ref.pk().pack(v);
    CHECK(Bytes(w) == ref.bytes());
    // int32 fields (version, perms) are packed from an int32_t by msgpack-c: same bytes.
    if (v >= INT32_MIN && v <= INT32_MAX) {
      Reference ref32;
      ref32.pk().pack(static_cast<int32_t>(v));
      CHECK(Bytes(w) == ref32.bytes());
    }
  }
}

TEST_CASE("MsgpackWriter: str, bin, bool and array headers match at every length boundary") {
  for (size_t n : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{31}, size_t{32},
                   size_t{255}, size_t{256}, size_t{65535}, size_t{65536}, size_t{70000}}) {
    CAPTURE(n);
    const std::string s(n, 'q');
    MsgpackWriter w(16);  // grows as it goes
    w.Str(s);
    w.Bin(s);
    w.ArrayHeader(static_cast<uint32_t>(n));
    w.Bool(n % 2 == 0);
    Reference ref;
    ref.pk().pack_str(static_cast<uint32_t>(n));
    ref.pk().pack_str_body(s.data(), static_cast<uint32_t>(n));
    ref.pk().pack_bin(static_cast<uint32_t>(n));
    ref.pk().pack_bin_body(s.data(), static_cast<uint32_t>(n));
    ref.pk().pack_array(static_cast<uint32_t>(n));
    ref.pk().pack(n % 2 == 0);
    CHECK(Bytes(w) == ref.bytes());
  }
}

TEST_CASE("MsgpackWriter: clear keeps appending from the start; the bytes decode") {
  MsgpackWriter w(8);
  w.Str("discarded");
  w.clear();
  CHECK(w.size() == 0);
  w.ArrayHeader(3);
  w.Int(-5);
  w.Str("/a/b");
  w.Bin(std::string(300, 'x'));
  msgpack::object_handle oh = msgpack::unpack(w.data(), w.size());
  const msgpack::object& o = oh.get();
  REQUIRE(o.type == msgpack::type::ARRAY);
  REQUIRE(o.via.array.size == 3);
  CHECK(o.via.array.ptr[0].as<int64_t>() == -5);
  CHECK(o.via.array.ptr[1].as<std::string>() == "/a/b");
  CHECK(o.via.array.ptr[2].type == msgpack::type::BIN);
  CHECK(o.via.array.ptr[2].via.bin.size == 300);
}

}  // namespace
}  // namespace zk::server
