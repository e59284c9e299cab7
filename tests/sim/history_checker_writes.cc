// HistoryChecker: the cross-session checks of writes (distinct zxids and a model replay in zxid
// order, sequence numbers) and the final-tree checks (ephemerals, acknowledged writes).
#include <algorithm>
#include <map>
#include <tuple>

#include "tests/sim/history_checker.h"

namespace zk::sim {

namespace {

std::string ParentOfForWriteChecks(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return path.substr(0, slash);
}

bool IsEphemeralModeForWriteChecks(int32_t mode) {
  return mode == static_cast<int32_t>(CreateMode::kEphemeral) ||
         mode == static_cast<int32_t>(CreateMode::kEphemeralSequential);
}

bool IsSequentialModeForWriteChecks(int32_t mode) {
  return mode == static_cast<int32_t>(CreateMode::kPersistentSequential) ||
         mode == static_cast<int32_t>(CreateMode::kEphemeralSequential) ||
         mode == static_cast<int32_t>(CreateMode::kPersistentSequentialWithTtl);
}

// The node as the replay believes it is.
struct ModelNodeForWriteChecks {
  int32_t version = 0;
  int64_t owner = 0;  // ephemeral owner, 0 for persistent
  int64_t czxid = 0;
  int64_t mzxid = 0;
};

}  // namespace

std::vector<std::string> HistoryChecker::CheckWriteOrder() const {
  std::vector<std::string> out;
  // Distinct zxids: one (session op) per zxid.
  std::map<int64_t, const Write*> owner_of_zxid;
  for (const Write& w : acked_) {
    auto [it, fresh] = owner_of_zxid.try_emplace(w.zxid, &w);
    if (!fresh && (it->second->history != w.history || it->second->op != w.op)) {
      out.push_back("[write-order] zxid " + Hex(w.zxid) +
                    " acknowledged to two writes: " + Where(*it->second) + " and " + Where(w));
    }
  }
  for (const Write& w : reaped_) {
    if (auto it = owner_of_zxid.find(w.zxid); it != owner_of_zxid.end()) {
      out.push_back("[write-order] zxid " + Hex(w.zxid) + " acknowledged to " +
                    Where(*it->second) + " is " + Where(w));
    }
  }

  std::vector<const Write*> order;
  for (const Write& w : acked_) order.push_back(&w);
  for (const Write& w : reaped_) order.push_back(&w);
  std::stable_sort(order.begin(), order.end(), [](const Write* a, const Write* b) {
    return std::tie(a->zxid, a->history, a->op, a->sub) <
           std::tie(b->zxid, b->history, b->op, b->sub);
  });

  std::map<std::string, ModelNodeForWriteChecks> model;
  const std::set<int64_t> none;
  auto uncertain_node = [&](const std::string& path) {
    if (Uncertain(path)) return true;
    auto it = model.find(path);
    return it != model.end() && OwnerMayHaveDied(it->second.owner, none);
  };
  auto fail = [&](const Write& w, const std::string& what) {
    out.push_back("[write-order] " + Where(w) + " succeeded at zxid " + Hex(w.zxid) + " but " +
                  what);
  };
  for (const Write* wp : order) {
    const Write& w = *wp;
    switch (w.type) {
      case OpCode::kCreate2: {
        const std::string parent = ParentOfForWriteChecks(w.path);
        if (parent != "/" && !model.contains(parent) && !Uncertain(parent)) {
          fail(w, "its parent " + parent + " did not exist then");
        }
        if (auto it = model.find(w.path); it != model.end() && !uncertain_node(w.path)) {
          fail(w, w.path + " already existed (created at zxid " + Hex(it->second.czxid) + ")");
        }
        if (w.stat != nullptr &&
            (w.stat->czxid != w.zxid || w.stat->mzxid != w.zxid || w.stat->version != 0)) {
          fail(w, "its Stat says czxid " + Hex(w.stat->czxid) + ", mzxid " + Hex(w.stat->mzxid) +
                      ", version " + std::to_string(w.stat->version));
        }
        model[w.path] = ModelNodeForWriteChecks{
            0, IsEphemeralModeForWriteChecks(w.create_mode) ? w.session : 0, w.zxid, w.zxid};
        break;
      }
      case OpCode::kSetData:
      case OpCode::kCheck: {
        auto it = model.find(w.path);
        const bool lenient = uncertain_node(w.path);
        if (it == model.end()) {
          if (!lenient) fail(w, w.path + " did not exist then");
          if (w.type == OpCode::kCheck || w.stat == nullptr) break;
          it = model
                   .emplace(w.path, ModelNodeForWriteChecks{w.stat->version, 0, w.stat->czxid,
                                                            w.stat->mzxid})
                   .first;
        } else if (w.version != kAnyVersion && w.version != it->second.version && !lenient) {
          fail(w, "it asked for version " + std::to_string(w.version) + " and " + w.path +
                      " had version " + std::to_string(it->second.version) + " (last set at zxid " +
                      Hex(it->second.mzxid) + ")");
        }
        if (w.type == OpCode::kCheck || w.stat == nullptr) break;
        if (w.stat->version != it->second.version + 1 && !lenient) {
          fail(w, "it returned version " + std::to_string(w.stat->version) + " where " +
                      std::to_string(it->second.version + 1) + " follows version " +
                      std::to_string(it->second.version) + " set at zxid " + Hex(it->second.mzxid));
        }
        if (w.stat->mzxid != w.zxid) fail(w, "its Stat says mzxid " + Hex(w.stat->mzxid));
        it->second.version = w.stat->version;
        it->second.mzxid = w.zxid;
        break;
      }
      case OpCode::kDelete: {
        auto it = model.find(w.path);
        const bool lenient = uncertain_node(w.path);
        if (it == model.end()) {
          if (!lenient) fail(w, w.path + " did not exist then");
        } else if (w.version != kAnyVersion && w.version != it->second.version && !lenient) {
          fail(w, "it asked for version " + std::to_string(w.version) + " and " + w.path +
                      " had version " + std::to_string(it->second.version));
        }
        if (it != model.end()) model.erase(it);
        // Children left behind: only nodes that may have vanished unseen may be missing now.
        const std::string prefix = w.path + "/";
        for (auto c = model.lower_bound(prefix);
             c != model.end() && c->first.starts_with(prefix);) {
          if (c->first.find('/', prefix.size()) == std::string::npos && !uncertain_node(c->first)) {
            fail(w, w.path + " still had child " + c->first + " (created at zxid " +
                        Hex(c->second.czxid) + ")");
          }
          c = model.erase(c);
        }
        break;
      }
      case OpCode::kCloseSession:
        for (auto it = model.begin(); it != model.end();) {
          it = it->second.owner == w.session ? model.erase(it) : std::next(it);
        }
        break;
      default:
        break;
    }
  }
  return out;
}

std::vector<std::string> HistoryChecker::CheckSequentialNumbers() const {
  std::vector<std::string> out;
  // Deletes of a parent restart its counter; a parent whose delete may have happened unseen is
  // not checked.
  std::map<std::string, std::vector<int64_t>> parent_deletes;
  for (const Write& w : acked_) {
    if (w.type == OpCode::kDelete) parent_deletes[w.path].push_back(w.zxid);
  }
  for (const Write& w : reaped_) parent_deletes[w.path].push_back(w.zxid);
  std::set<std::string> skip = unknown_deletes_;  // client deletes and reaper deletes
  // (parent, incarnation) -> (zxid, sequence number, write)
  std::map<std::pair<std::string, size_t>, std::vector<std::tuple<int64_t, int64_t, const Write*>>>
      groups;
  for (const Write& w : acked_) {
    if (w.type != OpCode::kCreate2 || !IsSequentialModeForWriteChecks(w.create_mode)) continue;
    const std::string parent = ParentOfForWriteChecks(w.path);
    if (skip.contains(parent)) continue;
    const std::string name = w.path.substr(w.path.rfind('/') + 1);
    if (name.size() < 10 ||
        !std::all_of(name.end() - 10, name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      out.push_back("[sequential] " + Where(w) + " created " + w.path +
                    ", which has no 10-digit sequence suffix");
      continue;
    }
    int64_t seq = std::stoll(name.substr(name.size() - 10));
    size_t incarnation = 0;
    for (int64_t z : parent_deletes[parent]) incarnation += z < w.zxid ? 1 : 0;
    groups[{parent, incarnation}].emplace_back(w.zxid, seq, &w);
  }
  for (auto& [key, creates] : groups) {
    // In zxid order, and a multi's creates in their order within it.
    std::sort(creates.begin(), creates.end(), [](const auto& a, const auto& b) {
      return std::make_pair(std::get<0>(a), std::get<2>(a)->sub) <
             std::make_pair(std::get<0>(b), std::get<2>(b)->sub);
    });
    std::map<int64_t, const Write*> by_number;
    for (size_t i = 0; i < creates.size(); ++i) {
      const auto& [zxid, seq, w] = creates[i];
      auto [it, fresh] = by_number.try_emplace(seq, w);
      if (!fresh) {
        out.push_back("[sequential] sequence number " + std::to_string(seq) + " under " +
                      key.first + " repeated: " + it->second->path + " by " + Where(*it->second) +
                      " at zxid " + Hex(it->second->zxid) + " and " + w->path + " by " + Where(*w) +
                      " at zxid " + Hex(zxid));
      } else if (i > 0 && seq < std::get<1>(creates[i - 1])) {
        out.push_back("[sequential] sequence number " + std::to_string(seq) + " of " + w->path +
                      " at zxid " + Hex(zxid) + " is below " +
                      std::to_string(std::get<1>(creates[i - 1])) + " created earlier under " +
                      key.first);
      }
    }
  }
  return out;
}

std::set<int64_t> HistoryChecker::DeadSessions(const std::set<int64_t>& given) const {
  std::set<int64_t> dead = given;
  for (const ClientHistory& h : histories_) {
    for (const Step& s : h.steps) {
      if ((s.kind == StepKind::kExpired || s.kind == StepKind::kClosed) && h.session_id != 0) {
        dead.insert(h.session_id);
      }
    }
  }
  return dead;
}

std::vector<std::string> HistoryChecker::CheckEphemerals(
    const server::DataTree& tree, const std::set<int64_t>& dead_sessions) const {
  std::vector<std::string> out;
  const std::set<int64_t> dead = DeadSessions(dead_sessions);
  std::vector<std::pair<int64_t, std::string>> leftovers;
  for (const auto& [owner, paths] : tree.AllEphemerals()) {
    if (!dead.contains(owner)) continue;
    for (const std::string& p : paths) leftovers.emplace_back(owner, p);
  }
  std::sort(leftovers.begin(), leftovers.end());
  for (const auto& [owner, path] : leftovers) {
    out.push_back("[ephemerals] " + path + " is still in the final tree (zxid " +
                  Hex(tree.last_zxid()) + "), owned by session " + Hex(owner) +
                  ", which is closed or expired");
  }
  for (const Write& w : acked_) {
    if (w.type != OpCode::kCreate2 || !IsEphemeralModeForWriteChecks(w.create_mode)) continue;
    if (dead.contains(w.session) || WrittenLater(w.path, w.zxid, true, w.sub)) continue;
    const server::DataTree::Node* n = tree.Find(w.path);
    if (n == nullptr) {
      out.push_back("[ephemerals] " + w.path + ", created by " + Where(w) + " at zxid " +
                    Hex(w.zxid) +
                    " for a live session and never deleted, is missing from the "
                    "final tree (zxid " +
                    Hex(tree.last_zxid()) + ")");
    } else if (tree.StatOf(*n).ephemeral_owner != w.session) {
      out.push_back("[ephemerals] " + w.path + ", created by " + Where(w) + " at zxid " +
                    Hex(w.zxid) + ", is owned by " + Hex(tree.StatOf(*n).ephemeral_owner) +
                    " in the final tree");
    }
  }
  return out;
}

std::vector<std::string> HistoryChecker::CheckAckedWritesDurable(
    const server::DataTree& tree, const std::set<int64_t>& dead_sessions) const {
  std::vector<std::string> out;
  const std::set<int64_t> dead = DeadSessions(dead_sessions);
  const int64_t last = tree.last_zxid();
  std::set<std::pair<size_t, size_t>> reported;  // one message per op for the zxid bound
  for (const Write& w : acked_) {
    if (w.zxid > last && reported.insert({w.history, w.op}).second) {
      out.push_back("[acked-durable] " + Where(w) + " was acknowledged at zxid " + Hex(w.zxid) +
                    " but the final tree ends at zxid " + Hex(last));
      continue;
    }
    if (w.type == OpCode::kCreate2) {
      const bool ephemeral = IsEphemeralModeForWriteChecks(w.create_mode);
      if (WrittenLater(w.path, w.zxid, true, w.sub)) continue;
      if (ephemeral && (dead.contains(w.session) || closed_at_known_zxid_.contains(w.session))) {
        continue;  // gone with its session (the ephemerals check covers leftovers)
      }
      const server::DataTree::Node* n = tree.Find(w.path);
      if (n == nullptr) {
        out.push_back("[acked-durable] " + w.path + ", created by " + Where(w) + " at zxid " +
                      Hex(w.zxid) + " and never deleted, is missing from the final tree");
      } else if (tree.StatOf(*n).czxid != w.zxid) {
        out.push_back("[acked-durable] " + w.path + ", created by " + Where(w) + " at zxid " +
                      Hex(w.zxid) + ", has czxid " + Hex(tree.StatOf(*n).czxid) +
                      " in the final tree");
      }
    } else if (w.type == OpCode::kSetData) {
      if (WrittenLater(w.path, w.zxid, false, w.sub) || MayVanish(w.path, w.zxid, w.sub)) continue;
      const server::DataTree::Node* n = tree.Find(w.path);
      if (n != nullptr && tree.StatOf(*n).mzxid == w.zxid) continue;
      // A node that may be an ephemeral of a dead session can be gone.
      if (n == nullptr) {
        bool may_be_gone = false;
        for (const Write* c : AckedOf(w.path)) {
          may_be_gone |= c->type == OpCode::kCreate2 &&
                         IsEphemeralModeForWriteChecks(c->create_mode) && dead.contains(c->session);
        }
        if (may_be_gone) continue;
      }
      out.push_back(
          "[acked-durable] " + Where(w) + " set " + w.path + " at zxid " + Hex(w.zxid) +
          " and nothing wrote it later, but the final tree has " +
          (n == nullptr ? std::string("no such node") : "mzxid " + Hex(tree.StatOf(*n).mzxid)));
    }
  }
  return out;
}

}  // namespace zk::sim
