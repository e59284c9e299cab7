// Writes the seed corpora of the fuzz targets: fuzz_make_corpus <corpus dir>. Each seed is a
// small, valid (or deliberately near-valid) input built with the project's own encoders, so
// the fuzzers start from the shapes the decoders really see. Deterministic: rerunning it
// rewrites the same files.
#include <zstd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "client/proto/jute.h"
#include "client/proto/records.h"
#include "server/acl.h"
#include "server/data_tree.h"
#include "server/session_tracker.h"
#include "server/snapshot.h"
#include "server/txn.h"
#include "zab/log_record.h"
#include "zab/message_codec.h"

namespace zk {
namespace {

namespace fs = std::filesystem;
using proto::JuteWriter;

fs::path g_root;

void Put(const std::string& target, const std::string& name, const std::string& bytes) {
  const fs::path dir = g_root / target;
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write %s/%s\n", dir.c_str(), name.c_str());
    std::exit(1);
  }
}

template <class R>
std::string Enc(const R& rec) {
  JuteWriter w;
  rec.Write(w);
  return w.Take();
}

std::vector<proto::Acl> OpenAcl() { return server::acls::OpenUnsafe(); }

std::vector<proto::Acl> DigestAcl() {
  return {proto::Acl{perms::kAll, {"digest", "bob:kH3Ygw0aX4bNTq2xRkcXaxFN/T0="}},
          proto::Acl{perms::kRead, {"world", "anyone"}}};
}

// ---- records --------------------------------------------------------------------------------

proto::CreateRequest Create(std::string path, std::string data, int32_t flags = 0) {
  proto::CreateRequest c;
  c.path = std::move(path);
  c.data = std::move(data);
  c.acl = OpenAcl();
  c.flags = flags;
  return c;
}

std::string MultiBody() {
  JuteWriter w;
  proto::MultiHeader{static_cast<int32_t>(OpCode::kCreate), false, -1}.Write(w);
  Create("/m", "x").Write(w);
  proto::MultiHeader{static_cast<int32_t>(OpCode::kSetData), false, -1}.Write(w);
  proto::SetDataRequest{"/m", "y", false, -1}.Write(w);
  proto::MultiHeader{static_cast<int32_t>(OpCode::kCheck), false, -1}.Write(w);
  proto::CheckVersionRequest{"/m", 1}.Write(w);
  proto::MultiHeader{static_cast<int32_t>(OpCode::kDelete), false, -1}.Write(w);
  proto::DeleteRequest{"/m", -1}.Write(w);
  proto::MultiHeader{-1, true, -1}.Write(w);
  return w.Take();
}

void Records() {
  auto put = [](int selector, const std::string& name, const std::string& bytes) {
    Put("records", name, std::string(1, static_cast<char>(selector)) + bytes);
  };
  proto::ConnectRequest conn;
  conn.timeout_ms = 30000;
  conn.passwd = std::string(16, '\0');
  put(0, "connect", Enc(conn));
  conn.has_read_only = false;
  conn.session_id = 0x0100000000000001LL;
  conn.last_zxid_seen = 0x100000005;
  put(0, "connect_no_ro", Enc(conn));
  put(1, "header", Enc(proto::RequestHeader{7, static_cast<int32_t>(OpCode::kGetData)}));
  put(2, "create", Enc(Create("/app/node", "hello", 0)));
  proto::CreateRequest null_data = Create("/n", "", 3);
  null_data.data_null = true;
  null_data.acl = DigestAcl();
  put(2, "create_null_data", Enc(null_data));
  proto::CreateTtlRequest ttl;
  ttl.path = "/ttl";
  ttl.data = "t";
  ttl.acl = OpenAcl();
  ttl.flags = 5;
  ttl.ttl = 60000;
  put(3, "create_ttl", Enc(ttl));
  put(4, "delete", Enc(proto::DeleteRequest{"/app/node", 3}));
  put(5, "set_data", Enc(proto::SetDataRequest{"/app", "new data", false, -1}));
  put(6, "set_acl", Enc(proto::SetAclRequest{"/app", DigestAcl(), 0}));
  put(7, "path_watch", Enc(proto::PathWatchRequest{"/app", true}));
  put(8, "path", Enc(proto::PathRequest{"/zookeeper/quota"}));
  put(9, "check_version", Enc(proto::CheckVersionRequest{"/app", 2}));
  put(10, "multi_header", Enc(proto::MultiHeader{-1, true, -1}));
  put(11, "auth", Enc(proto::AuthPacket{0, "digest", "bob:secret"}));
  proto::SetWatchesRequest sw;
  sw.relative_zxid = 0x100000010;
  sw.data_watches = {"/a", "/b"};
  sw.exist_watches = {"/c"};
  sw.child_watches = {"/"};
  sw.persistent_watches = {"/p"};
  sw.persistent_recursive_watches = {"/r", "/r2"};
  JuteWriter w1;
  sw.Write(w1, false);
  put(12, "set_watches", w1.Take());
  JuteWriter w2;
  sw.Write(w2, true);
  put(13, "set_watches2", w2.Take());
  put(14, "add_watch", Enc(proto::AddWatchRequest{"/app", 1}));
  put(15, "watches", Enc(proto::WatchesRequest{"/app", 3}));
  proto::ReconfigRequest rc;
  rc.joining = "server.4=127.0.0.1:2888:3888;2181";
  rc.cur_config_id = 0x100000000;
  put(16, "reconfig", Enc(rc));
  put(16, "reconfig_all_null", Enc(proto::ReconfigRequest{}));
  put(17, "multi", MultiBody());
  proto::Stat st;
  st.czxid = 1;
  st.mzxid = 2;
  st.version = 3;
  st.data_length = 5;
  put(18, "stat", Enc(st));
  JuteWriter prim;
  prim.WriteStringVector({"a", "bc"});
  prim.WriteLongVector({1, -1});
  prim.WriteIntVector({7});
  proto::WriteAclVector(prim, OpenAcl());
  prim.WriteNullBuffer();
  put(19, "primitives", prim.Take());
}

// ---- txns and log records -------------------------------------------------------------------

std::vector<std::pair<std::string, server::Txn>> Txns() {
  using namespace server;
  auto txn = [](int64_t zxid, OpCode type, TxnBody body) {
    Txn t;
    t.zxid = zxid;
    t.session_id = 0x0100000000000001LL;
    t.cxid = static_cast<int32_t>(zxid);
    t.time_ms = 1700000000000 + zxid;
    t.type = type;
    t.body = std::move(body);
    return t;
  };
  std::vector<std::pair<std::string, Txn>> out;
  out.emplace_back("create_session", txn(1, OpCode::kCreateSession, CreateSessionTxn{30000}));
  out.emplace_back("create",
                   txn(2, OpCode::kCreate, CreateTxn{"/app", "data", false, OpenAcl(), 0, 1}));
  out.emplace_back("create_ephemeral",
                   txn(3, OpCode::kCreate2,
                       CreateTxn{"/app/e", "", true, DigestAcl(), 0x0100000000000001LL, 1}));
  out.emplace_back("delete", txn(4, OpCode::kDelete, DeleteTxn{"/app/e"}));
  out.emplace_back("set_data", txn(5, OpCode::kSetData, SetDataTxn{"/app", "v2", false, 1}));
  out.emplace_back("set_acl", txn(6, OpCode::kSetAcl, SetAclTxn{"/app", DigestAcl(), 1}));
  out.emplace_back("check", txn(7, OpCode::kCheck, CheckTxn{"/app"}));
  out.emplace_back("error", txn(8, OpCode::kDelete, ErrorTxn{Err::kNoNode}));
  MultiTxn m;
  m.ops.push_back(CreateTxn{"/m", "x", false, OpenAcl(), 0, 2});
  m.ops.push_back(SetDataTxn{"/m", "y", false, 1});
  m.ops.push_back(CheckTxn{"/m"});
  m.ops.push_back(DeleteTxn{"/m"});
  out.emplace_back("multi", txn(9, OpCode::kMulti, m));
  MultiTxn failed;
  failed.ops.push_back(ErrorTxn{Err::kOk});
  failed.ops.push_back(ErrorTxn{Err::kNodeExists});
  failed.ops.push_back(ErrorTxn{Err::kRuntimeInconsistency});
  out.emplace_back("multi_failed", txn(10, OpCode::kMulti, failed));
  out.emplace_back("close_session", txn(11, OpCode::kCloseSession, CloseSessionTxn{}));
  return out;
}

void TxnsAndLogRecords() {
  for (const auto& [name, t] : Txns()) {
    const std::string bytes = server::EncodeTxn(t);
    Put("txn", name, bytes);
    std::string zxid(8, '\0');
    for (int i = 0; i < 8; ++i) zxid[i] = static_cast<char>(t.zxid >> (56 - 8 * i));
    std::string value;
    zab::record::EncodeLogValue(t.zxid, bytes, &value);
    Put("log_record", "value_" + name, std::string(1, '\1') + zxid + value);
    Put("log_record", "payload_" + name, std::string(1, '\2') + zxid + bytes);
  }
  Put("log_record", "key", std::string(1, '\0') + std::string(8, '\0') + zab::record::LogKey(42));
  {
    std::string group;
    zab::record::GroupValueBuilder builder(&group);
    int64_t last = 0;
    for (const auto& [name, t] : Txns()) {
      if (t.zxid <= last) continue;
      builder.Add(t.zxid, server::EncodeTxn(t));
      last = t.zxid;
    }
    if (builder.entries() > 0) {
      builder.Finish();
      std::string zxid(8, '\0');
      for (int i = 0; i < 8; ++i) zxid[i] = static_cast<char>(last >> (56 - 8 * i));
      Put("log_record", "group", std::string(1, '\3') + zxid + group);
    }
  }
  Put(
      "log_record", "value_empty", std::string(1, '\1') + std::string(8, '\0') + [] {
        std::string v;
        zab::record::EncodeLogValue(0, "", &v);
        return v;
      }());
}

// ---- paths and configs ----------------------------------------------------------------------

void Paths() {
  const std::vector<std::pair<std::string, std::string>> paths = {
      {"root", "/"},
      {"simple", "/a/b/c"},
      {"zookeeper", "/zookeeper/quota"},
      {"dot", "/a/./b"},
      {"dotdot", "/a/../b"},
      {"dots_in_name", "/a/.b/..c/..."},
      {"double_slash", "/a//b"},
      {"trailing", "/a/"},
      {"relative", "a/b"},
      {"utf8", "/caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac"},
      {"overlong", "/a\xc0\xaf"},
      {"surrogate", "/\xed\xa0\x80"},
      {"supplementary", "/\xf0\x9f\x98\x80"},
      {"control", "/a\x01"},
      {"nul", std::string("/a\0b", 4)},
      {"empty", ""},
  };
  for (const auto& [name, p] : paths) Put("path", name, std::string(1, '\0') + p);
  Put("path", "seq_dir", std::string(1, '\1') + "/app/lock-");
  Put("path", "seq_slash", std::string(1, '\1') + "/app/");
}

void Configs() {
  Put("config", "standalone",
      "# standalone\n"
      "tickTime=2000\n"
      "dataDir=/var/lib/zookeeper\n"
      "clientPort=2181\n"
      "maxClientCnxns=60\n"
      "4lw.commands.whitelist=stat, ruok, conf, isro\n"
      "autopurge.snapRetainCount=3\n"
      "autopurge.purgeInterval=1\n");
  Put("config", "ensemble",
      "tickTime=2000\n"
      "initLimit=10\n"
      "syncLimit=5\n"
      "dataDir=/data/zk\n"
      "dataLogDir=/data/zk-log\n"
      "clientPort=2181\n"
      "server.1=zk1.example.com:2888:3888\n"
      "server.2=[::1]:2889:3889:participant;2182\n"
      "server.3=10.0.0.3:2890:3890:observer;0.0.0.0:2183\n"
      "peerType=participant\n"
      "standaloneEnabled=false\n"
      "reconfigEnabled=true\n");
  Put("config", "escapes",
      "! bang comment\n"
      "  dataDir = /tmp/with\\ space \\\n"
      "      continued\n"
      "clientPortAddress=127.0.0.1\n"
      "minSessionTimeout=4000\n"
      "maxSessionTimeout=40000\n"
      "jute.maxbuffer=0x100000\n"
      "extendedTypesEnabled=true\n"
      "znode.container.checkIntervalMs=1000\n"
      "snapshot.compression=0\n"
      "DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=\n"
      "unknownKey=1\n");
  Put("config", "bad_value", "dataDir=/x\ntickTime=abc\n");
  Put("config", "bad_timeouts", "dataDir=/x\nminSessionTimeout=9000\nmaxSessionTimeout=100\n");
}

// ---- whole client streams -------------------------------------------------------------------

class Stream {
 public:
  template <class R>
  Stream& Frame(const R& rec) {
    JuteWriter w(&bytes_);
    size_t mark = w.BeginFrame();
    rec.Write(w);
    w.EndFrame(mark);
    return *this;
  }
  template <class R>
  Stream& Req(OpCode type, const R& rec) {
    JuteWriter w(&bytes_);
    size_t mark = w.BeginFrame();
    proto::RequestHeader{++xid_, static_cast<int32_t>(type)}.Write(w);
    rec.Write(w);
    w.EndFrame(mark);
    return *this;
  }
  Stream& Raw(OpCode type, const std::string& body) {
    JuteWriter w(&bytes_);
    size_t mark = w.BeginFrame();
    proto::RequestHeader{++xid_, static_cast<int32_t>(type)}.Write(w);
    w.buffer().append(body);
    w.EndFrame(mark);
    return *this;
  }
  Stream& Watches(OpCode type, const proto::SetWatchesRequest& sw) {
    JuteWriter body;
    sw.Write(body, type == OpCode::kSetWatches2);
    return Raw(type, body.Take());
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
  int32_t xid_ = 0;
};

void Requests() {
  proto::ConnectRequest conn;
  conn.timeout_ms = 30000;
  conn.passwd = std::string(16, '\0');
  proto::ConnectRequest super = conn;
  super.read_only = true;

  Stream basic;
  basic.Frame(conn)
      .Req(OpCode::kCreate, Create("/app", "hello"))
      .Req(OpCode::kCreate2, Create("/app/seq-", "", 2))
      .Req(OpCode::kExists, proto::PathWatchRequest{"/app", true})
      .Req(OpCode::kGetData, proto::PathWatchRequest{"/app", false})
      .Req(OpCode::kGetChildren2, proto::PathWatchRequest{"/app", true})
      .Req(OpCode::kSetData, proto::SetDataRequest{"/app", "v2", false, 0})
      .Req(OpCode::kGetAcl, proto::PathRequest{"/app"})
      .Req(OpCode::kSetAcl, proto::SetAclRequest{"/app", DigestAcl(), 0})
      .Req(OpCode::kDelete, proto::DeleteRequest{"/app/seq-0000000000", -1})
      .Req(OpCode::kSync, proto::PathRequest{"/app"})
      .Req(OpCode::kGetAllChildrenNumber, proto::PathRequest{"/"});
  Put("request", "basic", basic.bytes());

  Stream eph;
  eph.Frame(conn)
      .Req(OpCode::kCreate, Create("/e", "", 1))
      .Req(OpCode::kCreateContainer, Create("/c", "", 4))
      .Req(OpCode::kCreate, Create("/c/child", "x", 0))
      .Req(OpCode::kGetEphemerals, proto::PathRequest{"/"})
      .Req(OpCode::kCheck, proto::CheckVersionRequest{"/c", 0})
      .Raw(OpCode::kCloseSession, "");
  Put("request", "ephemeral_close", eph.bytes());

  proto::CreateTtlRequest ttl;
  ttl.path = "/ttl";
  ttl.data = "t";
  ttl.acl = OpenAcl();
  ttl.flags = 5;
  ttl.ttl = 1000;
  Stream multi;
  multi.Frame(super)
      .Raw(OpCode::kMulti, MultiBody())
      .Req(OpCode::kCreateTtl, ttl)
      .Req(OpCode::kCreate, Create("/m", "1"))
      .Raw(OpCode::kMulti, MultiBody())
      .Raw(OpCode::kMultiRead, [] {
        JuteWriter w;
        proto::MultiHeader{static_cast<int32_t>(OpCode::kGetData), false, -1}.Write(w);
        proto::PathWatchRequest{"/m", false}.Write(w);
        proto::MultiHeader{static_cast<int32_t>(OpCode::kGetChildren), false, -1}.Write(w);
        proto::PathWatchRequest{"/", true}.Write(w);
        proto::MultiHeader{-1, true, -1}.Write(w);
        return w.Take();
      }());
  Put("request", "multi", multi.bytes());

  proto::SetWatchesRequest sw;
  sw.relative_zxid = 1;
  sw.data_watches = {"/a"};
  sw.exist_watches = {"/b"};
  sw.child_watches = {"/"};
  sw.persistent_watches = {"/p"};
  sw.persistent_recursive_watches = {"/r"};
  Stream watches;
  watches.Frame(conn)
      .Req(OpCode::kAuth, proto::AuthPacket{0, "digest", "bob:secret"})
      .Req(OpCode::kCreate,
           [] {
             proto::CreateRequest c = Create("/secure", "s");
             c.acl = {proto::Acl{perms::kAll, {"auth", ""}}};
             return c;
           }())
      .Req(OpCode::kGetData, proto::PathWatchRequest{"/secure", true})
      .Watches(OpCode::kSetWatches, sw)
      .Watches(OpCode::kSetWatches2, sw)
      .Req(OpCode::kAddWatch, proto::AddWatchRequest{"/secure", 1})
      .Req(OpCode::kCheckWatches, proto::WatchesRequest{"/secure", 1})
      .Req(OpCode::kRemoveWatches, proto::WatchesRequest{"/secure", 3})
      .Raw(OpCode::kWhoAmI, "")
      .Raw(OpCode::kPing, "");
  Put("request", "auth_watches", watches.bytes());
}

// ---- snapshots ------------------------------------------------------------------------------

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

uint64_t GetLe(const std::string& s, size_t at) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  return v;
}

void PutLe(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

// Builds a small tree with `nodes` extra znodes and `sessions` sessions, snapshots it, and
// stores the file (snapshot_file) and its prefixed uncompressed payload (snapshot_payload).
void Snapshot(const std::string& name, int nodes, int session_count, int level) {
  using namespace server;
  DataTree tree;
  std::vector<TreeEvent> events;
  int64_t zxid = 0;
  auto apply = [&](TxnBody body, OpCode type, int64_t session = 0) {
    Txn t;
    t.zxid = ++zxid;
    t.session_id = session;
    t.time_ms = 1700000000000 + zxid;
    t.type = type;
    t.body = std::move(body);
    tree.Apply(t, &events);
  };
  SessionTracker sessions(1, 2000, 0);
  for (int i = 0; i < session_count; ++i) {
    const int64_t id = 0x0100000000000001LL + i;
    sessions.Add(id, 10000 + 1000 * i, NewSessionPassword(), 0);
    apply(CreateSessionTxn{10000 + 1000 * i}, OpCode::kCreateSession, id);
  }
  int32_t app_children = 0;
  if (nodes > 0) apply(CreateTxn{"/app", "root data", false, OpenAcl(), 0, 1}, OpCode::kCreate);
  for (int i = 1; i < nodes; ++i) {
    const bool eph = session_count > 0 && i % 3 == 0;
    std::string data = i % 4 == 0 ? "" : std::string(static_cast<size_t>(i % 7), 'd');
    apply(CreateTxn{"/app/n" + std::to_string(i), data, i % 4 == 0,
                    i % 2 == 0 ? OpenAcl() : DigestAcl(), eph ? 0x0100000000000001LL : 0,
                    ++app_children},
          OpCode::kCreate);
  }
  if (nodes > 2) apply(SetDataTxn{"/app/n1", "changed", false, 1}, OpCode::kSetData);

  const fs::path dir = fs::temp_directory_path() / ("zk-make-corpus-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  zab::Status s = WriteSnapshotFile(tree, sessions, dir.string(), level);
  if (!s.ok()) {
    std::fprintf(stderr, "snapshot: %s\n", s.ToString().c_str());
    std::exit(1);
  }
  const std::string file = ReadAll(SnapshotFileName(dir.string(), tree.last_zxid()));
  fs::remove_all(dir);
  Put("snapshot_file", name, file);

  // The payload target's input: u32 sessions, u32 nodes, u64 digest, then the raw payload.
  const std::string frame =
      file.substr(kSnapshotHeaderSize, file.size() - kSnapshotHeaderSize - kSnapshotTrailerSize);
  std::string payload(GetLe(file, 48), '\0');
  const size_t n = ZSTD_decompress(payload.data(), payload.size(), frame.data(), frame.size());
  if (ZSTD_isError(n) || n != payload.size()) {
    std::fprintf(stderr, "cannot decompress the snapshot payload\n");
    std::exit(1);
  }
  std::string input;
  PutLe(&input, GetLe(file, 32), 4);
  PutLe(&input, GetLe(file, 24), 4);
  PutLe(&input, GetLe(file, 40), 8);
  Put("snapshot_payload", name, input + payload);
}

// ---- peer messages --------------------------------------------------------------------------

void PeerMessages() {
  using namespace zab;
  auto payload = [](const Message& m) {
    std::string out;
    if (!EncodeMessage(m, &out).ok()) std::exit(1);
    return out;
  };
  auto frame = [](const Message& m) {
    std::string out;
    if (!EncodeMessageFrame(m, wire::kDefaultMaxFrameBytes, &out).ok()) std::exit(1);
    return out;
  };
  const std::vector<std::pair<std::string, Message>> messages = {
      {"notification", Notification{Vote{3, 0x500000007, 5}, 12, PeerState::kFollowing}},
      {"learner_info", LearnerInfo{4, 0x400000010, true}},
      {"leader_info", LeaderInfo{7}},
      {"ack_epoch", AckEpoch{6, 0x600000001}},
      {"sync_start", SyncStart{SyncMode::kTrunc, 0x100000002}},
      {"snapshot", zab::Snapshot{0x200000003, "tree"}},  // not the function below
      {"proposal", Proposal{0x100000001, "txn bytes"}},
      {"commit", Commit{0x100000001}},
      {"new_leader", NewLeader{0x700000000}},
      {"ack", Ack{-1}},
      {"up_to_date", UpToDate{}},
      {"inform", Inform{0x100000009, "committed"}},
      {"ping", Ping{0x100000009}},
      {"app_data", AppData{"forwarded write"}},
  };
  for (const auto& [name, m] : messages) Put("peer_message", "message_" + name, '\0' + payload(m));

  auto chunk_frame = [](int64_t zxid, const std::string& data, size_t offset, size_t n) {
    return EncodeSnapshotChunkFrameHead(zxid, data.size(), offset, n) + data.substr(offset, n);
  };
  const std::string snap = "0123456789abcdefghij";
  Put("peer_message", "record_handshake",
      '\1' + EncodeHandshakeFrame(Handshake{wire::kHandshakeMagic, wire::kProtocolVersion, 3,
                                             Channel::kQuorum})
                 .substr(wire::kFrameHeaderBytes));
  Put("peer_message", "record_chunk",
      '\1' + chunk_frame(9, snap, 8, 6).substr(wire::kFrameHeaderBytes));
  Put("peer_message", "stream_sync",
      '\2' + frame(SyncStart{SyncMode::kSnap, 9}) + chunk_frame(9, snap, 0, 8) +
          chunk_frame(9, snap, 8, 8) + chunk_frame(9, snap, 16, 4) + frame(NewLeader{1LL << 32}) +
          frame(Proposal{(1LL << 32) + 1, "p"}) + frame(Commit{(1LL << 32) + 1}));
  Put("peer_message", "stream_empty_snapshot",
      '\2' + chunk_frame(4, "", 0, 0) + frame(UpToDate{}));
}

}  // namespace
}  // namespace zk

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  zk::g_root = argv[1];
  zk::Records();
  zk::TxnsAndLogRecords();
  zk::Paths();
  zk::Configs();
  zk::Requests();
  zk::PeerMessages();
  zk::Snapshot("empty_tree", 0, 0, 1);
  zk::Snapshot("small", 8, 2, 1);
  zk::Snapshot("small_uncompressed_level", 5, 1, 0);
  zk::Snapshot("medium", 40, 3, 3);
  return 0;
}
