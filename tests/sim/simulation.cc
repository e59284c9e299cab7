#include "tests/sim/simulation.h"

#include <algorithm>
#include <map>
#include <set>

#include "tests/sim/cluster.h"
#include "tests/sim/partitions.h"
#include "tests/sim/workload.h"

namespace zk::sim {

namespace {

struct Profile {
  uint64_t crash_pm = 0;       // per tick
  size_t crash_budget = 0;     // servers down at once
  uint64_t tear_pm = 0;        // per crash
  uint64_t partition_pm = 0;   // per tick, when none is active
  uint64_t disconnect_pm = 0;  // per tick
  uint64_t write_pm = 0;       // per tick, up to three writes
  uint64_t reconfig_pm = 0;    // per tick: a membership change at the serving leader
  std::string Describe() const {
    return "crash " + std::to_string(crash_pm) + "/1000 (up to " + std::to_string(crash_budget) +
           " down, tear " + std::to_string(tear_pm) + "/1000), partition " +
           std::to_string(partition_pm) + "/1000, disconnect " + std::to_string(disconnect_pm) +
           "/1000, write " + std::to_string(write_pm) + "/1000" +
           (reconfig_pm > 0 ? ", reconfig " + std::to_string(reconfig_pm) + "/1000" : "");
  }
};

template <class T>
T Pick(Rng& rng, std::initializer_list<T> xs) {
  return *(xs.begin() + rng.Below(xs.size()));
}

class Run {
 public:
  Run(const SimOptions& o, Cluster* c, Profile p) : o_(o), c_(*c), p_(p), workload_(&c->rng()) {
    // Writes sent to a serving learner are forwarded to its leader as application data.
    for (zab::ServerId id : c_.ids()) {
      c_.node(id).on_app_data = [this, id](zab::ServerId from, const std::string& data) {
        const uint64_t key = std::stoull(data);
        auto it = forwarded_.find(key);
        uint64_t& last = last_forward_[from];
        if (it == forwarded_.end() || key <= last) {
          throw SimFailure("app data: server " + std::to_string(id) + " got forwarded write #" +
                           data + " from server " + std::to_string(from) +
                           " twice or out of order (last #" + std::to_string(last) + ")");
        }
        last = key;
        ++forwards_delivered_;
        ClientWrite w = std::move(it->second);
        forwarded_.erase(it);
        if (c_.node(id).serving_leader()) c_.Write(id, w.req, w.session_id);
      };
    }
  }

  int64_t forwards_delivered() const { return forwards_delivered_; }

  void FaultPhase(SimResult* r) {
    for (int64_t t = 0; t < o_.steps; ++t) {
      c_.RunTicks(1);
      Restarts(false);
      Crash(r);
      Partition(r);
      Disconnect();
      Writes();
      Reconfig();
    }
  }

  void LivenessPhase(SimResult* r, int64_t bound) {
    c_.net().SetHeld({}, "heal: liveness phase");
    Restarts(true);
    const int64_t start = c_.tick();
    int64_t z = 0;
    // Every member of the leader's membership (servers outside it need not follow).
    auto members = [&] {
      std::vector<zab::ServerId> out;
      zab::ServerId l = c_.ServingLeader();
      for (zab::ServerId id : c_.ids()) {
        if (l == 0 || c_.node(l).peer().committed_config().IsMember(id)) out.push_back(id);
      }
      return out;
    };
    auto everywhere = [&] {
      if (z == 0) return false;
      for (zab::ServerId id : members()) {
        if (c_.node(id).state().last_zxid() < z) return false;
      }
      return true;
    };
    while (!everywhere()) {
      if (c_.tick() - start >= bound) {
        throw SimFailure("liveness: " +
                         std::string(z == 0 ? "no leader served with a quorum and committed a write"
                                            : "write " + Hex(z) + " not applied everywhere") +
                         " within " + std::to_string(bound) + " ticks of healing\n" +
                         c_.Describe());
      }
      c_.RunTicks(1);
      if (z == 0) {
        zab::ServerId l = c_.LeaderWithQuorum();
        if (l != 0) {
          server::WriteRequest req;
          req.type = OpCode::kCreate;
          req.op.type = OpCode::kCreate;
          req.op.path = "/liveness";
          req.op.flags = 2;
          req.op.acl = server::acls::OpenUnsafe();
          z = c_.Write(l, req);
        }
      }
      Writes();
    }
    r->liveness_took = c_.tick() - start;
    for (zab::ServerId id : members()) {
      c_.checker().CheckHoldsAcked(id, c_.node(id).state(), z);
    }
    c_.checker().CheckClaims();
  }

 private:
  size_t DownCount() const {
    size_t n = 0;
    for (zab::ServerId id : c_.ids()) n += c_.node(id).alive() ? 0 : 1;
    return n;
  }

  void Restarts(bool all) {
    for (auto it = restart_at_.begin(); it != restart_at_.end();) {
      if (all || it->second <= c_.tick()) {
        c_.node(it->first).Restart();
        it = restart_at_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void Crash(SimResult* r) {
    if (p_.crash_pm == 0 || !c_.rng().PerMille(p_.crash_pm)) return;
    if (DownCount() >= p_.crash_budget) return;
    // Leaders are crashed more often: that is where the interesting recoveries are.
    zab::ServerId id = c_.ServingLeader();
    if (id == 0 || c_.rng().PerMille(500)) id = c_.ids()[c_.rng().Below(c_.ids().size())];
    if (!c_.node(id).alive()) return;
    c_.node(id).Crash(c_.rng().PerMille(p_.tear_pm));
    restart_at_[id] = c_.tick() + c_.rng().Range(3, 150);
    ++r->crashes;
  }

  void Partition(SimResult* r) {
    if (partition_until_ > 0 && c_.tick() >= partition_until_) {
      c_.net().SetHeld({}, "heal");
      partition_until_ = 0;
    }
    if (partition_until_ > 0 || p_.partition_pm == 0 || !c_.rng().PerMille(p_.partition_pm)) {
      return;
    }
    std::optional<NetworkPartition> cut = RandomPartition(c_.rng(), c_.ids(), c_.ServingLeader());
    if (!cut) return;
    c_.net().SetHeld(std::move(cut->held), cut->what);
    partition_until_ = c_.tick() + c_.rng().Range(10, 150);
    ++r->partitions;
  }

  void Disconnect() {
    if (p_.disconnect_pm == 0 || !c_.rng().PerMille(p_.disconnect_pm)) return;
    const std::vector<zab::ServerId>& ids = c_.ids();
    zab::ServerId a = ids[c_.rng().Below(ids.size())];
    zab::ServerId b = ids[c_.rng().Below(ids.size())];
    zab::Channel ch = c_.rng().Below(2) ? zab::Channel::kQuorum : zab::Channel::kElection;
    if (a != b) c_.net().Break(a, b, ch, "fault");
  }

  void Writes() {
    for (int k = 0; k < 3; ++k) {
      if (!c_.rng().PerMille(p_.write_pm)) continue;
      // A client of a random serving server: the leader proposes, a learner forwards.
      std::vector<zab::ServerId> serving;
      for (zab::ServerId id : c_.ids()) {
        if (c_.node(id).alive() && c_.node(id).peer().serving()) serving.push_back(id);
      }
      ClientWrite w = workload_.Next();
      if (serving.empty()) continue;
      zab::ServerId to = serving[c_.rng().Below(serving.size())];
      if (c_.node(to).serving_leader()) {
        c_.Write(to, w.req, w.session_id);
      } else {
        const uint64_t key = next_forward_++;
        forwarded_.emplace(key, std::move(w));
        if (!c_.node(to).ForwardToLeader(std::to_string(key))) forwarded_.erase(key);
      }
    }
  }

  // A random membership over every server (grow, shrink, replace, role changes): 1, 3 or 5
  // voters, maybe an observer. Refused proposals (one pending, no quorum) are fine.
  void Reconfig() {
    if (p_.reconfig_pm == 0 || !c_.rng().PerMille(p_.reconfig_pm)) return;
    zab::ServerId l = c_.ServingLeader();
    if (l == 0) return;
    std::vector<zab::ServerId> pool = c_.ids();
    const size_t want = std::min<size_t>(pool.size(), Pick<size_t>(c_.rng(), {1, 3, 3, 5}));
    std::vector<zab::ServerId> voters, observers;
    while (voters.size() < want) {
      size_t i = c_.rng().Below(pool.size());
      voters.push_back(pool[i]);
      pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(i));
    }
    if (!pool.empty() && c_.rng().PerMille(300)) {
      observers.push_back(pool[c_.rng().Below(pool.size())]);
    }
    c_.node(l).ProposeConfig(zab::MakeQuorumConfig(0, voters, observers));
  }

  const SimOptions& o_;
  Cluster& c_;
  Profile p_;
  Workload workload_;
  std::map<zab::ServerId, int64_t> restart_at_;
  std::map<uint64_t, ClientWrite> forwarded_;  // in flight from a learner to its leader
  uint64_t next_forward_ = 1;
  std::map<zab::ServerId, uint64_t> last_forward_;  // per learner, the last delivered
  int64_t forwards_delivered_ = 0;
  int64_t partition_until_ = 0;
};

}  // namespace

SimResult RunSimulation(const SimOptions& o) {
  SimResult r;
  // The seed's first draws choose the ensemble and the fault profile.
  Rng setup(o.seed ^ 0x5eed5eed5eed5eedULL);
  ClusterOptions co;
  co.seed = o.seed;
  co.verbose = o.verbose;
  co.voters = o.voters != 0 ? o.voters : (setup.Below(2) ? 5 : 3);
  co.observers = o.observers >= 0 ? o.observers : (setup.PerMille(300) ? 1 : 0);
  co.timing = SimTiming();
  co.node.compact_per_mille = setup.PerMille(500) ? 20 : 0;
  const bool reconfig = o.reconfig == 1 || (o.reconfig < 0 && setup.PerMille(333));
  if (reconfig) {
    co.spares = 2;
    if (o.voters == 0 && setup.PerMille(250)) co.voters = 1;  // grow from one
  }
  co.commit_with_new_quorum_only = o.plant_commit_with_new_quorum_only;
  Profile p;
  p.crash_pm = Pick<uint64_t>(setup, {0, 5, 10, 20});
  const size_t minority = static_cast<size_t>(co.voters - 1) / 2;
  // A quarter of the runs may lose a majority for a while.
  p.crash_budget = setup.PerMille(250) ? minority + 1 + setup.Below(2) : minority;
  p.tear_pm = Pick<uint64_t>(setup, {0, 300, 700});
  p.partition_pm = Pick<uint64_t>(setup, {0, 5, 15});
  p.disconnect_pm = Pick<uint64_t>(setup, {0, 10, 40});
  p.write_pm = Pick<uint64_t>(setup, {100, 300, 600});
  if (reconfig) p.reconfig_pm = Pick<uint64_t>(setup, {10, 30, 60});
  r.profile = std::to_string(co.voters) + " voters" +
              (co.observers > 0 ? " + " + std::to_string(co.observers) + " observer" : "") +
              (co.spares > 0 ? " + " + std::to_string(co.spares) + " spares" : "") +
              (co.node.compact_per_mille > 0 ? ", compaction" : "") + "; " + p.Describe();
  const zab::PeerConfig& t = co.timing;
  const int64_t bound = o.liveness_ticks > 0 ? o.liveness_ticks
                                             : 3 * t.init_limit_ticks + 3 * t.sync_limit_ticks +
                                                   6 * t.election_retry_max_ticks + 50;

  Cluster c(co);
  c.net().on_deliver = [&r](zab::ServerId, zab::ServerId, const zab::Message& m) {
    if (auto* s = std::get_if<zab::SyncStart>(&m)) {
      ++(s->mode == zab::SyncMode::kDiff    ? r.diffs
         : s->mode == zab::SyncMode::kTrunc ? r.truncs
                                            : r.snaps);
    }
  };
  Run run(o, &c, p);
  try {
    c.StartAll();
    run.FaultPhase(&r);
    run.LivenessPhase(&r, bound);
  } catch (const SimFailure& f) {
    r.ok = false;
    r.failure = f.what();
    if (r.failure.find("\n  server") == std::string::npos) r.failure += "\n" + c.Describe();
  }
  r.tick = c.tick();
  r.fingerprint = c.trace().fingerprint();
  r.committed = static_cast<int64_t>(c.checker().committed_count());
  r.acked = static_cast<int64_t>(c.checker().acked().size());
  r.epochs = static_cast<int64_t>(c.checker().established_count());
  r.forwarded = run.forwards_delivered();
  r.config_changes = static_cast<int64_t>(c.checker().config_changes());
  c.queue().Clear();
  return r;
}

}  // namespace zk::sim
