#include "client/discovery/registrar.h"

#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace zk::discovery {

using client::ConnectionState;
using client::Result;

struct Registrar::State {
  client::Options options;
  std::mutex mu;
  std::condition_variable cv;
  bool expired = false;  // the current session expired: renew
  bool closing = false;
  uint64_t sessions = 0;
  std::unique_ptr<client::Client> client;
  std::vector<std::unique_ptr<client::Client>> retired;  // replaced, closed, kept alive
  std::unique_ptr<ServiceDiscovery> discovery;
  std::thread renewer;

  // A Client with the caller's options whose expiry wakes the renewer.
  Result<std::unique_ptr<client::Client>> NewClient(const std::weak_ptr<State>& weak) {
    client::Options o = options;
    client::StateListener user = options.state_listener;
    o.state_listener = [weak, user](ConnectionState cs) {
      if (user) user(cs);
      if (cs != ConnectionState::kExpired) return;
      if (auto s = weak.lock()) {
        std::lock_guard<std::mutex> l(s->mu);
        s->expired = true;
        s->cv.notify_all();
      }
    };
    auto c = client::Client::Start(std::move(o));
    if (!c.ok()) return c.err();
    return std::move(c).value();
  }

  void Renew(const std::weak_ptr<State>& weak) {
    while (true) {
      {
        std::unique_lock<std::mutex> l(mu);
        cv.wait(l, [&] { return expired || closing; });
        if (closing) return;
        expired = false;
      }
      auto fresh = NewClient(weak);
      if (!fresh.ok()) continue;  // cannot happen with options that worked once
      // Wait for the new session (as long as it takes, unless closing).
      while (!(*fresh)->WaitConnected(std::chrono::milliseconds(200)).ok()) {
        std::lock_guard<std::mutex> l(mu);
        if (closing) return;
      }
      discovery->Rebind(**fresh);
      std::unique_ptr<client::Client> old;
      {
        std::lock_guard<std::mutex> l(mu);
        old = std::exchange(client, std::move(*fresh));
        ++sessions;
      }
      old->Close();
      std::lock_guard<std::mutex> l(mu);
      retired.push_back(std::move(old));
    }
  }
};

Result<std::unique_ptr<Registrar>> Registrar::Start(client::Options client_options,
                                                    ServiceDiscoveryOptions options) {
  if (client_options.session_id != 0) return Err::kBadArguments;
  std::unique_ptr<Registrar> r(new Registrar());
  r->state_ = std::make_shared<State>();
  State& s = *r->state_;
  s.options = std::move(client_options);
  std::weak_ptr<State> weak = r->state_;
  auto c = s.NewClient(weak);
  if (!c.ok()) return c.err();
  s.client = std::move(*c);
  if (auto w = s.client->WaitConnected(s.options.session_timeout); !w.ok()) return w.err();
  s.sessions = 1;
  s.discovery = std::make_unique<ServiceDiscovery>(*s.client, std::move(options));
  s.renewer = std::thread([state = r->state_.get(), weak] { state->Renew(weak); });
  return r;
}

Registrar::~Registrar() { Close(); }

Result<ServiceInstance> Registrar::Register(const ServiceInstance& instance) {
  return state_->discovery->Register(instance);
}

Result<void> Registrar::Update(const ServiceInstance& instance) {
  return state_->discovery->Update(instance);
}

Result<void> Registrar::Unregister(const std::string& name, const std::string& id) {
  return state_->discovery->Unregister(name, id);
}

void Registrar::Close() {
  State& s = *state_;
  {
    std::lock_guard<std::mutex> l(s.mu);
    if (s.closing) return;
    s.closing = true;
    s.cv.notify_all();
  }
  if (s.renewer.joinable()) s.renewer.join();
  if (s.discovery) s.discovery->Close();
  if (s.client) s.client->Close();
}

int64_t Registrar::session_id() const {
  std::lock_guard<std::mutex> l(state_->mu);
  return state_->client->session_id();
}

uint64_t Registrar::sessions() const {
  std::lock_guard<std::mutex> l(state_->mu);
  return state_->sessions;
}

}  // namespace zk::discovery
