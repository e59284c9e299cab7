// WatchPrinter: the watchers behind zkcli's -w flags and addWatch, which queue their events for
// printing. zkCli.sh registers one default watcher everywhere, and the Java client calls a
// watcher once per notification however many of its registrations match; our client calls every
// registered watcher. WatchPrinter restores the "one line per notification" behaviour:
// * a one-shot watch of a class (data: getData/exists, child: getChildren) already pending on a
//   path is not registered twice (the server holds one watch per path and class anyway);
// * a NodeDeleted that fires both a data and a child watch prints once;
// * an event that matches persistent watches (addWatch) prints once, by the registration on the
//   longest matching path, and the one-shot watches it also fires stay silent.
// Thread-safe: watchers run on the client's io thread, the rest on the main thread.
#pragma once

#include <memory>
#include <string>

#include "client/zk_client.h"
#include "client/zkcli/event_queue.h"

namespace zk::zkcli {

// Data watches (getData, exists) and child watches (getChildren).
enum class WatchClass { kData = 0, kChild = 1 };

class WatchPrinter {
 public:
  explicit WatchPrinter(std::weak_ptr<EventQueue> queue);

  // A one-shot watcher for `path`, or a null Watcher if one of this class is already pending.
  client::Watcher OneShot(WatchClass cls, const std::string& path);
  // The request of a OneShot watcher failed without setting the watch.
  void Forget(WatchClass cls, const std::string& path);
  // A persistent listener for addWatch(path, mode).
  client::Watcher Persistent(const std::string& path, AddWatchMode mode);

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace zk::zkcli
