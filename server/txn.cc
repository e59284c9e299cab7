#include "server/txn.h"

#include <msgpack.hpp>

namespace zk::server {
namespace {

// Body tags in the encoded form. Stable: they are part of the on-disk format.
enum class Tag : uint8_t {
  kCreate = 1,
  kDelete = 2,
  kSetData = 3,
  kSetAcl = 4,
  kCheck = 5,
  kError = 6,
  kCreateSession = 7,
  kCloseSession = 8,
  kMulti = 9,
};

// Packs straight into the std::string the txn travels in: no intermediate buffer and copy.
struct TxnSink {
  std::string* out;
  void write(const char* data, size_t size) { out->append(data, size); }
};
using Packer = msgpack::packer<TxnSink>;

void PackBytes(Packer& pk, const std::string& s) {
  pk.pack_bin(static_cast<uint32_t>(s.size()));
  pk.pack_bin_body(s.data(), static_cast<uint32_t>(s.size()));
}

void PackAcl(Packer& pk, const std::vector<proto::Acl>& acl) {
  pk.pack_array(static_cast<uint32_t>(acl.size()));
  for (const auto& a : acl) {
    pk.pack_array(3);
    pk.pack(a.perms);
    pk.pack(a.id.scheme);
    pk.pack(a.id.id);
  }
}

struct BodyPacker {
  Packer& pk;
  void operator()(const CreateTxn& t) const {
    pk.pack(static_cast<uint8_t>(Tag::kCreate));
    pk.pack_array(6);
    pk.pack(t.path);
    PackBytes(pk, t.data);
    pk.pack(t.data_null);
    PackAcl(pk, t.acl);
    pk.pack(t.ephemeral_owner);
    pk.pack(t.parent_cversion);
  }
  void operator()(const DeleteTxn& t) const {
    pk.pack(static_cast<uint8_t>(Tag::kDelete));
    pk.pack_array(1);
    pk.pack(t.path);
  }
  void operator()(const SetDataTxn& t) const {
    pk.pack(static_cast<uint8_t>(Tag::kSetData));
    pk.pack_array(4);
    pk.pack(t.path);
    PackBytes(pk, t.data);
    pk.pack(t.data_null);
    pk.pack(t.version);
  }
  void operator()(const SetAclTxn& t) const {
    pk.pack(static_cast<uint8_t>(Tag::kSetAcl));
    pk.pack_array(3);
    pk.pack(t.path);
    PackAcl(pk, t.acl);
    pk.pack(t.version);
  }
  void operator()(const CheckTxn& t) const {
    pk.pack(static_cast<uint8_t>(Tag::kCheck));
    pk.pack_array(1);
    pk.pack(t.path);
  }
  void operator()(const ErrorTxn& t) const {
    pk.pack(static_cast<uint8_t>(Tag::kError));
    pk.pack_array(1);
    pk.pack(static_cast<int32_t>(t.err));
  }
  void operator()(const CreateSessionTxn& t) const {
    pk.pack(static_cast<uint8_t>(Tag::kCreateSession));
    pk.pack_array(t.password.empty() ? 1 : 2);
    pk.pack(t.timeout_ms);
    if (!t.password.empty()) PackBytes(pk, t.password);
  }
  void operator()(const CloseSessionTxn&) const {
    pk.pack(static_cast<uint8_t>(Tag::kCloseSession));
    pk.pack_array(0);
  }
  void operator()(const MultiTxn& t) const {
    pk.pack(static_cast<uint8_t>(Tag::kMulti));
    pk.pack_array(static_cast<uint32_t>(t.ops.size()));
    for (const auto& op : t.ops) {
      pk.pack_array(2);
      std::visit(*this, op);
    }
  }
};

// Decoding: every accessor checks the object's type and throws msgpack::type_error on mismatch;
// DecodeTxn turns any exception into `false`.
const msgpack::object& At(const msgpack::object& o, uint32_t i) {
  if (o.type != msgpack::type::ARRAY || i >= o.via.array.size) throw msgpack::type_error();
  return o.via.array.ptr[i];
}

std::string Bytes(const msgpack::object& o) {
  if (o.type == msgpack::type::BIN) return std::string(o.via.bin.ptr, o.via.bin.size);
  if (o.type == msgpack::type::STR) return std::string(o.via.str.ptr, o.via.str.size);
  throw msgpack::type_error();
}

std::vector<proto::Acl> AclOf(const msgpack::object& o) {
  if (o.type != msgpack::type::ARRAY) throw msgpack::type_error();
  std::vector<proto::Acl> out;
  out.reserve(o.via.array.size);
  for (uint32_t i = 0; i < o.via.array.size; ++i) {
    const auto& e = o.via.array.ptr[i];
    proto::Acl a;
    a.perms = At(e, 0).as<int32_t>();
    a.id.scheme = Bytes(At(e, 1));
    a.id.id = Bytes(At(e, 2));
    out.push_back(std::move(a));
  }
  return out;
}

template <class Variant>
Variant BodyOf(uint8_t tag, const msgpack::object& b) {
  switch (static_cast<Tag>(tag)) {
    case Tag::kCreate:
      return CreateTxn{Bytes(At(b, 0)),       Bytes(At(b, 1)),           At(b, 2).as<bool>(),
                       AclOf(At(b, 3)),       At(b, 4).as<int64_t>(),    At(b, 5).as<int32_t>()};
    case Tag::kDelete:
      return DeleteTxn{Bytes(At(b, 0))};
    case Tag::kSetData:
      return SetDataTxn{Bytes(At(b, 0)), Bytes(At(b, 1)), At(b, 2).as<bool>(),
                        At(b, 3).as<int32_t>()};
    case Tag::kSetAcl:
      return SetAclTxn{Bytes(At(b, 0)), AclOf(At(b, 1)), At(b, 2).as<int32_t>()};
    case Tag::kCheck:
      return CheckTxn{Bytes(At(b, 0))};
    case Tag::kError:
      return ErrorTxn{static_cast<Err>(At(b, 0).as<int32_t>())};
    default:
      break;
  }
  if constexpr (std::is_same_v<Variant, TxnBody>) {
    switch (static_cast<Tag>(tag)) {
      case Tag::kCreateSession: {
        // [timeout] before passwords were random, [timeout, password] since.
        CreateSessionTxn c{At(b, 0).as<int32_t>(), {}};
        if (b.via.array.size > 1) c.password = Bytes(At(b, 1));
        return c;
      }
      case Tag::kCloseSession:
        return CloseSessionTxn{};
      case Tag::kMulti: {
        if (b.type != msgpack::type::ARRAY) throw msgpack::type_error();
        MultiTxn m;
        m.ops.reserve(b.via.array.size);
        for (uint32_t i = 0; i < b.via.array.size; ++i) {
          const auto& op = b.via.array.ptr[i];
          m.ops.push_back(BodyOf<MultiOp>(At(op, 0).as<uint8_t>(), At(op, 1)));
        }
        return m;
      }
      default:
        break;
    }
  }
  throw msgpack::type_error();
}

}  // namespace

std::string EncodeTxn(const Txn& txn) {
  std::string out;
  // Headers, tags and ACLs take well under 128 bytes; the path and data are the rest.
  out.reserve(128 + [&] {
    if (auto* c = std::get_if<CreateTxn>(&txn.body)) return c->data.size() + c->path.size();
    if (auto* s = std::get_if<SetDataTxn>(&txn.body)) return s->data.size() + s->path.size();
    return size_t{0};
  }());
  TxnSink sink{&out};
  Packer pk(sink);
  pk.pack_array(7);
  pk.pack(txn.zxid);
  pk.pack(txn.session_id);
  pk.pack(txn.cxid);
  pk.pack(txn.time_ms);
  pk.pack(static_cast<int32_t>(txn.type));
  std::visit(BodyPacker{pk}, txn.body);
  return out;
}

bool DecodeTxn(std::string_view bytes, Txn* txn) {
  try {
    // Every element takes at least one byte, so no honest count exceeds the input size; the
    // limits stop a corrupt header from making the unpacker reserve gigabytes up front.
    const size_t n = bytes.size();
    const msgpack::unpack_limit limit(/*array=*/n, /*map=*/n, /*str=*/n, /*bin=*/n, /*ext=*/n,
                                      /*depth=*/16);
    size_t offset = 0;
    msgpack::object_handle oh =
        msgpack::unpack(bytes.data(), n, offset, nullptr, nullptr, limit);
    if (offset != n) return false;  // trailing bytes
    const msgpack::object& o = oh.get();
    if (o.type != msgpack::type::ARRAY || o.via.array.size != 7) return false;
    txn->zxid = At(o, 0).as<int64_t>();
    txn->session_id = At(o, 1).as<int64_t>();
    txn->cxid = At(o, 2).as<int32_t>();
    txn->time_ms = At(o, 3).as<int64_t>();
    txn->type = static_cast<OpCode>(At(o, 4).as<int32_t>());
    txn->body = BodyOf<TxnBody>(At(o, 5).as<uint8_t>(), At(o, 6));
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace zk::server
