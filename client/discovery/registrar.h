// zk::discovery::Registrar: keeps service instances registered for as long as it lives — across
// connection losses, deletions by others, and session expiries — on a session of its own.
//
// A zk::client::Client never gets a new session after its session expired (kExpired is
// terminal), so ServiceDiscovery on a caller's Client needs the caller to Rebind it to a new
// Client. A Registrar owns its Client instead: when the session expires it starts a new Client
// with the same options, waits until it is connected, and registers every instance again
// through it (ServiceDiscovery::Rebind) — the registration comes back by itself, as with
// Curator's ServiceDiscovery on a CuratorFramework. Between the expiry and the new registration
// the instances are absent (a provider whose session expired was unreachable for a session
// timeout; consumers have already dropped it).
//
// Threads: Register, Update, Unregister and Close block the calling thread; the renewal runs on
// the Registrar's own thread. Thread-safe. Clients replaced by a renewal are closed and kept until
// the Registrar goes (a call racing with a renewal may still use one; it then fails kClosing).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "client/discovery/service_discovery.h"
#include "client/discovery/service_instance.h"
#include "client/zk_client.h"

namespace zk::discovery {

class Registrar {
 public:
  // Starts a Client with `client_options` (a new session: session_id must be 0; its
  // state_listener is kept and called for every Client) and waits up to its session timeout
  // for the connection. Errors: the Client's (kBadArguments), kOperationTimeout.
  static client::Result<std::unique_ptr<Registrar>> Start(client::Options client_options,
                                                          ServiceDiscoveryOptions options = {});
  // Close().
  ~Registrar();
  Registrar(const Registrar&) = delete;
  Registrar& operator=(const Registrar&) = delete;

  client::Result<ServiceInstance> Register(const ServiceInstance& instance);
  client::Result<void> Update(const ServiceInstance& instance);
  client::Result<void> Unregister(const std::string& name, const std::string& id);
  // Unregisters everything, stops renewing and closes the Client. Idempotent.
  void Close();

  // The current session's id, and how many sessions the Registrar has had (1 + renewals).
  int64_t session_id() const;
  uint64_t sessions() const;

  struct State;

 private:
  Registrar() = default;
  std::shared_ptr<State> state_;
};

}  // namespace zk::discovery
