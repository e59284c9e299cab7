// Reading Apache ZooKeeper's data files: the password derivation against values printed by
// Java's java.util.Random, and snapshots and logs built here in ZooKeeper's layout (the
// integration test test_zookeeper_import.py reads files written by Apache ZooKeeper itself).
#include "server/zookeeper_import.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "client/proto/jute.h"
#include "tests/unit/server/temp_dir.h"

namespace zk::server {
namespace {

namespace fs = std::filesystem;
using proto::JuteWriter;

std::string Hex(const SessionPassword& p) {
  std::string out;
  for (char c : p) out += fmt::format("{:02x}", static_cast<unsigned char>(c));
  return out;
}

using testutil::TempDir;

struct ZkNode {
  std::string path;  // "" for the root, as ZooKeeper writes it
  std::string data;
  int64_t acl = -1;
  int64_t czxid = 1, mzxid = 1, ctime = 1000, mtime = 1000;
  int32_t version = 0, cversion = 0, aversion = 0;
  int64_t owner = 0, pzxid = 1;
};

void WriteAcl(JuteWriter& w, int32_t perms, const std::string& scheme, const std::string& id) {
  w.WriteInt(perms);
  w.WriteString(scheme);
  w.WriteString(id);
}

void Seal(std::string* out) {
  JuteWriter w(out);
  w.WriteLong(Adler32(1, *out));
  w.WriteString("/");
}

// A snapshot in ZooKeeper's layout: header, sessions, ACL cache (id 1 = digest ACL), nodes.
std::string ZkSnapshot(const std::vector<std::pair<int64_t, int32_t>>& sessions,
                       const std::vector<ZkNode>& nodes, bool with_digest) {
  std::string out;
  JuteWriter w(&out);
  w.WriteInt(0x5a4b534e);
  w.WriteInt(2);
  w.WriteLong(-1);
  w.WriteInt(static_cast<int32_t>(sessions.size()));
  for (auto [id, timeout] : sessions) {
    w.WriteLong(id);
    w.WriteInt(timeout);
  }
  w.WriteInt(1);  // one cached ACL list
  w.WriteLong(1);
  w.WriteInt(2);
  WriteAcl(w, 31, "digest", "alice:hash=");
  WriteAcl(w, 1, "world", "anyone");
  for (const ZkNode& n : nodes) {
    w.WriteString(n.path);
    w.WriteBuffer(n.data);
    w.WriteLong(n.acl);
    w.WriteLong(n.czxid);
    w.WriteLong(n.mzxid);
    w.WriteLong(n.ctime);
    w.WriteLong(n.mtime);
    w.WriteInt(n.version);
    w.WriteInt(n.cversion);
    w.WriteInt(n.aversion);
    w.WriteLong(n.owner);
    w.WriteLong(n.pzxid);
  }
  w.WriteString("/");
  Seal(&out);
  if (with_digest) {
    JuteWriter d(&out);
    d.WriteLong(5);
    d.WriteInt(2);
    d.WriteLong(123456);
    Seal(&out);
  }
  return out;
}

std::vector<ZkNode> BaseNodes() {
  std::vector<ZkNode> nodes(5);
  nodes[0].path = "";
  nodes[0].cversion = 2;
  nodes[0].pzxid = 3;
  nodes[1].path = "/zookeeper";
  nodes[1].cversion = 0;
  nodes[2].path = "/zookeeper/quota";
  nodes[3].path = "/app";
  nodes[3].data = "hello";
  nodes[3].acl = 1;
  nodes[3].czxid = nodes[3].mzxid = 2;
  nodes[3].cversion = 1;
  nodes[3].pzxid = 3;
  nodes[3].version = 4;
  nodes[4].path = "/app/worker-0000000000";
  nodes[4].czxid = nodes[4].mzxid = nodes[4].pzxid = 3;
  nodes[4].owner = 0x1000a5c3d2e0001;
  return nodes;
}

// One log record: header + body, with its Adler-32 and end-of-record byte.
void AppendTxn(std::string* log, int64_t client, int64_t zxid, int32_t type,
               const std::string& body) {
  std::string rec;
  JuteWriter h(&rec);
  h.WriteLong(client);
  h.WriteInt(1);
  h.WriteLong(zxid);
  h.WriteLong(5000 + zxid);
  h.WriteInt(type);
  rec += body;
  JuteWriter w(log);
  w.WriteLong(Adler32(1, rec));
  w.WriteBuffer(rec);
  log->push_back('B');
}

std::string LogHeader() {
  std::string out;
  JuteWriter w(&out);
  w.WriteInt(0x5a4b4c47);
  w.WriteInt(2);
  w.WriteLong(0);
  return out;
}

std::string CreateBody(const std::string& path, const std::string& data, bool ephemeral,
                       int32_t parent_cversion) {
  std::string b;
  JuteWriter w(&b);
  w.WriteString(path);
  w.WriteBuffer(data);
  w.WriteInt(1);
  WriteAcl(w, 31, "world", "anyone");
  w.WriteBool(ephemeral);
  w.WriteInt(parent_cversion);
  return b;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST_CASE("ApacheSessionPassword equals java.util.Random(id ^ 0xB3415C00).nextBytes") {
  // Printed by Java 17: new Random(id ^ 0XB3415C00L).nextBytes(new byte[16]).
  CHECK(Hex(ApacheSessionPassword(0x100000123456789)) == "b11647e5db8ff1c8bd6768eac33a41ce");
  CHECK(Hex(ApacheSessionPassword(0x1000a5c3d2e0001)) == "232593bffd9701be63205a4342ed774d");
  CHECK(Hex(ApacheSessionPassword(-1)) == "20f62cb5648dc2d771471c8a2486a9ee");
  CHECK(Hex(ApacheSessionPassword(0)) == "f22acd4a97e69d6d20a49bb638eadb38");
}

TEST_CASE("Adler32 as java.util.zip.Adler32") {
  CHECK(Adler32(1, "") == 1u);
  CHECK(Adler32(1, "Wikipedia") == 0x11E60398u);
  CHECK(Adler32(Adler32(1, "Wiki"), "pedia") == 0x11E60398u);
}

TEST_CASE("a ZooKeeper snapshot: nodes, stats, ACLs and sessions") {
  for (bool with_digest : {false, true}) {
    const std::string bytes = ZkSnapshot({{0x1000a5c3d2e0001, 30000}}, BaseNodes(), with_digest);
    DataTree tree;
    std::vector<SnapshotSession> sessions;
    REQUIRE(ParseZooKeeperSnapshot(bytes, &tree, &sessions).ok());
    REQUIRE(sessions.size() == 1);
    CHECK(sessions[0].id == 0x1000a5c3d2e0001);
    CHECK(sessions[0].timeout_ms == 30000);
    CHECK(Hex(sessions[0].password) == "232593bffd9701be63205a4342ed774d");
    const DataTree::Node* app = tree.Find("/app");
    REQUIRE(app != nullptr);
    CHECK(tree.DataOf(*app) == "hello");
    CHECK(tree.StoredStat(*app).version == 4);
    CHECK(tree.StoredStat(*app).czxid == 2);
    REQUIRE(tree.AclOf(*app).size() == 2);
    CHECK(tree.AclOf(*app)[0].id.scheme == "digest");
    CHECK(tree.AclOf(*app)[1].perms == 1);
    const DataTree::Node* worker = tree.Find("/app/worker-0000000000");
    REQUIRE(worker != nullptr);
    CHECK(tree.EphemeralsOf(0x1000a5c3d2e0001).count("/app/worker-0000000000") == 1);
    // The shown cversion of /app: 2 * 1 creation - 1 child.
    CHECK(tree.StatOf(*app).cversion == 1);
    CHECK(tree.StoredStat(*tree.Find("/")).pzxid == 3);
  }
}

TEST_CASE("a damaged ZooKeeper snapshot is refused") {
  std::string bytes = ZkSnapshot({}, BaseNodes(), false);
  SUBCASE("a flipped byte fails the checksum") { bytes[bytes.size() / 2] ^= 0x01; }
  SUBCASE("truncated") { bytes.resize(bytes.size() - 9); }
  SUBCASE("bad magic") { bytes[0] = 'X'; }
  SUBCASE("a node under a missing parent") {
    std::vector<ZkNode> nodes = BaseNodes();
    nodes[4].path = "/missing/child";
    bytes = ZkSnapshot({}, nodes, false);
  }
  SUBCASE("an ACL id not in the cache") {
    std::vector<ZkNode> nodes = BaseNodes();
    nodes[3].acl = 7;
    bytes = ZkSnapshot({}, nodes, false);
  }
  DataTree tree;
  std::vector<SnapshotSession> sessions;
  CHECK_FALSE(ParseZooKeeperSnapshot(bytes, &tree, &sessions).ok());
}

TEST_CASE("logs are replayed onto a fuzzy snapshot as ZooKeeper replays them") {
  TempDir dir;
  const int64_t session = 0x1000a5c3d2e0001;
  // The snapshot is named 0x2 but already holds the create of zxid 0x3 (fuzzy), except that
  // /app was serialized before it: its cversion and pzxid are still those of zxid 0x2.
  std::vector<ZkNode> nodes = BaseNodes();
  nodes[3].cversion = 0;
  nodes[3].pzxid = 2;
  WriteFile(dir.path + "/snapshot.2", ZkSnapshot({{session, 30000}}, nodes, true));
  std::string log = LogHeader();
  AppendTxn(&log, session, 3, 1, CreateBody("/app/worker-0000000000", "", true, 1));
  AppendTxn(&log, session, 4, 1, CreateBody("/app/worker-0000000001", "x", true, 2));
  {
    std::string b;
    JuteWriter w(&b);
    w.WriteString("/app");
    w.WriteBuffer("bye");
    w.WriteInt(5);
    AppendTxn(&log, 77, 5, 5, b);
  }
  {
    std::string b;
    JuteWriter w(&b);
    w.WriteInt(40000);
    AppendTxn(&log, 0x100000123456789, 6, -10, b);
  }
  AppendTxn(&log, session, 7, -11, "");
  log += std::string(64, '\0');  // the preallocated tail
  WriteFile(dir.path + "/log.1", log);

  auto state = ReadZooKeeperState(dir.path, dir.path);
  REQUIRE_MESSAGE(state.ok(), state.status().ToString());
  CHECK(state->snapshot_zxid == 2);
  CHECK(state->txns_replayed == 5);
  DataTree& tree = *state->tree;
  CHECK(tree.last_zxid() == 7);
  const DataTree::Node* app = tree.Find("/app");
  REQUIRE(app != nullptr);
  CHECK(tree.DataOf(*app) == "bye");
  CHECK(tree.StoredStat(*app).version == 5);
  // Two creations (cversion 2), raised by the replayed creates, then both children deleted by
  // the close of their session (pzxid 7).
  CHECK(tree.StoredStat(*app).cversion == 2);
  CHECK(tree.StoredStat(*app).pzxid == 7);
  CHECK(tree.NumChildren(*app) == 0);
  REQUIRE(state->sessions.size() == 1);
  CHECK(state->sessions[0].id == 0x100000123456789);
  CHECK(state->sessions[0].timeout_ms == 40000);
  CHECK(Hex(state->sessions[0].password) == "b11647e5db8ff1c8bd6768eac33a41ce");
}

TEST_CASE("a gap in the logs is refused; a torn last record ends the log") {
  TempDir dir;
  WriteFile(dir.path + "/snapshot.2", ZkSnapshot({}, BaseNodes(), false));
  std::string log = LogHeader();
  SUBCASE("gap") {
    AppendTxn(&log, 1, 4, 1, CreateBody("/x", "", false, 2));
    WriteFile(dir.path + "/log.3", log);
    auto state = ReadZooKeeperState(dir.path, dir.path);
    REQUIRE_FALSE(state.ok());
    CHECK(state.status().message().find("missing") != std::string::npos);
  }
  SUBCASE("torn") {
    AppendTxn(&log, 1, 3, 1, CreateBody("/x", "", false, 2));
    std::string torn = log;
    AppendTxn(&torn, 1, 4, 1, CreateBody("/y", "", false, 3));
    torn.resize(torn.size() - 1);  // the end-of-record byte never reached the disk
    WriteFile(dir.path + "/log.3", torn);
    auto state = ReadZooKeeperState(dir.path, dir.path);
    REQUIRE(state.ok());
    CHECK(state->tree->Find("/x") != nullptr);
    CHECK(state->tree->Find("/y") == nullptr);
    CHECK(state->tree->last_zxid() == 3);
  }
}

TEST_CASE("an empty directory is an error, not an empty import") {
  TempDir dir;
  CHECK_FALSE(ReadZooKeeperState(dir.path, dir.path).ok());
}

}  // namespace
}  // namespace zk::server

namespace zk::server {
namespace {

TEST_CASE("a snapshot without any log is refused (a wrong log directory loses txns)") {
  TempDir dir;
  TempDir elsewhere;
  WriteFile(dir.path + "/snapshot.2", ZkSnapshot({}, BaseNodes(), false));
  auto state = ReadZooKeeperState(dir.path, elsewhere.path);
  REQUIRE_FALSE(state.ok());
  CHECK(state.status().message().find("--zookeeper-log-dir") != std::string::npos);
}

}  // namespace
}  // namespace zk::server
