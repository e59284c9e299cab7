#include "tests/sim/tree_codec.h"

#include <map>
#include <vector>

namespace zk::sim {

namespace {

class Writer {
 public:
  void U64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>(v >> (8 * i)));
  }
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  void Str(std::string_view s) {
    U64(s.size());
    out_.append(s);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U64(uint64_t* v) {
    if (in_.size() < 8) return false;
    *v = 0;
    for (int i = 7; i >= 0; --i) *v = (*v << 8) | static_cast<uint8_t>(in_[i]);
    in_.remove_prefix(8);
    return true;
  }
  bool I64(int64_t* v) {
    uint64_t u;
    if (!U64(&u)) return false;
    *v = static_cast<int64_t>(u);
    return true;
  }
  bool I32(int32_t* v) {
    int64_t w;
    if (!I64(&w)) return false;
    *v = static_cast<int32_t>(w);
    return true;
  }
  bool Str(std::string_view* s) {
    uint64_t n;
    if (!U64(&n) || n > in_.size()) return false;
    *s = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

}  // namespace

std::string EncodeTree(const server::DataTree& tree) {
  std::map<std::string, const server::DataTree::Node*> nodes;
  tree.Walk([&](const std::string& path, const server::DataTree::Node& n) { nodes[path] = &n; });
  Writer w;
  w.I64(tree.last_zxid());
  w.U64(tree.digest());
  w.U64(nodes.size());
  for (const auto& [path, n] : nodes) {
    const server::NodeStat& s = tree.StoredStat(*n);
    w.Str(path);
    w.Str(tree.DataOf(*n));
    w.U64(tree.DataIsNull(*n) ? 1 : 0);
    for (int64_t v : {s.czxid, s.mzxid, s.pzxid, s.ctime, s.mtime, s.ephemeral_owner,
                      int64_t{s.version}, int64_t{s.cversion}, int64_t{s.aversion}}) {
      w.I64(v);
    }
    const server::AclList& acl = tree.AclOf(*n);
    w.U64(acl.size());
    for (const proto::Acl& a : acl) {
      w.I64(a.perms);
      w.Str(a.id.scheme);
      w.Str(a.id.id);
    }
    w.U64(static_cast<uint64_t>(tree.NumChildren(*n)));
  }
  return w.Take();
}

std::string DecodeTree(std::string_view bytes, std::unique_ptr<server::DataTree>* tree) {
  auto t = std::make_unique<server::DataTree>();
  Reader r(bytes);
  int64_t zxid;
  uint64_t digest, count;
  if (!r.I64(&zxid) || !r.U64(&digest) || !r.U64(&count)) return "truncated tree header";
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view path, data;
    uint64_t null_flag, acl_count, children;
    server::NodeStat s;
    if (!r.Str(&path) || !r.Str(&data) || !r.U64(&null_flag) || !r.I64(&s.czxid) ||
        !r.I64(&s.mzxid) || !r.I64(&s.pzxid) || !r.I64(&s.ctime) || !r.I64(&s.mtime) ||
        !r.I64(&s.ephemeral_owner) || !r.I32(&s.version) || !r.I32(&s.cversion) ||
        !r.I32(&s.aversion) || !r.U64(&acl_count)) {
      return "truncated node " + std::to_string(i);
    }
    server::AclList acl;
    for (uint64_t k = 0; k < acl_count; ++k) {
      proto::Acl a;
      std::string_view scheme, id;
      if (!r.I32(&a.perms) || !r.Str(&scheme) || !r.Str(&id)) return "truncated acl";
      a.id.scheme = std::string(scheme);
      a.id.id = std::string(id);
      acl.push_back(std::move(a));
    }
    if (!r.U64(&children)) return "truncated node";
    if (!t->LoadNode(path, s, data, null_flag != 0, acl, children)) {
      return "cannot load node " + std::string(path);
    }
  }
  if (!r.done()) return "trailing bytes after the tree";
  t->SetLastZxid(zxid);
  if (t->digest() != digest) return "digest differs after loading the tree";
  *tree = std::move(t);
  return "";
}

}  // namespace zk::sim
