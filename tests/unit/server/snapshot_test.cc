#include "server/snapshot.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "server/file_remover.h"
#include "tests/unit/server/temp_dir.h"

namespace zk::server {
namespace {

namespace fs = std::filesystem;

using testutil::TempDir;

// Builds trees by applying txns, keeping the parent cversion bookkeeping Prep would do.
class TreeBuilder {
 public:
  explicit TreeBuilder(DataTree* tree) : tree_(tree) {}

  int64_t zxid() const { return zxid_; }

  void Create(const std::string& path, std::string data, const AclList& acl = acls::OpenUnsafe(),
              int64_t owner = 0, bool data_null = false) {
    CreateTxn c;
    c.path = path;
    c.data = std::move(data);
    c.data_null = data_null;
    c.acl = acl;
    c.ephemeral_owner = owner;
    std::string parent(ParentOf(path));
    c.parent_cversion = ++cversion_[parent];
    MustApply(OpCode::kCreate, c);
  }
  void SetData(const std::string& path, std::string data) {
    SetDataTxn s;
    s.path = path;
    s.data = std::move(data);
    s.version = ++data_version_[path];
    MustApply(OpCode::kSetData, s);
  }
  void SetAcl(const std::string& path, const AclList& acl) {
    SetAclTxn s;
    s.path = path;
    s.acl = acl;
    s.version = ++acl_version_[path];
    MustApply(OpCode::kSetAcl, s);
  }
  void Delete(const std::string& path) { MustApply(OpCode::kDelete, DeleteTxn{path}); }
  void CreateSession(int64_t id) {
    Txn t;
    t.zxid = ++zxid_;
    t.session_id = id;
    t.time_ms = 1000 + zxid_;
    t.type = OpCode::kCreateSession;
    t.body = CreateSessionTxn{30000};
    tree_->Apply(t, nullptr);
  }

 private:
  static std::string_view ParentOf(std::string_view path) {
    size_t slash = path.rfind('/');
    return slash == 0 ? std::string_view("/") : path.substr(0, slash);
  }

  template <class Body>
  void MustApply(OpCode type, const Body& body) {
    Txn t;
    t.zxid = ++zxid_;
    t.session_id = 0x1234;
    t.time_ms = 1'700'000'000'000 + zxid_;
    t.type = type;
    t.body = body;
    ApplyResult r = tree_->Apply(t, nullptr);
    REQUIRE(r.err == Err::kOk);
  }

  DataTree* tree_;
  int64_t zxid_ = 0;
  std::map<std::string, int32_t> cversion_;
  std::map<std::string, int32_t> data_version_;
  std::map<std::string, int32_t> acl_version_;
};

AclList DigestAcl() {
  return {proto::Acl{perms::kAll, {"digest", "alice:Xy6Xyx8QRKIyZ29EmPpQmQ+WdXs="}},
          proto::Acl{perms::kRead, {"world", "anyone"}}};
}
AclList IpAcl() { return {proto::Acl{perms::kAll, {"ip", "10.0.0.0/8"}}}; }

constexpr int64_t kSession1 = 0x0100000000000001;
constexpr int64_t kSession2 = 0x0100000000000002;

// Phase 1: a varied tree. Phase 2: more changes on top (deterministic, so replaying phase 1
// on another tree gives an identical tree).
void BuildPhase1(TreeBuilder* b) {
  b->CreateSession(kSession1);
  b->CreateSession(kSession2);
  b->Create("/app", "root-of-app");
  b->Create("/app/config", std::string("\0binary\xff\x01", 9), DigestAcl());
  b->Create("/app/empty", "", acls::OpenUnsafe());
  b->Create("/app/null", "", acls::OpenUnsafe(), 0, /*data_null=*/true);
  b->Create("/app/locks", "");
  b->Create("/app/locks/lock-0000000000", "e1", acls::OpenUnsafe(), kSession1);
  b->Create("/app/locks/lock-0000000001", "e2", IpAcl(), kSession2);
  b->Create("/app/container", "", acls::OpenUnsafe(), ephemeral_owner::kContainer);
  b->Create("/app/ttl", "t", acls::OpenUnsafe(), ephemeral_owner::kTtlMask | 5000);
  b->Create("/app/big", std::string(200000, 'x'));
  // Larger than a chunk: the reader must wait for more bytes than its usual threshold.
  std::string huge(3 << 20, '\0');
  for (size_t i = 0; i < huge.size(); ++i) huge[i] = static_cast<char>((i * 2654435761u) >> 13);
  b->Create("/app/huge", huge);
  for (int i = 0; i < 300; ++i) {
    b->Create("/app/many-" + std::to_string(i), "value-" + std::to_string(i));
  }
  b->SetData("/app", "changed");
  b->SetData("/app/many-7", "changed twice");
  b->SetData("/app/many-7", "changed thrice");
  b->SetAcl("/app/many-8", IpAcl());
  b->Delete("/app/many-9");
  b->Create("/zookeeper/quota/app", "q");  // under a built-in node
}

void BuildPhase2(TreeBuilder* b) {
  b->Create("/later", "after the snapshot");
  b->SetData("/app", "changed again");
  b->Delete("/app/many-10");
  b->SetAcl("/app/config", acls::OpenUnsafe());
}

using NodeImage = std::tuple<NodeStat, std::string, bool, AclList, proto::Stat>;

std::map<std::string, NodeImage> ImageOf(const DataTree& tree) {
  std::map<std::string, NodeImage> out;
  tree.Walk([&](const std::string& path, const DataTree::Node& n) {
    out.emplace(path, NodeImage{tree.StoredStat(n), std::string(tree.DataOf(n)), tree.DataIsNull(n),
                                tree.AclOf(n), tree.StatOf(n)});
  });
  return out;
}

bool SameStat(const NodeStat& a, const NodeStat& b) {
  return a.czxid == b.czxid && a.mzxid == b.mzxid && a.pzxid == b.pzxid && a.ctime == b.ctime &&
         a.mtime == b.mtime && a.ephemeral_owner == b.ephemeral_owner && a.version == b.version &&
         a.cversion == b.cversion && a.aversion == b.aversion;
}

void CheckSameTree(const DataTree& expected, const DataTree& actual) {
  auto e = ImageOf(expected);
  auto a = ImageOf(actual);
  REQUIRE(e.size() == a.size());
  for (const auto& [path, img] : e) {
    INFO("path " << path);
    auto it = a.find(path);
    REQUIRE(it != a.end());
    const auto& [es, ed, en, eacl, epstat] = img;
    const auto& [as, ad, an, aacl, apstat] = it->second;
    CHECK(SameStat(es, as));
    CHECK(ed == ad);
    CHECK(en == an);
    CHECK(eacl == aacl);
    CHECK(epstat == apstat);
  }
  CHECK(expected.digest() == actual.digest());
  CHECK(expected.last_zxid() == actual.last_zxid());
  CHECK(expected.node_count() == actual.node_count());
  CHECK(expected.AllEphemerals() == actual.AllEphemerals());
  CHECK(expected.Containers() == actual.Containers());
  CHECK(expected.TtlNodes() == actual.TtlNodes());
}

SessionPassword PasswordOfByte(char fill) {
  SessionPassword p;
  p.fill(fill);
  return p;
}

SessionTracker MakeSessions() {
  SessionTracker t(1, 2000, 0);
  t.Add(kSession2, 10000, PasswordOfByte('b'), 0);
  t.Add(kSession1, 30000, PasswordOfByte('a'), 0);
  return t;
}

std::optional<LoadedSnapshot> MustLoad(const std::string& dir, std::unique_ptr<DataTree>* tree) {
  auto r = LoadNewestSnapshot(dir, tree);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return std::move(r).value();
}

void FlipByte(const std::string& file, uint64_t offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f.good());
  f.seekg(static_cast<std::streamoff>(offset));
  char c;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x20);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

// Two snapshots in `dir`: phase 1 (returned in *older) and phase 1+2 (returns the file name).
std::string WriteTwoSnapshots(const std::string& dir, DataTree* older) {
  TreeBuilder ob(older);
  BuildPhase1(&ob);
  SessionTracker sessions = MakeSessions();
  REQUIRE(WriteSnapshotFile(*older, sessions, dir, 3).ok());
  DataTree newer;
  TreeBuilder nb(&newer);
  BuildPhase1(&nb);
  BuildPhase2(&nb);
  REQUIRE(WriteSnapshotFile(newer, sessions, dir, 3).ok());
  REQUIRE(ListSnapshotZxids(dir) == std::vector<int64_t>{older->last_zxid(), newer.last_zxid()});
  return SnapshotFileName(dir, newer.last_zxid());
}

TEST_CASE("snapshot: round trip of tree, stats, ACLs, digest and sessions") {
  TempDir dir;
  DataTree tree;
  TreeBuilder b(&tree);
  BuildPhase1(&b);
  SessionTracker sessions = MakeSessions();
  REQUIRE(WriteSnapshotFile(tree, sessions, dir.path, 3).ok());
  CHECK(ListSnapshotZxids(dir.path) == std::vector<int64_t>{tree.last_zxid()});
  CHECK(fs::exists(SnapshotFileName(dir.path, tree.last_zxid())));
  CHECK_FALSE(fs::exists(SnapshotFileName(dir.path, tree.last_zxid()) + ".tmp"));

  auto loaded_tree = std::make_unique<DataTree>();
  auto loaded = MustLoad(dir.path, &loaded_tree);
  REQUIRE(loaded.has_value());
  CHECK(loaded->zxid == tree.last_zxid());
  CHECK(loaded->file == SnapshotFileName(dir.path, tree.last_zxid()));
  REQUIRE(loaded->sessions.size() == 2);
  CHECK(loaded->sessions[0].id == kSession1);
  CHECK(loaded->sessions[0].timeout_ms == 30000);
  CHECK(loaded->sessions[1].id == kSession2);
  CHECK(loaded->sessions[1].timeout_ms == 10000);
  CHECK(loaded->sessions[0].password == PasswordOfByte('a'));
  CHECK(loaded->sessions[1].password == PasswordOfByte('b'));
  CheckSameTree(tree, *loaded_tree);
  CHECK(loaded_tree->DataIsNull(*loaded_tree->Find("/app/null")));
  CHECK(loaded_tree->EphemeralsOf(kSession1).count("/app/locks/lock-0000000000") == 1);
}

TEST_CASE("snapshot: zstd's fast levels (the negative ones, -1 the default) round-trip") {
  for (int level : {-1, -22}) {
    CAPTURE(level);
    TempDir dir;
    DataTree tree;
    TreeBuilder b(&tree);
    BuildPhase1(&b);
    SessionTracker sessions = MakeSessions();
    REQUIRE(WriteSnapshotFile(tree, sessions, dir.path, level).ok());
    auto loaded_tree = std::make_unique<DataTree>();
    auto loaded = MustLoad(dir.path, &loaded_tree);
    REQUIRE(loaded.has_value());
    CHECK(loaded->zxid == tree.last_zxid());
    CHECK(loaded->sessions.size() == 2);
    CheckSameTree(tree, *loaded_tree);
  }
}

TEST_CASE("snapshot: a parent past the child set's split size round-trips and stays editable") {
  // The loader reserves the child set for the stored count, so this parent's set is split
  // (server/sharded_hash_set.h) from the start of the load; the writer walks it shard by shard.
  const int n = static_cast<int>(kShardedHashSetSplitAt) + 500;
  TempDir dir;
  DataTree tree;
  TreeBuilder b(&tree);
  b.Create("/big", "");
  for (int i = 0; i < n; ++i) b.Create("/big/c" + std::to_string(i), "d" + std::to_string(i));
  b.Delete("/big/c7");
  b.SetData("/big/c8", "changed");
  SessionTracker sessions(1, 2000, 0);
  REQUIRE(WriteSnapshotFile(tree, sessions, dir.path, -1).ok());
  auto loaded_tree = std::make_unique<DataTree>();
  REQUIRE(MustLoad(dir.path, &loaded_tree).has_value());
  CheckSameTree(tree, *loaded_tree);
  CHECK(loaded_tree->NumChildren(*loaded_tree->Find("/big")) == n - 1);
  CHECK(loaded_tree->Find("/big/c7") == nullptr);
  CHECK(loaded_tree->DataOf(*loaded_tree->Find("/big/c8")) == "changed");
  CHECK(loaded_tree->DataOf(*loaded_tree->Find(("/big/c" + std::to_string(n - 1)))) ==
        "d" + std::to_string(n - 1));
  CHECK(loaded_tree->Children(*loaded_tree->Find("/big")).size() == static_cast<size_t>(n - 1));
}

TEST_CASE("snapshot: a fresh tree with no sessions round-trips") {
  TempDir dir;
  DataTree tree;
  SessionTracker sessions(1, 2000, 0);
  REQUIRE(WriteSnapshotFile(tree, sessions, dir.path, 1).ok());
  CHECK(fs::exists(dir.path + "/snapshot.0000000000000000"));
  auto loaded_tree = std::make_unique<DataTree>();
  auto loaded = MustLoad(dir.path, &loaded_tree);
  REQUIRE(loaded.has_value());
  CHECK(loaded->zxid == 0);
  CHECK(loaded->sessions.empty());
  CheckSameTree(tree, *loaded_tree);
}

TEST_CASE("snapshot: no snapshot gives nullopt") {
  TempDir dir;
  auto tree = std::make_unique<DataTree>();
  CHECK_FALSE(MustLoad(dir.path, &tree).has_value());
  CHECK_FALSE(MustLoad(dir.path + "/missing", &tree).has_value());
  CHECK(ListSnapshotZxids(dir.path + "/missing").empty());
  CHECK(PurgeSnapshots(dir.path, 3) == 0);
  // Stray tmp files are not snapshots.
  std::ofstream(dir.path + "/snapshot.0000000000000005.tmp") << "partial";
  std::ofstream(dir.path + "/snapshot.nothex0000000005") << "x";
  CHECK(ListSnapshotZxids(dir.path).empty());
  CHECK_FALSE(MustLoad(dir.path, &tree).has_value());
  CHECK(tree->last_zxid() == 0);
}

TEST_CASE("snapshot: a corrupt newest snapshot is skipped and the older one loads") {
  TempDir dir;
  DataTree older;
  std::string newest = WriteTwoSnapshots(dir.path, &older);
  const uint64_t size = fs::file_size(newest);

  uint64_t offset = 0;
  SUBCASE("byte in the middle") { offset = size / 2; }
  SUBCASE("magic") { offset = 3; }
  SUBCASE("header digest") { offset = 41; }
  SUBCASE("trailer") { offset = size - 2; }
  FlipByte(newest, offset);

  auto tree = std::make_unique<DataTree>();
  auto loaded = MustLoad(dir.path, &tree);
  REQUIRE(loaded.has_value());
  CHECK(loaded->zxid == older.last_zxid());
  CHECK(loaded->sessions.size() == 2);
  CheckSameTree(older, *tree);
  CHECK(tree->Find("/later") == nullptr);
}

TEST_CASE("snapshot: a truncated snapshot is skipped") {
  TempDir dir;
  DataTree older;
  std::string newest = WriteTwoSnapshots(dir.path, &older);
  const uint64_t size = fs::file_size(newest);
  uint64_t keep = 0;
  SUBCASE("half") { keep = size / 2; }
  SUBCASE("trailer missing") { keep = size - 8; }
  SUBCASE("header only") { keep = 56; }
  SUBCASE("empty") { keep = 0; }
  fs::resize_file(newest, keep);
  auto tree = std::make_unique<DataTree>();
  auto loaded = MustLoad(dir.path, &tree);
  REQUIRE(loaded.has_value());
  CHECK(loaded->zxid == older.last_zxid());
  CheckSameTree(older, *tree);
}

TEST_CASE("snapshot: all snapshots bad gives nullopt and a fresh tree") {
  TempDir dir;
  DataTree older;
  std::string newest = WriteTwoSnapshots(dir.path, &older);
  FlipByte(newest, fs::file_size(newest) / 2);
  std::string oldest = SnapshotFileName(dir.path, older.last_zxid());
  fs::resize_file(oldest, fs::file_size(oldest) - 1);
  auto tree = std::make_unique<DataTree>();
  CHECK_FALSE(MustLoad(dir.path, &tree).has_value());
  DataTree fresh;
  CheckSameTree(fresh, *tree);
}

TEST_CASE("snapshot: a file whose name and header disagree is rejected") {
  TempDir dir;
  DataTree tree;
  TreeBuilder b(&tree);
  BuildPhase1(&b);
  SessionTracker sessions = MakeSessions();
  REQUIRE(WriteSnapshotFile(tree, sessions, dir.path, 3).ok());
  fs::rename(SnapshotFileName(dir.path, tree.last_zxid()),
             SnapshotFileName(dir.path, tree.last_zxid() + 100));
  auto loaded_tree = std::make_unique<DataTree>();
  CHECK_FALSE(MustLoad(dir.path, &loaded_tree).has_value());
}

TEST_CASE("snapshot: forked writer captures the state at Start while the parent mutates") {
  TempDir dir;
  DataTree tree;
  TreeBuilder b(&tree);
  BuildPhase1(&b);
  DataTree reference;
  TreeBuilder rb(&reference);
  BuildPhase1(&rb);
  SessionTracker sessions = MakeSessions();

  SnapshotWriter writer(dir.path, 3);
  CHECK_FALSE(writer.running());
  CHECK_FALSE(writer.Poll().has_value());
  const int64_t zxid = tree.last_zxid();
  REQUIRE(writer.Start(tree, sessions));
  CHECK(writer.running());
  CHECK(writer.running_zxid() == zxid);
  CHECK_FALSE(writer.Start(tree, sessions));  // one at a time
  // The parent keeps writing; the child's image is frozen at the fork.
  BuildPhase2(&b);
  for (int i = 0; i < 200; ++i) b.SetData("/app/many-1", std::string(1000, static_cast<char>(i)));
  sessions.Add(0x0100000000000003, 5000, SessionPassword{}, 0);

  std::optional<zab::Status> done;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!(done = writer.Poll()) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  REQUIRE(done.has_value());
  CHECK_MESSAGE(done->ok(), done->ToString());
  CHECK_FALSE(writer.running());
  CHECK(writer.running_zxid() == 0);
  CHECK_FALSE(writer.Poll().has_value());  // reported once

  auto loaded_tree = std::make_unique<DataTree>();
  auto loaded = MustLoad(dir.path, &loaded_tree);
  REQUIRE(loaded.has_value());
  CHECK(loaded->zxid == zxid);
  CHECK(loaded->sessions.size() == 2);
  CheckSameTree(reference, *loaded_tree);

  // A second snapshot after the mutations.
  REQUIRE(writer.Start(tree, sessions));
  CHECK(writer.running_zxid() == tree.last_zxid());
}  // the destructor waits for the second child

TEST_CASE("snapshot: forked writer reports failure") {
  TempDir dir;
  DataTree tree;
  SessionTracker sessions(1, 2000, 0);
  SnapshotWriter writer(dir.path + "/no/such/dir", 1);
  REQUIRE(writer.Start(tree, sessions));
  std::optional<zab::Status> done;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!(done = writer.Poll()) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  REQUIRE(done.has_value());
  CHECK(done->IsIOError());
  CHECK(done->message().find("no/such/dir") != std::string::npos);

  zab::Status direct = WriteSnapshotFile(tree, sessions, dir.path + "/missing", 1);
  CHECK(direct.IsIOError());
}

// Writes `count` snapshots into dir, one more node in each; returns their zxids, ascending.
std::vector<int64_t> WriteSnapshotSeries(const std::string& dir, DataTree* tree, int count) {
  TreeBuilder b(tree);
  SessionTracker sessions(1, 2000, 0);
  std::vector<int64_t> zxids;
  for (int i = 0; i < count; ++i) {
    b.Create("/n" + std::to_string(i), "v");
    REQUIRE(WriteSnapshotFile(*tree, sessions, dir, 1).ok());
    zxids.push_back(tree->last_zxid());
  }
  return zxids;
}

TEST_CASE("snapshot: purge keeps the newest N and removes old tmp files") {
  TempDir dir;
  DataTree tree;
  const std::vector<int64_t> zxids = WriteSnapshotSeries(dir.path, &tree, 5);
  CHECK(ListSnapshotZxids(dir.path) == zxids);
  const std::string old_tmp = SnapshotFileName(dir.path, zxids[1]) + ".tmp";
  const std::string new_tmp = SnapshotFileName(dir.path, zxids[4] + 1) + ".tmp";
  std::ofstream(old_tmp) << "stale";
  std::ofstream(new_tmp) << "maybe a running child";

  CHECK(PurgeSnapshots(dir.path, 2) == zxids[3]);
  CHECK(ListSnapshotZxids(dir.path) == std::vector<int64_t>{zxids[3], zxids[4]});
  CHECK_FALSE(fs::exists(old_tmp));
  CHECK(fs::exists(new_tmp));
  CHECK(PurgeSnapshots(dir.path, 0) == zxids[4]);  // at least one is kept
  CHECK(ListSnapshotZxids(dir.path) == std::vector<int64_t>{zxids[4]});

  auto loaded_tree = std::make_unique<DataTree>();
  auto loaded = MustLoad(dir.path, &loaded_tree);
  REQUIRE(loaded.has_value());
  CheckSameTree(tree, *loaded_tree);
}

TEST_CASE("snapshot: purge with a remover renames at once and unlinks on its thread") {
  TempDir dir;
  DataTree tree;
  const std::vector<int64_t> zxids = WriteSnapshotSeries(dir.path, &tree, 4);
  // What a purge a crash interrupted leaves: a renamed snapshot (here a copy of the newest under
  // a higher zxid). It is neither listed nor loaded.
  const std::string left_over = SnapshotFileName(dir.path, zxids[3] + 7) + ".purged";
  fs::copy_file(SnapshotFileName(dir.path, zxids[3]), left_over);
  CHECK(ListSnapshotZxids(dir.path) == zxids);
  {
    auto loaded_tree = std::make_unique<DataTree>();
    auto loaded = MustLoad(dir.path, &loaded_tree);
    REQUIRE(loaded.has_value());
    CHECK(loaded->zxid == zxids[3]);
  }

  FileRemover remover;
  CHECK(PurgeSnapshots(dir.path, 2, &remover) == zxids[2]);
  // The purged snapshots' names are gone on return, whatever the remover has done yet.
  CHECK_FALSE(fs::exists(SnapshotFileName(dir.path, zxids[0])));
  CHECK_FALSE(fs::exists(SnapshotFileName(dir.path, zxids[1])));
  CHECK(ListSnapshotZxids(dir.path) == std::vector<int64_t>{zxids[2], zxids[3]});
  remover.Drain();
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.path)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{fs::path(SnapshotFileName(dir.path, zxids[2])).filename(),
                                          fs::path(SnapshotFileName(dir.path, zxids[3])).filename()});
}

TEST_CASE("FileRemover: unlinks what is queued, in order; a missing file is no error") {
  TempDir dir;
  std::vector<std::string> files;
  for (int i = 0; i < 50; ++i) {
    files.push_back(dir.path + "/f" + std::to_string(i));
    std::ofstream(files.back()) << std::string(4096, 'x');
  }
  files.push_back(dir.path + "/never-existed");
  {
    FileRemover remover;
    remover.Drain();  // nothing queued
    remover.Remove({files.begin(), files.begin() + 10});
    remover.Drain();
    for (int i = 0; i < 10; ++i) CHECK_FALSE(fs::exists(files[i]));
    CHECK(fs::exists(files[10]));
    remover.Remove({files.begin() + 10, files.end()});
  }  // the destructor removes what is still queued
  for (const std::string& f : files) CHECK_FALSE(fs::exists(f));
  CHECK(fs::is_empty(dir.path));
}

TEST_CASE("FileRemover: a file larger than a free step is shrunk, then unlinked") {
  TempDir dir;
  const std::string big = dir.path + "/big";
  const std::string link = dir.path + "/link";
  {
    std::ofstream(big) << "x";
  }
  // Sparse: 3.5 steps of size, no blocks to speak of.
  fs::resize_file(big, static_cast<uintmax_t>(kFreeStep * 7 / 2));
  // A second name of the same file keeps it alive: what the removal did to it shows there.
  fs::create_hard_link(big, link);
  {
    FileRemover remover;
    remover.Remove({big});
    remover.Drain();
  }
  CHECK_FALSE(fs::exists(big));
  REQUIRE(fs::exists(link));
  CHECK(fs::file_size(link) == static_cast<uintmax_t>(kFreeStep / 2));  // three steps freed
  UnlinkFile(link);  // the same, synchronously
  CHECK(fs::is_empty(dir.path));
}

// Prints (does not assert) write / fork / load times. ZK_SNAPSHOT_BENCH_NODES sets the size
// (default 100000; the headline figure is for 1000000 nodes of 100 bytes).
TEST_CASE("snapshot: benchmark") {
  int64_t nodes = 100000;
  if (const char* env = std::getenv("ZK_SNAPSHOT_BENCH_NODES")) nodes = std::atoll(env);
  TempDir dir;
  DataTree tree;
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  auto random_data = [&x] {
    std::string d(100, '\0');
    for (char& c : d) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      c = static_cast<char>(x);
    }
    return d;
  };
  const int64_t fanout = 1000;
  Txn t;
  t.type = OpCode::kCreate;
  int64_t zxid = 0;
  for (int64_t p = 0; p * fanout < nodes; ++p) {
    t.zxid = ++zxid;
    t.body = CreateTxn{"/p" + std::to_string(p), "", false,
                       acls::OpenUnsafe(),       0,  static_cast<int32_t>(p + 1)};
    REQUIRE(tree.Apply(t, nullptr).err == Err::kOk);
    for (int64_t c = 0; c < fanout && p * fanout + c < nodes; ++c) {
      t.zxid = ++zxid;
      t.body = CreateTxn{"/p" + std::to_string(p) + "/node-" + std::to_string(c),
                         random_data(),
                         false,
                         acls::OpenUnsafe(),
                         0,
                         static_cast<int32_t>(c + 1)};
      REQUIRE(tree.Apply(t, nullptr).err == Err::kOk);
    }
  }
  SessionTracker sessions(1, 2000, 0);
  for (int i = 0; i < 1000; ++i) sessions.Add(0x0100000000000000 + i, 30000, SessionPassword{}, 0);

  using Clock = std::chrono::steady_clock;
  auto ms = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
  auto t0 = Clock::now();
  REQUIRE(WriteSnapshotFile(tree, sessions, dir.path, 1).ok());
  auto t1 = Clock::now();
  const uint64_t file_size = fs::file_size(SnapshotFileName(dir.path, tree.last_zxid()));

  auto loaded_tree = std::make_unique<DataTree>();
  auto t2 = Clock::now();
  auto loaded = MustLoad(dir.path, &loaded_tree);
  auto t3 = Clock::now();
  REQUIRE(loaded.has_value());
  CHECK(loaded_tree->digest() == tree.digest());
  CHECK(loaded_tree->node_count() == tree.node_count());

  SnapshotWriter writer(dir.path + "/", 1);
  auto t4 = Clock::now();
  REQUIRE(writer.Start(tree, sessions));
  auto t5 = Clock::now();
  std::optional<zab::Status> done;
  while (!(done = writer.Poll())) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto t6 = Clock::now();
  CHECK(done->ok());

  std::printf(
      "snapshot benchmark: %zu nodes (100-byte random data), zstd level 1: "
      "write %.0f ms, file %.1f MiB, load %.0f ms, fork %.1f ms, forked write %.0f ms\n",
      tree.node_count(), ms(t1 - t0), static_cast<double>(file_size) / (1 << 20), ms(t3 - t2),
      ms(t5 - t4), ms(t6 - t4));
}

}  // namespace
}  // namespace zk::server
