// The consumer half of the RPC example: discovers the "echo" providers through a watch-driven
// cache (zk::discovery::ServiceCache), load-balances its calls over them (round-robin), and fails
// over when a provider dies: a failed call is noted (the down-instance policy takes a provider
// out after 2 errors) and retried on the next pick at once.
//
//   zk_echo_client host:port[,host:port...][/chroot] calls [interval_ms]
//
// Prints one line per call: "call <n> <provider id> <reply>" or "call <n> failed on <id>:
// <error>" (then retried, up to 10 times), and at the end "answered <k> of <n>". Exit status 0
// when every call was answered.
#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include <asio.hpp>

#include "client/discovery/load_balancer.h"
#include "client/discovery/service_cache.h"
#include "client/zk_client.h"

using asio::ip::tcp;

namespace {

// One blocking request: connect, send a line, read the reply line (1 s timeouts).
bool Call(const zk::discovery::ServiceInstance& to, const std::string& line, std::string* reply,
          std::string* error) {
  try {
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect(tcp::endpoint(asio::ip::make_address(to.address),
                                 static_cast<uint16_t>(to.port.value_or(0))));
    timeval tv{1, 0};
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    asio::write(socket, asio::buffer(line + "\n"));
    std::string in;
    size_t n = asio::read_until(socket, asio::dynamic_buffer(in), '\n');
    *reply = in.substr(0, n - 1);
    return true;
  } catch (const std::exception& e) {
    *error = e.what();
    return false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s host:port[,host:port...][/chroot] calls [interval_ms]\n",
                 argv[0]);
    return 2;
  }
  const int calls = std::atoi(argv[2]);
  const auto interval = std::chrono::milliseconds(argc > 3 ? std::atoi(argv[3]) : 0);
  zk::client::Options options;
  options.connect_string = argv[1];
  auto started = zk::client::Client::Start(options);
  if (!started.ok()) {
    std::fprintf(stderr, "bad connect string\n");
    return 2;
  }
  std::unique_ptr<zk::client::Client> client = std::move(started).value();
  if (!client->WaitConnected(std::chrono::seconds(15)).ok()) {
    std::fprintf(stderr, "no connection to %s\n", argv[1]);
    return 1;
  }
  zk::discovery::ServiceCache providers(*client, "/services", "echo");
  if (!providers.Start().ok() || !providers.AwaitInitialized(std::chrono::seconds(15)).ok()) {
    std::fprintf(stderr, "the provider cache did not load\n");
    return 1;
  }
  zk::discovery::LoadBalancer balancer({.strategy = zk::discovery::StrategyKind::kRoundRobin});
  int answered = 0;
  for (int n = 1; n <= calls; ++n) {
    for (int attempt = 0; attempt < 10; ++attempt) {
      auto call = balancer.StartCall(providers.Instances());
      if (!call) {
        std::printf("call %d: no provider available\n", n);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        continue;
      }
      std::string reply, error;
      if (Call(call.instance(), "hello " + std::to_string(n), &reply, &error)) {
        call.Succeeded();
        std::printf("call %d %s %s\n", n, call.instance().id.c_str(), reply.c_str());
        ++answered;
        break;
      }
      call.Failed();
      std::printf("call %d failed on %s: %s\n", n, call.instance().id.c_str(), error.c_str());
    }
    std::fflush(stdout);
    std::this_thread::sleep_for(interval);
  }
  std::printf("answered %d of %d\n", answered, calls);
  providers.Close();
  client->Close();
  return answered == calls ? 0 : 1;
}
