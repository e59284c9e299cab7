// ACLs: the built-in schemes (world, auth, digest, ip, x509, super), permission checks and ACL
// fix-up exactly as ZooKeeper's PrepRequestProcessor/ZooKeeperServer do them, plus AclTable,
// which interns ACL lists so that a million znodes with the same ACL share one copy.
// Free functions are pure and thread-safe; AclTable is single-threaded (the io thread).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "client/proto/records.h"
#include "client/proto/wire_constants.h"

namespace zk::server {

// An identity a session has proven (AuthPacket) or holds implicitly (its ip address).
struct AuthId {
  std::string scheme;
  std::string id;
  bool operator==(const AuthId&) const = default;
};

using AclList = std::vector<proto::Acl>;

// "user:password" -> "user:base64(sha1(user:password))", the digest scheme's id form.
std::string DigestId(std::string_view user_password);

// True when `auth` grants `perm` under `acl`. An empty ACL grants everything (as ZooKeeper).
// `is_super` (the super digest) grants everything. A `sasl` ACL matches the sasl id of the same
// name and the sasl id "super" (as ZooKeeper's SASLAuthenticationProvider).
bool CheckAcl(const AclList& acl, int32_t perm, const std::vector<AuthId>& auth, bool is_super);

// Validates an ACL from a request and expands the `auth` scheme into the session's ids.
// Returns kInvalidAcl for an empty list, an unknown scheme, a malformed id, or `auth` without
// any authenticated id. The result has duplicates removed, keeping first occurrences.
// `sasl_scheme`: the SASL authentication provider is configured, so `sasl` ids are valid (any
// name, or one of Kerberos's form primary[/instance]@REALM when it holds an '@') and `auth`
// expands to the session's sasl ids too.
// `in` is taken by value: a caller done with its list moves it in, and a list that needs no
// change (almost every request's) then becomes `*out` without a copy.
Err FixupAcl(AclList in, const std::vector<AuthId>& auth, AclList* out, bool sasl_scheme = false);

// A session's ids in the order ZooKeeper iterates them (its auth info is a Java hash set), which
// is the order the `auth` scheme expands into.
std::vector<AuthId> InJavaHashSetOrder(const std::vector<AuthId>& ids);

// The ACL returned to a session without ADMIN on the node: digest hashes masked ("user:x").
AclList MaskDigests(const AclList& acl);

// Interns ACL lists by value; ids are stable while referenced. Id 0 is never used.
class AclTable {
 public:
  AclTable();
  uint32_t Intern(const AclList& acl);     // adds a reference
  void Release(uint32_t id);               // drops a reference
  void AddRef(uint32_t id);
  const AclList& Get(uint32_t id) const;   // REQUIRES: id is referenced
  // The list itself, shared: it stays valid after the id's last reference is released.
  // REQUIRES: id is referenced.
  std::shared_ptr<const AclList> Shared(uint32_t id) const;
  // A hash of the list's content (never of its id, which differs between replicas); part of the
  // tree digest. REQUIRES: id is referenced.
  uint64_t ContentHash(uint32_t id) const;
  size_t size() const { return by_id_.size(); }

 private:
  struct Entry {
    std::shared_ptr<const AclList> acl;
    uint64_t refs = 0;
    uint64_t hash = 0;  // XXH3-64 of Key(acl)
  };
  static std::string Key(const AclList& acl);
  absl::flat_hash_map<uint32_t, Entry> by_id_;
  absl::flat_hash_map<std::string, uint32_t> by_key_;
  uint32_t next_id_ = 1;
  uint32_t last_interned_ = 0;  // most creates reuse the previous create's list
};

namespace acls {
AclList OpenUnsafe();   // world:anyone ALL
AclList ReadUnsafe();   // world:anyone READ
}  // namespace acls

}  // namespace zk::server
