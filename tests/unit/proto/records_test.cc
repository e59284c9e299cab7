#include "client/proto/records.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "client/proto/wire_constants.h"
#include "tests/unit/proto/test_util.h"

namespace zk::proto {
namespace {

using testing::CheckRoundTrip;
using testing::CheckTruncations;
using testing::Encode;
using testing::Hex;
using testing::Unhex;

Stat SampleStat() {
  Stat s;
  s.czxid = 1;
  s.mzxid = 2;
  s.ctime = 3;
  s.mtime = 4;
  s.version = 5;
  s.cversion = 6;
  s.aversion = 7;
  s.ephemeral_owner = 8;
  s.data_length = 9;
  s.num_children = 10;
  s.pzxid = 11;
  return s;
}

std::vector<Acl> SampleAcl() {
  return {Acl{perms::kAll, Id{"world", "anyone"}},
          Acl{perms::kRead | perms::kAdmin, Id{"digest", "u:hash="}}};
}

std::string PasswordBytes() {
  std::string p;
  for (int i = 0; i < kSessionPasswordLength; ++i) p.push_back(static_cast<char>(0xa0 + i));
  return p;
}

// ---- Stat -----------------------------------------------------------------------------------

TEST_CASE("Stat: 68 bytes, golden, round trip") {
  CHECK(kStatWireSize == 68);
  std::string bytes = Encode(SampleStat());
  CHECK(bytes.size() == 68);
  CHECK(Hex(bytes) ==
        "0000000000000001"
        "0000000000000002"
        "0000000000000003"
        "0000000000000004"
        "00000005"
        "00000006"
        "00000007"
        "0000000000000008"
        "00000009"
        "0000000a"
        "000000000000000b");
  CheckRoundTrip(SampleStat());
  CheckRoundTrip(Stat{});
  CheckTruncations(SampleStat());

  JuteWriter w;
  WriteStat(w, SampleStat());
  JuteReader r(w.buffer());
  Stat s;
  REQUIRE(ReadStat(r, &s));
  CHECK(s == SampleStat());
  Stat other = SampleStat();
  other.pzxid = 12;
  CHECK_FALSE(other == SampleStat());
}

TEST_CASE("Id and Acl") {
  for (const Acl& a : SampleAcl()) {
    CheckRoundTrip(a);
    CheckRoundTrip(a.id);
    CheckTruncations(a);
  }
  CHECK(Hex(Encode(SampleAcl()[0])) ==
        "0000001f"
        "00000005776f726c64"
        "00000006616e796f6e65");
  JuteWriter w;
  WriteAclVector(w, SampleAcl());
  JuteReader r(w.buffer());
  std::vector<Acl> acl;
  REQUIRE(ReadAclVector(r, &acl));
  CHECK(acl == SampleAcl());
}

// ---- Handshake ------------------------------------------------------------------------------

ConnectRequest SampleConnect(bool with_read_only) {
  ConnectRequest c;
  c.protocol_version = kProtocolVersion;
  c.last_zxid_seen = 0x0102030405060708LL;
  c.timeout_ms = 30000;
  c.session_id = 0;
  c.passwd = std::string(static_cast<size_t>(kSessionPasswordLength), '\0');
  c.read_only = with_read_only;
  c.has_read_only = with_read_only;
  return c;
}

TEST_CASE("ConnectRequest: golden bytes without the read-only byte (44)") {
  std::string bytes = Encode(SampleConnect(false));
  CHECK(bytes.size() == 44);
  CHECK(Hex(bytes) ==
        "00000000"
        "0102030405060708"
        "00007530"
        "0000000000000000"
        "00000010"
        "00000000000000000000000000000000");
  JuteReader r(bytes);
  ConnectRequest c;
  c.has_read_only = true;
  c.read_only = true;
  REQUIRE(c.Read(r));
  CHECK_FALSE(c.has_read_only);
  CHECK_FALSE(c.read_only);
  CHECK(c.last_zxid_seen == 0x0102030405060708LL);
  CHECK(c.timeout_ms == 30000);
  CHECK(c.passwd.size() == static_cast<size_t>(kSessionPasswordLength));
  CheckRoundTrip(SampleConnect(false));
  CheckTruncations(SampleConnect(false));
}

TEST_CASE("ConnectRequest: golden bytes with the read-only byte (45)") {
  std::string bytes = Encode(SampleConnect(true));
  CHECK(bytes.size() == 45);
  CHECK(Hex(bytes) ==
        "00000000"
        "0102030405060708"
        "00007530"
        "0000000000000000"
        "00000010"
        "00000000000000000000000000000000"
        "01");
  JuteReader r(bytes);
  ConnectRequest c;
  REQUIRE(c.Read(r));
  CHECK(c.has_read_only);
  CHECK(c.read_only);
  CHECK(r.remaining() == 0);
  CheckRoundTrip(SampleConnect(true));
  ConnectRequest rw = SampleConnect(true);
  rw.read_only = false;
  CHECK(Hex(Encode(rw)).ends_with("00"));
  CheckRoundTrip(rw);
  // Dropping the last byte leaves the valid 44-byte form; every other prefix fails.
  CheckTruncations(SampleConnect(true), 44);
}

TEST_CASE("ConnectRequest: kazoo's encoding decodes") {
  // kazoo Connect(0, 0x0102030405060708, 30000, 0, b'\0' * 16, False).serialize()
  std::string bytes = Unhex(
      "000000000102030405060708000075300000000000000000000000100000000000000000000000000000000000");
  JuteReader r(bytes);
  ConnectRequest c;
  REQUIRE(c.Read(r));
  CHECK(c.has_read_only);
  CHECK_FALSE(c.read_only);
  ConnectRequest expected = SampleConnect(false);
  expected.has_read_only = true;
  CHECK(c == expected);
  CHECK(Encode(c) == bytes);
}

TEST_CASE("ConnectRequest: a null password reads as empty") {
  JuteWriter w;
  w.WriteInt(kProtocolVersion);
  w.WriteLong(0);
  w.WriteInt(10000);
  w.WriteLong(0);
  w.WriteNullBuffer();
  JuteReader r(w.buffer());
  ConnectRequest c;
  REQUIRE(c.Read(r));
  CHECK(c.passwd.empty());
  CHECK_FALSE(c.has_read_only);
}

TEST_CASE("ConnectResponse: answers in the client's form (36 / 37 bytes)") {
  ConnectResponse resp;
  resp.protocol_version = kProtocolVersion;
  resp.timeout_ms = 4000;
  resp.session_id = 0x0100000000000001LL;
  resp.passwd = PasswordBytes();
  resp.read_only = false;

  resp.has_read_only = false;
  std::string old_form = Encode(resp);
  CHECK(old_form.size() == 36);
  CHECK(Hex(old_form) ==
        "00000000"
        "00000fa0"
        "0100000000000001"
        "00000010"
        "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
  CheckRoundTrip(resp);
  CheckTruncations(resp);

  resp.has_read_only = true;
  std::string new_form = Encode(resp);
  CHECK(new_form.size() == 37);
  CHECK(new_form == old_form + std::string(1, '\0'));
  CheckRoundTrip(resp);
  resp.read_only = true;
  CheckRoundTrip(resp);
  CheckTruncations(resp, 36);
}

TEST_CASE("Headers: golden ReplyHeader, RequestHeader, MultiHeader") {
  ReplyHeader h{5, 0x100000002LL, static_cast<int32_t>(Err::kNoNode)};
  CHECK(Hex(Encode(h)) ==
        "00000005"
        "0000000100000002"
        "ffffff9b");
  CheckRoundTrip(h);
  CheckTruncations(h);
  CheckRoundTrip(ReplyHeader{xids::kNotification, -1, 0});

  RequestHeader rq{7, static_cast<int32_t>(OpCode::kCreate)};
  CHECK(Hex(Encode(rq)) ==
        "00000007"
        "00000001");
  CheckRoundTrip(rq);
  CheckTruncations(rq);

  MultiHeader end{static_cast<int32_t>(OpCode::kError), true, -1};
  CHECK(Hex(Encode(end)) ==
        "ffffffff"
        "01"
        "ffffffff");
  CheckRoundTrip(end);
  CheckRoundTrip(MultiHeader{static_cast<int32_t>(OpCode::kSetData), false, 0});
  CheckTruncations(end);
}

TEST_CASE("AuthPacket") {
  AuthPacket a{0, "digest", "user:pass"};
  CheckRoundTrip(a);
  CheckTruncations(a);
  CHECK(Hex(Encode(a)) ==
        "00000000"
        "00000006646967657374"
        "00000009757365723a70617373");
}

// ---- Requests -------------------------------------------------------------------------------

TEST_CASE("CreateRequest: golden bytes (as kazoo encodes them), null data, round trip") {
  CreateRequest c;
  c.path = "/a";
  c.data = "hi";
  c.acl = {Acl{perms::kAll, Id{"world", "anyone"}}};
  c.flags = static_cast<int32_t>(CreateMode::kEphemeral);
  // kazoo Create('/a', b'hi', [ACL(31, Id('world', 'anyone'))], 1).serialize()
  CHECK(Hex(Encode(c)) ==
        "000000022f61"
        "000000026869"
        "00000001"
        "0000001f"
        "00000005776f726c64"
        "00000006616e796f6e65"
        "00000001");
  CheckRoundTrip(c);
  CheckTruncations(c);

  CreateRequest null_data = c;
  null_data.data.clear();
  null_data.data_null = true;
  null_data.acl = SampleAcl();
  CHECK(Hex(Encode(null_data)).substr(12, 8) == "ffffffff");
  CheckRoundTrip(null_data);

  CreateRequest empty_data = c;
  empty_data.data.clear();
  CHECK(Hex(Encode(empty_data)).substr(12, 8) == "00000000");
  CheckRoundTrip(empty_data);
  CheckRoundTrip(CreateRequest{});
}

TEST_CASE("CreateTtlRequest") {
  CreateTtlRequest c;
  c.path = "/ttl";
  c.data = std::string("\0\1\2", 3);
  c.acl = SampleAcl();
  c.flags = static_cast<int32_t>(CreateMode::kPersistentWithTtl);
  c.ttl = 60000;
  CheckRoundTrip(c);
  CheckTruncations(c);
  std::string hex = Hex(Encode(c));
  CHECK(
      hex.ends_with("00000005"
                    "000000000000ea60"));
}

TEST_CASE("Simple requests round trip and reject truncation") {
  DeleteRequest del{"/x", kAnyVersion};
  CHECK(Hex(Encode(del)) ==
        "000000022f78"
        "ffffffff");
  CheckRoundTrip(del);
  CheckTruncations(del);

  PathWatchRequest pw{"/watched", true};
  CHECK(Hex(Encode(pw)).ends_with("01"));
  CheckRoundTrip(pw);
  CheckRoundTrip(PathWatchRequest{"/", false});
  CheckTruncations(pw);

  SetDataRequest sd{"/d", "payload", false, 3};
  CheckRoundTrip(sd);
  CheckTruncations(sd);
  CheckRoundTrip(SetDataRequest{"/d", "", true, kAnyVersion});

  PathRequest pr{"/p"};
  CheckRoundTrip(pr);
  CheckTruncations(pr);

  SetAclRequest sa{"/acl", SampleAcl(), 2};
  CheckRoundTrip(sa);
  CheckTruncations(sa);
  CheckRoundTrip(SetAclRequest{"/acl", {}, 0});

  CheckVersionRequest cv{"/c", 9};
  CheckRoundTrip(cv);
  CheckTruncations(cv);

  AddWatchRequest aw{"/w", static_cast<int32_t>(AddWatchMode::kPersistentRecursive)};
  CHECK(Hex(Encode(aw)) ==
        "000000022f77"
        "00000001");
  CheckRoundTrip(aw);
  CheckTruncations(aw);

  WatchesRequest wr{"/w", static_cast<int32_t>(WatcherType::kAny)};
  CheckRoundTrip(wr);
  CheckTruncations(wr);
}

TEST_CASE("SetWatchesRequest: v1 and v2") {
  SetWatchesRequest s;
  s.relative_zxid = 0x10;
  s.data_watches = {"/d"};
  s.exist_watches = {"/e1", "/e2"};
  s.child_watches = {};
  s.persistent_watches = {"/p"};
  s.persistent_recursive_watches = {"/r", "/r2"};

  JuteWriter w1;
  s.Write(w1, /*v2=*/false);
  CHECK(Hex(w1.buffer()) ==
        "0000000000000010"
        "00000001"
        "000000022f64"
        "00000002"
        "000000032f6531"
        "000000032f6532"
        "00000000");
  {
    JuteReader r(w1.buffer());
    SetWatchesRequest out;
    out.persistent_watches = {"junk"};
    REQUIRE(out.Read(r, false));
    CHECK(r.remaining() == 0);
    CHECK(out.data_watches == s.data_watches);
    CHECK(out.exist_watches == s.exist_watches);
    CHECK(out.child_watches.empty());
    CHECK(out.persistent_watches.empty());
    CHECK(out.persistent_recursive_watches.empty());
  }
  CheckTruncations(w1.buffer(), [](JuteReader& r) { return SetWatchesRequest().Read(r, false); });

  JuteWriter w2;
  s.Write(w2, /*v2=*/true);
  CHECK(w2.buffer().starts_with(w1.buffer()));
  {
    JuteReader r(w2.buffer());
    SetWatchesRequest out;
    REQUIRE(out.Read(r, true));
    CHECK(r.remaining() == 0);
    CHECK(out == s);
  }
  CheckTruncations(w2.buffer(), [](JuteReader& r) { return SetWatchesRequest().Read(r, true); });
}

TEST_CASE("ReconfigRequest keeps null apart from empty") {
  ReconfigRequest incremental;
  incremental.joining = "server.4=h:2888:3888;2181";
  incremental.leaving = "";
  incremental.cur_config_id = 0x100000000LL;
  CheckRoundTrip(incremental);
  CheckTruncations(incremental);

  ReconfigRequest all_null;
  CHECK(Hex(Encode(all_null)) ==
        "ffffffff"
        "ffffffff"
        "ffffffff"
        "ffffffffffffffff");
  CheckRoundTrip(all_null);

  ReconfigRequest non_incremental;
  non_incremental.new_members = "server.1=a:1:2;3";
  std::string bytes = Encode(non_incremental);
  JuteReader r(bytes);
  ReconfigRequest out;
  out.joining = "junk";
  REQUIRE(out.Read(r));
  CHECK_FALSE(out.joining.has_value());
  CHECK_FALSE(out.leaving.has_value());
  CHECK(out.new_members == non_incremental.new_members);
}

// ---- Responses and events -------------------------------------------------------------------

TEST_CASE("WatcherEvent") {
  WatcherEvent e{static_cast<int32_t>(EventType::kNodeDataChanged),
                 static_cast<int32_t>(KeeperState::kSyncConnected), "/n"};
  CHECK(Hex(Encode(e)) ==
        "00000003"
        "00000003"
        "000000022f6e");
  CheckRoundTrip(e);
  CheckTruncations(e);
  CheckRoundTrip(WatcherEvent{static_cast<int32_t>(EventType::kNone),
                              static_cast<int32_t>(KeeperState::kExpired), ""});
}

TEST_CASE("Responses round trip and reject truncation") {
  PathResponse p{"/seq0000000001"};
  CheckRoundTrip(p);
  CheckTruncations(p);

  Create2Response c2{"/c", SampleStat()};
  CHECK(Encode(c2).size() == 4 + 2 + kStatWireSize);
  CheckRoundTrip(c2);
  CheckTruncations(c2);

  StatResponse sr{SampleStat()};
  CHECK(Encode(sr) == Encode(SampleStat()));
  CheckRoundTrip(sr);
  CheckTruncations(sr);

  GetDataResponse gd{"value", false, SampleStat()};
  CheckRoundTrip(gd);
  CheckTruncations(gd);
  GetDataResponse gd_null{"", true, SampleStat()};
  CHECK(Hex(Encode(gd_null)).starts_with("ffffffff"));
  CheckRoundTrip(gd_null);

  GetAclResponse ga{SampleAcl(), SampleStat()};
  CheckRoundTrip(ga);
  CheckTruncations(ga);

  GetChildrenResponse gc{{"a", "b", "c"}};
  CheckRoundTrip(gc);
  CheckTruncations(gc);
  CheckRoundTrip(GetChildrenResponse{});

  GetChildren2Response gc2{{"x"}, SampleStat()};
  CheckRoundTrip(gc2);
  CheckTruncations(gc2);

  StringListResponse sl{{"/e1", "/e2/x"}};
  CheckRoundTrip(sl);
  CheckTruncations(sl);

  GetAllChildrenNumberResponse n{42};
  CHECK(Hex(Encode(n)) == "0000002a");
  CheckRoundTrip(n);
  CheckTruncations(n);

  ClientInfo ci{"ip", "127.0.0.1"};
  CheckRoundTrip(ci);
  CheckTruncations(ci);
  WhoAmIResponse who{{ci, ClientInfo{"digest", "bob"}}};
  CheckRoundTrip(who);
  CheckTruncations(who);
  CheckRoundTrip(WhoAmIResponse{});

  ErrorResponse er{static_cast<int32_t>(Err::kBadVersion)};
  CHECK(Hex(Encode(er)) == "ffffff99");
  CheckRoundTrip(er);
  CheckTruncations(er);
}

TEST_CASE("A null children vector reads as empty") {
  std::string bytes = Unhex("ffffffff");
  JuteReader r(bytes);
  GetChildrenResponse gc{{"junk"}};
  REQUIRE(gc.Read(r));
  CHECK(gc.children.empty());
}

TEST_CASE("Records reject corrupted lengths") {
  CreateRequest c;
  c.path = "/a";
  c.data = "hi";
  c.acl = SampleAcl();
  std::string bytes = Encode(c);
  // Path length -> -2.
  std::string bad_path = bytes;
  bad_path.replace(0, 4, Unhex("fffffffe"));
  // Data length -> more than what follows.
  std::string bad_data = bytes;
  bad_data.replace(6, 4, Unhex("00100000"));
  // ACL count -> huge.
  std::string bad_acl = bytes;
  bad_acl.replace(12, 4, Unhex("7fffffff"));
  for (const std::string& b : {bad_path, bad_data, bad_acl}) {
    JuteReader r(b);
    CreateRequest out;
    CHECK_FALSE(out.Read(r));
    CHECK_FALSE(r.ok());
  }
}

TEST_CASE("A frame of records: length prefix, header, body") {
  JuteWriter w;
  size_t mark = w.BeginFrame();
  RequestHeader{1, static_cast<int32_t>(OpCode::kGetData)}.Write(w);
  PathWatchRequest{"/f", true}.Write(w);
  w.EndFrame(mark);
  std::string frame = w.Take();
  CHECK(Hex(frame) ==
        "0000000f"
        "00000001"
        "00000004"
        "000000022f66"
        "01");

  JuteReader len_reader(frame);
  int32_t len = 0;
  REQUIRE(len_reader.ReadInt(&len));
  CHECK(static_cast<size_t>(len) == len_reader.remaining());
  JuteReader body(frame.data() + sizeof(int32_t), static_cast<size_t>(len));
  RequestHeader h;
  PathWatchRequest req;
  REQUIRE(h.Read(body));
  REQUIRE(req.Read(body));
  CHECK(h.type == static_cast<int32_t>(OpCode::kGetData));
  CHECK(req.path == "/f");
  CHECK(req.watch);
  CHECK(body.remaining() == 0);
}

}  // namespace
}  // namespace zk::proto
