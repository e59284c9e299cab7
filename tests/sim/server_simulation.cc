#include "tests/sim/server_simulation.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "client/proto/jute.h"
#include "client/proto/records.h"
#include "server/forwarding.h"
#include "server/reconfig.h"
#include "tests/sim/checker.h"
#include "tests/sim/history_checker.h"
#include "tests/sim/partitions.h"
#include "tests/sim/planted_bugs.h"
#include "tests/sim/reaper_audit.h"
#include "tests/sim/server_sim_node.h"
#include "tests/sim/sim_client.h"
#include "tests/sim/sim_client_link.h"

namespace zk::sim {
namespace {

constexpr int kSimTickTimeMs = 200;  // tickTime of the simulated servers
// Client frames take 1..kClientMaxDelay units each way.
constexpr int64_t kClientMaxDelay = 4;
// The TTLs of the clients' TTL nodes (ms of simulated time).
constexpr int64_t kMinTtlMs = 200;
constexpr int64_t kMaxTtlMs = 2500;

struct ServerSimProfile {
  uint64_t crash_pm = 0;
  size_t crash_budget = 0;
  uint64_t tear_pm = 0;
  uint64_t partition_pm = 0;
  uint64_t peer_break_pm = 0;
  uint64_t client_break_pm = 0;  // per client per tick
  uint64_t request_pm = 0;       // per client per tick: send what it has ready
  int snap_count = 0;            // the servers' snapCount; 0: ZooKeeper's default
  int reap_interval_ms = 500;    // znode.container.checkIntervalMs
  int reap_per_minute = 10000;   // znode.container.maxPerMinute
  uint64_t reconfig_pm = 0;      // per tick: a reconfig sent to the leader
  std::string Describe() const {
    return "crash " + std::to_string(crash_pm) + "/1000 (up to " + std::to_string(crash_budget) +
           " down, tear " + std::to_string(tear_pm) + "/1000), partition " +
           std::to_string(partition_pm) + "/1000, peer break " + std::to_string(peer_break_pm) +
           "/1000, client break " + std::to_string(client_break_pm) + "/1000, requests " +
           std::to_string(request_pm) + "/1000" +
           (snap_count > 0 ? ", snapCount " + std::to_string(snap_count) : "") +
           ", reaper every " + std::to_string(reap_interval_ms) + " ms, " +
           std::to_string(reap_per_minute) + "/min" +
           (reconfig_pm > 0 ? ", reconfig " + std::to_string(reconfig_pm) + "/1000" : "");
  }
};

// One client slot: the current session and its connection, if any.
struct ClientSlot {
  std::unique_ptr<SimClient> client;
  std::shared_ptr<SimClientLink> link;
  zab::ServerId server = 0;
  int64_t reconnect_at = 0;  // tick
  int64_t last_sent_ms = 0;
};

class ServerRun {
 public:
  ServerRun(const ServerSimOptions& o, ServerSimProfile p, int voters, int observers)
      : o_(o), p_(p), rng_(o.seed), trace_(&queue_, o.verbose),
        net_(&queue_, &rng_, &trace_, NetworkOptions{}) {
    SimContext ctx{&queue_, &rng_, &trace_, &net_, &checker_};
    server::ServerConfig base;
    base.tick_time_ms = kSimTickTimeMs;
    base.init_limit = 10;
    base.sync_limit = 5;
    if (p_.snap_count > 0) base.snap_count = p_.snap_count;
    // Containers and TTL nodes, reaped by the leader's production ContainerReaper on its
    // OnTick (every kNodeTickUnits of simulated time).
    base.extended_types_enabled = true;
    base.container_check_interval_ms = p_.reap_interval_ms;
    base.container_max_per_minute = p_.reap_per_minute;
    if (o_.plant == PlantedBug::kIdleReaper) base.container_check_interval_ms = 3'600'000;
    base.test_reaper_ignores_ttl = o_.plant == PlantedBug::kEarlyTtlReap;
    base.reconfig_enabled = p_.reconfig_pm > 0;
    for (int i = 1; i <= voters + observers; ++i) {
      base.servers[i] = server::ServerAddress{"10.0.0." + std::to_string(i), 2888, 3888,
                                              /*observer=*/i > voters};
      ids_.push_back(static_cast<zab::ServerId>(i));
    }
    voters_ = static_cast<size_t>(voters);
    for (zab::ServerId id : ids_) {
      server::ServerConfig c = base;
      c.server_id = id;
      SimReplicationHooks hooks;
      hooks.proposing = [this, id](int64_t z, const std::string& d) {
        checker_.OnPropose(id, z, d);
        reaper_audit_.Proposed(z, d);
      };
      hooks.withdrawn = [this](int64_t z) {
        checker_.WithdrawProposal(z);
        reaper_audit_.Withdrawn(z);
      };
      hooks.applying = [this, id](const zab::LogEntry& e) {
        if (const server::ServerNode* n = nodes_[id]->node()) {
          reaper_audit_.BeforeApply(id, n->tree(), e);
        }
      };
      hooks.on_wire = [this, id](int64_t z, const std::string& d) { checker_.OnWireTxn(id, z, d); };
      hooks.applied = [this, id](const zab::LogEntry& e) { CheckDigest(id, e.zxid); };
      nodes_[id] = std::make_unique<ServerSimNode>(std::move(c), NodeOptions{}, ctx, hooks);
      if (o_.plant == PlantedBug::kFrozenLeaderClock) {
        ServerSimNode* n = nodes_[id].get();
        n->clock().FreezeWhile([n] { return n->leading(); });
      }
      net_.Attach(id, nodes_[id].get());
    }
    clients_.resize(static_cast<size_t>(o_.clients));
  }

  ~ServerRun() {
    for (ClientSlot& c : clients_) Drop(c);
    queue_.Clear();
  }

  void Start(ServerSimResult* r) {
    net_.on_deliver = [r](zab::ServerId, zab::ServerId, const zab::Message& m) {
      if (auto* s = std::get_if<zab::SyncStart>(&m)) {
        ++(s->mode == zab::SyncMode::kDiff    ? r->diffs
           : s->mode == zab::SyncMode::kTrunc ? r->truncs
                                              : r->snaps);
      }
    };
    net_.Start();
    for (zab::ServerId id : ids_) nodes_[id]->Restart();
  }

  void FaultPhase(ServerSimResult* r) {
    for (int64_t t = 0; t < o_.steps; ++t) {
      RunTick();
      if (o_.faults) {
        Restarts(false);
        Crash(r);
        Partition(r);
        PeerBreak();
      }
      Clients(/*issue=*/true);
      if (p_.reconfig_pm > 0 && rng_.PerMille(p_.reconfig_pm)) Reconfig(r);
      NoteMemberships(r);
    }
  }

  // A reconfig at the serving leader, as a follower forwards a super session's request: one
  // member's role changed, or every member's role stated at once (bulk); fromConfig the current
  // version, any (-1), or a stale one.
  void Reconfig(ServerSimResult* r) {
    const zab::ServerId leader = Leader();
    if (leader == 0) return;
    const zab::QuorumConfig& now = nodes_[leader]->peer().committed_config();
    const auto line = [](zab::ServerId id, bool observer) {
      return "server." + std::to_string(id) + "=10.0.0." + std::to_string(id) + ":2888:3888:" +
             (observer ? "observer" : "participant") + ";2181";
    };
    proto::ReconfigRequest req;
    if (rng_.PerMille(700)) {
      const zab::ServerId id = ids_[rng_.Below(ids_.size())];
      req.joining = line(id, !now.IsObserver(id));
    } else {
      std::string members;
      for (zab::ServerId id : ids_) {
        members += (members.empty() ? "" : ",") + line(id, rng_.PerMille(300));
      }
      req.new_members = members;
    }
    const uint64_t from = rng_.Below(10);
    req.cur_config_id = from < 5 ? kAnyConfigId : from < 9 ? now.version : now.version + 1;
    proto::JuteWriter w;
    req.Write(w);
    server::Principal super_user;
    super_user.is_super = true;
    const server::ForwardedWrite fw{0, static_cast<int32_t>(++admin_cxid_),
                                    static_cast<int32_t>(OpCode::kReconfig), w.Take(),
                                    super_user};
    const zab::ServerId from_id = ids_[rng_.Below(ids_.size())];
    if (trace_.verbose()) {
      trace_.Print("reconfig at server " + std::to_string(leader) + ": " +
                   (req.joining ? "add " + *req.joining : "members " + *req.new_members) +
                   " from version " +
                   (req.cur_config_id == kAnyConfigId ? std::string("any") : Hex(req.cur_config_id)));
    }
    nodes_[leader]->node()->Deliver(from_id, server::EncodeAppMessage(fw));
    ++r->reconfigs;
  }

  void NoteMemberships(ServerSimResult* r) {
    for (const auto& [id, n] : nodes_) {
      if (!n->alive() || n->node() == nullptr) continue;
      const int64_t v = n->peer().committed_config().version;
      if (v > 0 && committed_versions_.insert(v).second) r->memberships = committed_versions_.size();
    }
  }

  void EndPhase(ServerSimResult* r) {
    if (trace_.verbose()) trace_.Print("end phase; clients:\n" + DescribeClients());
    const int64_t start = tick_;
    net_.SetHeld({}, "heal: end phase");
    partition_until_ = 0;
    Restarts(true);
    // Every member serves under one leader.
    const int64_t serve_bound = 600;
    while (!AllServing()) {
      if (tick_ - start >= serve_bound) {
        throw SimFailure("end: the ensemble did not serve with every member within " +
                         std::to_string(serve_bound) + " ticks of healing\n" + Describe());
      }
      RunTick();
      Clients(/*issue=*/true);
    }
    // The clients finish what they have in flight, then drop their connections without closing
    // their sessions.
    for (int64_t t = 0; t < 100; ++t) {
      RunTick();
      Clients(/*issue=*/false);
    }
    for (ClientSlot& c : clients_) {
      Drop(c);
      if (c.client) finished_.push_back(c.client->history());
      c.client.reset();
    }
    // Every session must expire (its timeout plus the expiry rounding of tickTime), and every
    // member must apply the closes: no session and no ephemeral anywhere, one zxid and digest.
    const int64_t expire_bound = 20 * kSimTickTimeMs / kUnitsPerTick * 2 + 200;
    const int64_t expiry_start = tick_;
    std::string why;
    while (!(why = Quiesced()).empty()) {
      if (tick_ - expiry_start >= expire_bound) {
        if (trace_.verbose()) {
          for (const ClientHistory& h : finished_) trace_.Print(DescribeHistory(h));
        }
        throw SimFailure("end: " + why + " " + std::to_string(expire_bound) +
                         " ticks after every client left\n" + Describe());
      }
      RunTick();
    }
    // The leader's reaper removes every empty container that had a child and every expired TTL
    // node, on every member. Bound: the longest TTL (a node may expire only now), plus three
    // check intervals (a TTL node goes at the first check after it expired, the container it
    // emptied at the next; one more for a check that just missed it), plus the maxPerMinute
    // pacing of every container and TTL node there is, plus 2 s for the commits.
    const int64_t reap_bound_ms = kMaxTtlMs + 3 * int64_t{p_.reap_interval_ms} +
                                  ReaperCandidates() * 60000 / p_.reap_per_minute + 2000;
    const int64_t reap_bound = reap_bound_ms / kUnitsPerTick;
    const int64_t reap_start = tick_;
    while (!(why = Quiesced()).empty() || !(why = Unreaped()).empty()) {
      if (tick_ - reap_start >= reap_bound) {
        throw SimFailure("end: [reaper-bound] " + why + " " + std::to_string(reap_bound) +
                         " ticks after the sessions were gone (reaper every " +
                         std::to_string(p_.reap_interval_ms) + " ms)\n" + Describe());
      }
      RunTick();
    }
    r->end_took = tick_ - start;
    r->reaped = reaper_audit_.committed_deletes();
  }

  void CheckHistories(ServerSimResult* r) {
    std::vector<ClientHistory> histories = std::move(finished_);
    std::set<int64_t> sessions;
    for (const ClientHistory& h : histories) {
      if (h.session_id != 0) sessions.insert(h.session_id);
      r->ops += static_cast<int64_t>(h.ops.size());
      r->events += static_cast<int64_t>(h.events.size());
      for (const OpRecord& op : h.ops) {
        if (op.ok() && IsWrite(op.type)) ++r->acked_writes;
      }
      for (const Step& s : h.steps) {
        if (s.kind == StepKind::kExpired) ++r->expired;
      }
    }
    r->sessions = static_cast<int64_t>(sessions.size());
    const server::ServerNode* any = nodes_.begin()->second->node();
    r->last_zxid = any->tree().last_zxid();
    HistoryChecker checker(histories, sessions, reaper_audit_.Deletes());
    std::vector<std::string> violations = checker.CheckAll(&any->tree(), sessions);
    if (!violations.empty() && trace_.verbose()) {
      for (const ClientHistory& h : histories) trace_.Print(DescribeHistory(h));
    }
    HistoryChecker::ThrowIfAny(violations);
  }

  std::string Describe() const {
    std::string s;
    for (const auto& [id, n] : nodes_) {
      s += "  server " + std::to_string(id) + ": ";
      if (!n->alive()) {
        s += "down\n";
        continue;
      }
      const zab::Peer& p = n->peer();
      s += std::string(zab::PeerStateName(p.state())) +
           (p.serving() ? " (serving)" : "") + ", epoch " + std::to_string(p.current_epoch()) +
           ", tree at " + Hex(n->node()->tree().last_zxid()) + ", " +
           std::to_string(n->node()->sessions().size()) + " sessions\n";
    }
    return s;
  }

  std::string DescribeClients() const {
    static const char* const kStates[] = {"disconnected", "handshaking", "connected", "ended"};
    std::string s;
    for (size_t i = 0; i < clients_.size(); ++i) {
      const ClientSlot& c = clients_[i];
      if (!c.client) continue;
      s += "  client slot " + std::to_string(i) + ": session " +
           std::to_string(c.client->session_id()) + " " +
           kStates[static_cast<int>(c.client->state())] + ", " +
           std::to_string(c.client->outstanding()) + " outstanding, " +
           (c.link ? std::string(c.link->closed() ? "closed link to " : "link to ") +
                         std::to_string(c.server)
                   : std::string("no link")) +
           ", " + std::to_string(c.client->history().ops.size()) + " ops\n";
    }
    return s;
  }

  int64_t snapshots_taken() const {
    int64_t n = 0;
    for (const auto& [id, node] : nodes_) n += node->storage().snapshots_taken();
    return n;
  }

  int64_t tick() const { return tick_; }
  uint64_t fingerprint() const { return trace_.fingerprint(); }

 private:
  static bool IsWrite(OpCode t) {
    return t == OpCode::kCreate2 || t == OpCode::kSetData || t == OpCode::kDelete ||
           t == OpCode::kMulti;
  }

  void RunTick() {
    ++tick_;
    queue_.RunUntil(tick_ * kUnitsPerTick);
  }

  void CheckDigest(zab::ServerId id, int64_t zxid) {
    const server::ServerNode* node = nodes_[id]->node();
    if (node == nullptr || node->tree().last_zxid() != zxid) return;
    const uint64_t digest = node->tree().digest();
    auto [it, fresh] = digests_.emplace(zxid, std::make_pair(digest, id));
    if (!fresh && it->second.first != digest) {
      throw SimFailure("digest: server " + std::to_string(id) + "'s tree at " + Hex(zxid) +
                       " differs from server " + std::to_string(it->second.second) + "'s");
    }
  }

  bool AllServing() const {
    int leaders = 0;
    for (const auto& [id, n] : nodes_) {
      if (!n->serving()) return false;
      leaders += n->leading() ? 1 : 0;
    }
    return leaders == 1;
  }

  // Empty when every member serves, holds no session and no ephemeral, and all are at one
  // zxid; else what is still missing.
  std::string Quiesced() const {
    int64_t zxid = -1;
    for (const auto& [id, n] : nodes_) {
      if (!n->serving()) return "server " + std::to_string(id) + " not serving";
      const server::ServerNode& node = *n->node();
      if (node.sessions().size() > 0) {
        return "server " + std::to_string(id) + " still holds " +
               std::to_string(node.sessions().size()) + " sessions";
      }
      for (const auto& [owner, paths] : node.tree().AllEphemerals()) {
        if (!paths.empty()) {
          return "server " + std::to_string(id) + " still holds the ephemeral " +
                 *paths.begin() + " of session " + std::to_string(owner);
        }
      }
      if (zxid >= 0 && node.tree().last_zxid() != zxid) return "the members' zxids differ";
      zxid = node.tree().last_zxid();
    }
    return SameMembership();
  }

  // Empty when every member holds the same committed membership and /zookeeper/config holds
  // its text (server/reconfig.h); else the first difference.
  std::string SameMembership() const {
    const zab::QuorumConfig* first = nullptr;
    for (const auto& [id, n] : nodes_) {
      const zab::QuorumConfig& c = n->peer().committed_config();
      if (first != nullptr && (c.version != first->version || !c.SameMembers(*first))) {
        return "server " + std::to_string(id) + " holds the membership " + c.Describe() +
               " where server " + std::to_string(nodes_.begin()->first) + " holds " +
               first->Describe();
      }
      first = &c;
      const server::DataTree& tree = n->node()->tree();
      const server::DataTree::Node* node = tree.Find(server::kConfigNodePath);
      const std::string want =
          server::ConfigText(server::MembershipOf(c, n->node()->config().servers));
      if (node == nullptr || tree.DataOf(*node) != want) {
        return "server " + std::to_string(id) + "'s /zookeeper/config is not its membership " +
               c.Describe();
      }
    }
    return {};
  }

  // Empty when no member holds a node the reaper must have removed by now; else the first.
  std::string Unreaped() const {
    for (const auto& [id, n] : nodes_) {
      if (!n->alive()) return "server " + std::to_string(id) + " down";
      const std::string node = ReaperAudit::Unreaped(n->node()->tree(), n->clock().WallMs());
      if (!node.empty()) return "server " + std::to_string(id) + " still holds " + node;
    }
    return {};
  }

  // Containers and TTL nodes in the first member's tree.
  int64_t ReaperCandidates() const {
    const server::DataTree& tree = nodes_.begin()->second->node()->tree();
    return static_cast<int64_t>(tree.Containers().size() + tree.TtlNodes().size());
  }

  size_t DownCount() const {
    size_t n = 0;
    for (const auto& [id, node] : nodes_) n += node->alive() ? 0 : 1;
    return n;
  }

  zab::ServerId Leader() const {
    for (const auto& [id, n] : nodes_) {
      if (n->leading()) return id;
    }
    return 0;
  }

  void Restarts(bool all) {
    for (auto it = restart_at_.begin(); it != restart_at_.end();) {
      if (all || it->second <= tick_) {
        nodes_[it->first]->Restart();
        it = restart_at_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void CrashNode(zab::ServerId id, bool tear) {
    // Its links must not call into the node once it is gone.
    for (ClientSlot& c : clients_) {
      if (c.link && c.server == id) c.link->DetachHandler();
    }
    nodes_[id]->Crash(tear);
  }

  void Crash(ServerSimResult* r) {
    if (p_.crash_pm == 0 || !rng_.PerMille(p_.crash_pm) || DownCount() >= p_.crash_budget) return;
    zab::ServerId id = Leader();
    if (id == 0 || rng_.PerMille(500)) id = ids_[rng_.Below(ids_.size())];
    if (!nodes_[id]->alive()) return;
    CrashNode(id, rng_.PerMille(p_.tear_pm));
    restart_at_[id] = tick_ + rng_.Range(3, 150);
    ++r->crashes;
  }

  void Partition(ServerSimResult* r) {
    if (partition_until_ > 0 && tick_ >= partition_until_) {
      net_.SetHeld({}, "heal");
      partition_until_ = 0;
    }
    if (partition_until_ > 0 || p_.partition_pm == 0 || !rng_.PerMille(p_.partition_pm)) return;
    std::optional<NetworkPartition> cut = RandomPartition(rng_, ids_, Leader());
    if (!cut) return;
    net_.SetHeld(std::move(cut->held), cut->what);
    partition_until_ = tick_ + rng_.Range(10, 300);
    ++r->partitions;
  }

  void PeerBreak() {
    if (p_.peer_break_pm == 0 || !rng_.PerMille(p_.peer_break_pm)) return;
    zab::ServerId a = ids_[rng_.Below(ids_.size())];
    zab::ServerId b = ids_[rng_.Below(ids_.size())];
    if (a != b) net_.Break(a, b, rng_.Below(2) ? zab::Channel::kQuorum : zab::Channel::kElection, "fault");
  }

  // Ends a slot's connection (the client hears at once) and forgets it.
  void Drop(ClientSlot& c) {
    if (c.link) {
      c.link->Disconnect();
      c.link->DetachClient();
      c.link.reset();
    }
  }

  void Clients(bool issue) {
    for (size_t i = 0; i < clients_.size(); ++i) {
      ClientSlot& c = clients_[i];
      if (c.client && c.client->ended()) {
        Drop(c);
        finished_.push_back(c.client->history());
        c.client.reset();
      }
      if (!c.client) {
        if (!issue) continue;
        SimClientOptions co;
        co.extended_types = true;
        co.min_ttl_ms = kMinTtlMs;
        co.max_ttl_ms = kMaxTtlMs;
        co.session_timeout_ms = static_cast<int32_t>(rng_.Range(2, 10)) * kSimTickTimeMs;
        c.client = std::make_unique<SimClient>(next_client_id_++, rng_.Next(), co);
      }
      if (c.link && c.link->closed()) {
        // The client may not have heard yet (the news is still on its way): it hears now.
        c.client->OnDisconnected();
        c.link->DetachClient();
        c.link.reset();
        c.reconnect_at = tick_ + rng_.Range(1, 20);
      }
      if (!c.link) {
        if (c.reconnect_at <= tick_ && c.client->state() == SimClient::State::kDisconnected) {
          Connect(c, i);
        }
        continue;
      }
      if (o_.faults && rng_.PerMille(p_.client_break_pm)) {
        Drop(c);
        c.reconnect_at = tick_ + rng_.Range(1, 20);
        continue;
      }
      if (c.client->state() != SimClient::State::kConnected) continue;
      if (issue && rng_.PerMille(p_.request_pm) && c.link->PumpClient() > 0) {
        c.last_sent_ms = queue_.now();
      }
      if (queue_.now() - c.last_sent_ms >= c.client->negotiated_timeout_ms() / 3) {
        c.link->SendToNode(c.client->PingFrame());
        c.last_sent_ms = queue_.now();
      }
    }
  }

  void Connect(ClientSlot& c, size_t slot) {
    std::vector<zab::ServerId> up;
    for (zab::ServerId id : ids_) {
      if (nodes_[id]->alive()) up.push_back(id);
    }
    if (up.empty()) return;
    const zab::ServerId to = up[rng_.Below(up.size())];
    server::ServerNode* node = nodes_[to]->node();
    const std::string address = "10.1.0." + std::to_string(slot);
    const uint64_t link_id = node->AdmitLink(address);
    if (link_id == 0) return;
    auto schedule = [this](SimClientLink::Direction, std::function<void()> fn) {
      queue_.After(rng_.Range(1, kClientMaxDelay), std::move(fn));
    };
    c.link = std::make_shared<SimClientLink>(link_id, address, c.client.get(), schedule);
    if (o_.plant != PlantedBug::kNone) c.link->SetTap(PlantBug(o_.plant, rng_.Next()));
    c.link->SetHandler(node);
    c.server = to;
    node->AttachLink(c.link);
    c.link->SendToNode(c.client->ConnectFrame());
    c.last_sent_ms = queue_.now();
  }

  const ServerSimOptions& o_;
  ServerSimProfile p_;
  EventQueue queue_;
  Rng rng_;
  Trace trace_;
  Network net_;
  Checker checker_;
  ReaperAudit reaper_audit_;
  std::vector<zab::ServerId> ids_;
  size_t voters_ = 0;
  std::map<zab::ServerId, std::unique_ptr<ServerSimNode>> nodes_;
  std::vector<ClientSlot> clients_;
  std::vector<ClientHistory> finished_;
  uint64_t next_client_id_ = 1;
  std::map<int64_t, std::pair<uint64_t, zab::ServerId>> digests_;  // zxid -> (digest, first)
  std::map<zab::ServerId, int64_t> restart_at_;
  int64_t partition_until_ = 0;
  int64_t tick_ = 0;
  uint64_t admin_cxid_ = 0;
  std::set<int64_t> committed_versions_;
};

template <class T>
T PickOne(Rng& rng, std::initializer_list<T> xs) {
  return *(xs.begin() + rng.Below(xs.size()));
}

constexpr std::pair<PlantedBug, const char*> kPlantedBugNames[] = {
    {PlantedBug::kNone, "none"},
    {PlantedBug::kZxidGoesBack, "zxid-goes-back"},
    {PlantedBug::kEventAfterData, "event-after-data"},
    {PlantedBug::kDuplicateEvent, "duplicate-event"},
    {PlantedBug::kVersionSkew, "version-skew"},
    {PlantedBug::kRepeatedSequence, "repeated-sequence"},
    {PlantedBug::kFrozenLeaderClock, "frozen-leader-clock"},
    {PlantedBug::kStaleRead, "stale-read"},
    {PlantedBug::kLostAck, "lost-ack"},
    {PlantedBug::kEarlyTtlReap, "early-ttl-reap"},
    {PlantedBug::kIdleReaper, "idle-reaper"},
};

}  // namespace

std::optional<PlantedBug> PlantedBugNamed(const std::string& name) {
  for (const auto& [bug, n] : kPlantedBugNames) {
    if (name == n) return bug;
  }
  return std::nullopt;
}

std::string PlantedBugName(PlantedBug bug) {
  for (const auto& [b, n] : kPlantedBugNames) {
    if (b == bug) return n;
  }
  return "?";
}

ServerSimResult RunServerSimulation(const ServerSimOptions& o) {
  ServerSimResult r;
  if (!o.verbose) spdlog::set_level(spdlog::level::off);
  Rng setup(o.seed ^ 0x5e4e5e4e5e4e5e4eULL);
  const int voters = o.voters != 0 ? o.voters : (setup.PerMille(300) ? 5 : 3);
  const int observers = o.observers >= 0 ? o.observers : (setup.PerMille(300) ? 1 : 0);
  ServerSimProfile p;
  p.crash_pm = PickOne<uint64_t>(setup, {0, 3, 8});
  const size_t minority = static_cast<size_t>(voters - 1) / 2;
  p.crash_budget = setup.PerMille(250) ? minority + 1 : minority;
  p.tear_pm = PickOne<uint64_t>(setup, {0, 500});
  p.partition_pm = PickOne<uint64_t>(setup, {0, 4, 10});
  p.peer_break_pm = PickOne<uint64_t>(setup, {0, 10});
  p.client_break_pm = PickOne<uint64_t>(setup, {0, 3, 10});
  p.request_pm = PickOne<uint64_t>(setup, {200, 500, 900});
  p.snap_count = PickOne<int>(setup, {0, 40, 150});
  p.reap_interval_ms = PickOne<int>(setup, {200, 500, 1000});
  p.reap_per_minute = PickOne<int>(setup, {10000, 1200});
  if (!o.faults) p.crash_pm = p.partition_pm = p.peer_break_pm = p.client_break_pm = 0;
  // Drawn last, so that the other choices of a seed do not depend on it.
  const bool reconfig = o.reconfig >= 0 ? o.reconfig == 1 : setup.PerMille(333);
  if (reconfig) p.reconfig_pm = PickOne<uint64_t>(setup, {10, 30});
  r.profile = std::to_string(voters) + " voters" +
              (observers > 0 ? " + " + std::to_string(observers) + " observer" : "") + ", " +
              std::to_string(o.clients) + " clients; " + p.Describe();
  ServerRun run(o, p, voters, observers);
  try {
    run.Start(&r);
    run.FaultPhase(&r);
    run.EndPhase(&r);
    run.CheckHistories(&r);
  } catch (const SimFailure& f) {
    r.ok = false;
    r.failure = f.what();
    if (r.failure.find("\n  server") == std::string::npos) r.failure += "\n" + run.Describe();
  }
  r.tick = run.tick();
  r.snapshots = run.snapshots_taken();
  r.fingerprint = run.fingerprint();
  return r;
}

}  // namespace zk::sim
