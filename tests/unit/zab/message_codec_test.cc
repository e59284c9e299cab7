#include "zab/message_codec.h"
#include "zab/quorum_config.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <msgpack.hpp>
#include <random>
#include <string>
#include <vector>

namespace zk::zab {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

std::string Binary(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  std::mt19937 rng(seed);
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// At least one of every alternative except LogRange, with edge values.
std::vector<Message> Samples() {
  return {
      Notification{Vote{3, 0x500000007, 5}, 12, PeerState::kLooking},
      Notification{Vote{kMax, kMin, -1}, kMax, PeerState::kObserving},
      Notification{Vote{1, 2, 3}, 4, PeerState::kFollowing, 0x300000009,
                   EncodeQuorumConfig(MakeQuorumConfig(0x300000009, {1, 2, 4}, {5}))},
      LearnerInfo{4, 0x400000010, false},
      LearnerInfo{0, 0, true},
      LeaderInfo{7},
      AckEpoch{6, 0x600000001},
      SyncStart{SyncMode::kDiff, 0x100000002},
      SyncStart{SyncMode::kTrunc, 1},
      SyncStart{SyncMode::kSnap, kMax},
      SyncStart{SyncMode::kSnap, 0x100000005, "\x94\x05\x91\x01\x90\x80"},  // a membership
      Snapshot{0x200000003, Binary(70000, 1)},  // bin32
      Snapshot{0, ""},
      Proposal{0x100000001, "create /a"},
      Proposal{0x100000002, Binary(300, 2)},  // bin16
      Commit{0x100000001},
      NewLeader{0x700000000},
      Ack{-5},
      UpToDate{},
      Inform{0x100000009, std::string("\0\xff\x01", 3)},
      Ping{0},
      AppData{"session activity"},
      AppData{""},
  };
}

std::string Encode(const Message& m) {
  std::string out;
  REQUIRE(EncodeMessage(m, &out).ok());
  return out;
}

Status Decode(std::string_view bytes, Message* m) { return DecodeMessage(bytes, m); }

// Decoding either fails with Corruption or yields a message that survives a round trip.
void CheckDecodeIsSafe(std::string_view bytes) {
  Message m;
  Status s = DecodeMessage(bytes, &m);
  if (!s.ok()) {
    CHECK(s.IsCorruption());
    CHECK(!s.message().empty());
    return;
  }
  Message again;
  REQUIRE(DecodeMessage(Encode(m), &again).ok());
  CHECK(again == m);
}

TEST_CASE("every message kind survives a round trip") {
  std::vector<bool> seen(std::variant_size_v<Message>, false);
  for (const Message& m : Samples()) {
    seen[m.index()] = true;
    const std::string bytes = Encode(m);
    Message decoded;
    Status s = Decode(bytes, &decoded);
    INFO(s.ToString());
    REQUIRE(s.ok());
    CHECK(decoded == m);

    std::string frame = "prefix";
    REQUIRE(EncodeMessageFrame(m, wire::kDefaultMaxFrameBytes, &frame).ok());
    REQUIRE(frame.size() == 6 + wire::kFrameHeaderBytes + bytes.size());
    uint32_t len = 0;
    REQUIRE(DecodeFrameHeader(frame.data() + 6, wire::kDefaultMaxFrameBytes, &len).ok());
    CHECK(len == bytes.size());
    CHECK(frame.substr(6 + wire::kFrameHeaderBytes) == bytes);
  }
  for (size_t i = 0; i < seen.size(); ++i) {
    if (i == Message(LogRange{}).index()) continue;
    CHECK_MESSAGE(seen[i], "no sample of alternative " << i);
  }
}

TEST_CASE("tag numbers and layout are fixed") {
  const std::vector<std::pair<Message, int>> tags = {
      {Notification{}, 1}, {LearnerInfo{}, 2}, {LeaderInfo{}, 3}, {AckEpoch{}, 4},
      {SyncStart{}, 5},    {Snapshot{}, 6},    {Proposal{}, 7},   {Commit{}, 8},
      {NewLeader{}, 9},    {Ack{}, 10},        {UpToDate{}, 11},  {Inform{}, 12},
      {Ping{}, 13},        {AppData{}, 14},
  };
  for (const auto& [m, tag] : tags) {
    const std::string bytes = Encode(m);
    // Parsed by msgpack itself: an array whose first element is the tag.
    msgpack::object_handle oh = msgpack::unpack(bytes.data(), bytes.size());
    const msgpack::object& o = oh.get();
    REQUIRE(o.type == msgpack::type::ARRAY);
    REQUIRE(o.via.array.size >= 1);
    CHECK(o.via.array.ptr[0].as<int>() == tag);
    wire::Tag peeked;
    REQUIRE(PeekTag(bytes, &peeked).ok());
    CHECK(static_cast<int>(peeked) == tag);
  }
  CHECK(Encode(Commit{5}) == std::string("\x92\x08\x05"));
  CHECK(Encode(UpToDate{}) == std::string("\x91\x0b"));
  CHECK(Encode(AppData{"ab"}) == std::string("\x92\x0e\xc4\x02"
                                             "ab"));
  CHECK(Encode(LearnerInfo{1, -1, true}) == std::string("\x94\x02\x01\xff\xc3"));
  CHECK(Encode(Notification{Vote{2, 256, 1}, 3, PeerState::kLeading}) ==
        std::string("\x96\x01\x02\xcd\x01\x00\x01\x03\x02", 9));
  CHECK(Encode(SyncStart{SyncMode::kSnap, 9}) == std::string("\x93\x05\x02\x09"));
  CHECK(static_cast<int>(wire::Tag::kHandshake) == 64);
  CHECK(static_cast<int>(wire::Tag::kSnapshotChunk) == 65);
  CHECK(wire::kHandshakeMagic == 0x5a41424b);
}

TEST_CASE("LogRange is never encoded") {
  std::string out = "keep";
  Status s = EncodeMessage(LogRange{1, 5}, &out);
  CHECK(s.IsInvalidArgument());
  CHECK(out == "keep");
  s = EncodeMessageFrame(LogRange{1, 5}, wire::kDefaultMaxFrameBytes, &out);
  CHECK(s.IsInvalidArgument());
  CHECK(out == "keep");
}

TEST_CASE("a message over the frame limit is refused") {
  std::string out = "keep";
  Status s = EncodeMessageFrame(Proposal{1, std::string(2000, 'x')}, 1024, &out);
  CHECK(s.IsInvalidArgument());
  CHECK(out == "keep");
  CHECK(EncodeMessageFrame(Proposal{1, std::string(1000, 'x')}, 1024, &out).ok());
}

TEST_CASE("truncation at every byte is Corruption") {
  for (const Message& m : Samples()) {
    const std::string bytes = Encode(m);
    const size_t step = bytes.size() > 1000 ? 97 : 1;
    for (size_t n = 0; n < bytes.size(); n += step) {
      Message out;
      Status s = Decode(std::string_view(bytes).substr(0, n), &out);
      INFO("prefix of " << n << " / " << bytes.size() << " bytes");
      CHECK(s.IsCorruption());
    }
  }
}

TEST_CASE("trailing bytes are Corruption") {
  Message out;
  Status s = Decode(Encode(Commit{5}) + "x", &out);
  CHECK(s.IsCorruption());
  CHECK(s.message().find("trailing") != std::string::npos);
}

TEST_CASE("malformed payloads are Corruption with a message") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "truncated"},
      {std::string("\xc0", 1), "expected an array"},                   // nil
      {std::string("\x90", 1), "empty array"},                         // []
      {std::string("\x91\x63", 2), "unknown tag 99"},                  // [99]
      {std::string("\x91\x00", 2), "unknown tag 0"},                   // [0]
      {std::string("\x92\xff\x05", 3), "negative"},                    // [-1, 5]
      {std::string("\x92\xcd\x01\x00\x05", 5), "above 255"},           // [256, 5]
      {std::string("\x91\x08", 2), "0 fields, expected 1"},            // Commit without zxid
      {std::string("\x93\x08\x01\x02", 4), "2 fields, expected 1"},    // Commit with two
      {std::string("\x92\x08\xc4\x00", 4), "expected an integer"},     // Commit zxid as bin
      {std::string("\x92\x08\xc3", 3), "expected an integer"},         // Commit zxid as bool
      {std::string("\x94\x02\x01\x02\x01", 5), "expected a boolean"},  // observer as int
      {std::string("\x92\x0e\xa1x", 4), "expected a byte string"},     // AppData as str
      {std::string("\x96\x01\x01\x02\x03\x04\x04", 7), "above 3"},     // PeerState 4
      {std::string("\x93\x05\x03\x01", 4), "above 2"},                 // SyncMode 3
      {std::string("\x92\x08\xcf\xff\xff\xff\xff\xff\xff\xff\xff", 11), "int64 range"},
      {std::string("\x92\x0e\xc6\xff\xff\xff\xff"
                   "ab",
                   9),
       "only 2 left"},                                                 // huge bin
      {std::string("\xdd\xff\xff\xff\xff\x08\x01", 7), "expected 1"},  // huge array
      {std::string("\x95\x40\xce\x5a\x41\x42\x4b\x01\x01\x00", 10), "not a message"},
  };
  for (const auto& [bytes, expected] : cases) {
    Message out;
    Status s = Decode(bytes, &out);
    INFO("expected '" << expected << "', got " << s.ToString());
    CHECK(s.IsCorruption());
    CHECK(s.message().find(expected) != std::string::npos);
  }
}

TEST_CASE("integers in any msgpack width decode") {
  Message out;
  // Commit with zxid 5 as int64, and -2 as int8.
  REQUIRE(Decode(std::string("\x92\x08\xd3\x00\x00\x00\x00\x00\x00\x00\x05", 11), &out).ok());
  CHECK(out == Message(Commit{5}));
  REQUIRE(Decode(std::string("\x92\x08\xd0\xfe", 4), &out).ok());
  CHECK(out == Message(Commit{-2}));
  REQUIRE(Decode(std::string("\x92\x08\xd1\x80\x00", 5), &out).ok());
  CHECK(out == Message(Commit{-32768}));
  REQUIRE(Decode(std::string("\xdc\x00\x02\x08\xce\xff\xff\xff\xff", 9), &out).ok());
  CHECK(out == Message(Commit{0xffffffffLL}));
}

TEST_CASE("random mutations never crash and never decode to garbage") {
  std::mt19937 rng(20240601);
  const std::vector<Message> samples = Samples();
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    const Message& m = samples[rng() % samples.size()];
    if (std::holds_alternative<Snapshot>(m) && std::get<Snapshot>(m).data.size() > 1000) continue;
    std::string bytes = Encode(m);
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const size_t pos = bytes.empty() ? 0 : rng() % bytes.size();
      switch (rng() % 4) {
        case 0:
          if (!bytes.empty()) bytes[pos] = static_cast<char>(rng());
          break;
        case 1:
          if (!bytes.empty()) bytes[pos] = static_cast<char>(bytes[pos] ^ (1 << (rng() % 8)));
          break;
        case 2:
          bytes.insert(pos, 1, static_cast<char>(rng()));
          break;
        default:
          if (!bytes.empty()) bytes.erase(pos, 1);
          break;
      }
    }
    Message out;
    if (DecodeMessage(bytes, &out).ok()) ++accepted;
    CheckDecodeIsSafe(bytes);
  }
  // Some mutations (a changed zxid byte) are still valid messages; most are not.
  CHECK(accepted > 0);
  CHECK(accepted < 20000);
}

TEST_CASE("frame headers") {
  uint32_t len = 0;
  CHECK(DecodeFrameHeader("\x00\x00\x01\x00", 1024, &len).ok());
  CHECK(len == 256);
  CHECK(DecodeFrameHeader("\x00\x00\x04\x00", 1024, &len).ok());
  Status s = DecodeFrameHeader("\x00\x00\x04\x01", 1024, &len);
  CHECK(s.IsCorruption());
  CHECK(s.message().find("1025") != std::string::npos);
  CHECK(DecodeFrameHeader("\xff\xff\xff\xff", 1024, &len).IsCorruption());
  CHECK(DecodeFrameHeader(std::string(4, '\0').data(), 1024, &len).IsCorruption());
}

TEST_CASE("handshake round trip and checks") {
  const Handshake hs{wire::kHandshakeMagic, wire::kProtocolVersion, 42, Channel::kQuorum};
  const std::string frame = EncodeHandshakeFrame(hs);
  uint32_t len = 0;
  REQUIRE(DecodeFrameHeader(frame.data(), 1024, &len).ok());
  REQUIRE(len == frame.size() - 4);
  const std::string_view payload = std::string_view(frame).substr(4);
  Handshake out;
  REQUIRE(DecodeHandshake(payload, &out).ok());
  CHECK(out == hs);
  wire::Tag tag;
  REQUIRE(PeekTag(payload, &tag).ok());
  CHECK(tag == wire::Tag::kHandshake);
  // A message where a handshake belongs, a channel out of range, truncation.
  CHECK(DecodeHandshake(Encode(Commit{1}), &out).IsCorruption());
  std::string bad(payload);
  bad.back() = '\x02';
  CHECK(DecodeHandshake(bad, &out).IsCorruption());
  for (size_t n = 0; n < payload.size(); ++n) {
    CHECK(DecodeHandshake(payload.substr(0, n), &out).IsCorruption());
  }
}

// A whole chunk frame's payload: the head's payload part followed by the bytes.
std::string ChunkPayload(int64_t zxid, uint64_t total, uint64_t offset, std::string_view bytes) {
  std::string frame = EncodeSnapshotChunkFrameHead(zxid, total, offset, bytes.size());
  frame.append(bytes);
  uint32_t len = 0;
  REQUIRE(DecodeFrameHeader(frame.data(), std::numeric_limits<uint32_t>::max(), &len).ok());
  REQUIRE(len == frame.size() - 4);
  return frame.substr(4);
}

TEST_CASE("snapshot chunks round trip and are bounded") {
  const std::string payload = ChunkPayload(7, 100, 40, "0123456789");
  SnapshotChunk c;
  REQUIRE(DecodeSnapshotChunk(payload, &c).ok());
  CHECK(c.zxid == 7);
  CHECK(c.total_size == 100);
  CHECK(c.offset == 40);
  CHECK(c.bytes == "0123456789");
  CHECK(EncodeSnapshotChunkFrameHead(kMin, ~uint64_t{0}, ~uint64_t{0}, 1u << 31).size() <=
        wire::kChunkOverheadBytes);
  Message m;
  CHECK(DecodeMessage(payload, &m).IsCorruption());  // not a message
  CHECK(DecodeSnapshotChunk(ChunkPayload(7, 45, 40, "0123456789"), &c).IsCorruption());
  CHECK(DecodeSnapshotChunk(ChunkPayload(7, 10, 40, ""), &c).IsCorruption());
  for (size_t n = 0; n < payload.size(); ++n) {
    CHECK(DecodeSnapshotChunk(std::string_view(payload).substr(0, n), &c).IsCorruption());
  }
}

SnapshotChunk Chunk(int64_t zxid, uint64_t total, uint64_t offset, std::string_view bytes) {
  return SnapshotChunk{zxid, total, offset, bytes};
}

TEST_CASE("snapshot assembler") {
  SnapshotAssembler a(1000);
  bool complete = false;
  Snapshot out;

  SUBCASE("contiguous chunks make the snapshot") {
    REQUIRE(a.Add(Chunk(9, 10, 0, "abcd"), &complete, &out).ok());
    CHECK(!complete);
    CHECK(a.in_progress());
    REQUIRE(a.Add(Chunk(9, 10, 4, "efg"), &complete, &out).ok());
    CHECK(!complete);
    REQUIRE(a.Add(Chunk(9, 10, 7, "hij"), &complete, &out).ok());
    CHECK(complete);
    CHECK(!a.in_progress());
    CHECK(out == Snapshot{9, "abcdefghij"});
    // And the next one starts afresh.
    REQUIRE(a.Add(Chunk(10, 2, 0, "xy"), &complete, &out).ok());
    CHECK(complete);
    CHECK(out == Snapshot{10, "xy"});
  }
  SUBCASE("an empty snapshot is one empty chunk") {
    REQUIRE(a.Add(Chunk(3, 0, 0, ""), &complete, &out).ok());
    CHECK(complete);
    CHECK(out == Snapshot{3, ""});
  }
  SUBCASE("violations are Corruption and reset") {
    CHECK(a.Add(Chunk(9, 10, 4, "abcd"), &complete, &out).IsCorruption());  // not from 0
    CHECK(a.Add(Chunk(9, 1001, 0, "a"), &complete, &out).IsCorruption());   // over the limit
    CHECK(a.Add(Chunk(9, 10, 0, ""), &complete, &out).IsCorruption());      // empty chunk
    CHECK(!a.in_progress());

    REQUIRE(a.Add(Chunk(9, 10, 0, "abcd"), &complete, &out).ok());
    SUBCASE("gap") { CHECK(a.Add(Chunk(9, 10, 5, "f"), &complete, &out).IsCorruption()); }
    SUBCASE("overlap") { CHECK(a.Add(Chunk(9, 10, 3, "de"), &complete, &out).IsCorruption()); }
    SUBCASE("other zxid") { CHECK(a.Add(Chunk(8, 10, 4, "e"), &complete, &out).IsCorruption()); }
    SUBCASE("other size") { CHECK(a.Add(Chunk(9, 11, 4, "e"), &complete, &out).IsCorruption()); }
    SUBCASE("past the end") {
      CHECK(a.Add(Chunk(9, 10, 4, "efghijk"), &complete, &out).IsCorruption());
    }
    CHECK(!complete);
    CHECK(!a.in_progress());
    CHECK(a.received_bytes() == 0);
  }
}

}  // namespace
}  // namespace zk::zab
