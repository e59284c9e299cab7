// Fuzzes the decoders of ZAB peer connections (zab/message_codec.h). Input: one mode byte, then
//   mode 0: one message payload for DecodeMessage;
//   mode 1: one payload for DecodeHandshake and DecodeSnapshotChunk;
//   mode 2: a stream of frames as a quorum connection reads it: messages and snapshot chunks,
//           the chunks fed to a SnapshotAssembler.
// Checks: no out-of-bounds access or crash; every failure is Corruption; an accepted message
// re-encodes to one that decodes equal; an accepted chunk lies inside its payload and re-encodes
// to the same bytes; a completed snapshot has the size its chunks announced.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tests/fuzz/fuzz_util.h"
#include "zab/message_codec.h"

namespace {

using namespace zk::zab;

constexpr size_t kMaxFrame = 64 * 1024;
constexpr uint64_t kMaxSnapshot = 1 << 20;

void OneMessage(std::string_view payload) {
  Message msg;
  Status s = DecodeMessage(payload, &msg);
  if (!s.ok()) {
    FUZZ_CHECK(s.IsCorruption());
    return;
  }
  FUZZ_CHECK(!std::holds_alternative<LogRange>(msg));
  std::string again;
  FUZZ_CHECK(EncodeMessage(msg, &again).ok());
  Message decoded;
  FUZZ_CHECK(DecodeMessage(again, &decoded).ok());
  FUZZ_CHECK(decoded == msg);
  wire::Tag tag;
  FUZZ_CHECK(PeekTag(payload, &tag).ok());
}

void OneRecord(std::string_view payload) {
  Handshake hs;
  Status s = DecodeHandshake(payload, &hs);
  if (s.ok()) {
    const std::string frame = EncodeHandshakeFrame(hs);
    Handshake again;
    FUZZ_CHECK(
        DecodeHandshake(std::string_view(frame).substr(wire::kFrameHeaderBytes), &again).ok());
    FUZZ_CHECK(again == hs);
  } else {
    FUZZ_CHECK(s.IsCorruption());
  }
  SnapshotChunk chunk;
  s = DecodeSnapshotChunk(payload, &chunk);
  if (s.ok()) {
    FUZZ_CHECK(chunk.bytes.data() >= payload.data());
    FUZZ_CHECK(chunk.bytes.data() + chunk.bytes.size() <= payload.data() + payload.size());
    FUZZ_CHECK(chunk.offset <= chunk.total_size);
    FUZZ_CHECK(chunk.bytes.size() <= chunk.total_size - chunk.offset);
    std::string frame = EncodeSnapshotChunkFrameHead(chunk.zxid, chunk.total_size, chunk.offset,
                                                     chunk.bytes.size());
    frame.append(chunk.bytes);
    SnapshotChunk again;
    FUZZ_CHECK(
        DecodeSnapshotChunk(std::string_view(frame).substr(wire::kFrameHeaderBytes), &again).ok());
    FUZZ_CHECK(again.zxid == chunk.zxid && again.total_size == chunk.total_size &&
               again.offset == chunk.offset && again.bytes == chunk.bytes);
  } else {
    FUZZ_CHECK(s.IsCorruption());
  }
}

void Stream(std::string_view in) {
  SnapshotAssembler assembler(kMaxSnapshot);
  while (in.size() >= wire::kFrameHeaderBytes) {
    uint32_t len = 0;
    if (!DecodeFrameHeader(in.data(), kMaxFrame, &len).ok()) return;
    if (in.size() - wire::kFrameHeaderBytes < len) return;
    const std::string_view payload = in.substr(wire::kFrameHeaderBytes, len);
    in.remove_prefix(wire::kFrameHeaderBytes + len);
    wire::Tag tag;
    if (!PeekTag(payload, &tag).ok()) return;
    if (tag == wire::Tag::kSnapshotChunk) {
      SnapshotChunk chunk;
      if (!DecodeSnapshotChunk(payload, &chunk).ok()) return;
      const uint64_t before = assembler.received_bytes();
      bool complete = false;
      Snapshot snapshot;
      Status s = assembler.Add(chunk, &complete, &snapshot);
      if (!s.ok()) {
        FUZZ_CHECK(s.IsCorruption());
        FUZZ_CHECK(!assembler.in_progress());
        return;
      }
      if (complete) {
        FUZZ_CHECK(snapshot.data.size() == chunk.total_size);
        FUZZ_CHECK(snapshot.zxid == chunk.zxid);
        FUZZ_CHECK(!assembler.in_progress());
      } else {
        FUZZ_CHECK(assembler.received_bytes() == before + chunk.bytes.size());
      }
      continue;
    }
    if (assembler.in_progress()) return;  // the transport closes the connection here
    Message msg;
    if (!DecodeMessage(payload, &msg).ok()) return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      OneMessage(rest);
      break;
    case 1:
      OneRecord(rest);
      break;
    default:
      Stream(rest);
      break;
  }
  return 0;
}
