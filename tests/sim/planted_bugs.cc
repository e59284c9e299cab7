#include "tests/sim/planted_bugs.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "client/proto/wire_constants.h"

namespace zk::sim {
namespace {

// Jute integers are big-endian.
int64_t ReadBe(const std::string& s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  if (bytes == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
  return static_cast<int64_t>(v);
}

void WriteBe(std::string& s, size_t at, int bytes, int64_t value) {
  uint64_t v = static_cast<uint64_t>(value);
  for (int i = bytes - 1; i >= 0; --i) {
    s[at + i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

constexpr size_t kReplyHeaderBytes = 16;  // xid, zxid, err
constexpr size_t kStatVersionAt = 32;     // czxid, mzxid, ctime, mtime, then version
constexpr size_t kStatMzxidAt = 8;
constexpr size_t kSequenceDigits = 10;

// What a tap knows of one link.
struct TapState {
  bool request_handshake_seen = false;
  bool reply_handshake_seen = false;
  std::map<int32_t, OpCode> type_of_xid;
  bool done = false;          // a one-time bug was planted
  int64_t max_zxid_seen = 0;
  std::vector<std::string> held_events;
  std::map<std::string, std::string> first_sequential;  // parent -> path
};

struct Reply {
  int32_t xid = 0;
  int32_t err = 0;
  OpCode type = OpCode::kError;  // of the request it answers; kError when unknown
};

// Parses the header of a frame to the client; false for the handshake or a short frame.
bool ParseReply(TapState& st, const std::string& frame, Reply* r) {
  if (!st.reply_handshake_seen) {
    st.reply_handshake_seen = true;
    return false;
  }
  if (frame.size() < kReplyHeaderBytes) return false;
  r->xid = static_cast<int32_t>(ReadBe(frame, 0, 4));
  r->err = static_cast<int32_t>(ReadBe(frame, 12, 4));
  auto it = st.type_of_xid.find(r->xid);
  if (it != st.type_of_xid.end()) {
    r->type = it->second;
    st.type_of_xid.erase(it);
  }
  return true;
}

std::vector<std::string> Rewrite(PlantedBug bug, TapState& st, std::string frame) {
  Reply r;
  if (!ParseReply(st, frame, &r)) return {std::move(frame)};
  const bool event = r.xid == xids::kNotification;
  const bool ok_reply = r.xid > 0 && r.err == 0;
  switch (bug) {
    case PlantedBug::kZxidGoesBack: {
      const int64_t zxid = ReadBe(frame, 4, 8);
      if (ok_reply && !st.done && st.max_zxid_seen > 1 && zxid >= st.max_zxid_seen) {
        WriteBe(frame, 4, 8, 1);
        st.done = true;
      }
      if (ok_reply) st.max_zxid_seen = std::max(st.max_zxid_seen, zxid);
      return {std::move(frame)};
    }
    case PlantedBug::kEventAfterData: {
      if (event) {
        st.held_events.push_back(std::move(frame));
        return {};
      }
      std::vector<std::string> out{std::move(frame)};
      for (std::string& e : st.held_events) out.push_back(std::move(e));
      st.held_events.clear();
      return out;
    }
    case PlantedBug::kDuplicateEvent:
      if (event) return {frame, frame};
      return {std::move(frame)};
    case PlantedBug::kVersionSkew: {
      const size_t at = kReplyHeaderBytes + kStatVersionAt;
      if (ok_reply && !st.done && r.type == OpCode::kSetData && frame.size() >= at + 4) {
        WriteBe(frame, at, 4, ReadBe(frame, at, 4) + 1);
        st.done = true;
      }
      return {std::move(frame)};
    }
    case PlantedBug::kRepeatedSequence: {
      if (!ok_reply || st.done || r.type != OpCode::kCreate2 ||
          frame.size() < kReplyHeaderBytes + 4) {
        return {std::move(frame)};
      }
      const int64_t len = ReadBe(frame, kReplyHeaderBytes, 4);
      if (len <= static_cast<int64_t>(kSequenceDigits) ||
          frame.size() < kReplyHeaderBytes + 4 + static_cast<size_t>(len)) {
        return {std::move(frame)};
      }
      const std::string path = frame.substr(kReplyHeaderBytes + 4, static_cast<size_t>(len));
      const std::string digits = path.substr(path.size() - kSequenceDigits);
      if (digits.find_first_not_of("0123456789") != std::string::npos) return {std::move(frame)};
      const std::string parent = path.substr(0, path.rfind('/'));
      auto [it, fresh] = st.first_sequential.emplace(parent, path);
      if (!fresh && it->second.size() == path.size() && it->second != path) {
        frame.replace(kReplyHeaderBytes + 4, path.size(), it->second);
        st.done = true;
      }
      return {std::move(frame)};
    }
    case PlantedBug::kStaleRead: {
      if (!ok_reply || r.type != OpCode::kGetData || frame.size() < kReplyHeaderBytes + 4) {
        return {std::move(frame)};
      }
      const int64_t len = ReadBe(frame, kReplyHeaderBytes, 4);
      const size_t stat = kReplyHeaderBytes + 4 + static_cast<size_t>(std::max<int64_t>(len, 0));
      if (frame.size() >= stat + kStatMzxidAt + 8) {
        WriteBe(frame, stat + kStatMzxidAt, 8, ReadBe(frame, stat, 8));  // mzxid = czxid
      }
      return {std::move(frame)};
    }
    case PlantedBug::kLostAck: {
      if (ok_reply && !st.done && r.type == OpCode::kCreate2) {
        WriteBe(frame, 4, 8, ReadBe(frame, 4, 8) + (int64_t{1} << 30));
        st.done = true;
      }
      return {std::move(frame)};
    }
    case PlantedBug::kNone:
    case PlantedBug::kFrozenLeaderClock:
    case PlantedBug::kEarlyTtlReap:
    case PlantedBug::kIdleReaper:
      break;
  }
  return {std::move(frame)};
}

}  // namespace

LinkTap PlantBug(PlantedBug bug, uint64_t /*seed*/) {
  if (bug == PlantedBug::kNone || bug == PlantedBug::kFrozenLeaderClock ||
      bug == PlantedBug::kEarlyTtlReap || bug == PlantedBug::kIdleReaper) {
    return {};
  }
  auto st = std::make_shared<TapState>();
  LinkTap tap;
  tap.to_node = [st](const std::string& frame) {
    if (!st->request_handshake_seen) {
      st->request_handshake_seen = true;
      return;
    }
    if (frame.size() < 8) return;
    st->type_of_xid[static_cast<int32_t>(ReadBe(frame, 0, 4))] =
        static_cast<OpCode>(ReadBe(frame, 4, 4));
  };
  tap.to_client = [bug, st](std::string frame) { return Rewrite(bug, *st, std::move(frame)); };
  return tap;
}

}  // namespace zk::sim
