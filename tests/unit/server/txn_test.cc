#include "server/txn.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace zk::server {
namespace {

using namespace std::string_literals;

// Field-by-field equality of txn bodies (the structs have no operator==).
bool SameBody(const CreateTxn& a, const CreateTxn& b) {
  return a.path == b.path && a.data == b.data && a.data_null == b.data_null && a.acl == b.acl &&
         a.ephemeral_owner == b.ephemeral_owner && a.parent_cversion == b.parent_cversion;
}
bool SameBody(const DeleteTxn& a, const DeleteTxn& b) { return a.path == b.path; }
bool SameBody(const SetDataTxn& a, const SetDataTxn& b) {
  return a.path == b.path && a.data == b.data && a.data_null == b.data_null &&
         a.version == b.version;
}
bool SameBody(const SetAclTxn& a, const SetAclTxn& b) {
  return a.path == b.path && a.acl == b.acl && a.version == b.version;
}
bool SameBody(const CheckTxn& a, const CheckTxn& b) { return a.path == b.path; }
bool SameBody(const ErrorTxn& a, const ErrorTxn& b) { return a.err == b.err; }
bool SameBody(const CreateSessionTxn& a, const CreateSessionTxn& b) {
  return a.timeout_ms == b.timeout_ms && a.password == b.password;
}
bool SameBody(const CloseSessionTxn&, const CloseSessionTxn&) { return true; }

template <class V>
bool SameVariant(const V& a, const V& b);

bool SameBody(const MultiTxn& a, const MultiTxn& b) {
  if (a.ops.size() != b.ops.size()) return false;
  for (size_t i = 0; i < a.ops.size(); ++i) {
    if (!SameVariant(a.ops[i], b.ops[i])) return false;
  }
  return true;
}

template <class V>
bool SameVariant(const V& a, const V& b) {
  if (a.index() != b.index()) return false;
  return std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        return SameBody(x, std::get<T>(b));
      },
      a);
}

bool Same(const Txn& a, const Txn& b) {
  return a.zxid == b.zxid && a.session_id == b.session_id && a.cxid == b.cxid &&
         a.time_ms == b.time_ms && a.type == b.type && SameVariant(a.body, b.body);
}

Txn Make(OpCode type, TxnBody body) {
  Txn t;
  t.zxid = 0x0000000500000007LL;
  t.session_id = static_cast<int64_t>(0x8100000000000abcULL);  // negative: server id 0x81
  t.cxid = -3;
  t.time_ms = 1700000000123LL;
  t.type = type;
  t.body = std::move(body);
  return t;
}

std::vector<proto::Acl> TwoAcls() {
  return {proto::Acl{31, proto::Id{"world", "anyone"}},
          proto::Acl{1, proto::Id{"digest", "u:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY="}}};
}

std::vector<Txn> AllKinds() {
  std::vector<Txn> v;
  std::string binary = "\0\x01\xff\x80 data"s;
  v.push_back(Make(OpCode::kCreate, CreateTxn{"/a", binary, false, TwoAcls(), 0, 7}));
  v.push_back(Make(OpCode::kCreate2, CreateTxn{"/e", "", true, TwoAcls(), 0x0100000000001234LL,
                                               std::numeric_limits<int32_t>::max()}));
  v.push_back(Make(OpCode::kCreateContainer,
                   CreateTxn{"/c", "x", false, {}, ephemeral_owner::kContainer, 1}));
  v.push_back(Make(OpCode::kCreateTtl, CreateTxn{"/t", std::string(100000, 'z'), false, TwoAcls(),
                                                 ephemeral_owner::kTtlMask | 5000, -2147483647}));
  v.push_back(Make(OpCode::kDelete, DeleteTxn{"/a/b"}));
  v.push_back(Make(OpCode::kSetData, SetDataTxn{"/a", binary, false, 42}));
  v.push_back(Make(OpCode::kSetData, SetDataTxn{"/a", "", true, -1}));
  v.push_back(Make(OpCode::kSetAcl, SetAclTxn{"/a", TwoAcls(), 3}));
  v.push_back(Make(OpCode::kCheck, CheckTxn{"/a"}));
  v.push_back(Make(OpCode::kError, ErrorTxn{Err::kNoNode}));
  v.push_back(Make(OpCode::kCreateSession, CreateSessionTxn{30000, ""}));
  v.push_back(Make(OpCode::kCreateSession,
                   CreateSessionTxn{30000, std::string("\0pw\xff" "random-pass!", 16)}));
  v.push_back(Make(OpCode::kCloseSession, CloseSessionTxn{}));
  MultiTxn ok;
  ok.ops.push_back(CreateTxn{"/m", "d", false, TwoAcls(), 0, 2});
  ok.ops.push_back(DeleteTxn{"/m"});
  ok.ops.push_back(SetDataTxn{"/x", "y", false, 9});
  ok.ops.push_back(SetAclTxn{"/x", TwoAcls(), 1});
  ok.ops.push_back(CheckTxn{"/x"});
  v.push_back(Make(OpCode::kMulti, std::move(ok)));
  MultiTxn failed;
  failed.ops.push_back(ErrorTxn{Err::kOk});
  failed.ops.push_back(ErrorTxn{Err::kBadVersion});
  failed.ops.push_back(ErrorTxn{Err::kRuntimeInconsistency});
  v.push_back(Make(OpCode::kMulti, std::move(failed)));
  v.push_back(Make(OpCode::kMulti, MultiTxn{}));
  Txn zero;  // all defaults
  zero.body = ErrorTxn{};
  v.push_back(zero);
  Txn extremes = Make(OpCode::kSetData, SetDataTxn{"/", "", false, 0});
  extremes.zxid = std::numeric_limits<int64_t>::max();
  extremes.session_id = std::numeric_limits<int64_t>::min();
  extremes.cxid = std::numeric_limits<int32_t>::min();
  extremes.time_ms = -1;
  v.push_back(extremes);
  return v;
}

TEST_CASE("EncodeTxn/DecodeTxn round trip every body type") {
  for (const Txn& t : AllKinds()) {
    CAPTURE(t.body.index());
    std::string bytes = EncodeTxn(t);
    Txn back;
    REQUIRE(DecodeTxn(bytes, &back));
    CHECK(Same(t, back));
    CHECK(EncodeTxn(back) == bytes);
  }
}

TEST_CASE("Round trip keeps nested multi ops and their order") {
  const Txn t = AllKinds()[13];
  REQUIRE(std::holds_alternative<MultiTxn>(t.body));
  Txn back;
  REQUIRE(DecodeTxn(EncodeTxn(t), &back));
  const auto& m = std::get<MultiTxn>(back.body);
  REQUIRE(m.ops.size() == 5);
  CHECK(std::get<CreateTxn>(m.ops[0]).data == "d");
  CHECK(std::get<CreateTxn>(m.ops[0]).parent_cversion == 2);
  CHECK(std::get<DeleteTxn>(m.ops[1]).path == "/m");
  CHECK(std::get<SetDataTxn>(m.ops[2]).version == 9);
  CHECK(std::get<SetAclTxn>(m.ops[3]).acl == TwoAcls());
  CHECK(std::get<CheckTxn>(m.ops[4]).path == "/x");

  Txn failed;
  REQUIRE(DecodeTxn(EncodeTxn(AllKinds()[14]), &failed));
  const auto& f = std::get<MultiTxn>(failed.body);
  REQUIRE(f.ops.size() == 3);
  CHECK(std::get<ErrorTxn>(f.ops[0]).err == Err::kOk);
  CHECK(std::get<ErrorTxn>(f.ops[1]).err == Err::kBadVersion);
  CHECK(std::get<ErrorTxn>(f.ops[2]).err == Err::kRuntimeInconsistency);
}

TEST_CASE("DecodeTxn rejects every truncation of a valid encoding") {
  for (const Txn& t : AllKinds()) {
    std::string bytes = EncodeTxn(t);
    // Long bodies: check every prefix near the ends and a sample in between.
    for (size_t n = 0; n < bytes.size(); n += (n < 64 || bytes.size() - n < 64) ? 1 : 97) {
      Txn out;
      CAPTURE(n);
      CHECK_FALSE(DecodeTxn(std::string_view(bytes).substr(0, n), &out));
    }
  }
}

TEST_CASE("DecodeTxn rejects trailing bytes after a valid encoding") {
  std::string bytes = EncodeTxn(AllKinds()[4]);
  Txn out;
  REQUIRE(DecodeTxn(bytes, &out));
  CHECK_FALSE(DecodeTxn(bytes + '\x00', &out));
  CHECK_FALSE(DecodeTxn(bytes + bytes, &out));
}

// Hand-built msgpack: [zxid=1, session=2, cxid=3, time=4, type=-10, tag, body].
std::string Envelope(std::string tag_and_body, std::string head = "\x97\x01\x02\x03\x04\xf6") {
  return head + tag_and_body;
}

TEST_CASE("DecodeTxn of hand-built msgpack: the well-formed base case decodes") {
  Txn out;
  REQUIRE(DecodeTxn(Envelope("\x07\x91\xcd\x75\x30"), &out));  // CreateSession{30000}
  CHECK(out.zxid == 1);
  CHECK(out.session_id == 2);
  CHECK(out.cxid == 3);
  CHECK(out.time_ms == 4);
  CHECK(out.type == OpCode::kCreateSession);
  REQUIRE(std::holds_alternative<CreateSessionTxn>(out.body));
  CHECK(std::get<CreateSessionTxn>(out.body).timeout_ms == 30000);
  CHECK(std::get<CreateSessionTxn>(out.body).password.empty());  // written before passwords
}

TEST_CASE("DecodeTxn: a session's create txn carries its password") {
  Txn out;
  REQUIRE(DecodeTxn(Envelope("\x07\x92\xcd\x75\x30\xc4\x10" + std::string(16, 'p')), &out));
  REQUIRE(std::holds_alternative<CreateSessionTxn>(out.body));
  CHECK(std::get<CreateSessionTxn>(out.body).timeout_ms == 30000);
  CHECK(std::get<CreateSessionTxn>(out.body).password == std::string(16, 'p'));
}

TEST_CASE("DecodeTxn rejects wrong types and shapes") {
  Txn out;
  std::vector<std::string> bad = {
      ""s,
      "\xc0"s,                                                    // nil
      "\x80"s,                                                    // empty map
      "\x90"s,                                                    // empty array
      "\x96\x01\x02\x03\x04\xf6\x07"s,                            // 6 elements
      "\x98\x01\x02\x03\x04\xf6\x07\x91\x05\xc0"s,                // 8 elements
      Envelope("\x00\x91\x05"s),                                  // unknown tag 0
      Envelope("\x0a\x91\x05"s),                                  // unknown tag 10
      Envelope("\xff\x91\x05"s),                                  // negative tag
      Envelope("\xa1x\x91\x05"s),                                 // tag is a string
      Envelope("\x07\x90"s),                                      // CreateSession with no field
      Envelope("\x07\x91\xa1x"s),                                 // timeout is a string
      Envelope("\x07\x91\xcf\xff\xff\xff\xff\xff\xff\xff\xff"s),  // timeout overflows int32
      Envelope("\x07\x05"s),                                      // body not an array
      Envelope("\x02\x91\x05"s),                                  // Delete path is an int
      Envelope("\x02\x90"s),                                      // Delete without path
      Envelope("\x03\x94\xa2/a\xc4\x00\x05\x01"s),                // SetData data_null is an int
      Envelope("\x01\x96\xa2/a\xc4\x00\xc2\x91\x05\x00\x01"s),    // Create ACL entry is an int
      Envelope("\x01\x96\xa2/a\xc4\x00\xc2\x91\x92\x01\xa1w\x00\x01"s),  // ACL entry of 2
      Envelope("\x09\x91\x92\x07\x91\x05"s),                    // CreateSession inside a multi
      Envelope("\x09\x91\x92\x09\x90"s),                        // multi inside a multi
      Envelope("\x09\x91\x92\x08\x90"s),                        // CloseSession inside a multi
      Envelope("\x09\x91\x91\x02"s),                            // multi op of one element
      Envelope("\x09\x91\x05"s),                                // multi op not an array
      Envelope("\x07\x91\x05"s, "\x97\xa1x\x02\x03\x04\xf6"s),  // zxid is a string
      Envelope("\x07\x91\x05"s, "\x97\x01\x02\xc3\x04\xf6"s),   // cxid is a bool
      Envelope("\x07\x91\x05"s, "\x97\x01\x02\xce\x80\x00\x00\x00\x04\xf6"s),  // cxid > int32
      Envelope("\x07\x91\x05"s, "\x97\x01\x02\x03\x04\xca\x00\x00\x00\x00"s),  // float type
      Envelope("\x07\x91\x05"s,
               "\x97\xcf\x80\x00\x00\x00\x00\x00\x00\x00\x02\x03\x04\xf6"s),  // zxid > int64
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    CAPTURE(i);
    CHECK_FALSE(DecodeTxn(bad[i], &out));
  }
}

TEST_CASE("DecodeTxn rejects headers that claim huge containers without allocating them") {
  // A corrupt log record must not make the decoder reserve gigabytes (or crash under ASan).
  Txn out;
  CHECK_FALSE(DecodeTxn("\xdd\xff\xff\xff\xff"s, &out));                // array32
  CHECK_FALSE(DecodeTxn("\xdf\xff\xff\xff\xff"s, &out));                // map32
  CHECK_FALSE(DecodeTxn("\xc6\xff\xff\xff\xff"s, &out));                // bin32
  CHECK_FALSE(DecodeTxn("\xdb\xff\xff\xff\xff"s, &out));                // str32
  CHECK_FALSE(DecodeTxn(Envelope("\x09\xdd\x7f\xff\xff\xff"s), &out));  // multi ops
  CHECK_FALSE(DecodeTxn(Envelope("\x01\x96\xa2/a\xc4\x00\xc2\xdd\x10\x00\x00\x00"s), &out));
  CHECK_FALSE(DecodeTxn(std::string(100000, '\x91'), &out));  // deep nesting
}

TEST_CASE("DecodeTxn survives random mutations of valid encodings") {
  std::mt19937_64 rng(20240611);
  std::vector<std::string> seeds;
  for (const Txn& t : AllKinds()) {
    std::string b = EncodeTxn(t);
    if (b.size() < 4096) seeds.push_back(std::move(b));
  }
  int decoded = 0;
  int rejected = 0;
  for (int iter = 0; iter < 5000; ++iter) {
    std::string b = seeds[rng() % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t pos = b.empty() ? 0 : rng() % b.size();
      switch (rng() % 5) {
        case 0:  // flip a bit
          if (!b.empty()) b[pos] = static_cast<char>(b[pos] ^ (1 << (rng() % 8)));
          break;
        case 1:  // random byte
          if (!b.empty()) b[pos] = static_cast<char>(rng());
          break;
        case 2:  // insert
          b.insert(b.begin() + static_cast<ptrdiff_t>(pos), static_cast<char>(rng()));
          break;
        case 3:  // erase
          if (!b.empty()) b.erase(pos, 1);
          break;
        case 4:  // truncate
          b.resize(pos);
          break;
      }
    }
    Txn out;
    bool ok = DecodeTxn(b, &out);
    if (ok) {
      ++decoded;
      // Whatever decodes must re-encode and decode to the same txn.
      Txn again;
      REQUIRE(DecodeTxn(EncodeTxn(out), &again));
      CHECK(Same(out, again));
    } else {
      ++rejected;
    }
  }
  // Pure random garbage.
  for (int iter = 0; iter < 3000; ++iter) {
    std::string b(rng() % 64, '\0');
    for (char& c : b) c = static_cast<char>(rng());
    Txn out;
    if (DecodeTxn(b, &out))
      ++decoded;
    else
      ++rejected;
  }
  CHECK(rejected > 0);
  CHECK(decoded + rejected == 8000);
}

}  // namespace
}  // namespace zk::server
