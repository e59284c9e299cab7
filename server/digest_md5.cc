#include "server/digest_md5.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cctype>

#include "zab/check.h"

namespace zk::server {
namespace {

using Md5 = std::array<unsigned char, 16>;

Md5 Md5Of(std::string_view data) {
  Md5 out{};
  unsigned int len = 0;
  ZK_CHECK(EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_md5(), nullptr) == 1);
  return out;
}

std::string Hex(const Md5& md) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : md) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// RFC 2831 §2.1.2.1: with charset=utf-8, a string whose characters all lie in ISO 8859-1 is
// hashed in that charset; any other (or invalid UTF-8) is hashed as sent.
std::string HashCharset(std::string_view utf8) {
  std::string latin1;
  for (size_t i = 0; i < utf8.size();) {
    auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      latin1.push_back(static_cast<char>(c));
      ++i;
    } else if ((c & 0xE0) == 0xC0 && i + 1 < utf8.size() &&
               (static_cast<unsigned char>(utf8[i + 1]) & 0xC0) == 0x80) {
      unsigned cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3Fu);
      if (cp < 0x80 || cp > 0xFF) return std::string(utf8);
      latin1.push_back(static_cast<char>(cp));
      i += 2;
    } else {
      return std::string(utf8);
    }
  }
  return latin1;
}

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

bool IsTokenChar(char c) {
  auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u != 0x7F && c != ',' && c != '"' && c != '=';
}

bool IsLws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool IsHex32(std::string_view s) {
  if (s.size() != 32) return false;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool ParseDigestDirectives(std::string_view text, DigestDirectives* out, std::string* error) {
  out->clear();
  if (text.size() > kMaxDigestResponseBytes) {
    *error = "digest message of " + std::to_string(text.size()) + " bytes (limit " +
             std::to_string(kMaxDigestResponseBytes) + ")";
    return false;
  }
  size_t i = 0;
  auto skip_lws = [&] {
    while (i < text.size() && IsLws(text[i])) ++i;
  };
  while (true) {
    skip_lws();
    while (i < text.size() && text[i] == ',') {  // empty list elements are allowed
      ++i;
      skip_lws();
    }
    if (i == text.size()) return true;
    size_t name_start = i;
    while (i < text.size() && IsNameChar(text[i])) ++i;
    if (i == name_start) {
      *error = "expected a directive name at offset " + std::to_string(i);
      return false;
    }
    std::string name = Lower(text.substr(name_start, i - name_start));
    skip_lws();
    if (i == text.size() || text[i] != '=') {
      *error = "expected '=' after directive " + name;
      return false;
    }
    ++i;
    skip_lws();
    std::string value;
    if (i < text.size() && text[i] == '"') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        char c = text[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (i == text.size()) break;
          c = text[i++];
        }
        value.push_back(c);
      }
      if (!closed) {
        *error = "unterminated quoted value of directive " + name;
        return false;
      }
    } else {
      size_t value_start = i;
      while (i < text.size() && IsTokenChar(text[i])) ++i;
      if (i == value_start) {
        *error = "directive " + name + " has no value";
        return false;
      }
      value.assign(text.substr(value_start, i - value_start));
    }
    if (!out->emplace(name, std::move(value)).second) {
      *error = "directive " + name + " appears more than once";
      return false;
    }
    skip_lws();
    if (i == text.size()) return true;
    if (text[i] != ',') {
      *error = "expected ',' after directive " + name;
      return false;
    }
  }
}

std::string DigestMd5ResponseValue(const DigestMd5Inputs& in, bool for_rspauth) {
  // A1 = { H(username ":" realm ":" passwd), ":" nonce ":" cnonce [":" authzid] }
  Md5 secret = Md5Of(HashCharset(in.username) + ":" + HashCharset(in.realm) + ":" +
                     HashCharset(in.password));
  std::string a1(reinterpret_cast<const char*>(secret.data()), secret.size());
  a1 += ":" + in.nonce + ":" + in.cnonce;
  if (!in.authzid.empty()) a1 += ":" + in.authzid;
  // A2 = "AUTHENTICATE:" digest-uri for the response, ":" digest-uri for rspauth (qop auth).
  std::string a2 = (for_rspauth ? ":" : "AUTHENTICATE:") + in.digest_uri;
  // KD(HEX(H(A1)), nonce ":" nc ":" cnonce ":" qop ":" HEX(H(A2)))
  return Hex(Md5Of(Hex(Md5Of(a1)) + ":" + in.nonce + ":" + in.nc + ":" + in.cnonce + ":" + in.qop +
                   ":" + Hex(Md5Of(a2))));
}

DigestMd5Server::DigestMd5Server(PasswordLookup lookup, std::string nonce)
    : lookup_(std::move(lookup)), nonce_(std::move(nonce)) {}

std::string DigestMd5Server::NewNonce() {
  unsigned char raw[30];
  ZK_CHECK(RAND_bytes(raw, sizeof raw) == 1);
  std::string out(4 * ((sizeof raw + 2) / 3), '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), raw, sizeof raw);
  out.resize(static_cast<size_t>(len));
  return out;
}

bool DigestMd5Server::Step(std::string_view token, std::string* reply, std::string* error) {
  switch (state_) {
    case State::kStart:
      if (!token.empty()) {
        state_ = State::kFailed;
        *error = "DIGEST-MD5 has no initial response, but the client sent " +
                 std::to_string(token.size()) + " bytes";
        return false;
      }
      *reply = "realm=\"" + std::string(kDigestMd5Realm) + "\",nonce=\"" + nonce_ +
               "\",charset=utf-8,algorithm=md5-sess";
      state_ = State::kChallenged;
      return true;
    case State::kChallenged:
      if (CheckResponse(token, reply, error)) {
        state_ = State::kComplete;
        return true;
      }
      state_ = State::kFailed;
      return false;
    case State::kComplete:
      state_ = State::kFailed;
      *error = "SASL token after the DIGEST-MD5 exchange completed";
      return false;
    case State::kFailed:
      *error = "SASL token after the DIGEST-MD5 exchange failed";
      return false;
  }
  return false;
}

bool DigestMd5Server::CheckResponse(std::string_view token, std::string* reply,
                                    std::string* error) {
  DigestDirectives d;
  std::string why;
  if (!ParseDigestDirectives(token, &d, &why)) {
    *error = "malformed digest-response: " + why;
    return false;
  }
  for (const char* required : {"username", "nonce", "cnonce", "nc", "digest-uri", "response"}) {
    if (!d.contains(required)) {
      *error = std::string("digest-response lacks the ") + required + " directive";
      return false;
    }
  }
  const std::string& user = d["username"];
  if (d.contains("realm") && d["realm"] != kDigestMd5Realm) {
    *error = "digest-response for realm \"" + d["realm"] + "\", expected \"" +
             std::string(kDigestMd5Realm) + "\"";
    return false;
  }
  if (d["nonce"] != nonce_) {
    *error = "digest-response for another nonce (a replay or a confused client)";
    return false;
  }
  if (d["nc"] != "00000001") {
    *error = "digest-response with nonce count " + d["nc"] + ", expected 00000001";
    return false;
  }
  if (d.contains("qop") && d["qop"] != "auth") {
    *error = "digest-response asks for qop " + d["qop"] + "; only auth is offered";
    return false;
  }
  if (d.contains("cipher")) {
    *error = "digest-response names a cipher, but no confidentiality layer is offered";
    return false;
  }
  if (d.contains("charset") && Lower(d["charset"]) != "utf-8") {
    *error = "digest-response with charset " + d["charset"];
    return false;
  }
  const std::string expected_uri =
      std::string(kDigestMd5Service) + "/" + std::string(kDigestMd5Realm);
  if (Lower(d["digest-uri"]) != expected_uri) {
    *error = "digest-response for digest-uri \"" + d["digest-uri"] + "\", expected \"" +
             expected_uri + "\"";
    return false;
  }
  if (!IsHex32(d["response"])) {
    *error = "digest-response whose response is not 32 hex digits";
    return false;
  }
  std::optional<std::string> password = lookup_(user);
  if (!password) {
    *error = "user '" + user + "' is not a DIGEST-MD5 user of this server";
    return false;
  }
  DigestMd5Inputs in;
  in.username = user;
  in.realm = d.contains("realm") ? d["realm"] : "";
  in.password = std::move(*password);
  in.nonce = nonce_;
  in.cnonce = d["cnonce"];
  in.nc = d["nc"];
  in.digest_uri = d["digest-uri"];
  in.authzid = d.contains("authzid") ? d["authzid"] : "";
  std::string expected = DigestMd5ResponseValue(in, false);
  std::string got = Lower(d["response"]);
  if (CRYPTO_memcmp(expected.data(), got.data(), expected.size()) != 0) {
    *error = "wrong password for user '" + user + "'";
    return false;
  }
  *reply = "rspauth=" + DigestMd5ResponseValue(in, true);
  user_ = user;
  return true;
}

}  // namespace zk::server
