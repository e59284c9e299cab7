#include "server/forwarding.h"

#include <doctest/doctest.h>

#include <msgpack.hpp>

namespace zk::server {
namespace {

TEST_CASE("SyncDone carries the zxid the follower must reach before it answers") {
  AppMessage decoded;
  REQUIRE(DecodeAppMessage(EncodeAppMessage(SyncDone{0x1234, 7, 0x500000016}), &decoded));
  const auto* d = std::get_if<SyncDone>(&decoded);
  REQUIRE(d != nullptr);
  CHECK(d->session_id == 0x1234);
  CHECK(d->xid == 7);
  CHECK(d->zxid == 0x500000016);
}

TEST_CASE("A SyncDone without a zxid (from a leader that sends none) is answered at once") {
  // [tag, session, xid], as such a leader packs it.
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  const std::string full = EncodeAppMessage(SyncDone{1, 2, 3});
  msgpack::object_handle oh = msgpack::unpack(full.data(), full.size());
  pk.pack_array(3);
  pk.pack(oh.get().via.array.ptr[0]);
  pk.pack(int64_t{0x99});
  pk.pack(int32_t{5});
  AppMessage decoded;
  REQUIRE(DecodeAppMessage(std::string_view(buf.data(), buf.size()), &decoded));
  const auto* d = std::get_if<SyncDone>(&decoded);
  REQUIRE(d != nullptr);
  CHECK(d->session_id == 0x99);
  CHECK(d->xid == 5);
  CHECK(d->zxid == 0);
}

TEST_CASE("A SyncRequest keeps its three fields") {
  AppMessage decoded;
  REQUIRE(DecodeAppMessage(EncodeAppMessage(SyncRequest{0x42, 9}), &decoded));
  const auto* s = std::get_if<SyncRequest>(&decoded);
  REQUIRE(s != nullptr);
  CHECK(s->session_id == 0x42);
  CHECK(s->xid == 9);
}

}  // namespace
}  // namespace zk::server
