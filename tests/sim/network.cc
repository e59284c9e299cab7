#include "tests/sim/network.h"

#include <algorithm>

#include "zab/replica.h"

namespace zk::sim {

Network::Network(EventQueue* queue, Rng* rng, Trace* trace, NetworkOptions options)
    : queue_(queue), rng_(rng), trace_(trace), options_(options) {}

void Network::Attach(zab::ServerId id, Endpoint* endpoint) { endpoints_[id] = endpoint; }

void Network::Start() {
  for (auto a = endpoints_.begin(); a != endpoints_.end(); ++a) {
    for (auto b = std::next(a); b != endpoints_.end(); ++b) {
      for (zab::Channel ch : {zab::Channel::kElection, zab::Channel::kQuorum}) {
        Key k = KeyOf(a->first, b->first, ch);
        links_[k];
        ScheduleDial(k, rng_->Range(0, options_.first_dial_max));
      }
    }
  }
}

std::string Network::Name(const Key& k) const {
  return std::to_string(k.lo) + "<->" + std::to_string(k.hi) +
         (k.ch == zab::Channel::kElection ? " election" : " quorum");
}

void Network::ScheduleDial(const Key& k, int64_t delay) {
  Link& l = links_[k];
  if (l.dial_scheduled) return;
  l.dial_scheduled = true;
  queue_->After(delay, [this, k] { Dial(k); });
}

void Network::Dial(const Key& k) {
  Link& l = links_[k];
  l.dial_scheduled = false;
  if (l.up || l.knows[0] || l.knows[1]) return;  // up, or a break not yet noticed by all
  Endpoint* e0 = endpoints_[k.lo];
  Endpoint* e1 = endpoints_[k.hi];
  if (!e0->alive() || !e1->alive() || Held(k, 0) || Held(k, 1)) {
    ScheduleDial(k, rng_->Range(options_.redial_min, options_.redial_max));
    return;
  }
  ++l.gen;
  l.up = true;
  l.q[0].clear();
  l.q[1].clear();
  trace_->Note(1, k.lo, k.hi, static_cast<int64_t>(k.ch));
  if (trace_->verbose()) trace_->Print("net: connected " + Name(k));
  uint64_t gen = l.gen;
  int first = static_cast<int>(rng_->Below(2));
  for (int end : {first, 1 - first}) {
    Link& cur = links_[k];
    if (cur.gen != gen || !cur.up) break;  // the first end closed it at once
    cur.knows[end] = true;
    endpoints_[IdOf(k, end)]->OnConnected(IdOf(k, 1 - end), k.ch);
  }
}

bool Network::Send(zab::ServerId from, zab::ServerId to, zab::Message msg) {
  Key k = KeyOf(from, to, zab::ChannelOf(msg));
  auto it = links_.find(k);
  int end = EndOf(k, from);
  if (it == links_.end() || !it->second.up || !it->second.knows[end]) {
    trace_->Note(2, from, to, static_cast<int64_t>(msg.index()));
    if (trace_->verbose()) {
      trace_->Print("net: dropped " + std::to_string(from) + "->" + std::to_string(to) + " " +
                    Describe(msg) + " (no connection)");
    }
    return false;
  }
  Link& l = it->second;
  int64_t delay = rng_->PerMille(options_.slow_per_mille)
                      ? rng_->Range(options_.max_delay, options_.slow_delay)
                      : rng_->Range(options_.min_delay, options_.max_delay);
  int64_t at = queue_->now() + delay;
  if (!l.q[end].empty()) at = std::max(at, l.q[end].back().deliver_at);
  l.q[end].push_back(InFlight{queue_->now(), at, std::move(msg)});
  if (!Held(k, end)) {
    uint64_t gen = l.gen;
    queue_->After(at - queue_->now(), [this, k, end, gen] { Pump(k, end, gen); });
  } else {
    ScheduleTimeoutCheck(k);
  }
  return true;
}

void Network::Pump(const Key& k, int end, uint64_t gen) {
  while (true) {
    Link& l = links_[k];
    if (l.gen != gen || !l.up || Held(k, end) || l.q[end].empty() ||
        l.q[end].front().deliver_at > queue_->now()) {
      return;
    }
    InFlight f = std::move(l.q[end].front());
    l.q[end].pop_front();
    zab::ServerId from = IdOf(k, end);
    zab::ServerId to = IdOf(k, 1 - end);
    ++delivered_;
    trace_->Note(3, from, to, static_cast<int64_t>(f.msg.index()));
    if (trace_->verbose()) {
      trace_->Print(std::to_string(from) + " -> " + std::to_string(to) + ": " + Describe(f.msg));
    }
    if (on_deliver) on_deliver(from, to, f.msg);
    endpoints_[to]->OnMessage(from, std::move(f.msg));
    if (k.ch == zab::Channel::kQuorum && endpoints_[from]->alive()) {
      endpoints_[from]->OnOutputWritten(to);
    }
  }
}

size_t Network::QueuedBytes(zab::ServerId from, zab::ServerId to) const {
  const Key k = KeyOf(from, to, zab::Channel::kQuorum);
  auto it = links_.find(k);
  if (it == links_.end()) return 0;
  size_t bytes = 0;
  for (const InFlight& f : it->second.q[EndOf(k, from)]) bytes += zab::ApproximateWireSize(f.msg);
  return bytes;
}

void Network::Close(zab::ServerId from, zab::ServerId to, zab::Channel ch) {
  Key k = KeyOf(from, to, ch);
  BreakLink(k, EndOf(k, from), "closed by a peer");
}

void Network::Break(zab::ServerId a, zab::ServerId b, zab::Channel ch, const char* why) {
  BreakLink(KeyOf(a, b, ch), -1, why);
}

void Network::BreakLink(const Key& k, int closing_end, const char* why) {
  Link& l = links_[k];
  if (!l.up) return;
  l.up = false;
  ++l.gen;
  l.q[0].clear();
  l.q[1].clear();
  trace_->Note(4, k.lo, k.hi, static_cast<int64_t>(k.ch));
  if (trace_->verbose()) trace_->Print("net: broken " + Name(k) + " (" + why + ")");
  uint64_t gen = l.gen;
  for (int end : {0, 1}) {
    if (!l.knows[end]) continue;
    int64_t delay = end == closing_end ? 0 : rng_->Range(1, options_.remote_notice_max);
    queue_->After(delay, [this, k, end, gen] { Notify(k, end, gen); });
  }
  if (!l.knows[0] && !l.knows[1])
    ScheduleDial(k, rng_->Range(options_.redial_min, options_.redial_max));
}

void Network::Notify(const Key& k, int end, uint64_t gen) {
  Link& l = links_[k];
  if (l.gen != gen || !l.knows[end]) return;
  l.knows[end] = false;
  trace_->Note(5, IdOf(k, end), IdOf(k, 1 - end), static_cast<int64_t>(k.ch));
  if (trace_->verbose()) {
    trace_->Print("net: " + std::to_string(IdOf(k, end)) + " notices " + Name(k) + " is down");
  }
  endpoints_[IdOf(k, end)]->OnDisconnected(IdOf(k, 1 - end), k.ch);
  Link& cur = links_[k];
  if (!cur.up && !cur.knows[0] && !cur.knows[1]) {
    ScheduleDial(k, rng_->Range(options_.redial_min, options_.redial_max));
  }
}

void Network::NodeDown(zab::ServerId id) {
  for (auto& [k, l] : links_) {
    if (k.lo != id && k.hi != id) continue;
    l.knows[EndOf(k, id)] = false;  // the crashed process hears nothing more
    BreakLink(k, -1, "end crashed");
    if (!l.knows[0] && !l.knows[1])
      ScheduleDial(k, rng_->Range(options_.redial_min, options_.redial_max));
  }
}

void Network::NodeUp(zab::ServerId id) {
  for (auto& [k, l] : links_) {
    if (k.lo != id && k.hi != id) continue;
    if (!l.up && !l.knows[0] && !l.knows[1]) {
      ScheduleDial(k, rng_->Range(options_.redial_min, options_.redial_max));
    }
  }
}

void Network::SetHeld(std::set<Direction> held, const std::string& what) {
  held_ = std::move(held);
  trace_->Note(6, static_cast<int64_t>(held_.size()));
  if (trace_->verbose()) trace_->Print("net: " + what);
  for (auto& [k, l] : links_) {
    if (!l.up) continue;
    if (Held(k, 0) || Held(k, 1)) ScheduleTimeoutCheck(k);
    Release(k);
  }
}

void Network::Release(const Key& k) {
  Link& l = links_[k];
  for (int end : {0, 1}) {
    if (Held(k, end)) continue;
    int64_t prev = queue_->now();
    for (InFlight& f : l.q[end]) {
      // Messages that came due while held are re-timed; later ones keep their time. Either way
      // a pump is scheduled (a redundant one finds nothing due).
      if (f.deliver_at <= queue_->now()) {
        f.deliver_at = queue_->now() + rng_->Range(options_.min_delay, options_.max_delay);
      }
      f.deliver_at = std::max(prev, f.deliver_at);
      prev = f.deliver_at;
      uint64_t gen = l.gen;
      queue_->After(f.deliver_at - queue_->now(), [this, k, end, gen] { Pump(k, end, gen); });
    }
  }
}

void Network::ScheduleTimeoutCheck(const Key& k) {
  Link& l = links_[k];
  if (l.timeout_scheduled) return;
  l.timeout_scheduled = true;
  uint64_t gen = l.gen;
  queue_->After(options_.tcp_timeout / 2, [this, k, gen] { TimeoutCheck(k, gen); });
}

void Network::TimeoutCheck(const Key& k, uint64_t gen) {
  Link& l = links_[k];
  l.timeout_scheduled = false;
  if (l.gen != gen || !l.up) return;
  bool held = false;
  for (int end : {0, 1}) {
    if (!Held(k, end)) continue;
    held = true;
    if (!l.q[end].empty() && l.q[end].front().sent_at <= queue_->now() - options_.tcp_timeout) {
      BreakLink(k, -1, "held past the TCP timeout");
      return;
    }
  }
  if (held) ScheduleTimeoutCheck(k);
}

bool Network::Connected(zab::ServerId a, zab::ServerId b, zab::Channel ch) const {
  auto it = links_.find(KeyOf(a, b, ch));
  return it != links_.end() && it->second.up && it->second.knows[0] && it->second.knows[1];
}

}  // namespace zk::sim
