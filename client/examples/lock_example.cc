// A small program on the installed recipes library: takes a distributed lock, shows its fencing
// token, and is told if the lock is lost while it works.
//
//   zk_lock_example host:port[,host:port...][/chroot] /lock/path
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "client/recipes/mutex.h"
#include "client/zk_client.h"

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s host:port[,host:port...][/chroot] /lock/path\n", argv[0]);
    return 2;
  }
  zk::client::Options options;
  options.connect_string = argv[1];
  auto started = zk::client::Client::Start(options);
  if (!started.ok()) {
    std::fprintf(stderr, "bad connect string: %s\n",
                 std::string(zk::ErrName(started.err())).c_str());
    return 2;
  }
  std::unique_ptr<zk::client::Client> client = std::move(started).value();
  zk::recipes::Mutex lock(*client, argv[2]);
  lock.SetLostListener([](zk::recipes::LockLostReason why) {
    std::fprintf(stderr, "lock lost: %s\n", zk::recipes::LockLostReasonName(why));
  });
  zk::recipes::LockGuard guard(lock, 30s);
  if (!guard.owns()) {
    std::fprintf(stderr, "not acquired: %s\n",
                 guard.err() == zk::Err::kOk ? "timed out" : std::string(zk::ErrName(guard.err())).c_str());
    return 1;
  }
  std::printf("holding %s with fencing token %lld\n", argv[2],
              static_cast<long long>(lock.FencingToken()));
  std::this_thread::sleep_for(1s);  // the work the lock protects
  return lock.IsHeld() ? 0 : 1;
}
