#include "server/digest_md5.h"

#include <doctest/doctest.h>

#include <optional>
#include <string>

namespace zk::server {
namespace {

// RFC 2831 §4, example 1 (an IMAP login): the client's response and the server's rspauth.
TEST_CASE("DigestMd5ResponseValue reproduces RFC 2831's example") {
  DigestMd5Inputs in;
  in.username = "chris";
  in.realm = "elwood.innosoft.com";
  in.password = "secret";
  in.nonce = "OA6MG9tEQGm2hh";
  in.cnonce = "OA6MHXh6VqTrRk";
  in.nc = "00000001";
  in.digest_uri = "imap/elwood.innosoft.com";
  CHECK(DigestMd5ResponseValue(in, false) == "d388dad90d4bbd760a152321f2143af7");
  CHECK(DigestMd5ResponseValue(in, true) == "ea40f60335c427b5527b84dbabcdfffd");
}

TEST_CASE("Latin-1 names and passwords hash as ISO 8859-1, others as UTF-8") {
  DigestMd5Inputs a, b;
  a.username = "j\xC3\xBCrgen";  // "jürgen" in UTF-8
  b.username = "j\xFCrgen";      // the same in ISO 8859-1
  a.password = b.password = "pw";
  CHECK(DigestMd5ResponseValue(a, false) == DigestMd5ResponseValue(b, false));
  DigestMd5Inputs c = a;
  c.username = "\xE2\x82\xAC";  // the euro sign is not in ISO 8859-1: hashed as sent
  CHECK(DigestMd5ResponseValue(c, false) != DigestMd5ResponseValue(a, false));
}

TEST_CASE("ParseDigestDirectives reads tokens, quoted strings, escapes and empty elements") {
  DigestDirectives d;
  std::string error;
  REQUIRE(ParseDigestDirectives(
      " Username=\"bo\\\"b\" ,, nc=00000001,\tqop=auth , digest-uri=\"zookeeper/zk-sasl-md5\",", &d,
      &error));
  CHECK(d.size() == 4);
  CHECK(d["username"] == "bo\"b");
  CHECK(d["nc"] == "00000001");
  CHECK(d["qop"] == "auth");
  CHECK(d["digest-uri"] == "zookeeper/zk-sasl-md5");
  CHECK(ParseDigestDirectives("", &d, &error));
  CHECK(d.empty());
}

TEST_CASE("ParseDigestDirectives rejects malformed, repeated and oversized input") {
  DigestDirectives d;
  std::string error;
  for (const char* bad : {"username", "username=", "=x", "a=\"open", "a=b c=d", "a=b,a=c",
                          "A=b,a=c", "a=\"x\"y", "\xff=1"}) {
    CAPTURE(bad);
    error.clear();
    CHECK_FALSE(ParseDigestDirectives(bad, &d, &error));
    CHECK_FALSE(error.empty());
  }
  std::string huge = "username=\"" + std::string(kMaxDigestResponseBytes, 'x') + "\"";
  CHECK_FALSE(ParseDigestDirectives(huge, &d, &error));
  CHECK(error.find("limit") != std::string::npos);
}

DigestMd5Server::PasswordLookup Users() {
  return [](std::string_view user) -> std::optional<std::string> {
    if (user == "bob") return "bobsecret";
    return std::nullopt;
  };
}

// The client's digest-response for `password`, as Java's and kazoo's clients build it.
std::string ClientResponse(const std::string& user, const std::string& password,
                           const std::string& nonce, const std::string& authzid = "",
                           const std::string& nc = "00000001") {
  DigestMd5Inputs in;
  in.username = user;
  in.realm = "zk-sasl-md5";
  in.password = password;
  in.nonce = nonce;
  in.cnonce = "c0ffee";
  in.nc = nc;
  in.digest_uri = "zookeeper/zk-sasl-md5";
  in.authzid = authzid;
  std::string r = "charset=utf-8,username=\"" + user + "\",realm=\"zk-sasl-md5\",nonce=\"" + nonce +
                  "\",nc=" + nc + ",cnonce=\"c0ffee\",digest-uri=\"zookeeper/zk-sasl-md5\"," +
                  "maxbuf=65536,response=" + DigestMd5ResponseValue(in, false) + ",qop=auth";
  if (!authzid.empty()) r += ",authzid=\"" + authzid + "\"";
  return r;
}

TEST_CASE("a DIGEST-MD5 exchange with the right password completes") {
  DigestMd5Server server(Users(), "N0nce");
  std::string reply, error;
  REQUIRE(server.Step("", &reply, &error));
  CHECK(reply ==
        "realm=\"zk-sasl-md5\",nonce=\"N0nce\",charset=utf-8,algorithm=md5-sess");
  CHECK(server.state() == DigestMd5Server::State::kChallenged);
  REQUIRE(server.Step(ClientResponse("bob", "bobsecret", "N0nce", "bob"), &reply, &error));
  CHECK(server.complete());
  CHECK(server.user() == "bob");
  DigestMd5Inputs in{"bob",  "zk-sasl-md5",           "bobsecret", "N0nce", "c0ffee", "00000001",
                     "auth", "zookeeper/zk-sasl-md5", "bob"};
  CHECK(reply == "rspauth=" + DigestMd5ResponseValue(in, true));
  // Nothing follows a completed exchange.
  CHECK_FALSE(server.Step("", &reply, &error));
  CHECK(server.state() == DigestMd5Server::State::kFailed);
}

TEST_CASE("a DIGEST-MD5 exchange fails for good on any fault") {
  struct Case {
    const char* name;
    std::string first;
    std::string response;
    const char* error_part;
  };
  const std::string ok = ClientResponse("bob", "bobsecret", "N0nce");
  auto replace = [&](std::string s, const std::string& from, const std::string& to) {
    size_t at = s.find(from);
    REQUIRE(at != std::string::npos);
    return s.replace(at, from.size(), to);
  };
  const Case cases[] = {
      {"initial response", "x", "", "initial response"},
      {"wrong password", "", ClientResponse("bob", "guess", "N0nce"), "wrong password"},
      {"unknown user", "", ClientResponse("eve", "bobsecret", "N0nce"), "not a DIGEST-MD5 user"},
      {"replayed (other nonce)", "", ClientResponse("bob", "bobsecret", "0ld"), "nonce"},
      {"nonce count", "", ClientResponse("bob", "bobsecret", "N0nce", "", "00000002"), "count"},
      {"realm", "", replace(ok, "realm=\"zk-sasl-md5\"", "realm=\"other\""), "realm"},
      {"digest-uri", "", replace(ok, "zookeeper/zk-sasl-md5", "imap/zk-sasl-md5"), "digest-uri"},
      {"qop", "", replace(ok, "qop=auth", "qop=auth-conf"), "qop"},
      {"cipher", "", ok + ",cipher=rc4", "cipher"},
      {"charset", "", replace(ok, "charset=utf-8", "charset=latin1"), "charset"},
      {"no response", "", replace(ok, "response=", "responsx="), "response"},
      {"response not hex", "", replace(ok, ",response=", ",response=zz"), "32 hex"},
      {"malformed", "", "username=\"bob", "malformed"},
      {"huge", "", "username=\"" + std::string(100000, 'b') + "\"", "limit"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    DigestMd5Server server(Users(), "N0nce");
    std::string reply, error;
    bool first_ok = server.Step(c.first, &reply, &error);
    if (first_ok) {
      CHECK_FALSE(server.Step(c.response, &reply, &error));
    }
    CHECK(error.find(c.error_part) != std::string::npos);
    CHECK(server.state() == DigestMd5Server::State::kFailed);
    // A failed exchange stays failed, even for the right response.
    CHECK_FALSE(server.Step(ok, &reply, &error));
    CHECK_FALSE(server.complete());
  }
}

TEST_CASE("NewNonce gives distinct base64 nonces") {
  std::string a = DigestMd5Server::NewNonce(), b = DigestMd5Server::NewNonce();
  CHECK(a.size() == 40);
  CHECK(a != b);
  CHECK(a.find_first_of("\",\\") == std::string::npos);
}

}  // namespace
}  // namespace zk::server
