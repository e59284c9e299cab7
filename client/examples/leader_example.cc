// A small program on the installed recipes library: a worker that does its job only while it
// leads, among any number of copies of itself (and of Curator LeaderSelectors on the same path).
// It stops working the moment it is told its leadership is in doubt, and queues again.
//
//   zk_leader_example host:port[,host:port...][/chroot] /election/path my-id [terms]
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include "client/recipes/leader_selector.h"
#include "client/zk_client.h"

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s host:port[,host:port...][/chroot] /election/path id [terms]\n",
                 argv[0]);
    return 2;
  }
  const int terms = argc > 4 ? std::atoi(argv[4]) : 1;
  zk::client::Options options;
  options.connect_string = argv[1];
  auto started = zk::client::Client::Start(options);
  if (!started.ok()) {
    std::fprintf(stderr, "bad connect string: %s\n",
                 std::string(zk::ErrName(started.err())).c_str());
    return 2;
  }
  std::unique_ptr<zk::client::Client> client = std::move(started).value();
  if (!client->WaitConnected(15s).ok()) {
    std::fprintf(stderr, "no connection to %s\n", argv[1]);
    return 1;
  }
  std::mutex mu;
  std::condition_variable cv;
  int led = 0;
  zk::recipes::LeaderSelectorOptions opts;
  opts.auto_requeue = true;
  zk::recipes::LeaderSelector selector(
      *client, argv[2], argv[3],
      [&](zk::recipes::LeadershipContext& ctx) {
        std::printf("%s leads (token %lld)\n", argv[3], static_cast<long long>(ctx.FencingToken()));
        std::fflush(stdout);
        // The job: one second of work in small steps, each checking that we still lead.
        for (int step = 0; step < 10 && !ctx.Cancelled(); ++step) ctx.WaitCancelled(100ms);
        std::printf("%s steps down%s\n", argv[3], ctx.Cancelled() ? " (leadership lost)" : "");
        std::lock_guard<std::mutex> l(mu);
        ++led;
        cv.notify_all();
      },
      opts);
  if (!selector.Start().ok()) return 1;
  std::unique_lock<std::mutex> l(mu);
  // Wakes for each term; the check of state() notices a session that ended meanwhile.
  while (led < terms && selector.state() != zk::recipes::LeaderSelector::State::kClosed) {
    cv.wait_for(l, 1s);
  }
  const bool done = led >= terms;
  l.unlock();
  selector.Close();
  return done ? 0 : 1;
}
