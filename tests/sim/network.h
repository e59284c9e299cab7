// Network: the simulated peer network. Every pair of servers has one connection per channel
// (election, quorum), like the real transport, which keeps dialing every peer on both ports.
// A connection is FIFO in each direction with random per-message delays; messages sent while it
// is down are dropped (the driver rule), messages in flight when it breaks are lost.
//
// Connection lifecycle: Establish tells both ends Connected in one event. A break (a fault, a
// crashed end, a Peer's Disconnect action, or a held direction timing out) tells each live end
// Disconnected — the closing end at once, the other after a random delay, during which its sends
// are lost. Once both ends know, the connection is re-dialed after a random delay; it comes up
// only when both ends are alive and neither direction is held.
//
// Partitions hold directions (from, to): messages in a held direction stay queued, as TCP would
// retransmit them, and are delivered in order after the heal — unless the oldest one waited
// longer than the TCP timeout, in which case the connection breaks. Symmetric partitions hold
// both directions between two groups, asymmetric ones a single direction, a bridge everything
// between two halves except through one node.
//
// Thread-safety: none. Ownership: Endpoints are borrowed and must outlive the Network.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/sim/event_queue.h"
#include "tests/sim/rng.h"
#include "tests/sim/trace.h"
#include "zab/messages.h"

namespace zk::sim {

// A server as the network sees it.
class Endpoint {
 public:
  virtual ~Endpoint() = default;
  virtual bool alive() const = 0;
  virtual void OnConnected(zab::ServerId peer, zab::Channel ch) = 0;
  virtual void OnDisconnected(zab::ServerId peer, zab::Channel ch) = 0;
  virtual void OnMessage(zab::ServerId from, zab::Message msg) = 0;
  // A message this server queued on the quorum connection to `peer` was delivered.
  virtual void OnOutputWritten(zab::ServerId /*peer*/) {}
};

struct NetworkOptions {
  int64_t min_delay = 1;           // units
  int64_t max_delay = 8;           // units
  uint64_t slow_per_mille = 30;    // messages delayed up to slow_delay
  int64_t slow_delay = 60;         // units
  int64_t remote_notice_max = 20;  // units until the far end notices a break
  int64_t redial_min = 2;          // units
  int64_t redial_max = 40;         // units
  int64_t first_dial_max = 40;     // units until each connection is first dialed
  int64_t tcp_timeout = 20 * kUnitsPerTick;
};

using Direction = std::pair<zab::ServerId, zab::ServerId>;  // (from, to)

class Network {
 public:
  Network(EventQueue* queue, Rng* rng, Trace* trace, NetworkOptions options);

  void Attach(zab::ServerId id, Endpoint* endpoint);
  // Creates every connection (down) and dials them all.
  void Start();

  // From a server's driver: queues `msg` on the connection to `to`; false when it is down (the
  // message is dropped).
  bool Send(zab::ServerId from, zab::ServerId to, zab::Message msg);
  // From a server's driver (DisconnectAction): closes that connection.
  void Close(zab::ServerId from, zab::ServerId to, zab::Channel ch);

  // Faults.
  void Break(zab::ServerId a, zab::ServerId b, zab::Channel ch, const char* why);
  // `id` crashed (every connection breaks; the others notice after a delay) or restarted.
  void NodeDown(zab::ServerId id);
  void NodeUp(zab::ServerId id);
  // Replaces the set of held directions (empty: heal).
  void SetHeld(std::set<Direction> held, const std::string& what);
  const std::set<Direction>& held() const { return held_; }

  // Bytes (zab::ApproximateWireSize) queued on the quorum connection from `from` to `to` and
  // not yet delivered.
  size_t QueuedBytes(zab::ServerId from, zab::ServerId to) const;
  // True when the connection is up and both ends know it.
  bool Connected(zab::ServerId a, zab::ServerId b, zab::Channel ch) const;
  uint64_t messages_delivered() const { return delivered_; }

  // Tests: called for every message delivered, before the receiver steps it.
  std::function<void(zab::ServerId from, zab::ServerId to, const zab::Message& msg)> on_deliver;

 private:
  struct InFlight {
    int64_t sent_at;
    int64_t deliver_at;
    zab::Message msg;
  };
  struct Key {
    zab::ServerId lo, hi;
    zab::Channel ch;
    auto operator<=>(const Key&) const = default;
  };
  struct Link {
    uint64_t gen = 0;
    bool up = false;
    bool knows[2] = {false, false};  // end 0 = lo, end 1 = hi: told Connected, not Disconnected
    std::deque<InFlight> q[2];       // q[e]: from end e to the other end
    bool dial_scheduled = false;
    bool timeout_scheduled = false;
  };

  static Key KeyOf(zab::ServerId a, zab::ServerId b, zab::Channel ch) {
    return a < b ? Key{a, b, ch} : Key{b, a, ch};
  }
  static int EndOf(const Key& k, zab::ServerId id) { return id == k.lo ? 0 : 1; }
  static zab::ServerId IdOf(const Key& k, int end) { return end == 0 ? k.lo : k.hi; }
  bool Held(const Key& k, int from_end) const {
    return held_.count({IdOf(k, from_end), IdOf(k, 1 - from_end)}) > 0;
  }
  std::string Name(const Key& k) const;

  void ScheduleDial(const Key& k, int64_t delay);
  void Dial(const Key& k);
  void BreakLink(const Key& k, int closing_end, const char* why);
  void Notify(const Key& k, int end, uint64_t gen);
  void Pump(const Key& k, int end, uint64_t gen);
  void ScheduleTimeoutCheck(const Key& k);
  void TimeoutCheck(const Key& k, uint64_t gen);
  // Re-schedules delivery of messages in directions that are no longer held.
  void Release(const Key& k);

  EventQueue* queue_;
  Rng* rng_;
  Trace* trace_;
  NetworkOptions options_;
  std::map<zab::ServerId, Endpoint*> endpoints_;
  std::map<Key, Link> links_;
  std::set<Direction> held_;
  uint64_t delivered_ = 0;
};

}  // namespace zk::sim
