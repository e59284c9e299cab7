// zk::client::EventLoop: one io thread that several Clients share.
//
// By default every Client runs its own io thread. A process with many sessions (a load
// generator, a proxy, a service holding a session per tenant) can instead start one EventLoop
// and pass it in Options::event_loop: the connections of all those clients are then served by
// that one thread (one epoll set, no thread per session, completions of many sessions handled
// per wake-up). Everything else about a Client stays as documented in client/zk_client.h, with
// "the io thread" meaning the loop's thread: callbacks of every client on the loop run there,
// one at a time, so a slow callback delays all of them, and a blocking call made from any
// callback on the loop (to any client on it) returns kInvalidState.
//
// Lifetime: the loop must outlive every Client started on it. Its destructor waits until every
// such client has closed and released its connection, then stops and joins the thread; close
// the clients first (a client still open keeps it waiting). Never destroy it on its own thread.
//
// Thread-safety: Start and the destructor from any thread but the loop's own.
#pragma once

#include <memory>

namespace zk::client {

class EventLoop {
 public:
  // Starts the loop's thread.
  static std::unique_ptr<EventLoop> Start();

  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  class Impl;  // internal (client/client_impl.h)
  Impl& impl() { return *impl_; }

 private:
  explicit EventLoop(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace zk::client
