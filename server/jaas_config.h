// JaasConfig: a JAAS login configuration file, the format Java's default ConfigFile reads and
// Apache ZooKeeper takes its SASL users from:
//
//   Server {                       // a section ("application"), name unquoted or "quoted"
//     org.apache.zookeeper.server.auth.DigestLoginModule required
//       user_super="adminsecret"   /* options: key=value, the value a word or "quoted" */
//       user_bob="bobsecret";
//   };
//
// Each entry is `LoginModuleClass flag option*;` with flag required, requisite, sufficient or
// optional (any case); comments are `//` and `/* */`; a quoted string takes `\` escapes (\n, \t,
// \\, \", ...). Unquoted words are made of letters, digits and `. _ $ - *` (non-ASCII bytes too),
// as in Java's parser; anything else must be quoted. A section named twice gets both lists of
// entries. `${property}` expansion is not done (the text is kept as written).
//
// Pure functions, thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zab/status.h"

namespace zk::server {

struct JaasEntry {
  std::string login_module;                                  // the class name
  std::string flag;                                          // lower-cased
  std::vector<std::pair<std::string, std::string>> options;  // in file order
};

using JaasConfig = std::map<std::string, std::vector<JaasEntry>>;

// Parses the text of a JAAS file. Errors name the line and what was expected.
zab::Result<JaasConfig> ParseJaasConfig(std::string_view text);

// The DIGEST-MD5 users in section `section` of the JAAS file at `path`: the options
// `user_<name>="<password>"` of all its entries, as ZooKeeper's SaslServerCallbackHandler reads
// them (a later one of the same name wins). Errors: unreadable file, syntax error, no such
// section (naming the sections there are).
zab::Result<std::map<std::string, std::string>> LoadSaslUsers(const std::string& path,
                                                              const std::string& section);

}  // namespace zk::server
