#include "zab/message_codec.h"

#include <algorithm>
#include <limits>
#include <msgpack.hpp>
#include <type_traits>

namespace zk::zab {
namespace {

using wire::Tag;

// ---- Encoding --------------------------------------------------------------------------------

class StringSink {
 public:
  explicit StringSink(std::string* out) : out_(out) {}
  void write(const char* p, size_t n) { out_->append(p, n); }  // NOLINT: msgpack's name

 private:
  std::string* out_;
};

using Packer = msgpack::packer<StringSink>;

void Head(Packer& pk, Tag tag, uint32_t fields) {
  pk.pack_array(fields + 1);
  pk.pack_uint8(static_cast<uint8_t>(tag));
}

void Bytes(Packer& pk, std::string_view b) {
  pk.pack_bin(static_cast<uint32_t>(b.size()));
  pk.pack_bin_body(b.data(), static_cast<uint32_t>(b.size()));
}

// The two shapes most messages share: [tag, zxid] and [tag, zxid, data].
void ZxidOnly(Packer& pk, Tag tag, int64_t zxid) {
  Head(pk, tag, 1);
  pk.pack_int64(zxid);
}

void ZxidAndData(Packer& pk, Tag tag, int64_t zxid, std::string_view data) {
  Head(pk, tag, 2);
  pk.pack_int64(zxid);
  Bytes(pk, data);
}

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

void PutBigEndian32(uint32_t v, char* out) {
  for (int i = 3; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

// ---- Decoding --------------------------------------------------------------------------------

const char* TagName(uint64_t tag) {
  switch (static_cast<Tag>(tag)) {
    case Tag::kNotification:
      return "NOTIFICATION";
    case Tag::kLearnerInfo:
      return "LEARNERINFO";
    case Tag::kLeaderInfo:
      return "LEADERINFO";
    case Tag::kAckEpoch:
      return "ACKEPOCH";
    case Tag::kSyncStart:
      return "SYNCSTART";
    case Tag::kSnapshot:
      return "SNAPSHOT";
    case Tag::kProposal:
      return "PROPOSAL";
    case Tag::kCommit:
      return "COMMIT";
    case Tag::kNewLeader:
      return "NEWLEADER";
    case Tag::kAck:
      return "ACK";
    case Tag::kUpToDate:
      return "UPTODATE";
    case Tag::kInform:
      return "INFORM";
    case Tag::kPing:
      return "PING";
    case Tag::kAppData:
      return "APPDATA";
    case Tag::kHandshake:
      return "HANDSHAKE";
    case Tag::kSnapshotChunk:
      return "SNAPSHOTCHUNK";
  }
  return "unknown";
}

// A strict reader of the msgpack subset the peer records use. The first failure sticks: later
// reads fail too and status() describes the first problem.
class Reader {
 public:
  explicit Reader(std::string_view in) : p_(in.data()), end_(in.data() + in.size()) {}

  Status status() const { return error_.empty() ? Status::OK() : Status::Corruption(error_); }
  bool failed() const { return !error_.empty(); }
  void set_record(const char* name) { record_ = name; }

  bool ArrayHeader(uint32_t* n, const char* what) {
    uint8_t b = 0;
    if (!Byte(&b, what)) return false;
    if (b >= 0x90 && b <= 0x9f) {
      *n = b & 0x0f;
      return true;
    }
    uint64_t v = 0;
    if (b == 0xdc) {
      if (!BigEndian(2, &v, what)) return false;
    } else if (b == 0xdd) {
      if (!BigEndian(4, &v, what)) return false;
    } else {
      return Fail(what, "expected an array", b);
    }
    *n = static_cast<uint32_t>(v);
    return true;
  }

  bool Int(int64_t* out, const char* what) {
    bool negative = false;
    uint64_t raw = 0;
    if (!Integer(&negative, &raw, what)) return false;
    if (!negative && raw > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Fail(what, "integer out of the int64 range");
    }
    *out = static_cast<int64_t>(raw);
    return true;
  }

  bool Uint(uint64_t* out, const char* what, uint64_t max = std::numeric_limits<uint64_t>::max()) {
    bool negative = false;
    uint64_t raw = 0;
    if (!Integer(&negative, &raw, what)) return false;
    if (negative) return Fail(what, "negative value");
    if (raw > max) {
      return Fail(what, ("value " + std::to_string(raw) + " above " + std::to_string(max)).c_str());
    }
    *out = raw;
    return true;
  }

  template <class E>
  bool Enum(E* out, const char* what, E max) {
    uint64_t v = 0;
    if (!Uint(&v, what, static_cast<uint64_t>(max))) return false;
    *out = static_cast<E>(v);
    return true;
  }

  bool Bool(bool* out, const char* what) {
    uint8_t b = 0;
    if (!Byte(&b, what)) return false;
    if (b != 0xc2 && b != 0xc3) return Fail(what, "expected a boolean", b);
    *out = b == 0xc3;
    return true;
  }

  bool Bin(std::string_view* out, const char* what) {
    uint8_t b = 0;
    if (!Byte(&b, what)) return false;
    int width = b == 0xc4 ? 1 : b == 0xc5 ? 2 : b == 0xc6 ? 4 : 0;
    if (width == 0) return Fail(what, "expected a byte string", b);
    uint64_t n = 0;
    if (!BigEndian(width, &n, what)) return false;
    if (n > static_cast<uint64_t>(end_ - p_)) {
      return Fail(what, ("byte string of " + std::to_string(n) + " bytes, only " +
                         std::to_string(end_ - p_) + " left")
                            .c_str());
    }
    *out = std::string_view(p_, n);
    p_ += n;
    return true;
  }

  bool End() {
    if (failed()) return false;
    if (p_ != end_) {
      return Fail("end", (std::to_string(end_ - p_) + " trailing bytes").c_str());
    }
    return true;
  }

  bool Fail(const char* what, const char* problem, int byte = -1) {
    if (!failed()) {
      error_ = std::string("peer ") + record_ + ", " + what + ": " + problem;
      if (byte >= 0) {
        static const char kHex[] = "0123456789abcdef";
        error_ += std::string(", found 0x") + kHex[byte >> 4] + kHex[byte & 15];
      }
    }
    return false;
  }

 private:
  bool Byte(uint8_t* b, const char* what) {
    if (failed()) return false;
    if (p_ == end_) return Fail(what, "truncated");
    *b = static_cast<uint8_t>(*p_++);
    return true;
  }

  bool BigEndian(int width, uint64_t* v, const char* what) {
    if (failed()) return false;
    if (end_ - p_ < width) return Fail(what, "truncated");
    uint64_t r = 0;
    for (int i = 0; i < width; ++i) r = (r << 8) | static_cast<uint8_t>(p_[i]);
    p_ += width;
    *v = r;
    return true;
  }

  // Any msgpack integer: *negative and the two's-complement bits in *raw.
  bool Integer(bool* negative, uint64_t* raw, const char* what) {
    uint8_t b = 0;
    if (!Byte(&b, what)) return false;
    *negative = false;
    if (b <= 0x7f) {
      *raw = b;
      return true;
    }
    if (b >= 0xe0) {
      *negative = true;
      *raw = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(b)));
      return true;
    }
    int width = 0;
    bool is_signed = false;
    switch (b) {
      case 0xcc:
        width = 1, is_signed = false;
        break;
      case 0xcd:
        width = 2, is_signed = false;
        break;
      case 0xce:
        width = 4, is_signed = false;
        break;
      case 0xcf:
        width = 8, is_signed = false;
        break;
      case 0xd0:
        width = 1, is_signed = true;
        break;
      case 0xd1:
        width = 2, is_signed = true;
        break;
      case 0xd2:
        width = 4, is_signed = true;
        break;
      case 0xd3:
        width = 8, is_signed = true;
        break;
      default:
        return Fail(what, "expected an integer", b);
    }
    uint64_t v = 0;
    if (!BigEndian(width, &v, what)) return false;
    if (is_signed && width < 8 && (v >> (8 * width - 1)) != 0) {
      v |= ~uint64_t{0} << (8 * width);  // sign-extend
    }
    *negative = is_signed && static_cast<int64_t>(v) < 0;
    *raw = v;
    return true;
  }

  const char* p_;
  const char* end_;
  const char* record_ = "record";
  std::string error_;
};

// Reads the array header and the tag; *fields is the number of elements after the tag.
bool ReadHead(Reader& r, uint64_t* tag, uint32_t* fields) {
  uint32_t n = 0;
  if (!r.ArrayHeader(&n, "header")) return false;
  if (n == 0) return r.Fail("header", "empty array");
  if (!r.Uint(tag, "tag", 255)) return false;
  *fields = n - 1;
  return true;
}

bool Arity(Reader& r, uint32_t fields, uint32_t expected) {
  if (fields == expected) return true;
  return r.Fail("header",
                (std::to_string(fields) + " fields, expected " + std::to_string(expected)).c_str());
}

bool ReadString(Reader& r, std::string* out, const char* what) {
  std::string_view v;
  if (!r.Bin(&v, what)) return false;
  out->assign(v);
  return true;
}

// Decodes the fields of message `tag` (Reader positioned after the tag).
bool ReadMessage(Reader& r, uint64_t tag, uint32_t fields, Message* msg) {
  switch (static_cast<Tag>(tag)) {
    case Tag::kNotification: {
      Notification n;
      // Two more fields, the committed membership's version and the membership, only when it is
      // not the static one.
      if ((fields != 7 && !Arity(r, fields, 5)) || !r.Int(&n.vote.leader, "leader") ||
          !r.Int(&n.vote.zxid, "zxid") || !r.Int(&n.vote.epoch, "epoch") ||
          !r.Int(&n.round, "round") || !r.Enum(&n.state, "state", PeerState::kObserving) ||
          (fields == 7 && (!r.Int(&n.config_version, "config_version") ||
                           !ReadString(r, &n.config, "config")))) {
        return false;
      }
      *msg = n;
      return true;
    }
    case Tag::kLearnerInfo: {
      LearnerInfo m;
      if (!Arity(r, fields, 3) || !r.Int(&m.accepted_epoch, "accepted_epoch") ||
          !r.Int(&m.last_zxid, "last_zxid") || !r.Bool(&m.observer, "observer")) {
        return false;
      }
      *msg = m;
      return true;
    }
    case Tag::kLeaderInfo: {
      LeaderInfo m;
      if (!Arity(r, fields, 1) || !r.Int(&m.epoch, "epoch")) return false;
      *msg = m;
      return true;
    }
    case Tag::kAckEpoch: {
      AckEpoch m;
      if (!Arity(r, fields, 2) || !r.Int(&m.current_epoch, "current_epoch") ||
          !r.Int(&m.last_zxid, "last_zxid")) {
        return false;
      }
      *msg = m;
      return true;
    }
    case Tag::kSyncStart: {
      SyncStart m;
      // A third field, the membership, only when there is one to send.
      if ((fields != 3 && !Arity(r, fields, 2)) || !r.Enum(&m.mode, "mode", SyncMode::kSnap) ||
          !r.Int(&m.zxid, "zxid") || (fields == 3 && !ReadString(r, &m.config, "config"))) {
        return false;
      }
      *msg = m;
      return true;
    }
    case Tag::kSnapshot:
    case Tag::kProposal:
    case Tag::kInform: {
      int64_t zxid = 0;
      std::string data;
      if (!Arity(r, fields, 2) || !r.Int(&zxid, "zxid") || !ReadString(r, &data, "data")) {
        return false;
      }
      if (static_cast<Tag>(tag) == Tag::kSnapshot) {
        *msg = Snapshot{zxid, std::move(data)};
      } else if (static_cast<Tag>(tag) == Tag::kProposal) {
        *msg = Proposal{zxid, std::move(data)};
      } else {
        *msg = Inform{zxid, std::move(data)};
      }
      return true;
    }
    case Tag::kCommit:
    case Tag::kNewLeader:
    case Tag::kAck:
    case Tag::kPing: {
      int64_t zxid = 0;
      if (!Arity(r, fields, 1) || !r.Int(&zxid, "zxid")) return false;
      switch (static_cast<Tag>(tag)) {
        case Tag::kCommit:
          *msg = Commit{zxid};
          break;
        case Tag::kNewLeader:
          *msg = NewLeader{zxid};
          break;
        case Tag::kAck:
          *msg = Ack{zxid};
          break;
        default:
          *msg = Ping{zxid};
          break;
      }
      return true;
    }
    case Tag::kUpToDate:
      if (!Arity(r, fields, 0)) return false;
      *msg = UpToDate{};
      return true;
    case Tag::kAppData: {
      AppData m;
      if (!Arity(r, fields, 1) || !ReadString(r, &m.data, "data")) return false;
      *msg = std::move(m);
      return true;
    }
    case Tag::kHandshake:
    case Tag::kSnapshotChunk:
      return r.Fail("tag", "a transport record, not a message");
  }
  return r.Fail("tag", ("unknown tag " + std::to_string(tag)).c_str());
}

}  // namespace

// ---- Payloads --------------------------------------------------------------------------------

Status EncodeMessage(const Message& msg, std::string* out) {
  if (std::holds_alternative<LogRange>(msg)) {
    return Status::InvalidArgument("LogRange is never sent to a peer; expand it first");
  }
  StringSink sink(out);
  Packer pk(sink);
  std::visit(Overloaded{
                 [&](const Notification& m) {
                   Head(pk, Tag::kNotification, m.config_version != 0 ? 7 : 5);
                   pk.pack_int64(m.vote.leader);
                   pk.pack_int64(m.vote.zxid);
                   pk.pack_int64(m.vote.epoch);
                   pk.pack_int64(m.round);
                   pk.pack_uint8(static_cast<uint8_t>(m.state));
                   if (m.config_version != 0) {
                     pk.pack_int64(m.config_version);
                     Bytes(pk, m.config);
                   }
                 },
                 [&](const LearnerInfo& m) {
                   Head(pk, Tag::kLearnerInfo, 3);
                   pk.pack_int64(m.accepted_epoch);
                   pk.pack_int64(m.last_zxid);
                   if (m.observer) {
                     pk.pack_true();
                   } else {
                     pk.pack_false();
                   }
                 },
                 [&](const LeaderInfo& m) {
                   Head(pk, Tag::kLeaderInfo, 1);
                   pk.pack_int64(m.epoch);
                 },
                 [&](const AckEpoch& m) {
                   Head(pk, Tag::kAckEpoch, 2);
                   pk.pack_int64(m.current_epoch);
                   pk.pack_int64(m.last_zxid);
                 },
                 [&](const SyncStart& m) {
                   Head(pk, Tag::kSyncStart, m.config.empty() ? 2 : 3);
                   pk.pack_uint8(static_cast<uint8_t>(m.mode));
                   pk.pack_int64(m.zxid);
                   if (!m.config.empty()) Bytes(pk, m.config);
                 },
                 [&](const Snapshot& m) { ZxidAndData(pk, Tag::kSnapshot, m.zxid, m.data); },
                 [&](const LogRange&) {},
                 [&](const Proposal& m) { ZxidAndData(pk, Tag::kProposal, m.zxid, m.data); },
                 [&](const Commit& m) { ZxidOnly(pk, Tag::kCommit, m.zxid); },
                 [&](const NewLeader& m) { ZxidOnly(pk, Tag::kNewLeader, m.zxid); },
                 [&](const Ack& m) { ZxidOnly(pk, Tag::kAck, m.zxid); },
                 [&](const UpToDate&) { Head(pk, Tag::kUpToDate, 0); },
                 [&](const Inform& m) { ZxidAndData(pk, Tag::kInform, m.zxid, m.data); },
                 [&](const Ping& m) { ZxidOnly(pk, Tag::kPing, m.zxid); },
                 [&](const AppData& m) {
                   Head(pk, Tag::kAppData, 1);
                   Bytes(pk, m.data);
                 },
             },
             msg);
  return Status::OK();
}

Status DecodeMessage(std::string_view payload, Message* msg) {
  Reader r(payload);
  uint64_t tag = 0;
  uint32_t fields = 0;
  if (ReadHead(r, &tag, &fields)) {
    r.set_record(TagName(tag));
    Message m;
    if (ReadMessage(r, tag, fields, &m) && r.End()) {
      *msg = std::move(m);
      return Status::OK();
    }
  }
  return r.status();
}

Status PeekTag(std::string_view payload, wire::Tag* tag) {
  Reader r(payload);
  uint64_t t = 0;
  uint32_t fields = 0;
  if (!ReadHead(r, &t, &fields)) return r.status();
  *tag = static_cast<Tag>(t);
  return Status::OK();
}

void EncodeHandshake(const Handshake& hs, std::string* out) {
  StringSink sink(out);
  Packer pk(sink);
  Head(pk, Tag::kHandshake, 4);
  pk.pack_uint32(hs.magic);
  pk.pack_uint32(hs.version);
  pk.pack_int64(hs.server_id);
  pk.pack_uint8(static_cast<uint8_t>(hs.channel));
}

Status DecodeHandshake(std::string_view payload, Handshake* hs) {
  Reader r(payload);
  r.set_record("HANDSHAKE");
  uint64_t tag = 0;
  uint32_t fields = 0;
  if (!ReadHead(r, &tag, &fields)) return r.status();
  if (tag != static_cast<uint64_t>(Tag::kHandshake)) {
    r.Fail("tag", (std::string("expected a handshake, got ") + TagName(tag)).c_str());
    return r.status();
  }
  Handshake h;
  uint64_t magic = 0, version = 0;
  if (Arity(r, fields, 4) && r.Uint(&magic, "magic", UINT32_MAX) &&
      r.Uint(&version, "version", UINT32_MAX) && r.Int(&h.server_id, "server_id") &&
      r.Enum(&h.channel, "channel", Channel::kQuorum) && r.End()) {
    h.magic = static_cast<uint32_t>(magic);
    h.version = static_cast<uint32_t>(version);
    *hs = h;
  }
  return r.status();
}

Status DecodeSnapshotChunk(std::string_view payload, SnapshotChunk* chunk) {
  Reader r(payload);
  r.set_record("SNAPSHOTCHUNK");
  uint64_t tag = 0;
  uint32_t fields = 0;
  if (!ReadHead(r, &tag, &fields)) return r.status();
  if (tag != static_cast<uint64_t>(Tag::kSnapshotChunk)) {
    r.Fail("tag", (std::string("expected a snapshot chunk, got ") + TagName(tag)).c_str());
    return r.status();
  }
  SnapshotChunk c;
  if (Arity(r, fields, 4) && r.Int(&c.zxid, "zxid") && r.Uint(&c.total_size, "total_size") &&
      r.Uint(&c.offset, "offset") && r.Bin(&c.bytes, "bytes") && r.End()) {
    if (c.offset > c.total_size || c.bytes.size() > c.total_size - c.offset) {
      r.Fail("bytes",
             ("bytes [" + std::to_string(c.offset) + ", +" + std::to_string(c.bytes.size()) +
              ") beyond total size " + std::to_string(c.total_size))
                 .c_str());
    } else {
      *chunk = c;
    }
  }
  return r.status();
}

// ---- Frames ----------------------------------------------------------------------------------

Status EncodeMessageFrame(const Message& msg, size_t max_frame_bytes, std::string* out) {
  const size_t start = out->size();
  out->append(wire::kFrameHeaderBytes, '\0');
  Status s = EncodeMessage(msg, out);
  const size_t payload = out->size() - start - wire::kFrameHeaderBytes;
  if (s.ok() && payload > max_frame_bytes) {
    s = Status::InvalidArgument("peer message of " + std::to_string(payload) +
                                " bytes exceeds the frame limit of " +
                                std::to_string(max_frame_bytes));
  }
  if (!s.ok()) {
    out->resize(start);
    return s;
  }
  PutBigEndian32(static_cast<uint32_t>(payload), out->data() + start);
  return Status::OK();
}

std::string EncodeHandshakeFrame(const Handshake& hs) {
  std::string out(wire::kFrameHeaderBytes, '\0');
  EncodeHandshake(hs, &out);
  PutBigEndian32(static_cast<uint32_t>(out.size() - wire::kFrameHeaderBytes), out.data());
  return out;
}

std::string EncodeSnapshotChunkFrameHead(int64_t zxid, uint64_t total_size, uint64_t offset,
                                         size_t chunk_bytes) {
  std::string out(wire::kFrameHeaderBytes, '\0');
  StringSink sink(&out);
  Packer pk(sink);
  Head(pk, Tag::kSnapshotChunk, 4);
  pk.pack_int64(zxid);
  pk.pack_uint64(total_size);
  pk.pack_uint64(offset);
  pk.pack_bin(static_cast<uint32_t>(chunk_bytes));
  PutBigEndian32(static_cast<uint32_t>(out.size() - wire::kFrameHeaderBytes + chunk_bytes),
                 out.data());
  return out;
}

Status DecodeFrameHeader(const char* header, size_t max_frame_bytes, uint32_t* payload_bytes) {
  uint32_t n = 0;
  for (size_t i = 0; i < wire::kFrameHeaderBytes; ++i) {
    n = (n << 8) | static_cast<uint8_t>(header[i]);
  }
  if (n == 0 || n > max_frame_bytes) {
    return Status::Corruption("peer frame length " + std::to_string(n) + " out of range (limit " +
                              std::to_string(max_frame_bytes) + ")");
  }
  *payload_bytes = n;
  return Status::OK();
}

// ---- Snapshot reassembly ----------------------------------------------------------------------

void SnapshotAssembler::Reset() {
  in_progress_ = false;
  zxid_ = 0;
  total_ = 0;
  std::string().swap(data_);
}

Status SnapshotAssembler::Add(const SnapshotChunk& chunk, bool* complete, Snapshot* out) {
  *complete = false;
  std::string problem;
  if (!in_progress_) {
    if (chunk.offset != 0) {
      problem = "first chunk at offset " + std::to_string(chunk.offset);
    } else if (chunk.total_size > max_total_) {
      problem = "snapshot of " + std::to_string(chunk.total_size) + " bytes exceeds the limit of " +
                std::to_string(max_total_);
    }
  } else if (chunk.zxid != zxid_ || chunk.total_size != total_) {
    problem = "chunk of snapshot (zxid " + std::to_string(chunk.zxid) + ", " +
              std::to_string(chunk.total_size) + " bytes) inside snapshot (zxid " +
              std::to_string(zxid_) + ", " + std::to_string(total_) + " bytes)";
  } else if (chunk.offset != data_.size()) {
    problem = "chunk at offset " + std::to_string(chunk.offset) + ", expected " +
              std::to_string(data_.size());
  }
  if (problem.empty()) {
    if (chunk.offset > chunk.total_size || chunk.bytes.size() > chunk.total_size - chunk.offset) {
      problem = "chunk runs past the snapshot's end";
    } else if (chunk.bytes.empty() && chunk.total_size != 0) {
      problem = "empty chunk";
    }
  }
  if (!problem.empty()) {
    Reset();
    return Status::Corruption("snapshot stream: " + problem);
  }
  if (!in_progress_) {
    in_progress_ = true;
    zxid_ = chunk.zxid;
    total_ = chunk.total_size;
    data_.clear();
  }
  const uint64_t needed = data_.size() + chunk.bytes.size();
  if (data_.capacity() < needed) {
    data_.reserve(std::min<uint64_t>(total_, std::max<uint64_t>(needed, 2 * data_.capacity())));
  }
  data_.append(chunk.bytes);
  if (data_.size() == total_) {
    out->zxid = zxid_;
    out->data = std::move(data_);
    data_ = std::string();
    in_progress_ = false;
    *complete = true;
  }
  return Status::OK();
}

}  // namespace zk::zab
