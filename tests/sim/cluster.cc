#include "tests/sim/cluster.h"

#include <spdlog/spdlog.h>

#include <set>

namespace zk::sim {

zab::PeerConfig SimTiming() {
  zab::PeerConfig c;
  c.election_retry_ticks = 2;
  c.election_retry_max_ticks = 16;
  c.finalize_wait_ticks = 2;
  c.init_limit_ticks = 30;
  c.sync_limit_ticks = 15;
  c.ping_ticks = 4;
  return c;
}

Cluster::Cluster(const ClusterOptions& options)
    : options_(options),
      rng_(options.seed),
      trace_(&queue_, options.verbose),
      net_(&queue_, &rng_, &trace_, options.net) {
  // The Replica logs as the server does; the trace (--verbose) tells the story here.
  spdlog::set_level(spdlog::level::off);
  std::vector<zab::ServerId> observers;
  for (int i = 1; i <= options.voters + options.observers + options.spares; ++i) {
    ids_.push_back(i);
    if (i <= options.voters + options.observers) {
      (i <= options.voters ? voters_ : observers).push_back(i);
    }
  }
  checker_.SetStaticConfig(zab::MakeQuorumConfig(0, voters_, observers));
  SimContext ctx{&queue_, &rng_, &trace_, &net_, &checker_};
  for (zab::ServerId id : ids_) {
    zab::PeerConfig c = options.timing;
    c.id = id;
    c.voters = voters_;
    c.observers = observers;
    c.joining = id > options.voters + options.observers;
    c.TEST_commit_with_new_quorum_only = options.commit_with_new_quorum_only;
    std::string err = c.Validate();
    if (!err.empty()) throw SimFailure("bad peer config: " + err);
    nodes_[id] = std::make_unique<SimNode>(c, options.node, ctx);
    net_.Attach(id, nodes_[id].get());
    checker_.AddDisk(id, &nodes_[id]->disk());
  }
}

void Cluster::StartAll() {
  for (zab::ServerId id : ids_) nodes_[id]->Restart();
  net_.Start();
}

void Cluster::RunTicks(int64_t ticks) { queue_.RunUntil(queue_.now() + ticks * kUnitsPerTick); }

bool Cluster::RunUntil(const std::function<bool()>& pred, int64_t max_ticks) {
  for (int64_t i = 0; i < max_ticks; ++i) {
    if (pred()) return true;
    RunTicks(1);
  }
  return pred();
}

zab::ServerId Cluster::ServingLeader() const {
  zab::ServerId best = 0;
  int64_t best_epoch = -1;
  for (const auto& [id, n] : nodes_) {
    if (n->serving_leader() && n->peer().current_epoch() > best_epoch) {
      best = id;
      best_epoch = n->peer().current_epoch();
    }
  }
  return best;
}

zab::ServerId Cluster::LeaderWithQuorum() const {
  zab::ServerId l = ServingLeader();
  if (l == 0) return 0;
  const zab::Peer& leader = nodes_.at(l)->peer();
  const int64_t epoch = leader.current_epoch();
  std::set<zab::ServerId> serving{l};
  for (zab::ServerId v : leader.committed_config().voters) {
    const SimNode& s = *nodes_.at(v);
    if (s.alive() && s.peer().serving() && s.peer().leader() == l &&
        s.peer().current_epoch() == epoch) {
      serving.insert(v);
    }
  }
  return leader.committed_config().IsQuorum(serving) ? l : 0;
}

int64_t Cluster::Write(zab::ServerId id, const server::WriteRequest& req, int64_t session_id) {
  return nodes_.at(id)->ProposeWrite(req, session_id, next_cxid_++);
}

std::string Cluster::Describe() const {
  std::string out;
  for (const auto& [id, n] : nodes_) {
    out += "  server " + std::to_string(id) + (n->is_observer() ? " (observer)" : "") + ": ";
    if (!n->alive()) {
      out += "down";
    } else {
      const zab::Peer& p = n->peer();
      out += std::string(zab::PeerStateName(p.state())) + (p.serving() ? " serving" : "") +
             " leader " + std::to_string(p.leader()) + " epochs " +
             std::to_string(p.accepted_epoch()) + "/" + std::to_string(p.current_epoch()) +
             " last " + Hex(p.last_zxid()) + " committed " + Hex(p.committed_zxid()) + " tree " +
             Hex(n->state().last_zxid()) + " round " + std::to_string(p.election_round()) +
             (p.committed_config().version > 0 ? " config " + p.committed_config().Describe()
                                                : "") +
             (p.pending_config() != nullptr ? " pending " + p.pending_config()->Describe() : "");
    }
    out += "\n";
  }
  return out;
}

}  // namespace zk::sim
