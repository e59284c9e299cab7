// zk::discovery::DubboRegistry: registers Dubbo URLs (dubbo_url.h) in ZooKeeper in the layout of
// Apache Dubbo 2.7's ZookeeperRegistry, so that Dubbo's consumers, providers and dubbo-admin see
// a C++ service as one of their own; on the public zk::client::Client API.
//
// Layout (<root> is Dubbo's registry `group`, "/dubbo" by default):
//   <root>/<URL.encode(interface)>/<category>/<URL.encode(url.ToFullString())>
// where <category> is the URL's `category` parameter, else "providers" (a consumer URL carries
// category=consumers). Dubbo creates the folders on the way as persistent nodes (empty data) and
// the URL's node as an ephemeral node, or as a persistent one when the URL says dynamic=false.
// Besides, as Dubbo's own provider and consumer do when they subscribe, registering a provider
// URL also creates <root>/<interface>/configurators (the provider's override subscription), and
// registering a consumer URL creates providers/, configurators/ and routers/ (the consumer's
// subscription). The URL node's data is Options::node_data (Dubbo's Curator client writes its
// default data, the registering host's IP address as text; readers ignore it).
//
// Guarantees and failure model:
// * Register returns once the node exists (created by this session, or found with this session as
//   its ephemeral owner). An ephemeral node found owned by another session (the previous session
//   of this process, not yet removed by the server) is deleted and created again, as Dubbo does.
// * From then on the registry keeps the node: it watches it (exists) and creates it again when
//   someone deletes it; after a reconnect a registration that failed meanwhile is retried.
// * Session expiry: a Client never gets a new session, so the registry then waits (the server
//   removes the ephemeral nodes). Create a new Client and call Rebind(it): every registered URL
//   is registered again through the new session (Dubbo's recover() on a new session).
// * Failed attempts on a live connection (request timeouts, connection loss) are retried after
//   Options::retry_delay (Dubbo's FailbackRegistry). A first attempt refused by the server
//   (kNoAuth, kInvalidAcl, ...) fails Register, and the URL is not kept.
// * Unregister deletes the node and stops keeping it. Close unregisters every dynamic URL (not
//   the dynamic=false ones, as Dubbo's destroy) within Options::close_timeout, then stops.
//
// Threads: one worker thread per registry (started by the constructor, joined by Close) does
// every ZooKeeper operation; watches and the client's state listener only wake it. Register,
// Unregister, Rebind, Close, Registered may be called from any thread; Register, Unregister and
// Close block (never call them from a client callback).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "client/discovery/dubbo_url.h"
#include "client/zk_client.h"

namespace zk::discovery {

struct DubboRegistryOptions {
  // Dubbo's registry group: "dubbo" and "/dubbo" both mean /dubbo; "/" puts services at the top.
  std::string root = "/dubbo";
  std::vector<client::Acl> acl = client::OpenAclUnsafe();
  // The data of a URL's node; nullopt: the URL's host (what Dubbo writes on that host).
  std::optional<std::string> node_data;
  std::chrono::milliseconds retry_delay{500};
  std::chrono::milliseconds close_timeout{5000};
};

// Dubbo's paths under a root given as DubboRegistryOptions::root.
std::string DubboRootPath(std::string_view root);  // "/dubbo"
std::string DubboServicePath(std::string_view root, std::string_view interface);
std::string DubboCategoryPath(std::string_view root, std::string_view interface,
                              std::string_view category);
// The node of `url`: its category path + "/" + DubboEncode(url.ToFullString()).
std::string DubboUrlPath(std::string_view root, const DubboUrl& url);

// One-shot read of a category folder: the names that are encoded URLs (they contain "%3A%2F%2F",
// encoded "://", as Dubbo filters them) decoded and parsed; other names are skipped. A missing
// folder is an empty list.
client::Result<std::vector<DubboUrl>> ListDubboUrls(client::Client& client, std::string_view root,
                                                    std::string_view interface,
                                                    std::string_view category);

class DubboRegistry {
 public:
  // REQUIRES: `client` outlives the registry (or the next Rebind).
  explicit DubboRegistry(client::Client& client, DubboRegistryOptions options = {});
  // Close().
  ~DubboRegistry();
  DubboRegistry(const DubboRegistry&) = delete;
  DubboRegistry& operator=(const DubboRegistry&) = delete;

  // Registers `url` and keeps it registered (see above); returns its node's path. Registering a
  // URL again is a no-op that waits for its node. Errors: kBadArguments (no interface, a URL that
  // does not survive ToFullString/Parse, a bad root), kInvalidState (closed), the server's refusal
  // of the first attempt, kSessionExpired / kClosing / kAuthFailed (the session ended: the URL is
  // kept and registered at Rebind), kOperationTimeout (not in place within `timeout`: the URL is
  // kept and the registry goes on trying; Unregister withdraws it).
  client::Result<std::string> Register(const DubboUrl& url, std::chrono::milliseconds timeout);

  // Deletes the URL's node and stops keeping it. kOk also when it was not registered or its node
  // was gone. Errors: kInvalidState (closed), kOperationTimeout (the node may still exist: the
  // registry goes on trying to delete it), the server's refusal.
  client::Result<void> Unregister(const DubboUrl& url, std::chrono::milliseconds timeout);

  // Moves the registry to `client` (normally a new Client after the old session expired) and
  // registers every URL again through it. REQUIRES: `client` outlives the registry (or the next
  // Rebind). Errors: kInvalidState (closed).
  client::Result<void> Rebind(client::Client& client);

  // Unregisters the dynamic URLs (bounded by close_timeout) and stops the worker. Idempotent.
  void Close();

  // The URLs registered (not unregistered), in path order.
  std::vector<DubboUrl> Registered() const;

  struct Core;

 private:
  void Run();

  std::shared_ptr<Core> core_;
};

}  // namespace zk::discovery
