#include "server/zookeeper_import.h"

#include <fmt/format.h>
#include <snappy.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>

#include "client/proto/jute.h"
#include "server/config.h"
#include "zab/zxid.h"

namespace zk::server {
namespace {

namespace fs = std::filesystem;
using proto::JuteReader;

constexpr int32_t kZkSnapshotMagic = 0x5a4b534e;  // "ZKSN"
constexpr int32_t kLogMagic = 0x5a4b4c47;       // "ZKLG"
constexpr int32_t kFileVersion = 2;
constexpr int64_t kOpenAclId = -1;  // ZooKeeper's id of world:anyone ALL in its ACL cache
constexpr char kEndOfRecord = 'B';
// File contents are bounded by the file, not by jute.maxbuffer.
constexpr size_t kMaxRecord = size_t{1} << 31;
constexpr std::string_view kConfigPath = "/zookeeper/config";

std::string Hex(int64_t v) { return fmt::format("0x{:x}", v); }

zab::Result<std::string> ReadFile(const fs::path& p) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(p, ec);
  std::ifstream in(p, std::ios::binary);
  if (ec || !in) return zab::Status::IOError("cannot open " + p.string());
  std::string out(size, '\0');
  if (!in.read(out.data(), static_cast<std::streamsize>(size))) {
    return zab::Status::IOError("cannot read " + p.string());
  }
  return out;
}

// A file named `<prefix>.<hex zxid>[.<suffix>]`.
struct ZxidFile {
  int64_t zxid = 0;
  fs::path path;
  std::string suffix;  // "" or the compression suffix ("gz", "snappy")
};

std::vector<ZxidFile> ListZxidFiles(const std::string& dir, std::string_view prefix) {
  std::vector<ZxidFile> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= prefix.size() + 1 || name.compare(0, prefix.size(), prefix) != 0 ||
        name[prefix.size()] != '.') {
      continue;
    }
    std::string rest = name.substr(prefix.size() + 1);
    std::string suffix;
    if (auto dot = rest.find('.'); dot != std::string::npos) {
      suffix = rest.substr(dot + 1);
      rest.resize(dot);
    }
    if (rest.empty() || rest.size() > 16 ||
        rest.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
      continue;
    }
    out.push_back({static_cast<int64_t>(std::stoull(rest, nullptr, 16)), entry.path(), suffix});
  }
  std::sort(out.begin(), out.end(),
            [](const ZxidFile& a, const ZxidFile& b) { return a.zxid < b.zxid; });
  return out;
}

// java.util.Random, as far as nextBytes.
class JavaRandom {
 public:
  explicit JavaRandom(int64_t seed)
      : seed_((static_cast<uint64_t>(seed) ^ kMultiplier) & kMask) {}
  int32_t NextInt() {
    seed_ = (seed_ * kMultiplier + 0xB) & kMask;
    return static_cast<int32_t>(static_cast<uint32_t>(seed_ >> 16));
  }
  void NextBytes(char* out, size_t n) {
    for (size_t i = 0; i < n;) {
      uint32_t rnd = static_cast<uint32_t>(NextInt());
      for (size_t k = std::min<size_t>(n - i, 4); k-- > 0; rnd >>= 8) {
        out[i++] = static_cast<char>(rnd & 0xff);
      }
    }
  }

 private:
  static constexpr uint64_t kMultiplier = 0x5DEECE66DULL;
  static constexpr uint64_t kMask = (uint64_t{1} << 48) - 1;
  uint64_t seed_;
};

zab::Result<std::string> Gunzip(std::string_view in) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return zab::Status::IOError("inflateInit2");
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return zab::Status::Corruption("bad gzip stream");
  return out;
}

// The framing of Java's SnappyOutputStream (xerial snappy-java): an 8-byte magic, two int32
// versions, then blocks of [int32 big-endian compressed length][snappy raw block].
zab::Result<std::string> Unsnappy(std::string_view in) {
  static constexpr char kMagic[8] = {'\x82', 'S', 'N', 'A', 'P', 'P', 'Y', '\0'};
  if (in.size() < 16 || std::memcmp(in.data(), kMagic, 8) != 0) {
    return zab::Status::Corruption("not a snappy-java stream");
  }
  std::string out;
  for (size_t pos = 16; pos < in.size();) {
    if (in.size() - pos < 4) return zab::Status::Corruption("truncated snappy block");
    const auto* p = reinterpret_cast<const unsigned char*>(in.data() + pos);
    const size_t len = (size_t{p[0]} << 24) | (size_t{p[1]} << 16) | (size_t{p[2]} << 8) | p[3];
    pos += 4;
    if (len > in.size() - pos) return zab::Status::Corruption("truncated snappy block");
    std::string piece;
    if (!snappy::Uncompress(in.data() + pos, len, &piece)) {
      return zab::Status::Corruption("bad snappy block");
    }
    out += piece;
    pos += len;
  }
  return out;
}

// Checks a "seal": the Adler-32 of every byte before it, then the string "/".
bool ReadSeal(std::string_view bytes, JuteReader& r) {
  const uint32_t expected = Adler32(1, bytes.substr(0, r.position()));
  int64_t value = 0;
  std::string slash;
  return r.ReadLong(&value) && static_cast<uint32_t>(value) == expected &&
         (static_cast<uint64_t>(value) >> 32) == 0 && r.ReadString(&slash) && slash == "/";
}

// The body of a ZooKeeper txn record of `type`, as our txn body (or a MultiOp for sub-txns).
// `owner_session` is the txn's client id (the owner of an ephemeral it creates).
zab::Result<TxnBody> DecodeZooKeeperTxn(int32_t type, JuteReader& r, int64_t owner_session,
                                        const DataTree& tree);

zab::Result<CreateTxn> DecodeCreate(int32_t type, JuteReader& r, int64_t owner_session,
                                    const DataTree& tree) {
  CreateTxn c;
  bool ephemeral = false;
  int32_t parent_cversion = 0;
  int64_t ttl = 0;
  bool ok = r.ReadString(&c.path) && r.ReadBuffer(&c.data, &c.data_null) &&
            proto::ReadAclVector(r, &c.acl);
  const auto op = static_cast<OpCode>(type);
  if (op == OpCode::kCreate || op == OpCode::kCreate2) ok = ok && r.ReadBool(&ephemeral);
  ok = ok && r.ReadInt(&parent_cversion);
  if (op == OpCode::kCreateTtl) ok = ok && r.ReadLong(&ttl);
  if (!ok) return zab::Status::Corruption("truncated create txn");
  if (op == OpCode::kCreateContainer) {
    c.ephemeral_owner = ephemeral_owner::kContainer;
  } else if (op == OpCode::kCreateTtl) {
    c.ephemeral_owner = ephemeral_owner::kTtlMask | (ttl & ephemeral_owner::kMaxTtl);
  } else {
    c.ephemeral_owner = ephemeral ? owner_session : 0;
  }
  if (parent_cversion == -1) {
    // Txns of old servers leave the parent's next cversion to the apply.
    const std::string_view path = c.path;
    const auto slash = path.rfind('/');
    const std::string parent(slash == 0 ? "/" : path.substr(0, slash));
    const DataTree::Node* p = tree.Find(parent);
    parent_cversion = p ? tree.StoredStat(*p).cversion + 1 : 0;
  }
  c.parent_cversion = parent_cversion;
  return c;
}

zab::Result<TxnBody> DecodeZooKeeperTxn(int32_t type, JuteReader& r, int64_t owner_session,
                                        const DataTree& tree) {
  switch (static_cast<OpCode>(type)) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
    case OpCode::kCreateTtl: {
      auto c = DecodeCreate(type, r, owner_session, tree);
      if (!c.ok()) return c.status();
      return TxnBody(std::move(c.value()));
    }
    case OpCode::kDelete:
    case OpCode::kDeleteContainer: {
      DeleteTxn d;
      if (!r.ReadString(&d.path)) return zab::Status::Corruption("truncated delete txn");
      return TxnBody(std::move(d));
    }
    case OpCode::kSetData:
    case OpCode::kReconfig: {
      SetDataTxn s;
      if (!r.ReadString(&s.path) || !r.ReadBuffer(&s.data, &s.data_null) ||
          !r.ReadInt(&s.version)) {
        return zab::Status::Corruption("truncated setData txn");
      }
      return TxnBody(std::move(s));
    }
    case OpCode::kSetAcl: {
      SetAclTxn s;
      if (!r.ReadString(&s.path) || !proto::ReadAclVector(r, &s.acl) || !r.ReadInt(&s.version)) {
        return zab::Status::Corruption("truncated setACL txn");
      }
      return TxnBody(std::move(s));
    }
    case OpCode::kCheck: {
      CheckTxn c;
      int32_t version = 0;
      if (!r.ReadString(&c.path) || !r.ReadInt(&version)) {
        return zab::Status::Corruption("truncated check txn");
      }
      return TxnBody(std::move(c));
    }
    case OpCode::kError: {
      int32_t err = 0;
      if (!r.ReadInt(&err)) return zab::Status::Corruption("truncated error txn");
      return TxnBody(ErrorTxn{static_cast<Err>(err)});
    }
    case OpCode::kCreateSession: {
      CreateSessionTxn s;
      if (!r.ReadInt(&s.timeout_ms)) return zab::Status::Corruption("truncated createSession txn");
      const SessionPassword p = ApacheSessionPassword(owner_session);
      s.password.assign(p.begin(), p.end());
      return TxnBody(std::move(s));
    }
    case OpCode::kCloseSession:
      // 3.6+ lists the ephemerals to delete; the tree knows them.
      return TxnBody(CloseSessionTxn{});
    case OpCode::kMulti: {
      int32_t count = 0;
      if (!r.ReadInt(&count) || count < 0) return zab::Status::Corruption("truncated multi txn");
      MultiTxn m;
      for (int32_t i = 0; i < count; ++i) {
        int32_t sub_type = 0;
        std::string sub;
        if (!r.ReadInt(&sub_type) || !r.ReadBuffer(&sub)) {
          return zab::Status::Corruption("truncated multi txn");
        }
        JuteReader sr(sub, kMaxRecord);
        auto body = DecodeZooKeeperTxn(sub_type, sr, owner_session, tree);
        if (!body.ok()) return body.status();
        bool added = false;
        std::visit(
            [&](auto& b) {
              using T = std::decay_t<decltype(b)>;
              if constexpr (std::is_constructible_v<MultiOp, T>) {
                m.ops.emplace_back(std::move(b));
                added = true;
              }
            },
            body.value());
        if (!added) return zab::Status::Corruption(fmt::format("op {} inside a multi", sub_type));
      }
      return TxnBody(std::move(m));
    }
    default:
      return zab::Status::Corruption(fmt::format("unknown txn type {}", type));
  }
}

std::string ParentOf(std::string_view path) {
  const auto slash = path.rfind('/');
  return std::string(slash == 0 ? "/" : path.substr(0, slash));
}

// Applies one decoded txn as ZooKeeper replays it on restart.
void ReplayTxn(const Txn& txn, DataTree* tree) {
  if (txn.type == OpCode::kReconfig) {
    // /zookeeper/config describes the Apache ensemble, not this one.
    Txn copy = txn;
    copy.body = ErrorTxn{Err::kOk};
    tree->Apply(copy, nullptr);
    return;
  }
  const ApplyResult r = tree->Apply(txn, nullptr);
  // A create the fuzzy snapshot already holds: the parent's cversion and pzxid still have to
  // reach the txn's.
  const auto* create = std::get_if<CreateTxn>(&txn.body);
  if (create && r.err == Err::kNodeExists) {
    tree->RaiseChildVersion(ParentOf(create->path), create->parent_cversion, txn.zxid);
  }
  if (const auto* multi = std::get_if<MultiTxn>(&txn.body)) {
    for (size_t i = 0; i < multi->ops.size() && i < r.multi.size(); ++i) {
      const auto* c = std::get_if<CreateTxn>(&multi->ops[i]);
      if (c && r.multi[i].err == Err::kNodeExists) {
        tree->RaiseChildVersion(ParentOf(c->path), c->parent_cversion, txn.zxid);
      }
    }
  }
}

// Reads the txns of one log file, calling `fn(txn)` for each, in order. Stops at the file's
// end: EOF, an empty record (the preallocated tail) or a record torn by a crash.
zab::Status ReadLogFile(const fs::path& file, const DataTree& tree,
                        const std::function<zab::Status(Txn&&)>& fn, bool* torn) {
  auto bytes = ReadFile(file);
  if (!bytes.ok()) return bytes.status();
  const std::string& data = bytes.value();
  JuteReader r(data, kMaxRecord);
  int32_t magic = 0, version = 0;
  int64_t dbid = 0;
  if (!r.ReadInt(&magic) || !r.ReadInt(&version) || !r.ReadLong(&dbid) || magic != kLogMagic) {
    return zab::Status::Corruption(file.string() + " is not a ZooKeeper transaction log");
  }
  if (version != kFileVersion) {
    return zab::Status::Corruption(fmt::format("{}: log version {}", file.string(), version));
  }
  *torn = false;
  while (r.remaining() > 0) {
    int64_t crc = 0;
    std::string record;
    if (!r.ReadLong(&crc) || !r.ReadBuffer(&record)) {
      *torn = r.remaining() > 0;
      break;
    }
    if (record.empty()) break;  // preallocated zeros
    char eor = 0;
    bool eor_ok = r.remaining() >= 1;
    if (eor_ok) {
      eor = data[r.position()];
      bool ignored;
      r.ReadBool(&ignored);
    }
    if (!eor_ok || eor != kEndOfRecord ||
        static_cast<uint32_t>(crc) != Adler32(1, record)) {
      *torn = true;
      break;
    }
    JuteReader tr(record, kMaxRecord);
    Txn txn;
    int32_t type = 0;
    int64_t client_id = 0;
    if (!tr.ReadLong(&client_id) || !tr.ReadInt(&txn.cxid) || !tr.ReadLong(&txn.zxid) ||
        !tr.ReadLong(&txn.time_ms) || !tr.ReadInt(&type)) {
      return zab::Status::Corruption(file.string() + ": truncated txn header");
    }
    txn.session_id = client_id;
    txn.type = static_cast<OpCode>(type);
    auto body = DecodeZooKeeperTxn(type, tr, client_id, tree);
    if (!body.ok()) {
      return zab::Status::Corruption(
          fmt::format("{}: txn {}: {}", file.string(), Hex(txn.zxid), body.status().message()));
    }
    txn.body = std::move(body.value());
    // Anything after the record is ZooKeeper's per-txn digest (3.6+), which is not needed.
    if (zab::Status s = fn(std::move(txn)); !s.ok()) return s;
  }
  return zab::Status::OK();
}

// Zxids follow each other within an epoch; a new epoch starts at counter 1.
bool Follows(int64_t prev, int64_t next) {
  return next == prev + 1 ||
         (zab::ZxidEpoch(next) > zab::ZxidEpoch(prev) && zab::ZxidCounter(next) == 1);
}

bool DirHasFiles(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return false;
  return fs::directory_iterator(dir, ec) != fs::directory_iterator();
}

}  // namespace

SessionPassword ApacheSessionPassword(int64_t id) {
  JavaRandom random(id ^ int64_t{0xB3415C00});
  SessionPassword p;
  random.NextBytes(p.data(), p.size());
  return p;
}

uint32_t Adler32(uint32_t adler, std::string_view bytes) {
  return static_cast<uint32_t>(::adler32_z(adler, reinterpret_cast<const Bytef*>(bytes.data()),
                                           bytes.size()));
}

zab::Status ParseZooKeeperSnapshot(std::string_view bytes, DataTree* tree,
                                   std::vector<SnapshotSession>* sessions) {
  JuteReader r(bytes, kMaxRecord);
  int32_t magic = 0, version = 0;
  int64_t dbid = 0;
  if (!r.ReadInt(&magic) || !r.ReadInt(&version) || !r.ReadLong(&dbid) ||
      magic != kZkSnapshotMagic) {
    return zab::Status::Corruption("not a ZooKeeper snapshot (bad magic)");
  }
  if (version != kFileVersion) {
    return zab::Status::Corruption(fmt::format("snapshot version {}", version));
  }
  int32_t session_count = 0;
  if (!r.ReadInt(&session_count) || session_count < 0) {
    return zab::Status::Corruption("truncated session list");
  }
  sessions->clear();
  for (int32_t i = 0; i < session_count; ++i) {
    SnapshotSession s;
    if (!r.ReadLong(&s.id) || !r.ReadInt(&s.timeout_ms)) {
      return zab::Status::Corruption("truncated session list");
    }
    s.password = ApacheSessionPassword(s.id);
    sessions->push_back(s);
  }
  std::sort(sessions->begin(), sessions->end(),
            [](const SnapshotSession& a, const SnapshotSession& b) { return a.id < b.id; });
  // The ACL cache: ZooKeeper stores each distinct ACL list once and nodes refer to it by id.
  std::map<int64_t, AclList> acls;
  int32_t acl_count = 0;
  if (!r.ReadInt(&acl_count) || acl_count < 0) return zab::Status::Corruption("truncated ACLs");
  for (int32_t i = 0; i < acl_count; ++i) {
    int64_t id = 0;
    AclList list;
    if (!r.ReadLong(&id) || !proto::ReadAclVector(r, &list)) {
      return zab::Status::Corruption("truncated ACLs");
    }
    acls[id] = std::move(list);
  }
  const AclList open = acls::OpenUnsafe();
  // Nodes, parents before children, the root named "", until the path "/".
  for (;;) {
    std::string path;
    if (!r.ReadString(&path)) return zab::Status::Corruption("truncated node list");
    if (path == "/") break;
    std::string data;
    bool data_null = false;
    int64_t acl_id = 0;
    NodeStat st;
    if (!r.ReadBuffer(&data, &data_null) || !r.ReadLong(&acl_id) || !r.ReadLong(&st.czxid) ||
        !r.ReadLong(&st.mzxid) || !r.ReadLong(&st.ctime) || !r.ReadLong(&st.mtime) ||
        !r.ReadInt(&st.version) || !r.ReadInt(&st.cversion) || !r.ReadInt(&st.aversion) ||
        !r.ReadLong(&st.ephemeral_owner) || !r.ReadLong(&st.pzxid)) {
      return zab::Status::Corruption("truncated node " + path);
    }
    const AclList* acl = &open;
    if (acl_id != kOpenAclId) {
      auto it = acls.find(acl_id);
      if (it == acls.end()) {
        return zab::Status::Corruption(fmt::format("node {} refers to missing ACL {}", path,
                                                   acl_id));
      }
      acl = &it->second;
    }
    if (path.empty()) path = "/";
    // /zookeeper/config describes the Apache ensemble, not this one: it keeps its own.
    if (path == kConfigPath) continue;
    if (!tree->LoadNode(path, st, data, data_null, *acl)) {
      return zab::Status::Corruption("node " + path + " has no parent or appears twice");
    }
  }
  if (!ReadSeal(bytes, r)) return zab::Status::Corruption("checksum mismatch");
  // 3.6+: the tree digest and its own seal; 3.9: the last processed zxid and its seal.
  if (r.remaining() > 0) {
    int64_t zxid = 0, digest = 0;
    int32_t digest_version = 0;
    if (!r.ReadLong(&zxid) || !r.ReadInt(&digest_version) || !r.ReadLong(&digest) ||
        !ReadSeal(bytes, r)) {
      return zab::Status::Corruption("bad digest section");
    }
  }
  if (r.remaining() > 0) {
    int64_t last_processed = 0;
    if (!r.ReadLong(&last_processed) || !ReadSeal(bytes, r)) {
      return zab::Status::Corruption("bad last-processed-zxid section");
    }
    tree->SetLastZxid(last_processed);
  }
  if (r.remaining() > 0) return zab::Status::Corruption("trailing bytes");
  return zab::Status::OK();
}

zab::Result<ImportedZooKeeperState> ReadZooKeeperState(const std::string& snap_dir,
                                                       const std::string& log_dir) {
  ImportedZooKeeperState state;
  std::vector<std::string> rejected;
  // Newest valid snapshot first, as ZooKeeper picks it.
  std::vector<ZxidFile> snaps = ListZxidFiles(snap_dir, "snapshot");
  for (auto it = snaps.rbegin(); it != snaps.rend(); ++it) {
    auto raw = ReadFile(it->path);
    if (!raw.ok()) return raw.status();
    zab::Result<std::string> bytes = std::move(raw.value());
    if (it->suffix == "gz") {
      bytes = Gunzip(*bytes);
    } else if (it->suffix == "snappy") {
      bytes = Unsnappy(*bytes);
    } else if (!it->suffix.empty()) {
      continue;
    }
    auto tree = std::make_unique<DataTree>();
    std::vector<SnapshotSession> sessions;
    zab::Status s = bytes.ok() ? ParseZooKeeperSnapshot(*bytes, tree.get(), &sessions)
                               : bytes.status();
    if (!s.ok()) {
      rejected.push_back(it->path.string() + ": " + s.message());
      continue;
    }
    if (tree->last_zxid() == 0) tree->SetLastZxid(it->zxid);
    state.snapshot_zxid = tree->last_zxid();
    state.snapshot_file = it->path.string();
    state.tree = std::move(tree);
    state.sessions = std::move(sessions);
    break;
  }
  if (!state.tree) {
    if (!snaps.empty()) {
      std::string why;
      for (const auto& r : rejected) why += "\n  " + r;
      return zab::Status::Corruption("no valid ZooKeeper snapshot in " + snap_dir + ":" + why);
    }
    state.tree = std::make_unique<DataTree>();
  }
  // The logs: the last one starting at or before the snapshot, and every later one.
  std::vector<ZxidFile> logs = ListZxidFiles(log_dir, "log");
  if (logs.empty() && state.snapshot_zxid > 0) {
    // ZooKeeper keeps the log a snapshot was taken in: none at all means a wrong directory,
    // and importing the snapshot alone would lose the txns after it.
    return zab::Status::InvalidArgument("no ZooKeeper transaction log (log.*) in " + log_dir +
                                        "; name ZooKeeper's dataLogDir/version-2 with "
                                        "--zookeeper-log-dir");
  }
  size_t first = 0;
  for (size_t i = 0; i < logs.size(); ++i) {
    if (logs[i].zxid <= state.snapshot_zxid) first = i;
  }
  std::map<int64_t, SnapshotSession> sessions;
  for (const auto& s : state.sessions) sessions[s.id] = s;
  int64_t applied = state.snapshot_zxid;
  DataTree* tree = state.tree.get();
  for (size_t i = first; i < logs.size(); ++i) {
    bool torn = false;
    zab::Status s = ReadLogFile(
        logs[i].path, *tree,
        [&](Txn&& txn) -> zab::Status {
          if (txn.zxid <= applied) return zab::Status::OK();  // in the snapshot already
          if (!Follows(applied, txn.zxid)) {
            return zab::Status::Corruption(fmt::format(
                "txns missing between {} and {} ({})", Hex(applied), Hex(txn.zxid),
                logs[i].path.string()));
          }
          ReplayTxn(txn, tree);
          if (const auto* c = std::get_if<CreateSessionTxn>(&txn.body)) {
            sessions[txn.session_id] = {txn.session_id, c->timeout_ms,
                                        SessionPasswordOf(txn.session_id, c->password)};
          } else if (std::holds_alternative<CloseSessionTxn>(txn.body)) {
            sessions.erase(txn.session_id);
          }
          applied = txn.zxid;
          ++state.txns_replayed;
          return zab::Status::OK();
        },
        &torn);
    if (!s.ok()) return s;
    state.log_files.push_back(logs[i].path.string());
    if (torn && i + 1 < logs.size()) {
      return zab::Status::Corruption(logs[i].path.string() +
                                     " ends in a torn record but later logs follow");
    }
  }
  if (state.snapshot_file.empty() && state.txns_replayed == 0) {
    return zab::Status::InvalidArgument("no ZooKeeper snapshot or transaction log in " +
                                        snap_dir + (log_dir == snap_dir ? "" : " or " + log_dir));
  }
  tree->SetLastZxid(std::max(tree->last_zxid(), applied));
  state.sessions.clear();
  for (auto& [id, s] : sessions) state.sessions.push_back(s);
  return state;
}

zab::Status ImportZooKeeperDataDir(const ServerConfig& config, std::string snap_dir,
                                   std::string log_dir, std::string* summary) {
  // As in ZooKeeper, the logs are beside the snapshots unless said otherwise.
  if (log_dir.empty()) log_dir = snap_dir.empty() ? config.data_log_dir + "/version-2" : snap_dir;
  if (snap_dir.empty()) snap_dir = config.data_dir + "/version-2";
  const std::string our_snapshots = SnapshotDir(config);
  const std::string our_log = TxnLogDir(config);
  if (!ListSnapshotZxids(our_snapshots).empty() || DirHasFiles(our_log)) {
    return zab::Status::InvalidArgument(
        "this server already holds data (" + our_snapshots + ", " + our_log +
        "): import into an empty dataDir/dataLogDir only");
  }
  auto state = ReadZooKeeperState(snap_dir, log_dir);
  if (!state.ok()) return state.status();
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  SessionTracker tracker(config.server_id, config.tick_time_ms, now_ms);
  for (const auto& s : state->sessions) tracker.Add(s.id, s.timeout_ms, s.password, now_ms);
  std::error_code ec;
  fs::create_directories(our_snapshots, ec);
  if (ec) return zab::Status::IOError("cannot create " + our_snapshots + ": " + ec.message());
  if (zab::Status s = WriteSnapshotFile(*state->tree, tracker, our_snapshots,
                                        config.snapshot_compression_level);
      !s.ok()) {
    return s;
  }
  *summary = fmt::format(
      "imported Apache ZooKeeper data at zxid {}: {} znodes, {} open sessions, from snapshot "
      "{} and {} txns of {} log file(s); wrote {}",
      Hex(state->tree->last_zxid()), state->tree->node_count(), state->sessions.size(),
      state->snapshot_file.empty() ? "(none)" : state->snapshot_file, state->txns_replayed,
      state->log_files.size(), SnapshotFileName(our_snapshots, state->tree->last_zxid()));
  return zab::Status::OK();
}

}  // namespace zk::server
