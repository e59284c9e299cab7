// The provider half of the RPC example: a tiny line-echo service on asio that registers itself
// in the registry (zk::discovery, Curator's layout: /services/echo/<id>) while it runs.
//
//   zk_echo_server host:port[,host:port...][/chroot] id [port]
//
// Listens on 127.0.0.1:<port> (0 or absent: any free port), registers {"name":"echo", "id":id,
// "address":"127.0.0.1", "port":...} with a session timeout of 4 s, prints
// "serving <id> on 127.0.0.1:<port>", and answers every line it reads with "<id> <line>".
// SIGINT/SIGTERM: unregisters and exits 0. Killed (-9), its instance stays registered until its
// session expires on the servers; consumers stop picking it sooner by noting its errors.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <asio.hpp>

#include "client/discovery/service_discovery.h"
#include "client/zk_client.h"

using asio::ip::tcp;

namespace {

// One client connection: reads lines, writes "<id> <line>\n" back, until the peer closes.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::string id) : socket_(std::move(socket)), id_(std::move(id)) {}
  void Start() { Read(); }

 private:
  void Read() {
    auto self = shared_from_this();
    asio::async_read_until(socket_, asio::dynamic_buffer(in_), '\n',
                           [self](std::error_code ec, size_t n) {
                             if (ec) return;
                             self->out_ = self->id_ + " " + self->in_.substr(0, n);
                             self->in_.erase(0, n);
                             asio::async_write(self->socket_, asio::buffer(self->out_),
                                               [self](std::error_code wec, size_t) {
                                                 if (!wec) self->Read();
                                               });
                           });
  }

  tcp::socket socket_;
  std::string id_;
  std::string in_, out_;
};

void Accept(tcp::acceptor& acceptor, const std::string& id) {
  acceptor.async_accept([&acceptor, id](std::error_code ec, tcp::socket socket) {
    if (ec) return;  // the acceptor was closed
    std::make_shared<Session>(std::move(socket), id)->Start();
    Accept(acceptor, id);
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s host:port[,host:port...][/chroot] id [port]\n", argv[0]);
    return 2;
  }
  const std::string id = argv[2];
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                           static_cast<uint16_t>(argc > 3 ? std::atoi(argv[3]) : 0)));
  const int port = acceptor.local_endpoint().port();

  zk::client::Options options;
  options.connect_string = argv[1];
  options.session_timeout = std::chrono::seconds(4);
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
  zk::discovery::ServiceDiscovery registry(*client);
  zk::discovery::ServiceInstance me;
  me.name = "echo";
  me.id = id;
  me.address = "127.0.0.1";
  me.port = port;
  me.registration_time_utc = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
  if (auto r = registry.Register(me); !r.ok()) {
    std::fprintf(stderr, "register: %s\n", std::string(zk::ErrName(r.err())).c_str());
    return 1;
  }
  std::printf("serving %s on 127.0.0.1:%d\n", id.c_str(), port);
  std::fflush(stdout);

  Accept(acceptor, id);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code, int) {
    acceptor.close();
    io.stop();
  });
  io.run();
  registry.Close();  // unregister at once instead of waiting for the session to expire
  client->Close();
  return 0;
}
