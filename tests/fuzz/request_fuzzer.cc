// Fuzzes a client's byte stream through everything the server does with it short of the socket:
// the input is a sequence of frames (4-byte big-endian length + body, as Connection splits
// them); the first is the ConnectRequest, each later one a RequestHeader followed by the record
// for its op type. Writes are decoded by the server's own DecodeWriteRequest
// (server/request_decoding.h); reads by a mirror of ZooKeeperServer::EvaluateRead's decoding
// (that member is asio-bound). Writes then go the server's write path: Prep builds
// the txn against a real DataTree, the txn is encoded and decoded as the log does, and applied.
// Checks: no crash, leak or UB anywhere on that path; EncodeTxn/DecodeTxn round-trip every
// prepared txn; Apply of a prepared txn advances the tree to exactly its zxid.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "client/proto/jute.h"
#include "client/proto/records.h"
#include "server/acl.h"
#include "server/data_tree.h"
#include "server/path_utils.h"
#include "server/prep.h"
#include "server/request_decoding.h"
#include "server/txn.h"
#include "tests/fuzz/fuzz_util.h"

namespace zk::server {
namespace {

constexpr size_t kMaxFieldBytes = static_cast<size_t>(kDefaultJuteMaxBuffer);
constexpr int kMaxFrames = 64;
constexpr int64_t kSessionId = 0x0100000000000001LL;

// Mirrors the decoding half of ZooKeeperServer::EvaluateRead (with the tree lookups it makes).
void EvaluateRead(const DataTree& tree, OpCode type, std::string_view body) {
  proto::JuteReader r(body, kMaxFieldBytes);
  auto lookup = [&](const std::string& path) {
    if (const DataTree::Node* n = tree.Find(path)) {
      (void)tree.StatOf(*n);
      (void)tree.Children(*n);
      (void)tree.CountDescendants(*n);
    }
  };
  switch (type) {
    case OpCode::kExists:
    case OpCode::kGetData:
    case OpCode::kGetChildren:
    case OpCode::kGetChildren2: {
      proto::PathWatchRequest req;
      if (req.Read(r)) lookup(req.path);
      return;
    }
    case OpCode::kGetAcl:
    case OpCode::kSync:
    case OpCode::kGetEphemerals:
    case OpCode::kGetAllChildrenNumber: {
      proto::PathRequest req;
      if (!req.Read(r)) return;
      lookup(req.path);
      for (const auto& p : tree.EphemeralsOf(kSessionId)) (void)p.starts_with(req.path);
      return;
    }
    case OpCode::kSetWatches:
    case OpCode::kSetWatches2: {
      proto::SetWatchesRequest req;
      if (!req.Read(r, type == OpCode::kSetWatches2)) return;
      for (const auto& p : req.data_watches) lookup(p);
      for (const auto& p : req.exist_watches) lookup(p);
      for (const auto& p : req.child_watches) lookup(p);
      return;
    }
    case OpCode::kAddWatch: {
      proto::AddWatchRequest req;
      if (req.Read(r)) (void)IsValidPath(req.path);
      return;
    }
    case OpCode::kRemoveWatches:
    case OpCode::kCheckWatches: {
      proto::WatchesRequest req;
      (void)req.Read(r);
      return;
    }
    case OpCode::kMultiRead: {
      for (int i = 0; i < 1000; ++i) {
        proto::MultiHeader mh;
        if (!mh.Read(r) || mh.done) return;
        proto::PathWatchRequest req;
        if (!req.Read(r)) return;
        auto op = static_cast<OpCode>(mh.type);
        if (op != OpCode::kGetChildren && op != OpCode::kGetData) return;
        lookup(req.path);
      }
      return;
    }
    default:
      return;
  }
}

class Harness {
 public:
  Harness() : prep_(tree_, PrepOptions{/*extended_types_enabled=*/true}) {}

  void Write(const WriteRequest& req) {
    Txn txn = prep_.Prepare(req, kSessionId, ++cxid_, time_ms_ += 1000, who_);
    FUZZ_CHECK(txn.zxid == tree_.last_zxid() + 1);
    // The log's round trip.
    const std::string bytes = EncodeTxn(txn);
    Txn decoded;
    FUZZ_CHECK(DecodeTxn(bytes, &decoded));
    FUZZ_CHECK(EncodeTxn(decoded) == bytes);
    std::vector<TreeEvent> events;
    (void)tree_.Apply(decoded, &events);
    prep_.Applied(decoded.zxid);
    FUZZ_CHECK(tree_.last_zxid() == txn.zxid);
  }

  void Connect(std::string_view frame) {
    proto::JuteReader r(frame, kMaxFieldBytes);
    proto::ConnectRequest req;
    if (!req.Read(r)) return;
    who_.ids.push_back(AuthId{"ip", "127.0.0.1"});
    who_.is_super = req.read_only;  // lets the input reach the paths that skip ACL checks
    WriteRequest w;
    w.type = OpCode::kCreateSession;
    w.session_timeout_ms = std::clamp(req.timeout_ms, 4000, 40000);
    Write(w);
    connected_ = true;
  }

  void Request(std::string_view frame) {
    proto::JuteReader r(frame, kMaxFieldBytes);
    proto::RequestHeader h;
    if (!h.Read(r)) return;
    const std::string_view body = frame.substr(r.position());
    const auto type = static_cast<OpCode>(h.type);
    if (type == OpCode::kAuth) {
      proto::JuteReader ar(body, kMaxFieldBytes);
      proto::AuthPacket auth;
      if (auth.Read(ar) && auth.scheme == "digest") {
        who_.ids.push_back(AuthId{"digest", DigestId(auth.auth)});
      }
      return;
    }
    if (IsWriteOp(type)) {
      WriteRequest req;
      if (DecodeWriteRequest(type, body, kMaxFieldBytes, &req)) Write(req);
      return;
    }
    EvaluateRead(tree_, type, body);
  }

  bool connected() const { return connected_; }

 private:
  DataTree tree_;
  Prep prep_;
  Principal who_;
  int32_t cxid_ = 0;
  int64_t time_ms_ = 1'000'000;
  bool connected_ = false;
};

}  // namespace
}  // namespace zk::server

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zk::server;
  zk::fuzz::QuietLogs();
  Harness h;
  size_t pos = 0;
  for (int frames = 0; frames < kMaxFrames && size - pos >= 4; ++frames) {
    const uint32_t len = (uint32_t{data[pos]} << 24) | (uint32_t{data[pos + 1]} << 16) |
                         (uint32_t{data[pos + 2]} << 8) | uint32_t{data[pos + 3]};
    pos += 4;
    if (len > size - pos || len > kMaxFieldBytes) break;  // Connection closes on these
    const std::string_view frame(reinterpret_cast<const char*>(data) + pos, len);
    pos += len;
    if (!h.connected()) {
      h.Connect(frame);
      if (!h.connected()) break;  // the server closes on a malformed handshake
    } else {
      h.Request(frame);
    }
  }
  return 0;
}
