// Trace: what a run did, for replaying a seed. With verbose on, every message, action, input and
// fault is printed as one line "[tick.unit] text"; always, a cheap fingerprint of the same events
// is folded into a hash, so two runs of one seed can be compared (--check-determinism).
// Describe* give the one-line text of messages and actions.
//
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <string>

#include "tests/sim/event_queue.h"
#include "zab/peer.h"

namespace zk::sim {

std::string Hex(int64_t zxid);
std::string Describe(const zab::Message& m);
std::string Describe(const zab::Action& a);

class Trace {
 public:
  Trace(const EventQueue* clock, bool verbose) : clock_(clock), verbose_(verbose) {}

  bool verbose() const { return verbose_; }
  uint64_t fingerprint() const { return hash_; }

  // Folds an event into the fingerprint.
  void Note(uint64_t kind, int64_t a = 0, int64_t b = 0, int64_t c = 0) {
    for (uint64_t v : {kind, static_cast<uint64_t>(clock_->now()), static_cast<uint64_t>(a),
                       static_cast<uint64_t>(b), static_cast<uint64_t>(c)}) {
      hash_ = (hash_ ^ v) * 0x100000001b3ULL;
      hash_ ^= hash_ >> 29;
    }
  }

  // Prints a line when verbose. Call as `if (trace.verbose()) trace.Print(...)` to keep the
  // formatting out of quiet runs.
  void Print(const std::string& line) const;

 private:
  const EventQueue* clock_;
  bool verbose_;
  uint64_t hash_ = 0xcbf29ce484222325ULL;
};

}  // namespace zk::sim
