#include "client/proto/jute.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "client/proto/wire_constants.h"
#include "tests/unit/proto/test_util.h"

namespace zk::proto {
namespace {

using testing::Hex;
using testing::Unhex;

TEST_CASE("jute: ints, longs and bools are big-endian") {
  JuteWriter w;
  w.WriteInt(1);
  w.WriteInt(-2);
  w.WriteLong(0x0102030405060708LL);
  w.WriteLong(std::numeric_limits<int64_t>::min());
  w.WriteBool(true);
  w.WriteBool(false);
  CHECK(Hex(w.buffer()) ==
        "00000001"
        "fffffffe"
        "0102030405060708"
        "8000000000000000"
        "01"
        "00");

  JuteReader r(w.buffer());
  int32_t i = 0;
  int64_t l = 0;
  bool b = false;
  REQUIRE(r.ReadInt(&i));
  CHECK(i == 1);
  REQUIRE(r.ReadInt(&i));
  CHECK(i == -2);
  REQUIRE(r.ReadLong(&l));
  CHECK(l == 0x0102030405060708LL);
  REQUIRE(r.ReadLong(&l));
  CHECK(l == std::numeric_limits<int64_t>::min());
  REQUIRE(r.ReadBool(&b));
  CHECK(b);
  REQUIRE(r.ReadBool(&b));
  CHECK_FALSE(b);
  CHECK(r.remaining() == 0);
  CHECK(r.ok());
  CHECK_FALSE(r.ReadBool(&b));
  CHECK_FALSE(r.ok());
}

TEST_CASE("jute: any non-zero byte reads as true") {
  std::string bytes = Unhex("02ff");
  JuteReader r(bytes);
  bool b = false;
  REQUIRE(r.ReadBool(&b));
  CHECK(b);
  REQUIRE(r.ReadBool(&b));
  CHECK(b);
}

TEST_CASE("jute: buffers and strings") {
  JuteWriter w;
  w.WriteBuffer(std::string("a\0b", 3));
  w.WriteString("");
  w.WriteNullBuffer();
  w.WriteString("/zk");
  CHECK(Hex(w.buffer()) ==
        "00000003"
        "610062"
        "00000000"
        "ffffffff"
        "00000003"
        "2f7a6b");

  JuteReader r(w.buffer());
  std::string s = "junk";
  bool is_null = true;
  REQUIRE(r.ReadBuffer(&s, &is_null));
  CHECK(s == std::string("a\0b", 3));
  CHECK_FALSE(is_null);
  REQUIRE(r.ReadBuffer(&s, &is_null));
  CHECK(s.empty());
  CHECK_FALSE(is_null);
  s = "junk";
  REQUIRE(r.ReadBuffer(&s, &is_null));
  CHECK(s.empty());
  CHECK(is_null);
  REQUIRE(r.ReadString(&s));
  CHECK(s == "/zk");
  CHECK(r.remaining() == 0);
}

TEST_CASE("jute: a null string reads as empty") {
  std::string bytes = Unhex("ffffffff");
  JuteReader r(bytes);
  std::string s = "junk";
  REQUIRE(r.ReadString(&s));
  CHECK(s.empty());
}

TEST_CASE("jute: negative lengths other than -1 are rejected") {
  for (const char* hex : {"fffffffe", "80000000", "ffffff00"}) {
    CAPTURE(hex);
    std::string bytes = Unhex(hex) + std::string(16, 'x');
    JuteReader r(bytes);
    std::string s;
    CHECK_FALSE(r.ReadBuffer(&s));
    CHECK_FALSE(r.ok());
    JuteReader rv(bytes);
    std::vector<std::string> v;
    CHECK_FALSE(rv.ReadStringVector(&v));
    CHECK_FALSE(rv.ok());
  }
}

TEST_CASE("jute: a length beyond the remaining bytes is rejected") {
  std::string bytes = Unhex("00000005") + "abcd";
  JuteReader r(bytes);
  std::string s;
  CHECK_FALSE(r.ReadBuffer(&s));
  CHECK_FALSE(r.ok());
  CHECK(r.position() <= bytes.size());

  std::string huge = Unhex("7fffffff") + "abcd";
  JuteReader r2(huge, std::numeric_limits<size_t>::max());
  CHECK_FALSE(r2.ReadBuffer(&s));
}

TEST_CASE("jute: a length beyond max_length is rejected even if the bytes are there") {
  JuteWriter w;
  std::string big(static_cast<size_t>(kDefaultJuteMaxBuffer) + 1, 'z');
  w.WriteBuffer(big);
  std::string out;
  {
    JuteReader r(w.buffer());
    CHECK(r.max_length() == static_cast<size_t>(kDefaultJuteMaxBuffer));
    CHECK_FALSE(r.ReadBuffer(&out));
    CHECK_FALSE(r.ok());
  }
  {
    JuteReader r(w.buffer(), big.size());
    REQUIRE(r.ReadBuffer(&out));
    CHECK(out == big);
  }
  {
    JuteReader r(w.buffer(), 10);
    CHECK_FALSE(r.ReadBuffer(&out));
  }
  {
    // Exactly at the default limit is fine.
    JuteWriter w2;
    w2.WriteBuffer(std::string(static_cast<size_t>(kDefaultJuteMaxBuffer), 'y'));
    JuteReader r(w2.buffer());
    CHECK(r.ReadBuffer(&out));
  }
}

TEST_CASE("jute: failure is sticky") {
  std::string bytes = Unhex("fffffffe") + Unhex("00000001") + Unhex("0000000000000002");
  JuteReader r(bytes);
  std::string s;
  int32_t i = 0;
  int64_t l = 0;
  bool b = false;
  CHECK_FALSE(r.ReadString(&s));
  CHECK_FALSE(r.ReadInt(&i));
  CHECK_FALSE(r.ReadLong(&l));
  CHECK_FALSE(r.ReadBool(&b));
  CHECK_FALSE(r.ok());

  JuteReader r2(bytes);
  r2.Fail();
  CHECK_FALSE(r2.ReadInt(&i));
}

TEST_CASE("jute: an empty or null input fails every read") {
  JuteReader r(static_cast<const uint8_t*>(nullptr), 0);
  int32_t i = 0;
  CHECK(r.remaining() == 0);
  CHECK_FALSE(r.ReadInt(&i));
  JuteReader r2(std::string_view{});
  std::string s;
  CHECK_FALSE(r2.ReadString(&s));
}

TEST_CASE("jute: vectors") {
  JuteWriter w;
  w.WriteStringVector({"a", "bc"});
  w.WriteLongVector({1, -1});
  w.WriteIntVector({});
  w.WriteNullVector();
  CHECK(Hex(w.buffer()) ==
        "00000002"
        "0000000161"
        "000000026263"
        "00000002"
        "0000000000000001"
        "ffffffffffffffff"
        "00000000"
        "ffffffff");

  JuteReader r(w.buffer());
  std::vector<std::string> strings;
  std::vector<int64_t> longs;
  std::vector<int32_t> ints = {7};
  REQUIRE(r.ReadStringVector(&strings));
  CHECK(strings == std::vector<std::string>{"a", "bc"});
  REQUIRE(r.ReadLongVector(&longs));
  CHECK(longs == std::vector<int64_t>{1, -1});
  REQUIRE(r.ReadIntVector(&ints));
  CHECK(ints.empty());
  strings = {"junk"};
  bool is_null = false;
  REQUIRE(r.ReadVector(
      &strings, [](JuteReader& rr, std::string* s) { return rr.ReadString(s); }, &is_null));
  CHECK(strings.empty());
  CHECK(is_null);
  CHECK(r.remaining() == 0);
}

TEST_CASE("jute: a huge vector count fails without allocating") {
  std::string bytes = Unhex("7fffffff") + Unhex("00000000");
  JuteReader r(bytes);
  std::vector<int64_t> v;
  CHECK_FALSE(r.ReadLongVector(&v));
  CHECK_FALSE(r.ok());
  CHECK(v.capacity() < 1024);
}

TEST_CASE("jute: a failing element fails the vector") {
  // Count 2, one good string, then a string with a bad length.
  std::string bytes = Unhex(
      "00000002"
      "0000000161"
      "fffffff0");
  JuteReader r(bytes);
  std::vector<std::string> v;
  CHECK_FALSE(r.ReadStringVector(&v));
  CHECK_FALSE(r.ok());
  // An element reader that reports failure without touching the reader also fails the vector.
  std::string ok_bytes = Unhex(
      "00000001"
      "00000001");
  JuteReader r2(ok_bytes);
  std::vector<int32_t> ints;
  CHECK_FALSE(r2.ReadVector(&ints, [](JuteReader&, int32_t*) { return false; }));
  CHECK_FALSE(r2.ok());
}

TEST_CASE("jute: frames patch their length prefix") {
  JuteWriter w;
  size_t mark = w.BeginFrame();
  CHECK(mark == 0);
  w.WriteInt(7);
  w.WriteString("ab");
  w.EndFrame(mark);
  size_t mark2 = w.BeginFrame();
  CHECK(mark2 == 14);
  w.EndFrame(mark2);
  CHECK(Hex(w.buffer()) ==
        "0000000a"
        "00000007"
        "000000026162"
        "00000000");
  std::string taken = w.Take();
  CHECK(taken.size() == 18);
  CHECK(w.buffer().empty());
}

TEST_CASE("jute: a writer can append to the caller's buffer") {
  std::string out = "pre";
  JuteWriter w(&out);
  size_t mark = w.BeginFrame();
  CHECK(mark == 3);
  w.WriteBool(true);
  w.EndFrame(mark);
  CHECK(&w.buffer() == &out);
  CHECK(Hex(out) ==
        "707265"
        "00000001"
        "01");
}

TEST_CASE("jute: the const char* constructor reads exactly the given size") {
  std::string bytes = Unhex("0000002a00");
  JuteReader r(bytes.data(), 4);
  int32_t i = 0;
  REQUIRE(r.ReadInt(&i));
  CHECK(i == 42);
  CHECK(r.remaining() == 0);
}

TEST_CASE("ErrName spells Java's names") {
  CHECK(ErrName(Err::kOk) == "OK");
  CHECK(ErrName(Err::kNoNode) == "NONODE");
  CHECK(ErrName(Err::kBadVersion) == "BADVERSION");
  CHECK(ErrName(Err::kNodeExists) == "NODEEXISTS");
  CHECK(ErrName(Err::kSessionExpired) == "SESSIONEXPIRED");
  CHECK(ErrName(Err::kThrottledOp) == "THROTTLEDOP");
  CHECK(ErrName(static_cast<Err>(-9999)) == "UNKNOWN");
  CHECK(ErrName(static_cast<Err>(-126)) == "UNKNOWN");
}

}  // namespace
}  // namespace zk::proto
