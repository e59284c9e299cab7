#include "server/acl.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace zk::server {
namespace {

proto::Acl A(int32_t perms, std::string scheme, std::string id) {
  return proto::Acl{perms, proto::Id{std::move(scheme), std::move(id)}};
}

TEST_CASE("DigestId is user:base64(sha1(user:password))") {
  // ZooKeeper's documented example for the super digest.
  CHECK(DigestId("super:test") == "super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
  CHECK(DigestId("user:password") == "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=");
  // Only the first ':' separates the user; the whole string is hashed.
  CHECK(DigestId("bob:secret:with:colons") == "bob:19SUbgVpClnpXew/2fLDw5Dt1fY=");
  // Without a colon the whole string is the user (Java's split(":", 2)[0]).
  CHECK(DigestId("nocolon") == "nocolon:Ra+cHr2ZoHvBjtNArFGNGlVie4g=");
  CHECK(DigestId("super:test") != DigestId("super:Test"));
}

TEST_CASE("CheckAcl: empty ACL, super and world") {
  std::vector<AuthId> nobody;
  CHECK(CheckAcl({}, perms::kAll, nobody, false));
  CHECK(CheckAcl(acls::OpenUnsafe(), perms::kDelete, nobody, false));
  CHECK(CheckAcl(acls::ReadUnsafe(), perms::kRead, nobody, false));
  CHECK_FALSE(CheckAcl(acls::ReadUnsafe(), perms::kWrite, nobody, false));
  CHECK_FALSE(CheckAcl(acls::ReadUnsafe(), perms::kAdmin, nobody, false));
  CHECK(CheckAcl(acls::ReadUnsafe(), perms::kAdmin, nobody, true));  // super
  AclList locked{A(perms::kAll, "digest", DigestId("alice:pw"))};
  CHECK_FALSE(CheckAcl(locked, perms::kRead, nobody, false));
  CHECK(CheckAcl(locked, perms::kRead, nobody, true));
}

TEST_CASE("CheckAcl: digest ids match exactly and per permission") {
  std::string alice = DigestId("alice:pw");
  AclList acl{A(perms::kRead | perms::kWrite, "digest", alice),
              A(perms::kCreate, "world", "anyone")};
  std::vector<AuthId> as_alice{{"ip", "127.0.0.1"}, {"digest", alice}};
  std::vector<AuthId> as_bob{{"ip", "127.0.0.1"}, {"digest", DigestId("bob:pw")}};
  std::vector<AuthId> wrong_pw{{"digest", DigestId("alice:other")}};
  CHECK(CheckAcl(acl, perms::kRead, as_alice, false));
  CHECK(CheckAcl(acl, perms::kWrite, as_alice, false));
  CHECK_FALSE(CheckAcl(acl, perms::kDelete, as_alice, false));
  CHECK(CheckAcl(acl, perms::kCreate, as_alice, false));  // via world:anyone
  CHECK_FALSE(CheckAcl(acl, perms::kRead, as_bob, false));
  CHECK(CheckAcl(acl, perms::kCreate, as_bob, false));
  CHECK_FALSE(CheckAcl(acl, perms::kRead, wrong_pw, false));
  // The same id string under another scheme does not match.
  std::vector<AuthId> other_scheme{{"sasl", alice}};
  CHECK_FALSE(CheckAcl(acl, perms::kRead, other_scheme, false));
}

TEST_CASE("CheckAcl: ip ACLs match addresses and CIDR masks") {
  auto ip = [](const char* addr) { return std::vector<AuthId>{{"ip", addr}}; };
  AclList net8{A(perms::kRead, "ip", "10.0.0.0/8")};
  CHECK(CheckAcl(net8, perms::kRead, ip("10.1.2.3"), false));
  CHECK(CheckAcl(net8, perms::kRead, ip("10.255.255.255"), false));
  CHECK_FALSE(CheckAcl(net8, perms::kRead, ip("11.0.0.1"), false));
  CHECK_FALSE(CheckAcl(net8, perms::kWrite, ip("10.1.2.3"), false));

  AclList net12{A(perms::kAll, "ip", "172.16.0.0/12")};
  CHECK(CheckAcl(net12, perms::kRead, ip("172.31.255.255"), false));
  CHECK(CheckAcl(net12, perms::kRead, ip("172.16.0.1"), false));
  CHECK_FALSE(CheckAcl(net12, perms::kRead, ip("172.32.0.0"), false));
  CHECK_FALSE(CheckAcl(net12, perms::kRead, ip("172.15.255.255"), false));

  AclList host{A(perms::kAll, "ip", "192.168.1.7")};
  CHECK(CheckAcl(host, perms::kRead, ip("192.168.1.7"), false));
  CHECK_FALSE(CheckAcl(host, perms::kRead, ip("192.168.1.8"), false));

  AclList all4{A(perms::kAll, "ip", "0.0.0.0/0")};
  CHECK(CheckAcl(all4, perms::kRead, ip("8.8.8.8"), false));

  AclList v6{A(perms::kAll, "ip", "::1")};
  CHECK(CheckAcl(v6, perms::kRead, ip("::1"), false));
  CHECK_FALSE(CheckAcl(v6, perms::kRead, ip("127.0.0.1"), false));
  AclList v6net{A(perms::kAll, "ip", "fe80::/10")};
  CHECK(CheckAcl(v6net, perms::kRead, ip("fe80::1234"), false));
  CHECK_FALSE(CheckAcl(v6net, perms::kRead, ip("2001:db8::1"), false));

  // A digest id never satisfies an ip ACL, even if its text looks like an address.
  std::vector<AuthId> digest_like_ip{{"digest", "10.1.2.3"}};
  CHECK_FALSE(CheckAcl(net8, perms::kRead, digest_like_ip, false));
}

TEST_CASE("FixupAcl accepts valid lists unchanged") {
  AclList in{A(perms::kAll, "world", "anyone"), A(perms::kRead, "digest", DigestId("u:p")),
             A(perms::kWrite, "ip", "10.0.0.0/8"), A(perms::kRead, "ip", "::1")};
  AclList out{A(1, "junk", "junk")};
  CHECK(FixupAcl(in, {}, &out) == Err::kOk);
  CHECK(out == in);
}

TEST_CASE("FixupAcl: a moved-in list with only a duplicate to fix loses the duplicate") {
  // No `auth` entry and valid ids, but not a list to take as it is.
  AclList in{A(perms::kAll, "world", "anyone"), A(perms::kRead, "ip", "10.0.0.0/8"),
             A(perms::kAll, "world", "anyone")};
  AclList out;
  REQUIRE(FixupAcl(std::move(in), {}, &out) == Err::kOk);
  CHECK(out == AclList{A(perms::kAll, "world", "anyone"), A(perms::kRead, "ip", "10.0.0.0/8")});
  // One that needs no change is taken as it is, and replaces what `out` held.
  AclList plain{A(perms::kRead, "digest", DigestId("u:p"))};
  AclList out2{A(1, "junk", "junk")};
  REQUIRE(FixupAcl(std::move(plain), {}, &out2) == Err::kOk);
  CHECK(out2 == AclList{A(perms::kRead, "digest", DigestId("u:p"))});
}

TEST_CASE("FixupAcl rejects malformed ACLs with INVALIDACL") {
  std::vector<AuthId> none;
  AclList out;
  CHECK(FixupAcl({}, none, &out) == Err::kInvalidAcl);
  CHECK(FixupAcl({A(perms::kAll, "foo", "bar")}, none, &out) == Err::kInvalidAcl);
  CHECK(FixupAcl({A(perms::kAll, "world", "someone")}, none, &out) == Err::kInvalidAcl);
  CHECK(FixupAcl({A(perms::kAll, "world", "")}, none, &out) == Err::kInvalidAcl);
  CHECK(FixupAcl({A(perms::kAll, "digest", "nocolon")}, none, &out) == Err::kInvalidAcl);
  CHECK(FixupAcl({A(perms::kAll, "ip", "300.1.1.1")}, none, &out) == Err::kInvalidAcl);
  CHECK(FixupAcl({A(perms::kAll, "ip", "10.0.0.0/33")}, none, &out) == Err::kInvalidAcl);
  CHECK(FixupAcl({A(perms::kAll, "ip", "10.0.0.0/x")}, none, &out) == Err::kInvalidAcl);
  CHECK(FixupAcl({A(perms::kAll, "ip", "not-an-ip")}, none, &out) == Err::kInvalidAcl);
  // One bad entry spoils the list.
  CHECK(FixupAcl({A(perms::kAll, "world", "anyone"), A(perms::kAll, "foo", "x")}, none, &out) ==
        Err::kInvalidAcl);
}

TEST_CASE("FixupAcl: digest ids need exactly two ':'-separated parts, as ZooKeeper's isValid") {
  // DigestAuthenticationProvider.isValid: id.split(":").length == 2 (Java drops trailing
  // empty strings).
  AclList out;
  CHECK(FixupAcl({A(perms::kAll, "digest", "user:hash")}, {}, &out) == Err::kOk);
  CHECK(FixupAcl({A(perms::kAll, "digest", ":hash")}, {}, &out) == Err::kOk);
  CHECK(FixupAcl({A(perms::kAll, "digest", "user:")}, {}, &out) == Err::kInvalidAcl);
  CHECK(FixupAcl({A(perms::kAll, "digest", ":")}, {}, &out) == Err::kInvalidAcl);
  CHECK(FixupAcl({A(perms::kAll, "digest", "a:b:c")}, {}, &out) == Err::kInvalidAcl);
  CHECK(FixupAcl({A(perms::kAll, "digest", "")}, {}, &out) == Err::kInvalidAcl);
}

TEST_CASE("FixupAcl expands auth into the session's non-ip ids") {
  AclList out;
  std::vector<AuthId> ip_only{{"ip", "127.0.0.1"}};
  CHECK(FixupAcl({A(perms::kAll, "auth", "")}, {}, &out) == Err::kInvalidAcl);
  CHECK(FixupAcl({A(perms::kAll, "auth", "")}, ip_only, &out) == Err::kInvalidAcl);

  std::string alice = DigestId("alice:pw");
  std::string bob = DigestId("bob:pw");
  std::vector<AuthId> two{{"ip", "127.0.0.1"}, {"digest", alice}, {"digest", bob}};
  REQUIRE(FixupAcl({A(perms::kRead | perms::kAdmin, "auth", "ignored")}, two, &out) == Err::kOk);
  REQUIRE(out.size() == 2);
  // Expanded in the order ZooKeeper iterates a session's ids (a Java hash set).
  AclList expected;
  for (const AuthId& id : InJavaHashSetOrder(two)) {
    if (id.scheme == "digest") {
      expected.push_back(A(perms::kRead | perms::kAdmin, "digest", id.id));
    }
  }
  CHECK(out == expected);
  CHECK(std::count(out.begin(), out.end(), A(perms::kRead | perms::kAdmin, "digest", alice)) == 1);
  CHECK(std::count(out.begin(), out.end(), A(perms::kRead | perms::kAdmin, "digest", bob)) == 1);

  // Duplicates are dropped, first occurrence kept, order preserved.
  std::vector<AuthId> one{{"digest", alice}};
  AclList in{A(perms::kAll, "world", "anyone"), A(perms::kAll, "auth", ""),
             A(perms::kAll, "digest", alice), A(perms::kAll, "world", "anyone"),
             A(perms::kRead, "digest", alice)};
  REQUIRE(FixupAcl(in, one, &out) == Err::kOk);
  CHECK(out == AclList{A(perms::kAll, "world", "anyone"), A(perms::kAll, "digest", alice),
                       A(perms::kRead, "digest", alice)});
}

TEST_CASE("x509: ids are X.500 names matched exactly; auth expands to them") {
  const std::string dn = "CN=client1,OU=ops,O=Example";
  AclList out;
  CHECK(FixupAcl({A(perms::kAll, "x509", dn)}, {}, &out) == Err::kOk);
  CHECK(FixupAcl({A(perms::kAll, "x509", "client1")}, {}, &out) == Err::kInvalidAcl);
  CHECK(FixupAcl({A(perms::kAll, "x509", "")}, {}, &out) == Err::kInvalidAcl);
  std::vector<AuthId> tls{{"ip", "127.0.0.1"}, {"x509", dn}};
  REQUIRE(FixupAcl({A(perms::kRead, "auth", "")}, tls, &out) == Err::kOk);
  CHECK(out == AclList{A(perms::kRead, "x509", dn)});
  CHECK(CheckAcl({A(perms::kRead, "x509", dn)}, perms::kRead, tls, false));
  CHECK_FALSE(CheckAcl({A(perms::kRead, "x509", dn)}, perms::kWrite, tls, false));
  CHECK_FALSE(CheckAcl({A(perms::kRead, "x509", "CN=client2,OU=ops,O=Example")}, perms::kRead,
                       tls, false));
  CHECK_FALSE(CheckAcl({A(perms::kRead, "x509", dn)}, perms::kRead, {{"digest", dn}}, false));
}

TEST_CASE("MaskDigests hides digest hashes only") {
  AclList in{A(perms::kAll, "digest", DigestId("alice:pw")), A(perms::kRead, "world", "anyone"),
             A(perms::kWrite, "ip", "10.0.0.0/8"), A(perms::kAdmin, "digest", "bob:abc:def")};
  AclList out = MaskDigests(in);
  REQUIRE(out.size() == 4);
  CHECK(out[0] == A(perms::kAll, "digest", "alice:x"));
  CHECK(out[1] == in[1]);
  CHECK(out[2] == in[2]);
  CHECK(out[3] == A(perms::kAdmin, "digest", "bob:x"));
  CHECK(in[0].id.id == DigestId("alice:pw"));  // input untouched
}

TEST_CASE("AclTable interns by value and frees on the last release") {
  AclTable t;
  CHECK(t.size() == 0);
  uint32_t open = t.Intern(acls::OpenUnsafe());
  uint32_t read = t.Intern(acls::ReadUnsafe());
  CHECK(open != 0);
  CHECK(read != 0);
  CHECK(open != read);
  CHECK(t.size() == 2);
  CHECK(t.Intern(acls::OpenUnsafe()) == open);  // second reference
  CHECK(t.size() == 2);
  CHECK(t.Get(open) == acls::OpenUnsafe());
  CHECK(t.Get(read) == acls::ReadUnsafe());

  t.Release(open);
  CHECK(t.size() == 2);  // one reference left
  CHECK(t.Get(open) == acls::OpenUnsafe());
  t.AddRef(open);
  t.Release(open);
  t.Release(open);
  CHECK(t.size() == 1);

  // Re-interning a freed list works and the table stays consistent.
  uint32_t again = t.Intern(acls::OpenUnsafe());
  CHECK(again != 0);
  CHECK(again != read);
  CHECK(t.Get(again) == acls::OpenUnsafe());
  CHECK(t.size() == 2);

  // Lists differing in perms, scheme or id are distinct.
  uint32_t x = t.Intern({A(perms::kRead, "digest", "a:b")});
  uint32_t y = t.Intern({A(perms::kWrite, "digest", "a:b")});
  uint32_t z = t.Intern({A(perms::kRead, "digest", "a:c")});
  CHECK(x != y);
  CHECK(x != z);
  CHECK(y != z);
  CHECK(t.size() == 5);
}

TEST_CASE("Predefined ACLs") {
  CHECK(acls::OpenUnsafe() == AclList{A(31, "world", "anyone")});
  CHECK(acls::ReadUnsafe() == AclList{A(1, "world", "anyone")});
}

}  // namespace
}  // namespace zk::server

namespace zk::server {
namespace {

TEST_CASE("sasl ACLs exist only with the SASL provider; they match the name or super") {
  AclList out;
  std::vector<AuthId> bob{{"ip", "127.0.0.1"}, {"sasl", "bob"}};
  CHECK(FixupAcl({A(perms::kAll, "sasl", "bob")}, {}, &out) == Err::kInvalidAcl);
  CHECK(FixupAcl({A(perms::kAll, "sasl", "bob")}, {}, &out, true) == Err::kOk);
  CHECK(FixupAcl({A(perms::kAll, "sasl", "zk/host@EXAMPLE.COM")}, {}, &out, true) == Err::kOk);
  CHECK(FixupAcl({A(perms::kAll, "sasl", "a@b@c")}, {}, &out, true) == Err::kInvalidAcl);
  CHECK(FixupAcl({A(perms::kAll, "sasl", "a/b/c@R")}, {}, &out, true) == Err::kInvalidAcl);
  // `auth` expands to sasl ids only when the provider is there.
  CHECK(FixupAcl({A(perms::kAll, "auth", "")}, bob, &out) == Err::kInvalidAcl);
  REQUIRE(FixupAcl({A(perms::kAll, "auth", "")}, bob, &out, true) == Err::kOk);
  CHECK(out == AclList{A(perms::kAll, "sasl", "bob")});

  AclList acl{A(perms::kRead, "sasl", "bob")};
  CHECK(CheckAcl(acl, perms::kRead, bob, false));
  CHECK_FALSE(CheckAcl(acl, perms::kWrite, bob, false));
  CHECK_FALSE(CheckAcl(acl, perms::kRead, {{"sasl", "carol"}}, false));
  CHECK_FALSE(CheckAcl(acl, perms::kRead, {{"digest", "bob"}}, false));
  CHECK(CheckAcl(acl, perms::kRead, {{"sasl", "super"}}, false));
}

}  // namespace
}  // namespace zk::server
