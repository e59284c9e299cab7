#include "server/forwarding.h"

#include <msgpack.hpp>

namespace zk::server {
namespace {

using Packer = msgpack::packer<msgpack::sbuffer>;

void PackBytes(Packer& pk, std::string_view s) {
  pk.pack_bin(static_cast<uint32_t>(s.size()));
  pk.pack_bin_body(s.data(), static_cast<uint32_t>(s.size()));
}

bool GetInt(const msgpack::object& o, int64_t* v) {
  if (o.type == msgpack::type::POSITIVE_INTEGER) {
    if (o.via.u64 > static_cast<uint64_t>(INT64_MAX)) return false;
    *v = static_cast<int64_t>(o.via.u64);
    return true;
  }
  if (o.type == msgpack::type::NEGATIVE_INTEGER) {
    *v = o.via.i64;
    return true;
  }
  return false;
}

bool GetInt32(const msgpack::object& o, int32_t* v) {
  int64_t x = 0;
  if (!GetInt(o, &x) || x < INT32_MIN || x > INT32_MAX) return false;
  *v = static_cast<int32_t>(x);
  return true;
}

bool GetBytes(const msgpack::object& o, std::string* v) {
  if (o.type == msgpack::type::BIN) {
    v->assign(o.via.bin.ptr, o.via.bin.size);
    return true;
  }
  if (o.type == msgpack::type::STR) {
    v->assign(o.via.str.ptr, o.via.str.size);
    return true;
  }
  return false;
}

enum Tag : int {
  kWrite = 1,
  kCreateSession = 2,
  kSync = 3,
  kSyncDone = 4,
  kActivity = 5,
  kTreeDigest = 6
};

}  // namespace

std::string EncodeAppMessage(const AppMessage& m) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  if (const auto* w = std::get_if<ForwardedWrite>(&m)) {
    pk.pack_array(7);
    pk.pack(static_cast<int>(kWrite));
    pk.pack(w->session_id);
    pk.pack(w->cxid);
    pk.pack(w->type);
    PackBytes(pk, w->body);
    pk.pack(w->who.is_super);
    pk.pack_array(static_cast<uint32_t>(w->who.ids.size()));
    for (const AuthId& id : w->who.ids) {
      pk.pack_array(2);
      PackBytes(pk, id.scheme);
      PackBytes(pk, id.id);
    }
  } else if (const auto* c = std::get_if<ForwardedCreateSession>(&m)) {
    pk.pack_array(3);
    pk.pack(static_cast<int>(kCreateSession));
    pk.pack(c->session_id);
    pk.pack(c->timeout_ms);
  } else if (const auto* s = std::get_if<SyncRequest>(&m)) {
    pk.pack_array(3);
    pk.pack(static_cast<int>(kSync));
    pk.pack(s->session_id);
    pk.pack(s->xid);
  } else if (const auto* d = std::get_if<SyncDone>(&m)) {
    pk.pack_array(4);
    pk.pack(static_cast<int>(kSyncDone));
    pk.pack(d->session_id);
    pk.pack(d->xid);
    pk.pack(d->zxid);
  } else if (const auto* a = std::get_if<SessionActivity>(&m)) {
    pk.pack_array(2);
    pk.pack(static_cast<int>(kActivity));
    pk.pack_array(static_cast<uint32_t>(a->session_ids.size()));
    for (int64_t id : a->session_ids) pk.pack(id);
  } else if (const auto* t = std::get_if<TreeDigest>(&m)) {
    pk.pack_array(3);
    pk.pack(static_cast<int>(kTreeDigest));
    pk.pack(t->zxid);
    pk.pack(t->digest);
  }
  return std::string(buf.data(), buf.size());
}

bool DecodeAppMessage(std::string_view bytes, AppMessage* out) {
  try {
    size_t offset = 0;
    msgpack::object_handle h = msgpack::unpack(bytes.data(), bytes.size(), offset);
    if (offset != bytes.size()) return false;
    const msgpack::object& o = h.get();
    if (o.type != msgpack::type::ARRAY || o.via.array.size < 2) return false;
    const msgpack::object* f = o.via.array.ptr;
    const uint32_t n = o.via.array.size;
    int64_t tag = 0;
    if (!GetInt(f[0], &tag)) return false;
    switch (tag) {
      case kWrite: {
        ForwardedWrite w;
        if (n != 7 || !GetInt(f[1], &w.session_id) || !GetInt32(f[2], &w.cxid) ||
            !GetInt32(f[3], &w.type) || !GetBytes(f[4], &w.body) ||
            f[5].type != msgpack::type::BOOLEAN || f[6].type != msgpack::type::ARRAY) {
          return false;
        }
        w.who.is_super = f[5].via.boolean;
        for (uint32_t i = 0; i < f[6].via.array.size; ++i) {
          const msgpack::object& id = f[6].via.array.ptr[i];
          AuthId a;
          if (id.type != msgpack::type::ARRAY || id.via.array.size != 2 ||
              !GetBytes(id.via.array.ptr[0], &a.scheme) || !GetBytes(id.via.array.ptr[1], &a.id)) {
            return false;
          }
          w.who.ids.push_back(std::move(a));
        }
        *out = std::move(w);
        return true;
      }
      case kCreateSession: {
        ForwardedCreateSession c;
        if (n != 3 || !GetInt(f[1], &c.session_id) || !GetInt32(f[2], &c.timeout_ms)) return false;
        *out = c;
        return true;
      }
      case kSync:
      case kSyncDone: {
        int64_t session = 0;
        int32_t xid = 0;
        int64_t zxid = 0;
        const uint32_t fields = tag == kSync ? 3 : (n == 4 ? 4 : 3);
        if (n != fields || !GetInt(f[1], &session) || !GetInt32(f[2], &xid) ||
            (fields == 4 && !GetInt(f[3], &zxid))) {
          return false;
        }
        if (tag == kSync) {
          *out = SyncRequest{session, xid};
        } else {
          *out = SyncDone{session, xid, zxid};
        }
        return true;
      }
      case kActivity: {
        if (n != 2 || f[1].type != msgpack::type::ARRAY) return false;
        SessionActivity a;
        for (uint32_t i = 0; i < f[1].via.array.size; ++i) {
          int64_t id = 0;
          if (!GetInt(f[1].via.array.ptr[i], &id)) return false;
          a.session_ids.push_back(id);
        }
        *out = std::move(a);
        return true;
      }
      case kTreeDigest: {
        TreeDigest t;
        if (n != 3 || !GetInt(f[1], &t.zxid) || f[2].type != msgpack::type::POSITIVE_INTEGER) {
          return false;
        }
        t.digest = f[2].via.u64;
        *out = t;
        return true;
      }
      default:
        return false;
    }
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace zk::server
