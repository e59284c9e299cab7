// zk::discovery::DubboUrl: Apache Dubbo's URL model (org.apache.dubbo.common.URL), as Dubbo 2.7
// writes it into ZooKeeper for its interface-level registry (dubbo_registry.h):
//
//   protocol://[user[:password]@]host[:port]/path?key=value&key=value...
//
// e.g. a provider
//   dubbo://10.0.0.5:20880/org.example.Greeter?anyhost=true&application=greeter&deprecated=false
//     &dubbo=2.0.2&dynamic=true&generic=false&interface=org.example.Greeter&methods=greet,ping
//     &pid=4242&release=2.7.8&side=provider&timestamp=1700000000000
//
// ToFullString is URL.toFullString (buildString(appendUser, appendParameter)): the parameters in
// the order of Java's TreeMap<String,String> (String.compareTo: UTF-16 code units), a parameter
// with an empty key left out, values trimmed as String.trim() does (leading and trailing chars
// <= ' '), nothing escaped (values that need escaping are escaped by whoever sets them, as Dubbo
// does for `refer` and `export`), the port only when > 0, the path without leading '/'.
// Parse is URL.valueOf for the URLs such a string can hold; it keeps the parameters as written
// (it does not add Dubbo's in-memory "default." aliases), so Parse(ToFullString(u)) == u for a
// URL whose keys and values hold none of "&=?" and whose host, user and password hold none of
// "/@:?" (Representable()).
//
// DubboEncode / DubboDecode are URL.encode / URL.decode: java.net.URLEncoder.encode(s, "UTF-8")
// and java.net.URLDecoder.decode(s, "UTF-8"), byte for byte for valid UTF-8 (the only strings a
// Java String can hold): ASCII letters, digits and ".-*_" stay, ' ' becomes '+', every other
// byte becomes %XX (uppercase hex).
//
// Value types and free functions; thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace zk::discovery {

// Orders strings (UTF-8) as Java's String.compareTo orders them (by UTF-16 code units): byte
// order, except that a character above U+FFFF sorts before U+E000..U+FFFF. Dubbo's parameter
// keys are ASCII in practice; then it is plain byte order.
struct JavaStringLess {
  bool operator()(std::string_view a, std::string_view b) const;
  using is_transparent = void;
};

// Dubbo's parameter keys and category names (CommonConstants, RegistryConstants).
namespace dubbo_keys {
inline constexpr const char* kInterface = "interface";
inline constexpr const char* kMethods = "methods";
inline constexpr const char* kSide = "side";  // "provider" or "consumer"
inline constexpr const char* kWeight = "weight";
inline constexpr const char* kTimestamp = "timestamp";
inline constexpr const char* kApplication = "application";
inline constexpr const char* kDubbo = "dubbo";      // the protocol version, "2.0.2"
inline constexpr const char* kRelease = "release";  // the framework's version, "2.7.8"
inline constexpr const char* kPid = "pid";
inline constexpr const char* kAnyhost = "anyhost";
inline constexpr const char* kDynamic = "dynamic";  // "false": a persistent registration
inline constexpr const char* kCategory = "category";
inline constexpr const char* kGroup = "group";
inline constexpr const char* kVersion = "version";
inline constexpr const char* kEnabled = "enabled";
inline constexpr const char* kProviders = "providers";
inline constexpr const char* kConsumers = "consumers";
inline constexpr const char* kRouters = "routers";
inline constexpr const char* kConfigurators = "configurators";
}  // namespace dubbo_keys

struct DubboUrl {
  std::string protocol;  // "dubbo", "consumer", ...; empty: none
  std::string username;  // empty: none
  std::string password;  // REQUIRES: empty when username is (Dubbo refuses it)
  std::string host;
  int32_t port = 0;  // 0: none
  std::string path;  // without the leading '/' (Dubbo strips it); for a service, the interface
  std::map<std::string, std::string, JavaStringLess> parameters;

  // URL.toFullString.
  std::string ToFullString() const;
  // URL.valueOf. nullopt for what Dubbo rejects (an empty string, "://" without a protocol, a
  // port that is not a number, a password without a user).
  static std::optional<DubboUrl> Parse(std::string_view text);
  // Whether Parse(ToFullString()) gives this URL back (see above).
  bool Representable() const;

  // The parameter, or `fallback` when it is absent or empty (URL.getParameter(key, default)).
  std::string Parameter(std::string_view key, std::string_view fallback = {}) const;
  // URL.getServiceInterface: the `interface` parameter, else the path.
  std::string ServiceInterface() const;
  // The registry category: the `category` parameter, else "providers" (Dubbo's default).
  std::string Category() const;

  bool operator==(const DubboUrl&) const = default;
};

// URL.encode (java.net.URLEncoder, UTF-8).
std::string DubboEncode(std::string_view text);
// URL.decode (java.net.URLDecoder, UTF-8): '+' is ' ', %XX a byte (either case of hex; like
// Integer.parseInt, a sign is accepted: "%+A" is 0x0A, "%-0" 0x00). nullopt where URLDecoder
// throws: '%' not followed by two such chars, or a negative value. Decoded bytes that are not
// valid UTF-8 are kept as they are (Java would put U+FFFD there).
std::optional<std::string> DubboDecode(std::string_view text);

// The URL a registry node's name stands for: names that contain "%3A%2F%2F" (encoded "://", the
// test Dubbo applies) decoded and parsed; nullopt for other names.
std::optional<DubboUrl> DecodeDubboNodeName(std::string_view name);

// What a Dubbo 2.7 service declares; MakeProviderUrl / MakeConsumerUrl turn it into the URL that
// Dubbo 2.7.8 registers (ServiceConfig / ReferenceConfig's parameters as they reach the
// registry), so that Dubbo's consumers and dubbo-admin read ours as their own.
struct DubboServiceSpec {
  std::string interface;    // fully qualified interface name, e.g. "org.example.Greeter"
  std::string application;  // the application name
  std::string methods;      // method names, comma-separated, e.g. "greet,ping"
  std::string host;         // the provider's (consumer's) address
  int32_t port = 20880;     // the provider's port (a consumer URL has none)
  std::string protocol = "dubbo";
  std::string group;              // empty: none
  std::string version;            // empty: none
  std::optional<int32_t> weight;  // absent: Dubbo's default (100)
  bool anyhost = true;            // the provider listens on every address (Dubbo's default)
  bool dynamic = true;            // false: the registration is persistent (dubbo_registry.h)
  int64_t pid = 0;                // 0: this process's id
  int64_t timestamp_ms = 0;       // 0: now (ms since the epoch)
  std::string release = "2.7.8";
  std::map<std::string, std::string, JavaStringLess> extra;  // more parameters (override)
};

// dubbo://host:port/interface?anyhost&application&deprecated=false&dubbo=2.0.2&dynamic
//   &generic=false&[group&]interface&methods&pid&release&side=provider&timestamp[&version]
//   [&weight]
DubboUrl MakeProviderUrl(const DubboServiceSpec& spec);
// consumer://host/interface?application&category=consumers&check=false&dubbo=2.0.2
//   &[group&]interface&methods&pid&release&side=consumer&sticky=false&timestamp[&version]
DubboUrl MakeConsumerUrl(const DubboServiceSpec& spec);

}  // namespace zk::discovery
