// A small program on the installed client library: connects, creates an ephemeral node, follows
// a subtree with a persistent recursive watch, and reads with a retry policy.
//
//   zk_example 127.0.0.1:2181[,host:port...][/chroot]
#include <chrono>
#include <cstdio>
#include <string>

#include "client/retry.h"
#include "client/watch_stream.h"
#include "client/zk_client.h"

using namespace std::chrono_literals;
using zk::client::Client;
using zk::CreateMode;
using zk::client::ExponentialBackoffRetry;
using zk::client::Options;
using zk::client::WatchStream;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s host:port[,host:port...][/chroot]\n", argv[0]);
    return 2;
  }
  Options options;
  options.connect_string = argv[1];
  options.request_timeout = 5s;
  options.state_listener = [](zk::client::ConnectionState s) {
    std::printf("state: %s\n", std::string(zk::client::ConnectionStateName(s)).c_str());
  };
  auto started = Client::Start(options);
  if (!started.ok()) {
    std::fprintf(stderr, "bad connect string: %s\n", std::string(zk::ErrName(started.err())).c_str());
    return 2;
  }
  std::unique_ptr<Client> zk = std::move(started).value();
  if (auto c = zk->WaitConnected(10s); !c.ok()) {
    std::fprintf(stderr, "no connection: %s\n", std::string(zk::ErrName(c.err())).c_str());
    return 1;
  }

  // Follow everything under /example until the end of the program.
  (void)zk->Create("/example", "");
  WatchStream events;
  if (auto w = zk->AddWatch("/example", zk::AddWatchMode::kPersistentRecursive, events.Listener());
      !w.ok()) {
    std::fprintf(stderr, "addWatch: %s\n", std::string(zk::ErrName(w.err())).c_str());
    return 1;
  }

  auto created = zk->Create("/example/member-", "hello", zk::client::OpenAclUnsafe(),
                            CreateMode::kEphemeralSequential);
  if (!created.ok()) {
    std::fprintf(stderr, "create: %s\n", std::string(zk::ErrName(created.err())).c_str());
    return 1;
  }
  std::printf("created %s\n", created->path.c_str());

  // Reads are idempotent: retry them over connection trouble.
  auto data = zk::client::CallWithRetry(ExponentialBackoffRetry(100ms, 5),
                                        [&] { return zk->GetData(created->path); });
  if (data.ok()) std::printf("read back \"%s\" (version %d)\n", data->data.c_str(), data->stat.version);

  while (auto ev = events.Next(500ms)) {
    std::printf("event %d at %s\n", static_cast<int>(ev->type), ev->path.c_str());
  }
  zk->Close();  // Ends the session: the ephemeral node goes.
  return 0;
}
