#include "tests/sim/checker.h"

#include "tests/sim/sim_disk.h"
#include "tests/sim/trace.h"
#include "zab/config_txn.h"
#include "zab/zxid.h"

namespace zk::sim {

namespace {
std::string N(zab::ServerId id) { return "server " + std::to_string(id); }
}  // namespace

void Checker::Fail(const std::string& what) { throw SimFailure(what); }

void Checker::OnPropose(zab::ServerId leader, int64_t zxid, const std::string& data) {
  auto [it, fresh] = proposed_.emplace(zxid, data);
  if (!fresh) {
    Fail("integrity: zxid " + Hex(zxid) + " proposed twice (by " + N(proposer_[zxid]) + " and " +
         N(leader) + ")");
  }
  proposer_[zxid] = leader;
}

void Checker::WithdrawProposal(int64_t zxid) {
  proposed_.erase(zxid);
  proposer_.erase(zxid);
}

void Checker::CheckProposed(const char* what, zab::ServerId node, int64_t zxid,
                            const std::string& data) {
  auto it = proposed_.find(zxid);
  if (it == proposed_.end()) {
    Fail(std::string("integrity: ") + N(node) + " " + what + " " + Hex(zxid) +
         ", which no leader proposed");
  }
  if (it->second != data) {
    Fail(std::string("integrity: ") + N(node) + " " + what + " " + Hex(zxid) +
         " with bytes other than its leader proposed");
  }
}

void Checker::OnWireTxn(zab::ServerId from, int64_t zxid, const std::string& data) {
  CheckProposed("sent", from, zxid, data);
}

void Checker::CheckDigest(zab::ServerId node, int64_t zxid, uint64_t digest) {
  auto [it, fresh] = digests_.emplace(zxid, digest);
  if (!fresh && it->second != digest) {
    Fail("digest: " + N(node) + "'s tree at " + Hex(zxid) +
         " differs from another server's tree at the same zxid");
  }
}

void Checker::CheckContents(zab::ServerId node, const StateMachine& sm, int64_t upto) {
  int64_t from = std::max(verified_[node], sm.base_zxid());
  auto g = history_.upper_bound(from);
  auto t = sm.applied().upper_bound(from);
  while (true) {
    bool g_in = g != history_.end() && g->first <= upto;
    bool t_in = t != sm.applied().end() && t->first <= upto;
    if (!g_in && !t_in) break;
    if (g_in && (!t_in || g->first < t->first)) {
      Fail("primary order: " + N(node) + "'s tree at " + Hex(upto) + " lacks committed txn " +
           Hex(g->first));
    }
    if (t_in && (!g_in || t->first < g->first)) {
      Fail("primary order: " + N(node) + " applies " + Hex(upto) + " on a tree holding " +
           Hex(t->first) + ", which is not in the committed history");
    }
    if (g->second != t->second) {
      Fail("agreement: " + N(node) + "'s tree holds other bytes for " + Hex(g->first));
    }
    ++g;
    ++t;
  }
  verified_[node] = std::max(verified_[node], upto);
}

void Checker::OnApply(zab::ServerId node, const zab::LogEntry& entry, int64_t prev, bool leading,
                      const StateMachine& sm) {
  const int64_t z = entry.zxid;
  CheckProposed("applied", node, z, entry.data);
  int64_t& last = last_applied_[node];
  if (z <= last) {
    Fail("total order: " + N(node) + " applied " + Hex(z) + " after " + Hex(last));
  }
  last = z;
  auto it = history_.find(z);
  if (it != history_.end()) {
    if (it->second != entry.data)
      Fail("agreement: " + N(node) + " applied other bytes at " + Hex(z));
  } else {
    if (!history_.empty() && history_.rbegin()->first > z) {
      Fail("primary order: " + N(node) + " applied " + Hex(z) +
           ", which is not in the committed history, below committed " +
           Hex(history_.rbegin()->first));
    }
    history_.emplace(z, entry.data);
    NoteConfigTxn(z, entry.data);
  }
  if (z > prev) {
    auto g = history_.upper_bound(prev);
    if (g != history_.end() && g->first < z) {
      Fail("primary order: " + N(node) + " applied " + Hex(z) + " right after " + Hex(prev) +
           ", skipping committed " + Hex(g->first));
    }
  }
  CheckContents(node, sm, z);
  CheckDigest(node, sm.last_zxid(), sm.digest());
  auto p = proposer_.find(z);
  if (leading && p != proposer_.end() && p->second == node) acked_.insert(z);
}

void Checker::OnTreeReset(zab::ServerId node, const StateMachine& sm, bool restart,
                          const char* /*why*/) {
  for (const auto& [z, data] : sm.applied()) CheckProposed("holds (replayed)", node, z, data);
  verified_[node] = sm.base_zxid();
  if (restart) last_applied_[node] = 0;
  CheckDigest(node, sm.last_zxid(), sm.digest());
}

void Checker::OnServing(zab::ServerId node, bool is_leader, int64_t epoch, zab::ServerId leader,
                        int64_t last_zxid, SimDisk* disk) {
  if (!is_leader) {
    auto it = leaders_.find(epoch);
    if (it == leaders_.end() || it->second != leader) {
      Fail("one leader: " + N(node) + " serves in epoch " + std::to_string(epoch) + " under " +
           N(leader) + ", which did not establish that epoch");
    }
    return;
  }
  auto [it, fresh] = leaders_.emplace(epoch, node);
  if (!fresh) {
    Fail("one leader: " + N(node) + " established epoch " + std::to_string(epoch) + ", which " +
         N(it->second) + " had already established");
  }
  const int64_t base = disk->snapshot_zxid();
  std::vector<zab::LogEntry> log = disk->DurableLog();
  const int64_t durable_last = log.empty() ? base : log.back().zxid;
  if (durable_last != last_zxid) {
    Fail("durability: " + N(node) + " established epoch " + std::to_string(epoch) +
         " with history up to " + Hex(last_zxid) + " but only " + Hex(durable_last) + " durable");
  }
  for (int64_t z : acked_) {
    if (z <= base) continue;
    std::string data;
    if (!disk->DurableRecord(z, &data)) {
      Fail("lost ack: " + N(node) + " established epoch " + std::to_string(epoch) +
           " without acknowledged write " + Hex(z) + " in its durable history");
    }
  }
  // The established history becomes committed: it must agree with G wherever G reaches, and
  // extends G beyond.
  const int64_t gmax = committed_max();
  auto g = history_.upper_bound(base);
  size_t i = 0;
  while (i < log.size() && log[i].zxid <= base) ++i;  // compaction keeps the snapshot's entry
  while (true) {
    bool g_in = g != history_.end();
    bool h_in = i < log.size() && log[i].zxid <= gmax;
    if (!g_in && !h_in) break;
    if (g_in && (!h_in || g->first < log[i].zxid)) {
      Fail("primary order: " + N(node) + " established epoch " + std::to_string(epoch) +
           " without committed txn " + Hex(g->first) + " (history up to " + Hex(last_zxid) + ")");
    }
    if (h_in && (!g_in || log[i].zxid < g->first)) {
      Fail("primary order: " + N(node) + " established epoch " + std::to_string(epoch) +
           " with txn " + Hex(log[i].zxid) + ", which the committed history skipped");
    }
    if (g->second != log[i].data) {
      Fail("agreement: " + N(node) + " established epoch " + std::to_string(epoch) +
           " with other bytes for committed " + Hex(g->first));
    }
    ++g;
    ++i;
  }
  for (; i < log.size(); ++i) {
    CheckProposed("established", node, log[i].zxid, log[i].data);
    history_.emplace(log[i].zxid, log[i].data);
    NoteConfigTxn(log[i].zxid, log[i].data);
  }
}

void Checker::NoteConfigTxn(int64_t zxid, const std::string& data) {
  zab::QuorumConfig c;
  std::string_view txn;
  if (!zab::DecodeConfigTxn(data, &c, &txn)) return;
  c.version = zxid;
  auto claim = claims_.find(zxid);
  if (claim != claims_.end() && !claim->second.second.SameMembers(c)) {
    Fail("membership: " + N(claim->second.first) + " activated " +
         claim->second.second.Describe() + " where the committed config txn holds " +
         c.Describe());
  }
  if (claim != claims_.end()) claims_.erase(claim);
  config_txns_.emplace(zxid, std::move(c));
}

void Checker::CheckClaims() {
  if (claims_.empty()) return;
  const auto& [version, claim] = *claims_.begin();
  Fail("membership: " + N(claim.first) + " activated " + claim.second.Describe() +
       ", which is no committed config txn");
}

const zab::QuorumConfig& Checker::ConfigBelow(int64_t zxid) const {
  auto it = config_txns_.lower_bound(zxid);
  return it == config_txns_.begin() ? static_config_ : std::prev(it)->second;
}

void Checker::OnLeaderCommit(zab::ServerId node, int64_t zxid) {
  auto g = history_.find(zxid);
  if (g == history_.end()) return;  // OnApply failed first
  zab::QuorumConfig next;
  std::string_view txn;
  const bool is_config = zab::DecodeConfigTxn(g->second, &next, &txn);
  if (is_config) next.version = zxid;
  std::set<zab::ServerId> holders;
  for (const auto& [id, disk] : disks_) {
    std::string data;
    if (disk->snapshot_zxid() >= zxid || (disk->DurableRecord(zxid, &data) && data == g->second)) {
      holders.insert(id);
    }
  }
  auto describe = [&holders] {
    std::string s;
    for (zab::ServerId id : holders) s += (s.empty() ? "" : ",") + std::to_string(id);
    return s;
  };
  const zab::QuorumConfig& old = ConfigBelow(zxid);
  if (!old.IsQuorum(holders)) {
    Fail("joint quorum: " + N(node) + " committed " + Hex(zxid) + " held durably by {" +
         describe() + "} only, no quorum of the membership in force (" + old.Describe() + ")");
  }
  if (is_config && !next.IsQuorum(holders)) {
    Fail("joint quorum: " + N(node) + " committed config txn " + Hex(zxid) + " held durably by {" +
         describe() + "} only, no quorum of the new membership (" + next.Describe() + ")");
  }
}

void Checker::OnMembership(zab::ServerId node, const zab::QuorumConfig& committed,
                           const zab::QuorumConfig* pending) {
  if (committed.version == 0) {
    if (!committed.SameMembers(static_config_)) {
      Fail("membership: " + N(node) + " holds " + committed.Describe() +
           " as the static membership, which is " + static_config_.Describe());
    }
  } else {
    auto it = config_txns_.find(committed.version);
    if (it == config_txns_.end()) {
      // A leader that establishes and, removed by its own initial history, steps down in the
      // same step is never seen serving: its history joins G with the next leader. Until then
      // the activation is a claim, checked when G gets the txn (and at the end of the run).
      claims_.emplace(committed.version, std::make_pair(node, committed));
      return;
    }
    if (!it->second.SameMembers(committed)) {
      Fail("membership: " + N(node) + " activated " + committed.Describe() +
           " where the committed config txn holds " + it->second.Describe());
    }
  }
  if (pending != nullptr) {
    auto it = config_txns_.find(pending->version);
    if (it != config_txns_.end() && !it->second.SameMembers(*pending)) {
      Fail("membership: " + N(node) + " holds " + pending->Describe() +
           " pending where the committed config txn holds " + it->second.Describe());
    }
  }
}

void Checker::CheckHoldsAcked(zab::ServerId node, const StateMachine& sm, int64_t upto) {
  for (int64_t z : acked_) {
    if (z > upto) break;
    if (z <= sm.base_zxid()) continue;
    auto it = sm.applied().find(z);
    if (it == sm.applied().end()) {
      Fail("lost ack: " + N(node) + "'s tree at " + Hex(sm.last_zxid()) +
           " lacks acknowledged write " + Hex(z));
    }
  }
}

}  // namespace zk::sim

namespace zk::sim {
void Checker::SetStaticConfig(const zab::QuorumConfig& c) {
  static_config_ = c;
}
}  // namespace zk::sim
