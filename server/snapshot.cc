#include "server/snapshot.h"

#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <exception>
#include <limits>
#include <msgpack.hpp>
#include <utility>

#include "server/file_remover.h"
#include "server/msgpack_writer.h"

namespace zk::server {
namespace {

using zab::Status;

constexpr std::string_view kPrefix = "snapshot.";
constexpr std::string_view kTmpSuffix = ".tmp";
constexpr std::string_view kPurgedSuffix = ".purged";  // a purged snapshot not yet unlinked
constexpr size_t kIoBlock = 1 << 20;
constexpr uint32_t kNodeFields = 14;

// Safe in the forked child: no locale lookup, no lock (unlike strerror).
std::string ErrnoText(int err) {
  const char* desc = strerrordesc_np(err);
  return std::string(desc != nullptr ? desc : "unknown error") + " (errno " + std::to_string(err) +
         ")";
}

Status IoError(std::string_view what, const std::string& path, int err) {
  return Status::IOError(std::string(what) + " " + path + ": " + ErrnoText(err));
}

void PutU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
void PutU64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// Writeback of a snapshot file is started every kWritebackStep bytes and waited for one step
// later, so the file never has more than two steps of dirty pages. Left to the kernel's
// writeback, a snapshot of millions of znodes (a gigabyte) was written out in one burst at its
// fsync, and the transaction log's fdatasync queued behind it: writes stalled for up to 280 ms.
constexpr off_t kWritebackStep = 8 << 20;

// Called after `n` bytes were appended at the file position of `fd`: when they crossed a step
// boundary, starts the writeback of the step just completed and waits for the one before it.
// Best effort: an error here shows again at the final fsync, which decides.
void PaceWriteback(int fd, size_t n) {
  const off_t end = ::lseek(fd, 0, SEEK_CUR);
  if (end < 0) return;
  const off_t boundary = end / kWritebackStep * kWritebackStep;
  if (boundary == 0 || end - static_cast<off_t>(n) >= boundary) return;
  (void)::sync_file_range(fd, boundary - kWritebackStep, kWritebackStep, SYNC_FILE_RANGE_WRITE);
  if (boundary >= 2 * kWritebackStep) {
    (void)::sync_file_range(fd, boundary - 2 * kWritebackStep, kWritebackStep,
                            SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                                SYNC_FILE_RANGE_WAIT_AFTER);
  }
}

// Appends all of p[0, n) to the snapshot file `fd`, pacing its writeback (above).
bool WriteAll(int fd, const char* p, size_t n) {
  const size_t total = n;
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  PaceWriteback(fd, total);
  return true;
}

// Reads up to n bytes (fewer only at end of file). Returns -1 on error.
ssize_t ReadFull(int fd, char* p, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::read(fd, p + got, n - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return static_cast<ssize_t>(got);
}

Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("open directory", dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return IoError("fsync directory", dir, err);
  return Status::OK();
}

enum class NameKind { kSnapshot, kTmp, kPurged };

// Parses "snapshot.<16 hex>", "snapshot.<16 hex>.tmp" or "snapshot.<16 hex>.purged".
bool ParseName(std::string_view name, int64_t* zxid, NameKind* kind) {
  if (name.substr(0, kPrefix.size()) != kPrefix) return false;
  name.remove_prefix(kPrefix.size());
  *kind = NameKind::kSnapshot;
  if (name.size() > 16 && name.substr(16) == kTmpSuffix) {
    *kind = NameKind::kTmp;
    name = name.substr(0, 16);
  } else if (name.size() > 16 && name.substr(16) == kPurgedSuffix) {
    *kind = NameKind::kPurged;
    name = name.substr(0, 16);
  }
  if (name.size() != 16) return false;
  uint64_t v = 0;
  for (char c : name) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return false;
    }
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *zxid = static_cast<int64_t>(v);
  return true;
}

struct DirEntries {
  std::vector<int64_t> snapshots;  // ascending
  std::vector<int64_t> tmps;
  std::vector<int64_t> purged;
};

// A missing directory is empty; other failures are errors.
Status ScanDir(const std::string& dir, DirEntries* out) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return Status::OK();
    return IoError("open directory", dir, errno);
  }
  while (struct dirent* e = ::readdir(d)) {
    int64_t zxid;
    NameKind kind;
    if (!ParseName(e->d_name, &zxid, &kind)) continue;
    switch (kind) {
      case NameKind::kSnapshot: out->snapshots.push_back(zxid); break;
      case NameKind::kTmp: out->tmps.push_back(zxid); break;
      case NameKind::kPurged: out->purged.push_back(zxid); break;
    }
  }
  ::closedir(d);
  std::sort(out->snapshots.begin(), out->snapshots.end());
  std::sort(out->tmps.begin(), out->tmps.end());
  return Status::OK();
}

// ---------------------------------------------------------------------------------------------
// Writing.

// Streams bytes through zstd into a file descriptor.
class Compressor {
 public:
  Compressor(int fd, int level) : fd_(fd), cctx_(ZSTD_createCCtx()), out_(kIoBlock) {
    if (cctx_ != nullptr) {
      ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level);
      ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 0);  // the trailer covers it
    }
  }
  ~Compressor() { ZSTD_freeCCtx(cctx_); }
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;

  uint64_t in_bytes() const { return in_bytes_; }

  Status Feed(const char* p, size_t n) {
    in_bytes_ += n;
    ZSTD_inBuffer in{p, n, 0};
    while (in.pos < in.size) {
      if (Status s = Step(&in, ZSTD_e_continue, nullptr); !s.ok()) return s;
    }
    return Status::OK();
  }

  Status Finish() {
    ZSTD_inBuffer in{nullptr, 0, 0};
    size_t remaining = 1;
    while (remaining != 0) {
      if (Status s = Step(&in, ZSTD_e_end, &remaining); !s.ok()) return s;
    }
    return Flush();
  }

 private:
  Status Step(ZSTD_inBuffer* in, ZSTD_EndDirective mode, size_t* remaining) {
    if (cctx_ == nullptr) return Status::IOError("ZSTD_createCCtx failed");
    ZSTD_outBuffer ob{out_.data(), out_.size(), used_};
    size_t r = ZSTD_compressStream2(cctx_, &ob, in, mode);
    if (ZSTD_isError(r)) return Status::IOError(std::string("zstd: ") + ZSTD_getErrorName(r));
    used_ = ob.pos;
    if (remaining != nullptr) *remaining = r;
    if (used_ == out_.size()) return Flush();
    return Status::OK();
  }

  Status Flush() {
    if (used_ > 0 && !WriteAll(fd_, out_.data(), used_)) {
      return Status::IOError("write snapshot: " + ErrnoText(errno));
    }
    used_ = 0;
    return Status::OK();
  }

  int fd_;
  ZSTD_CCtx* cctx_;
  std::vector<char> out_;
  size_t used_ = 0;
  uint64_t in_bytes_ = 0;
};

// Collects items into msgpack chunks ("array of items") and feeds full chunks to the compressor.
class ChunkPacker {
 public:
  explicit ChunkPacker(Compressor* comp) : comp_(comp) {}

  MsgpackWriter& out() { return body_; }

  // Call after packing one item.
  Status ItemDone() {
    ++items_;
    if (items_ >= kSnapshotChunkItems || body_.size() >= kSnapshotChunkBytes) return Flush();
    return Status::OK();
  }

  Status Flush() {
    if (items_ == 0) return Status::OK();
    char hdr[8];
    size_t hdr_len;
    if (items_ < 16) {
      hdr[0] = static_cast<char>(0x90 | items_);
      hdr_len = 1;
    } else if (items_ < 65536) {
      hdr[0] = static_cast<char>(0xdc);
      hdr[1] = static_cast<char>(items_ >> 8);
      hdr[2] = static_cast<char>(items_);
      hdr_len = 3;
    } else {
      hdr[0] = static_cast<char>(0xdd);
      for (int i = 0; i < 4; ++i) hdr[1 + i] = static_cast<char>(items_ >> (24 - 8 * i));
      hdr_len = 5;
    }
    Status s = comp_->Feed(hdr, hdr_len);
    if (s.ok()) s = comp_->Feed(body_.data(), body_.size());
    body_.clear();
    items_ = 0;
    return s;
  }

 private:
  Compressor* comp_;
  MsgpackWriter body_{kSnapshotChunkBytes + (64 << 10)};
  size_t items_ = 0;
};

void PackNode(MsgpackWriter& out, const std::string& path, std::string_view data, bool data_null,
              const AclList& acl, const NodeStat& s, int32_t num_children) {
  out.ArrayHeader(kNodeFields);
  out.Str(path);
  out.Bin(data);
  out.Bool(data_null);
  out.ArrayHeader(static_cast<uint32_t>(acl.size()));
  for (const auto& a : acl) {
    out.ArrayHeader(3);
    out.Int(a.perms);
    out.Str(a.id.scheme);
    out.Str(a.id.id);
  }
  out.Int(s.czxid);
  out.Int(s.mzxid);
  out.Int(s.pzxid);
  out.Int(s.ctime);
  out.Int(s.mtime);
  out.Int(s.ephemeral_owner);
  out.Int(s.version);
  out.Int(s.cversion);
  out.Int(s.aversion);
  out.Int(num_children);  // lets the loader size the child set once
}

// Writes magic, header, frame and trailer into `fd` (positioned at 0, empty).
Status WriteBody(int fd, const DataTree& tree, const SessionTracker& tracker, int level) {
  char header[kSnapshotHeaderSize] = {};
  if (!WriteAll(fd, header, sizeof header)) {
    return Status::IOError("write snapshot header: " + ErrnoText(errno));
  }
  std::vector<SnapshotSession> sessions;
  sessions.reserve(tracker.sessions().size());
  for (const auto& [id, info] : tracker.sessions()) {
    sessions.push_back({id, info.timeout_ms, info.password});
  }
  std::sort(sessions.begin(), sessions.end(),
            [](const SnapshotSession& a, const SnapshotSession& b) { return a.id < b.id; });

  Compressor comp(fd, level);
  ChunkPacker chunks(&comp);
  Status status;
  for (const auto& s : sessions) {
    chunks.out().ArrayHeader(3);
    chunks.out().Int(s.id);
    chunks.out().Int(s.timeout_ms);
    chunks.out().Bin({s.password.data(), s.password.size()});
    status = chunks.ItemDone();
    if (!status.ok()) return status;
  }
  status = chunks.Flush();  // sessions and nodes never share a chunk
  if (!status.ok()) return status;

  uint64_t node_count = 0;
  tree.Walk([&](const std::string& path, const DataTree::Node& node) {
    if (!status.ok()) return;
    PackNode(chunks.out(), path, tree.DataOf(node), tree.DataIsNull(node), tree.AclOf(node),
             tree.StoredStat(node), tree.NumChildren(node));
    ++node_count;
    status = chunks.ItemDone();
  });
  if (status.ok()) status = chunks.Flush();
  if (status.ok()) status = comp.Finish();
  if (!status.ok()) return status;

  std::memcpy(header, kSnapshotMagic, 8);
  PutU32(header + 8, kSnapshotFormatVersion);
  PutU32(header + 12, 0);
  PutU64(header + 16, static_cast<uint64_t>(tree.last_zxid()));
  PutU64(header + 24, node_count);
  PutU64(header + 32, sessions.size());
  PutU64(header + 40, tree.digest());
  PutU64(header + 48, comp.in_bytes());
  if (::pwrite(fd, header, sizeof header, 0) != static_cast<ssize_t>(sizeof header)) {
    return Status::IOError("write snapshot header: " + ErrnoText(errno));
  }

  // The header is only final now, so hash the file by reading it back (from the page cache).
  if (::lseek(fd, 0, SEEK_SET) != 0) return Status::IOError("lseek: " + ErrnoText(errno));
  XXH64_state_t* xx = XXH64_createState();
  if (xx == nullptr) return Status::IOError("XXH64_createState failed");
  XXH64_reset(xx, 0);
  std::vector<char> buf(kIoBlock);
  for (;;) {
    ssize_t n = ReadFull(fd, buf.data(), buf.size());
    if (n < 0) {
      XXH64_freeState(xx);
      return Status::IOError("read back snapshot: " + ErrnoText(errno));
    }
    if (n == 0) break;
    XXH64_update(xx, buf.data(), static_cast<size_t>(n));
  }
  char trailer[kSnapshotTrailerSize];
  PutU64(trailer, XXH64_digest(xx));
  XXH64_freeState(xx);
  if (!WriteAll(fd, trailer, sizeof trailer)) {
    return Status::IOError("write snapshot trailer: " + ErrnoText(errno));
  }
  return Status::OK();
}

// ---------------------------------------------------------------------------------------------
// Loading.

bool AsInt64(const msgpack::object& o, int64_t* v) {
  if (o.type == msgpack::type::POSITIVE_INTEGER) {
    if (o.via.u64 > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    *v = static_cast<int64_t>(o.via.u64);
    return true;
  }
  if (o.type == msgpack::type::NEGATIVE_INTEGER) {
    *v = o.via.i64;
    return true;
  }
  return false;
}

bool AsInt32(const msgpack::object& o, int32_t* v) {
  int64_t w;
  if (!AsInt64(o, &w) || w < std::numeric_limits<int32_t>::min() ||
      w > std::numeric_limits<int32_t>::max()) {
    return false;
  }
  *v = static_cast<int32_t>(w);
  return true;
}

bool AsBytes(const msgpack::object& o, std::string_view* v) {
  if (o.type == msgpack::type::STR) {
    *v = {o.via.str.ptr, o.via.str.size};
    return true;
  }
  if (o.type == msgpack::type::BIN) {
    *v = {o.via.bin.ptr, o.via.bin.size};
    return true;
  }
  return false;
}

// Decodes an ACL into *acl, reusing it untouched when it already holds the same list (the
// common case: most nodes share an ACL, so this avoids allocations per node).
bool DecodeAcl(const msgpack::object& o, AclList* acl) {
  if (o.type != msgpack::type::ARRAY) return false;
  const msgpack::object_array& arr = o.via.array;
  bool same = arr.size == acl->size();
  for (uint32_t i = 0; i < arr.size; ++i) {
    const msgpack::object& e = arr.ptr[i];
    int32_t perms;
    std::string_view scheme, id;
    if (e.type != msgpack::type::ARRAY || e.via.array.size != 3 ||
        !AsInt32(e.via.array.ptr[0], &perms) || !AsBytes(e.via.array.ptr[1], &scheme) ||
        !AsBytes(e.via.array.ptr[2], &id)) {
      return false;
    }
    if (same) {
      const proto::Acl& a = (*acl)[i];
      same = a.perms == perms && a.id.scheme == scheme && a.id.id == id;
    }
  }
  if (same) return true;
  acl->clear();
  acl->reserve(arr.size);
  for (uint32_t i = 0; i < arr.size; ++i) {
    const msgpack::object* f = arr.ptr[i].via.array.ptr;
    proto::Acl a;
    AsInt32(f[0], &a.perms);
    std::string_view scheme, id;
    AsBytes(f[1], &scheme);
    AsBytes(f[2], &id);
    a.id.scheme.assign(scheme);
    a.id.id.assign(id);
    acl->push_back(std::move(a));
  }
  return true;
}

class Loader {
 public:
  Loader(DataTree* tree, uint64_t node_count, uint64_t session_count, LoadedSnapshot* out)
      : tree_(tree), nodes_left_(node_count), sessions_left_(session_count), out_(out) {}

  // Handles one top-level msgpack object (a chunk).
  Status Chunk(const msgpack::object& o) {
    if (o.type != msgpack::type::ARRAY || o.via.array.size == 0) {
      return Status::Corruption("chunk is not a non-empty array");
    }
    const msgpack::object_array& arr = o.via.array;
    if (sessions_left_ > 0) {
      if (arr.size > sessions_left_) return Status::Corruption("more sessions than the header");
      for (uint32_t i = 0; i < arr.size; ++i) {
        const msgpack::object& e = arr.ptr[i];
        SnapshotSession s;
        std::string_view password;  // absent in format 2
        if (e.type != msgpack::type::ARRAY || e.via.array.size < 2 || e.via.array.size > 3 ||
            !AsInt64(e.via.array.ptr[0], &s.id) || !AsInt32(e.via.array.ptr[1], &s.timeout_ms) ||
            (e.via.array.size == 3 &&
             (!AsBytes(e.via.array.ptr[2], &password) ||
              password.size() != std::tuple_size_v<SessionPassword>))) {
          return Status::Corruption("malformed session");
        }
        s.password = SessionPasswordOf(s.id, password);
        out_->sessions.push_back(s);
      }
      sessions_left_ -= arr.size;
      return Status::OK();
    }
    if (arr.size > nodes_left_) return Status::Corruption("more nodes than the header");
    for (uint32_t i = 0; i < arr.size; ++i) {
      if (Status s = Node(arr.ptr[i]); !s.ok()) return s;
    }
    nodes_left_ -= arr.size;
    return Status::OK();
  }

  bool complete() const { return nodes_left_ == 0 && sessions_left_ == 0; }

 private:
  Status Node(const msgpack::object& o) {
    if (o.type != msgpack::type::ARRAY || o.via.array.size != kNodeFields) {
      return Status::Corruption("malformed node");
    }
    const msgpack::object* f = o.via.array.ptr;
    std::string_view path, data;
    NodeStat s;
    int32_t num_children = 0;
    if (f[0].type != msgpack::type::STR || !AsBytes(f[0], &path) || !AsBytes(f[1], &data) ||
        f[2].type != msgpack::type::BOOLEAN || !DecodeAcl(f[3], &acl_) ||
        !AsInt64(f[4], &s.czxid) || !AsInt64(f[5], &s.mzxid) || !AsInt64(f[6], &s.pzxid) ||
        !AsInt64(f[7], &s.ctime) || !AsInt64(f[8], &s.mtime) ||
        !AsInt64(f[9], &s.ephemeral_owner) || !AsInt32(f[10], &s.version) ||
        !AsInt32(f[11], &s.cversion) || !AsInt32(f[12], &s.aversion) ||
        !AsInt32(f[13], &num_children) || num_children < 0) {
      return Status::Corruption("malformed node");
    }
    // The count only sizes the child set; it is capped so a damaged value cannot make the
    // loader reserve absurd amounts of memory before the checksum check catches it.
    if (!tree_->LoadNode(path, s, data, f[2].via.boolean, acl_,
                         std::min<uint64_t>(static_cast<uint64_t>(num_children), nodes_left_))) {
      return Status::Corruption("node " + std::string(path) +
                                " has no parent, already exists or has a bad path");
    }
    return Status::OK();
  }

  DataTree* tree_;
  uint64_t nodes_left_;
  uint64_t sessions_left_;
  LoadedSnapshot* out_;
  AclList acl_;
};

// Buffers decompressed payload bytes and decodes whole chunks from it with msgpack::unpack into
// one reused zone (msgpack::unpacker would allocate a fresh zone per chunk, and those large
// allocations dominate a million-node load). Strings and blobs reference the buffer.
class ChunkReader {
 public:
  // A writable region of `n` bytes at the end of the buffer.
  char* Reserve(size_t n) {
    if (start_ > 0 && buf_.size() - end_ < n) {
      std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
      end_ -= start_;
      start_ = 0;
    }
    if (buf_.size() - end_ < n) buf_.resize(end_ + n);
    return buf_.data() + end_;
  }
  void Commit(size_t n) { end_ += n; }

  // Decodes and hands to `loader` every complete chunk buffered. Without `final`, waits until
  // enough bytes are buffered that a chunk is likely complete; with it, every byte must decode.
  Status Parse(Loader* loader, bool final) {
    while (start_ < end_ && (final || end_ - start_ >= want_)) {
      size_t off = start_;
      msgpack::object obj;
      try {
        bool referenced;
        obj =
            msgpack::unpack(zone_, buf_.data(), end_, off, referenced, &Reference, nullptr, kLimit);
      } catch (const msgpack::insufficient_bytes&) {
        zone_.clear();
        if (final) return Status::Corruption("truncated msgpack payload");
        want_ = 2 * (end_ - start_);  // a large chunk: wait for (much) more before retrying
        return Status::OK();
      } catch (const std::exception& e) {
        return Status::Corruption(std::string("msgpack: ") + e.what());
      }
      Status s = loader->Chunk(obj);
      zone_.clear();
      if (!s.ok()) return s;
      start_ = off;
      want_ = kParseThreshold;
    }
    return Status::OK();
  }

 private:
  static constexpr size_t kParseThreshold = 2 * kSnapshotChunkBytes + (256 << 10);
  // Limits bound what a corrupt length can make msgpack allocate.
  inline static const msgpack::unpack_limit kLimit{kSnapshotChunkItems, 0, 0xffffffff,
                                                   0xffffffff,          0, 4};
  static bool Reference(msgpack::type::object_type, std::size_t, void*) { return true; }

  std::vector<char> buf_;
  size_t start_ = 0;
  size_t end_ = 0;
  size_t want_ = kParseThreshold;
  msgpack::zone zone_{4 << 20};
};

// Owns the resources of one load attempt.
struct LoadResources {
  int fd = -1;
  ZSTD_DCtx* dctx = nullptr;
  XXH64_state_t* xx = nullptr;
  ~LoadResources() {
    if (fd >= 0) ::close(fd);
    ZSTD_freeDCtx(dctx);
    if (xx != nullptr) XXH64_freeState(xx);
  }
};

Status LoadFile(const std::string& path, int64_t expected_zxid, DataTree* tree,
                LoadedSnapshot* out) {
  LoadResources r;
  r.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (r.fd < 0) return IoError("open", path, errno);
  struct stat st;
  if (::fstat(r.fd, &st) != 0) return IoError("stat", path, errno);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < kSnapshotHeaderSize + kSnapshotTrailerSize) {
    return Status::Corruption("truncated: " + std::to_string(size) + " bytes");
  }
  char header[kSnapshotHeaderSize];
  if (ReadFull(r.fd, header, sizeof header) != static_cast<ssize_t>(sizeof header)) {
    return IoError("read", path, errno);
  }
  if (std::memcmp(header, kSnapshotMagic, 8) != 0) return Status::Corruption("bad magic");
  const uint32_t version = GetU32(header + 8);
  if (version < kOldestSnapshotFormatVersion || version > kSnapshotFormatVersion) {
    return Status::Corruption("unknown format version " + std::to_string(GetU32(header + 8)));
  }
  const int64_t zxid = static_cast<int64_t>(GetU64(header + 16));
  const uint64_t node_count = GetU64(header + 24);
  const uint64_t session_count = GetU64(header + 32);
  const uint64_t digest = GetU64(header + 40);
  const uint64_t payload_size = GetU64(header + 48);
  if (zxid != expected_zxid) return Status::Corruption("header zxid differs from file name");

  r.xx = XXH64_createState();
  r.dctx = ZSTD_createDCtx();
  if (r.xx == nullptr || r.dctx == nullptr) return Status::IOError("out of memory");
  XXH64_reset(r.xx, 0);
  XXH64_update(r.xx, header, sizeof header);

  out->sessions.clear();
  out->sessions.reserve(std::min<uint64_t>(session_count, 1 << 20));
  Loader loader(tree, node_count, session_count, out);
  ChunkReader chunks;
  std::vector<char> in_buf(kIoBlock);
  const size_t out_block = ZSTD_DStreamOutSize() * 4;
  uint64_t pos = kSnapshotHeaderSize;
  const uint64_t frame_end = size - kSnapshotTrailerSize;
  uint64_t produced = 0;
  bool frame_done = false;
  while (pos < frame_end) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(in_buf.size(), frame_end - pos));
    ssize_t n = ReadFull(r.fd, in_buf.data(), want);
    if (n < 0) return IoError("read", path, errno);
    if (static_cast<size_t>(n) != want) return Status::Corruption("file shrank while reading");
    pos += want;
    XXH64_update(r.xx, in_buf.data(), want);
    if (frame_done) return Status::Corruption("data after the zstd frame");
    ZSTD_inBuffer in{in_buf.data(), want, 0};
    for (;;) {
      ZSTD_outBuffer ob{chunks.Reserve(out_block), out_block, 0};
      size_t ret = ZSTD_decompressStream(r.dctx, &ob, &in);
      if (ZSTD_isError(ret)) {
        return Status::Corruption(std::string("zstd: ") + ZSTD_getErrorName(ret));
      }
      chunks.Commit(ob.pos);
      produced += ob.pos;
      if (produced > payload_size) return Status::Corruption("payload larger than header");
      if (Status s = chunks.Parse(&loader, /*final=*/false); !s.ok()) return s;
      if (ret == 0) {
        frame_done = true;
        if (in.pos < in.size) return Status::Corruption("data after the zstd frame");
        break;
      }
      if (in.pos == in.size && ob.pos < ob.size) break;
    }
  }
  if (frame_done) {
    if (Status s = chunks.Parse(&loader, /*final=*/true); !s.ok()) return s;
  }
  char trailer[kSnapshotTrailerSize];
  if (ReadFull(r.fd, trailer, sizeof trailer) != static_cast<ssize_t>(sizeof trailer)) {
    return IoError("read trailer", path, errno);
  }
  if (GetU64(trailer) != XXH64_digest(r.xx)) return Status::Corruption("checksum mismatch");
  if (!frame_done) return Status::Corruption("truncated zstd frame");
  if (produced != payload_size || !loader.complete()) {
    return Status::Corruption("payload size or item counts differ from the header");
  }
  // Formats 2 and 3 stored digests of other rules (2: no ACLs; 3: /zookeeper/config included);
  // their checksum still protects the file.
  if (version >= 4 && tree->digest() != digest) {
    return Status::Corruption("tree digest mismatch");
  }
  tree->SetLastZxid(zxid);
  out->zxid = zxid;
  out->file = path;
  return Status::OK();
}

}  // namespace

std::string SnapshotFileName(const std::string& dir, int64_t zxid) {
  char name[32];
  std::snprintf(name, sizeof name, "snapshot.%016llx",
                static_cast<unsigned long long>(static_cast<uint64_t>(zxid)));
  return dir + "/" + name;
}

namespace {

// Writes the snapshot of `zxid` in `dir` through write_body(fd): tmp file, fsync, rename,
// directory fsync.
template <class WriteBodyFn>
Status WriteSnapshotDurably(const std::string& dir, int64_t zxid, WriteBodyFn write_body) {
  const std::string final_name = SnapshotFileName(dir, zxid);
  const std::string tmp_name = final_name + std::string(kTmpSuffix);
  int fd = ::open(tmp_name.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("create", tmp_name, errno);
  Status s = write_body(fd);
  if (s.ok() && ::fsync(fd) != 0) s = IoError("fsync", tmp_name, errno);
  if (::close(fd) != 0 && s.ok()) s = IoError("close", tmp_name, errno);
  if (s.ok() && ::rename(tmp_name.c_str(), final_name.c_str()) != 0) {
    s = IoError("rename", tmp_name, errno);
  }
  if (!s.ok()) {
    ::unlink(tmp_name.c_str());
    return s;
  }
  return FsyncDir(dir);
}

}  // namespace

Status WriteSnapshotFile(const DataTree& tree, const SessionTracker& sessions,
                         const std::string& dir, int zstd_level) {
  return WriteSnapshotDurably(dir, tree.last_zxid(), [&](int fd) {
    return WriteBody(fd, tree, sessions, zstd_level);
  });
}

Status WriteSnapshotBytes(const std::string& dir, int64_t zxid, std::string_view bytes) {
  return WriteSnapshotDurably(dir, zxid, [&](int fd) {
    if (WriteAll(fd, bytes.data(), bytes.size())) return Status::OK();
    return IoError("write", SnapshotFileName(dir, zxid), errno);
  });
}

// ---------------------------------------------------------------------------------------------
// SnapshotWriter.

SnapshotWriter::SnapshotWriter(std::string dir, int zstd_level)
    : dir_(std::move(dir)), zstd_level_(zstd_level) {}

SnapshotWriter::~SnapshotWriter() {
  if (pid_ <= 0) return;
  int wait_status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &wait_status, 0);
  } while (r < 0 && errno == EINTR);
  Status s = r == pid_ ? Reap(wait_status) : Reap(-1);
  if (!s.ok()) spdlog::warn("snapshot: {}", s.ToString());
}

bool SnapshotWriter::Start(const DataTree& tree, const SessionTracker& sessions) {
  if (pid_ > 0) return false;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    spdlog::error("snapshot: pipe: {}", ErrnoText(errno));
    return false;
  }
  const int64_t zxid = tree.last_zxid();
  // fork copies the page tables of the whole process on the caller's (the io) thread: with a
  // million znodes 5-45 ms on a 2-CPU machine, a stall of every client that long.
  const auto fork_start = std::chrono::steady_clock::now();
  started_ = fork_start;
  pid_t pid = ::fork();
  if (pid < 0) {
    spdlog::error("snapshot: fork: {}", ErrnoText(errno));
    ::close(fds[0]);
    ::close(fds[1]);
    return false;
  }
  if (pid == 0) {
    // Child: only this thread exists. No spdlog, no locks; malloc is fork-safe in glibc.
    ::close(fds[0]);
    (void)::setpriority(PRIO_PROCESS, 0, kSnapshotNice);  // best effort: a failure costs nothing
    pthread_setname_np(pthread_self(), "zk-snapshot");     // as ps and top show it
    Status s = WriteSnapshotFile(tree, sessions, dir_, zstd_level_);
    if (s.ok()) ::_exit(0);
    std::string msg = s.ToString();
    std::string line = "zabkeeper snapshot child: " + msg + "\n";
    (void)!::write(STDERR_FILENO, line.data(), line.size());
    (void)!::write(fds[1], msg.data(), std::min<size_t>(msg.size(), PIPE_BUF));
    ::_exit(1);
  }
  last_fork_us_ = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - fork_start)
                      .count();
  ::close(fds[1]);
  err_fd_ = fds[0];
  pid_ = pid;
  running_zxid_ = zxid;
  return true;
}

std::optional<zab::Status> SnapshotWriter::Poll() {
  if (pid_ <= 0) return std::nullopt;
  int wait_status = 0;
  struct rusage usage {};
  pid_t r = ::wait4(pid_, &wait_status, WNOHANG, &usage);
  if (r == 0 || (r < 0 && errno == EINTR)) return std::nullopt;
  if (r == pid_) {
    const auto us = [](const struct timeval& t) {
      return static_cast<int64_t>(t.tv_sec) * 1000000 + t.tv_usec;
    };
    last_child_cpu_us_ = us(usage.ru_utime) + us(usage.ru_stime);
    last_wall_us_ = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - started_)
                        .count();
  }
  return r == pid_ ? Reap(wait_status) : Reap(-1);
}

Status SnapshotWriter::Reap(int wait_status) {
  std::string msg;
  char buf[512];
  ssize_t n;
  while ((n = ::read(err_fd_, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) msg.append(buf, static_cast<size_t>(n));
  }
  ::close(err_fd_);
  err_fd_ = -1;
  pid_ = -1;
  char zxid[24];
  std::snprintf(zxid, sizeof zxid, "0x%llx", static_cast<unsigned long long>(running_zxid_));
  const std::string what = std::string("snapshot child for zxid ") + zxid;
  if (wait_status == -1) return Status::IOError(what + ": waitpid failed (child lost)");
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) return Status::OK();
  if (WIFSIGNALED(wait_status)) {
    return Status::IOError(what + " killed by signal " + std::to_string(WTERMSIG(wait_status)));
  }
  return Status::IOError(
      what + " failed: " +
      (msg.empty() ? "exit status " + std::to_string(WEXITSTATUS(wait_status)) : msg));
}

// ---------------------------------------------------------------------------------------------
// Loading, listing, purging.

zab::Result<std::optional<LoadedSnapshot>> LoadNewestSnapshot(const std::string& dir,
                                                              std::unique_ptr<DataTree>* tree) {
  DirEntries entries;
  if (Status s = ScanDir(dir, &entries); !s.ok()) return s;
  if (*tree == nullptr) *tree = std::make_unique<DataTree>();
  bool dirty = false;
  for (auto it = entries.snapshots.rbegin(); it != entries.snapshots.rend(); ++it) {
    if (dirty) *tree = std::make_unique<DataTree>();
    dirty = true;
    LoadedSnapshot loaded;
    const std::string file = SnapshotFileName(dir, *it);
    Status s = LoadFile(file, *it, tree->get(), &loaded);
    if (s.ok()) return std::optional<LoadedSnapshot>(std::move(loaded));
    spdlog::warn("snapshot: skipping {}: {}", file, s.ToString());
  }
  if (dirty) {
    *tree = std::make_unique<DataTree>();
    spdlog::error("snapshot: none of the {} snapshot files in {} is valid",
                  entries.snapshots.size(), dir);
  }
  return std::optional<LoadedSnapshot>();
}

std::vector<int64_t> ListSnapshotZxids(const std::string& dir) {
  DirEntries entries;
  (void)ScanDir(dir, &entries);
  return entries.snapshots;
}

int64_t PurgeSnapshots(const std::string& dir, int retain_count, FileRemover* remover) {
  DirEntries entries;
  if (Status s = ScanDir(dir, &entries); !s.ok()) {
    spdlog::warn("snapshot purge: {}", s.ToString());
    return 0;
  }
  if (entries.snapshots.empty()) return 0;
  const size_t keep =
      std::min<size_t>(entries.snapshots.size(), static_cast<size_t>(std::max(retain_count, 1)));
  const size_t first_kept = entries.snapshots.size() - keep;
  std::vector<std::string> doomed;
  for (size_t i = 0; i < first_kept; ++i) {
    // Renamed first: the snapshot leaves the listing now, whenever its blocks are freed.
    const std::string file = SnapshotFileName(dir, entries.snapshots[i]);
    std::string purged = file + std::string(kPurgedSuffix);
    if (::rename(file.c_str(), purged.c_str()) == 0) {
      doomed.push_back(std::move(purged));
    } else if (errno != ENOENT) {
      spdlog::warn("snapshot purge: rename {}: {}", file, ErrnoText(errno));
    }
  }
  for (int64_t zxid : entries.purged) {  // left by a purge a crash interrupted
    doomed.push_back(SnapshotFileName(dir, zxid) + std::string(kPurgedSuffix));
  }
  const int64_t newest = entries.snapshots.back();
  for (int64_t zxid : entries.tmps) {
    if (zxid < newest) doomed.push_back(SnapshotFileName(dir, zxid) + std::string(kTmpSuffix));
  }
  if (remover != nullptr) {
    remover->Remove(std::move(doomed));
  } else {
    for (const std::string& file : doomed) UnlinkFile(file);
  }
  return entries.snapshots[first_kept];
}

}  // namespace zk::server
