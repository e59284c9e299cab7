#include "server/acl.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "zab/check.h"

namespace zk::server {
namespace {

constexpr std::string_view kWorld = "world";
constexpr std::string_view kAnyone = "anyone";
constexpr std::string_view kDigest = "digest";
constexpr std::string_view kIp = "ip";
constexpr std::string_view kX509 = "x509";
constexpr std::string_view kAuth = "auth";
constexpr std::string_view kSasl = "sasl";

std::string Base64(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data,
                            static_cast<int>(n));
  out.resize(static_cast<size_t>(len));
  return out;
}

// Parses "a.b.c.d[/bits]" or an IPv6 form into bytes and a prefix length.
bool ParseIpPattern(std::string_view text, unsigned char addr[16], int* family, int* bits) {
  std::string_view host = text;
  int prefix = -1;
  size_t slash = text.find('/');
  if (slash != std::string_view::npos) {
    host = text.substr(0, slash);
    std::string_view b = text.substr(slash + 1);
    auto [p, ec] = std::from_chars(b.data(), b.data() + b.size(), prefix);
    if (ec != std::errc() || p != b.data() + b.size() || prefix < 0) return false;
  }
  std::string h(host);
  if (inet_pton(AF_INET, h.c_str(), addr) == 1) {
    *family = AF_INET;
    if (prefix > 32) return false;
    *bits = prefix < 0 ? 32 : prefix;
    return true;
  }
  if (inet_pton(AF_INET6, h.c_str(), addr) == 1) {
    *family = AF_INET6;
    if (prefix > 128) return false;
    *bits = prefix < 0 ? 128 : prefix;
    return true;
  }
  return false;
}

bool IpMatches(std::string_view client, std::string_view pattern) {
  unsigned char a[16], p[16];
  int fa, fp, ba, bp;
  if (!ParseIpPattern(client, a, &fa, &ba) || !ParseIpPattern(pattern, p, &fp, &bp)) return false;
  if (fa != fp) return false;
  for (int i = 0; i < bp; ++i) {
    int byte = i / 8, bit = 7 - i % 8;
    if (((a[byte] >> bit) & 1) != ((p[byte] >> bit) & 1)) return false;
  }
  return true;
}

// ZooKeeper's SASLAuthenticationProvider.isValid: a KerberosName parses it, so a name with an
// '@' must be primary[/instance]@REALM (none of the parts holding '/' or '@').
bool ValidSaslId(std::string_view id) {
  size_t at = id.find('@');
  if (at == std::string_view::npos) return true;
  std::string_view principal = id.substr(0, at), realm = id.substr(at + 1);
  if (realm.find_first_of("/@") != std::string_view::npos) return false;
  size_t slash = principal.find('/');
  return slash == std::string_view::npos ||
         principal.substr(slash + 1).find('/') == std::string_view::npos;
}

bool ValidId(std::string_view scheme, std::string_view id, bool sasl_scheme) {
  if (scheme == kWorld) return id == kAnyone;
  if (scheme == kSasl) return sasl_scheme && ValidSaslId(id);
  if (scheme == kDigest) {
    // DigestAuthenticationProvider.isValid: id.split(":").length == 2, where Java's split drops
    // trailing empty strings: exactly one ':' once trailing ':'s are stripped.
    size_t end = id.find_last_not_of(':');
    if (end == std::string_view::npos) return false;
    std::string_view trimmed = id.substr(0, end + 1);
    return std::count(trimmed.begin(), trimmed.end(), ':') == 1;
  }
  if (scheme == kX509) {
    // X509AuthenticationProvider.isValid: the id parses as an X.500 name ("CN=x,OU=y").
    return id.find('=') != std::string_view::npos && id.front() != '=';
  }
  if (scheme == kIp) {
    unsigned char a[16];
    int f, b;
    return ParseIpPattern(id, a, &f, &b);
  }
  return false;
}

// java.lang.String.hashCode over the UTF-16 code units of a UTF-8 string.
int32_t JavaStringHash(std::string_view s) {
  uint32_t h = 0;
  auto unit = [&h](uint32_t u) { h = 31 * h + u; };
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<uint8_t>(s[i]);
    uint32_t cp;
    int len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
    if (i + len > s.size()) len = 1;
    cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<uint8_t>(s[i + k]) & 0x3F);
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      unit(0xD800 + (cp >> 10));
      unit(0xDC00 + (cp & 0x3FF));
    } else {
      unit(cp);
    }
  }
  return static_cast<int32_t>(h);
}

}  // namespace

std::vector<AuthId> InJavaHashSetOrder(const std::vector<AuthId>& ids) {
  // A Java HashSet/ConcurrentHashMap of jute Ids iterates by bucket, (h ^ h>>>16) & (cap-1),
  // with cap a power of two >= 16 kept above size/0.75; ties keep insertion order.
  uint32_t cap = 16;
  while (ids.size() > cap * 3 / 4) cap *= 2;
  std::vector<std::pair<uint32_t, size_t>> order;
  for (size_t i = 0; i < ids.size(); ++i) {
    uint32_t h = 17;
    h = 37 * h + static_cast<uint32_t>(JavaStringHash(ids[i].scheme));
    h = 37 * h + static_cast<uint32_t>(JavaStringHash(ids[i].id));
    order.emplace_back((h ^ (h >> 16)) & (cap - 1), i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<AuthId> out;
  out.reserve(ids.size());
  for (const auto& [bucket, i] : order) out.push_back(ids[i]);
  return out;
}

std::string DigestId(std::string_view user_password) {
  unsigned char md[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(user_password.data()), user_password.size(), md);
  size_t colon = user_password.find(':');
  std::string_view user = user_password.substr(0, colon);
  return std::string(user) + ":" + Base64(md, sizeof md);
}

bool CheckAcl(const AclList& acl, int32_t perm, const std::vector<AuthId>& auth, bool is_super) {
  if (is_super || acl.empty()) return true;
  for (const auto& a : acl) {
    if ((a.perms & perm) == 0) continue;
    if (a.id.scheme == kWorld && a.id.id == kAnyone) return true;
    for (const auto& id : auth) {
      if (id.scheme != a.id.scheme) continue;
      if (a.id.scheme == kIp ? IpMatches(id.id, a.id.id) : id.id == a.id.id) return true;
      if (a.id.scheme == kSasl && id.id == "super") return true;
    }
  }
  return false;
}

Err FixupAcl(AclList in, const std::vector<AuthId>& auth, AclList* out, bool sasl_scheme) {
  // Almost every request's list needs no change (no `auth` entry, valid ids, no duplicates):
  // it becomes the result as it is.
  bool as_is = !in.empty();
  for (auto a = in.begin(); as_is && a != in.end(); ++a) {
    as_is = a->id.scheme != kAuth && ValidId(a->id.scheme, a->id.id, sasl_scheme) &&
            std::find(in.begin(), a, *a) == a;
  }
  if (as_is) {
    *out = std::move(in);
    return Err::kOk;
  }
  out->clear();
  if (in.empty()) return Err::kInvalidAcl;
  auto add = [out](proto::Acl a) {
    if (std::find(out->begin(), out->end(), a) == out->end()) out->push_back(std::move(a));
  };
  for (const auto& a : in) {
    if (a.id.scheme == kAuth) {
      bool any = false;
      for (const auto& id : InJavaHashSetOrder(auth)) {
        // Only ids of authenticating schemes stand in for "auth": not the implicit ip id, and
        // not the "super" marker (ZooKeeper has no provider for it).
        if (id.scheme != kDigest && id.scheme != kX509 && !(sasl_scheme && id.scheme == kSasl)) {
          continue;
        }
        any = true;
        add(proto::Acl{a.perms, proto::Id{id.scheme, id.id}});
      }
      if (!any) return Err::kInvalidAcl;
    } else {
      if (!ValidId(a.id.scheme, a.id.id, sasl_scheme)) return Err::kInvalidAcl;
      add(a);
    }
  }
  return Err::kOk;
}

AclList MaskDigests(const AclList& acl) {
  AclList out = acl;
  for (auto& a : out) {
    if (a.id.scheme != kDigest) continue;
    size_t colon = a.id.id.find(':');
    if (colon != std::string::npos) a.id.id = a.id.id.substr(0, colon) + ":x";
  }
  return out;
}

AclTable::AclTable() = default;

std::string AclTable::Key(const AclList& acl) {
  std::string key;
  for (const auto& a : acl) {
    key.append(reinterpret_cast<const char*>(&a.perms), sizeof a.perms);
    key.append(a.id.scheme).push_back('\0');
    key.append(a.id.id).push_back('\0');
  }
  return key;
}

uint32_t AclTable::Intern(const AclList& acl) {
  if (auto last = by_id_.find(last_interned_); last != by_id_.end() && *last->second.acl == acl) {
    ++last->second.refs;
    return last_interned_;
  }
  std::string key = Key(acl);
  auto it = by_key_.find(key);
  if (it != by_key_.end()) {
    ++by_id_[it->second].refs;
    last_interned_ = it->second;
    return it->second;
  }
  uint32_t id = next_id_++;
  const uint64_t hash = XXH3_64bits(key.data(), key.size());
  by_key_.emplace(std::move(key), id);
  by_id_.emplace(id, Entry{std::make_shared<const AclList>(acl), 1, hash});
  last_interned_ = id;
  return id;
}

void AclTable::AddRef(uint32_t id) {
  auto it = by_id_.find(id);
  ZK_CHECK(it != by_id_.end());
  ++it->second.refs;
}

void AclTable::Release(uint32_t id) {
  auto it = by_id_.find(id);
  ZK_CHECK(it != by_id_.end());
  if (--it->second.refs == 0) {
    by_key_.erase(Key(*it->second.acl));
    by_id_.erase(it);
  }
}

uint64_t AclTable::ContentHash(uint32_t id) const {
  auto it = by_id_.find(id);
  ZK_CHECK(it != by_id_.end());
  return it->second.hash;
}

const AclList& AclTable::Get(uint32_t id) const {
  auto it = by_id_.find(id);
  ZK_CHECK(it != by_id_.end());
  return *it->second.acl;
}

std::shared_ptr<const AclList> AclTable::Shared(uint32_t id) const {
  auto it = by_id_.find(id);
  ZK_CHECK(it != by_id_.end());
  return it->second.acl;
}

namespace acls {
AclList OpenUnsafe() { return {proto::Acl{perms::kAll, proto::Id{"world", "anyone"}}}; }
AclList ReadUnsafe() { return {proto::Acl{perms::kRead, proto::Id{"world", "anyone"}}}; }
}  // namespace acls

}  // namespace zk::server
