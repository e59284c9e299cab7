// DigestMd5Server: the server side of one SASL DIGEST-MD5 exchange (RFC 2831), the subset Apache
// ZooKeeper's server runs on its client port: authentication only (qop "auth", no integrity or
// confidentiality layer), the fixed realm and server name "zk-sasl-md5", service "zookeeper",
// algorithm md5-sess, charset utf-8.
//
// The exchange: the client's first token (empty: DIGEST-MD5 has no initial response) is
// answered with a digest-challenge carrying a fresh nonce (and no qop directive: "auth" is the
// default, as Java's server writes it); the client's digest-response is
// checked against the password the lookup returns for its user name and answered with
// `rspauth=...`; then the exchange is complete and user() names the authenticated user. Any
// error (malformed or oversized response, unknown user, wrong password, wrong nonce, realm,
// digest-uri or nonce count, a step after the end) fails the exchange for good with a message
// for the log: one nonce serves one attempt, so a replayed response is refused.
//
// Pure and single-threaded: no I/O, no clock. One object per client connection (the io thread).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace zk::server {

inline constexpr std::string_view kDigestMd5Realm = "zk-sasl-md5";
inline constexpr std::string_view kDigestMd5Service = "zookeeper";
// RFC 2831 §2.1.2: a digest-response is less than 4096 bytes.
inline constexpr size_t kMaxDigestResponseBytes = 4096;

// Directives of a digest-challenge or digest-response (RFC 2831 §7.1: a comma list, empty
// elements allowed, of `name=token` or `name="quoted string"` with `\` escapes), names
// lower-cased, values unescaped.
using DigestDirectives = std::map<std::string, std::string>;

// Parses `text`. False, with *error set, for a syntax error, a repeated directive name, or text
// over kMaxDigestResponseBytes.
bool ParseDigestDirectives(std::string_view text, DigestDirectives* out, std::string* error);

// The inputs of RFC 2831's response-value (§2.1.2.1), as the strings the client sent.
struct DigestMd5Inputs {
  std::string username;
  std::string realm;
  std::string password;
  std::string nonce;
  std::string cnonce;
  std::string nc;
  std::string qop = "auth";
  std::string digest_uri;
  std::string authzid;  // empty: none
};

// The response-value (32 lower-case hex digits) for algorithm md5-sess: the client's `response`
// directive, or with `for_rspauth` the server's `rspauth` (A2 without "AUTHENTICATE"). User name,
// realm and password are hashed in ISO 8859-1 when every character fits, else in UTF-8 (§2.1.2.1,
// as Java's DIGEST-MD5 does).
std::string DigestMd5ResponseValue(const DigestMd5Inputs& in, bool for_rspauth);

class DigestMd5Server {
 public:
  // Returns the password of `user`, or nullopt for an unknown user.
  using PasswordLookup = std::function<std::optional<std::string>(std::string_view user)>;
  enum class State { kStart, kChallenged, kComplete, kFailed };

  // `nonce` must be unpredictable (NewNonce()); tests pass fixed ones.
  DigestMd5Server(PasswordLookup lookup, std::string nonce);

  // A nonce of 30 random bytes from OpenSSL's CSPRNG, base64-encoded (40 characters, as Java's).
  static std::string NewNonce();

  // Evaluates the client's next token. True with *reply set to the token to send back (the
  // challenge, then rspauth); false with *error set when the exchange failed (for good).
  bool Step(std::string_view token, std::string* reply, std::string* error);

  State state() const { return state_; }
  bool complete() const { return state_ == State::kComplete; }
  // The authenticated user name. REQUIRES: complete().
  const std::string& user() const { return user_; }

 private:
  bool CheckResponse(std::string_view token, std::string* reply, std::string* error);

  PasswordLookup lookup_;
  std::string nonce_;
  State state_ = State::kStart;
  std::string user_;
};

}  // namespace zk::server
