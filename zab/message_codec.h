// The wire format of ZAB peer connections: msgpack encodings of the peer messages (messages.h),
// the transport's own records (the connection handshake and snapshot chunks), the frame that
// carries each of them, and the reassembly of a chunked snapshot.
//
// Frame: a 4-byte big-endian payload length, then the payload. The payload is one msgpack array
// [tag, fields...] whose first element is a wire::Tag; the tag fixes the arity and the type of
// every field. Byte strings are msgpack bin, enums unsigned integers, flags msgpack booleans.
//
//   Notification [1, leader, zxid, epoch, round, state]   Commit    [8, zxid]
//   LearnerInfo  [2, accepted_epoch, last_zxid, observer] NewLeader [9, zxid]
//   LeaderInfo   [3, epoch]                               Ack       [10, zxid]
//   AckEpoch     [4, current_epoch, last_zxid]            UpToDate  [11]
//   SyncStart    [5, mode, zxid]                          Inform    [12, zxid, data]
//   Snapshot     [6, zxid, data]                          Ping      [13, zxid]
//   Proposal     [7, zxid, data]                          AppData   [14, data]
//   Handshake     [64, magic, version, server_id, channel]
//   SnapshotChunk [65, zxid, total_size, offset, bytes]
//
// LogRange never travels (the driver expands it); encoding one is a programming error and
// returns InvalidArgument. The transport sends a Snapshot as a run of SnapshotChunk frames, in
// order and not interleaved with other frames of the connection, and reassembles it with a
// SnapshotAssembler, so a snapshot is bounded by its own limit rather than the frame limit.
//
// Decoding takes untrusted bytes: every length and type is checked, trailing bytes and
// out-of-range enums are rejected, nothing is allocated beyond the input's own size, and every
// failure is a Corruption status naming what is wrong. Nothing here throws.
//
// Thread-safety: stateless functions are thread-safe; SnapshotAssembler is a value type owned by
// one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "zab/messages.h"
#include "zab/status.h"

namespace zk::zab {

namespace wire {

// The tags, all in one place. Stable: they are what peers of different builds agree on.
enum class Tag : uint8_t {
  kNotification = 1,
  kLearnerInfo = 2,
  kLeaderInfo = 3,
  kAckEpoch = 4,
  kSyncStart = 5,
  kSnapshot = 6,
  kProposal = 7,
  kCommit = 8,
  kNewLeader = 9,
  kAck = 10,
  kUpToDate = 11,
  kInform = 12,
  kPing = 13,
  kAppData = 14,
  // The transport's own records.
  kHandshake = 64,
  kSnapshotChunk = 65,
};

inline constexpr uint32_t kHandshakeMagic = 0x5a41424b;  // "ZABK"
inline constexpr uint32_t kProtocolVersion = 1;

inline constexpr size_t kFrameHeaderBytes = 4;
inline constexpr size_t kDefaultMaxFrameBytes = size_t{16} << 20;
// Room a chunk frame needs besides its bytes (length prefix and msgpack header: at most 38).
inline constexpr size_t kChunkOverheadBytes = 64;

}  // namespace wire

// The first frame on a peer connection, sent by the dialing side.
struct Handshake {
  uint32_t magic = wire::kHandshakeMagic;
  uint32_t version = wire::kProtocolVersion;
  ServerId server_id = 0;
  Channel channel = Channel::kElection;

  friend bool operator==(const Handshake&, const Handshake&) = default;
};

// One piece of a Snapshot's data: `bytes` are data[offset, offset + bytes.size()) of a snapshot
// of `total_size` bytes. After decoding, `bytes` points into the decoded payload.
struct SnapshotChunk {
  int64_t zxid = 0;
  uint64_t total_size = 0;
  uint64_t offset = 0;
  std::string_view bytes;
};

// ---- Payloads --------------------------------------------------------------------------------

// Appends the payload of `msg` to *out. InvalidArgument for LogRange (out is left unchanged).
Status EncodeMessage(const Message& msg, std::string* out);
// Decodes one payload holding exactly one message.
Status DecodeMessage(std::string_view payload, Message* msg);

// The tag of a payload (checks only the array header and the tag itself).
Status PeekTag(std::string_view payload, wire::Tag* tag);

void EncodeHandshake(const Handshake& hs, std::string* out);
// Checks the encoding and the channel's range; magic and version are the caller's to judge.
Status DecodeHandshake(std::string_view payload, Handshake* hs);

// Decodes a chunk; checks offset + bytes.size() <= total_size (not the surrounding sequence).
Status DecodeSnapshotChunk(std::string_view payload, SnapshotChunk* chunk);

// ---- Frames ----------------------------------------------------------------------------------

// Appends a frame holding `msg` to *out. InvalidArgument for LogRange or when the payload is
// larger than max_frame_bytes (out is left unchanged).
Status EncodeMessageFrame(const Message& msg, size_t max_frame_bytes, std::string* out);
std::string EncodeHandshakeFrame(const Handshake& hs);
// The start of a chunk frame: length prefix and payload up to the chunk's bytes, which the
// caller sends right after it (so snapshot data goes to the socket without a copy).
std::string EncodeSnapshotChunkFrameHead(int64_t zxid, uint64_t total_size, uint64_t offset,
                                         size_t chunk_bytes);

// Reads a frame header. Corruption when the length is zero or above max_frame_bytes.
// REQUIRES: header points to wire::kFrameHeaderBytes readable bytes.
Status DecodeFrameHeader(const char* header, size_t max_frame_bytes, uint32_t* payload_bytes);

// ---- Snapshot reassembly ----------------------------------------------------------------------

// Rebuilds a Snapshot from its chunks as they arrive. A snapshot's chunks start at offset 0, are
// contiguous and non-empty (one empty chunk for an empty snapshot), and agree on zxid and
// total_size, which is at most max_total_bytes. Memory grows with the bytes received (at most
// twice them), never with a claimed total_size.
class SnapshotAssembler {
 public:
  explicit SnapshotAssembler(uint64_t max_total_bytes) : max_total_(max_total_bytes) {}

  // Adds the next chunk. Sets *complete and moves the finished snapshot into *out when this was
  // its last chunk. Corruption on any inconsistency; the assembler is then reset.
  Status Add(const SnapshotChunk& chunk, bool* complete, Snapshot* out);

  // True between a snapshot's first and last chunk.
  bool in_progress() const { return in_progress_; }
  uint64_t received_bytes() const { return data_.size(); }
  void Reset();

 private:
  uint64_t max_total_;
  bool in_progress_ = false;
  int64_t zxid_ = 0;
  uint64_t total_ = 0;
  std::string data_;
};

}  // namespace zk::zab
