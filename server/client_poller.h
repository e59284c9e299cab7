// ClientPoller: the readiness of many plain-TCP client sockets, from one epoll set that asio
// watches with a single wait. asio keeps a reactor record for every socket it knows (168 bytes
// here) and an operation for every pending wait (about 90 more); an idle session of a big fleet
// held both and nothing else of asio. A socket registered here is a bare descriptor: the kernel's
// epoll set holds its interest, and this side a handler pointer per descriptor number. The io
// thread's loop, its timers and every other socket (peers, TLS clients, the acceptors) stay
// with asio.
//
// Interest is level-triggered (EPOLLIN, EPOLLOUT; EPOLLERR and EPOLLHUP always come). A handler
// that may have left readiness behind (a read that filled its buffer, a write cut short) says so
// and is polled again once the io_context's other queued handlers have run; everything else is
// reported when the kernel signals it. Removing a descriptor drops any report already fetched
// for it, so a handler is never called after its Remove.
//
// What handlers do in one batch of reports can be finished once the batch ends
// (DeferToBatchEnd): a connection's replies to the requests it read go out then, together,
// without a handler posted to the io_context (after which asio polls its reactor once more: one
// more epoll_wait per request).
//
// Single-threaded: every call on the one thread that runs `io`.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <asio.hpp>

namespace zk::server {

class ClientPoller {
 public:
  class Handler {
   public:
    // `events`: what epoll reported (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP). Returns true when
    // it may have left readiness unconsumed, so that the set is polled again soon.
    virtual bool OnPollEvents(uint32_t events) = 0;
    // The batch it asked DeferToBatchEnd in has ended.
    virtual void OnBatchEnd() {}

   protected:
    ~Handler() = default;
  };

  // Creates the epoll set; throws std::system_error when the kernel refuses one.
  explicit ClientPoller(asio::io_context& io);
  ~ClientPoller();
  ClientPoller(const ClientPoller&) = delete;
  ClientPoller& operator=(const ClientPoller&) = delete;

  // Registers `fd` (non-blocking, owned by the caller) with `events`. Returns 0 or an errno.
  int Add(int fd, uint32_t events, Handler* handler);
  // Changes the interest of a registered `fd`. Returns 0 or an errno.
  int Modify(int fd, uint32_t events);
  // Unregisters `fd`; call before closing it. No report (nor OnBatchEnd) reaches its handler
  // afterwards.
  void Remove(int fd);
  // Inside a batch (in a handler's OnPollEvents or OnBatchEnd): calls the OnBatchEnd of the
  // registered `handler` once every handler of the batch has run, and returns true. Outside a
  // batch returns false. Call at most once per handler and batch.
  bool DeferToBatchEnd(Handler* handler);
  // Stops watching the set (the io_context's run no longer waits on it). Idempotent; Remove
  // still works afterwards.
  void Stop();

  asio::io_context& context() { return io_; }
  size_t registered() const { return registered_; }

 private:
  void Watch();
  void PostDrain();
  // Fetches ready descriptors without blocking and calls their handlers.
  void Drain();

  asio::io_context& io_;
  int epoll_fd_;  // owned by watch_
  asio::posix::stream_descriptor watch_;
  std::vector<Handler*> handlers_;  // by descriptor number; null where none is registered
  std::vector<Handler*> deferred_;  // DeferToBatchEnd in this batch; null once removed
  std::vector<Handler*> ending_;    // those whose OnBatchEnd runs now; null once removed
  size_t registered_ = 0;
  // Handlers posted to the io_context check it, so none touches a destroyed poller.
  std::shared_ptr<char> alive_ = std::make_shared<char>();
  bool watching_ = false;      // the wait on the set is pending
  bool drain_posted_ = false;  // a Drain is posted
  bool in_batch_ = false;      // Drain is calling handlers
  bool stopped_ = false;
};

}  // namespace zk::server
