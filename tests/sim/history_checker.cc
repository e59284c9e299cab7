// HistoryChecker: collecting the writes, and the per-session checks (protocol, session order,
// read-your-writes, watches). The cross-session and final-tree checks are in
// history_checker_writes.cc.
#include "tests/sim/history_checker.h"

#include <cinttypes>
#include <cstdio>
#include <map>
#include <optional>
#include <utility>

#include "tests/sim/checker.h"

namespace zk::sim {

namespace {

std::string ParentOfForChecker(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return path.substr(0, slash);
}

bool IsSequentialForChecker(int32_t mode) {
  return mode == static_cast<int32_t>(CreateMode::kPersistentSequential) ||
         mode == static_cast<int32_t>(CreateMode::kEphemeralSequential) ||
         mode == static_cast<int32_t>(CreateMode::kPersistentSequentialWithTtl);
}

// What a reply shows about the node at its op's path.
struct ObservedNode {
  bool exists = false;
  int64_t czxid = 0;
  int64_t mzxid = 0;
  int64_t pzxid = 0;
};

std::optional<ObservedNode> ObserveForChecker(const OpRecord& op) {
  if (op.outcome != Outcome::kReplied) return std::nullopt;
  if (op.type != OpCode::kGetData && op.type != OpCode::kExists &&
      op.type != OpCode::kGetChildren2) {
    return std::nullopt;
  }
  if (op.err == static_cast<int32_t>(Err::kNoNode)) return ObservedNode{};
  if (op.err != 0 || !op.has_stat) return std::nullopt;
  return ObservedNode{true, op.stat.czxid, op.stat.mzxid, op.stat.pzxid};
}

// The (path, is-child-level) changes a successful write makes, for watch checks.
struct WriteEffect {
  OpCode type;
  std::string path;
};

std::vector<WriteEffect> EffectsForChecker(const OpRecord& op) {
  std::vector<WriteEffect> out;
  if (!op.ok()) return out;
  auto add = [&](OpCode type, const std::string& path, const std::string& created) {
    if (type == OpCode::kCreate2) {
      out.push_back({type, created.empty() ? path : created});
    } else if (type == OpCode::kSetData || type == OpCode::kDelete) {
      out.push_back({type, path});
    }
  };
  if (op.type == OpCode::kMulti) {
    for (const SubOp& s : op.multi) add(s.type, s.path, s.created_path);
  } else {
    add(op.type, op.path, op.created_path);
  }
  return out;
}

const char* EventNameForChecker(int32_t type) {
  switch (static_cast<EventType>(type)) {
    case EventType::kNodeCreated:
      return "NodeCreated";
    case EventType::kNodeDeleted:
      return "NodeDeleted";
    case EventType::kNodeDataChanged:
      return "NodeDataChanged";
    case EventType::kNodeChildrenChanged:
      return "NodeChildrenChanged";
    default:
      return "event";
  }
}

}  // namespace

std::string HistoryChecker::Hex(int64_t value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, static_cast<uint64_t>(value));
  return buf;
}

std::string HistoryChecker::Where(size_t history, const OpRecord& op) const {
  return "session " + Hex(op.session_id) + " (client " +
         std::to_string(histories_[history].client_id) + ") op " + DescribeOp(op);
}

std::string HistoryChecker::Where(const Write& w) const {
  if (w.history == kServerHistory) return "the reaper's deleteContainer " + w.path;
  const OpRecord& op = histories_[w.history].ops[w.op];
  std::string out = Where(w.history, op);
  if (w.sub >= 0) out += " (its op " + std::to_string(w.sub + 1) + ": " + w.path + ")";
  return out;
}

HistoryChecker::HistoryChecker(std::vector<ClientHistory> histories,
                               const std::set<int64_t>& dead_sessions,
                               const ServerDeletes& server_deletes)
    : histories_(std::move(histories)) {
  CollectWrites(server_deletes);
  for (int64_t s : dead_sessions) {
    if (!closed_at_known_zxid_.contains(s)) died_unseen_.insert(s);
  }
}

void HistoryChecker::CollectWrites(const ServerDeletes& server_deletes) {
  for (size_t hi = 0; hi < histories_.size(); ++hi) {
    const ClientHistory& h = histories_[hi];
    for (size_t oi = 0; oi < h.ops.size(); ++oi) {
      const OpRecord& op = h.ops[oi];
      const bool known = op.ok();
      const bool unknown = op.outcome != Outcome::kReplied;
      if (!known && !unknown) continue;
      auto add = [&](int sub, OpCode type, const std::string& path, const std::string& created,
                     int32_t version, int32_t mode, const proto::Stat* stat,
                     const std::string& data) {
        Write w;
        w.history = hi;
        w.op = oi;
        w.sub = sub;
        w.type = type;
        w.path = known && !created.empty() ? created : path;
        w.version = version;
        w.create_mode = mode;
        w.zxid = known ? op.zxid : 0;
        w.session = op.session_id;
        w.stat = stat;
        w.data = data;
        if (unknown) {
          if (type == OpCode::kCreate2 && IsSequentialForChecker(mode)) {
            uncertain_prefixes_.push_back(path);
          } else if (type != OpCode::kCheck) {
            uncertain_paths_.insert(path);
          }
        }
        (known ? acked_ : unknown_).push_back(std::move(w));
      };
      switch (op.type) {
        case OpCode::kCreate2:
        case OpCode::kSetData:
        case OpCode::kDelete:
          add(-1, op.type, op.path, op.created_path, op.version, op.create_mode,
              op.has_stat ? &op.stat : nullptr, op.data);
          break;
        case OpCode::kMulti:
          for (size_t i = 0; i < op.multi.size(); ++i) {
            const SubOp& s = op.multi[i];
            add(static_cast<int>(i), s.type, s.path, s.created_path, s.version, s.create_mode,
                s.has_stat ? &s.stat : nullptr, s.data);
          }
          break;
        case OpCode::kCloseSession:
          if (known) {
            closed_at_known_zxid_.insert(op.session_id);
          } else {
            died_unseen_.insert(op.session_id);
          }
          add(-1, op.type, "", "", kAnyVersion, 0, nullptr, "");
          break;
        default:
          break;
      }
    }
    for (const Step& s : h.steps) {
      if (s.kind == StepKind::kExpired && h.session_id != 0) died_unseen_.insert(h.session_id);
    }
  }
  for (const auto& [path, zxid] : server_deletes.committed) {
    Write w;
    w.history = kServerHistory;
    w.type = OpCode::kDelete;
    w.path = path;
    w.zxid = zxid;
    reaped_.push_back(std::move(w));
  }
  for (const Write& w : acked_) acked_by_path_[w.path].push_back(&w);
  for (const Write& w : reaped_) acked_by_path_[w.path].push_back(&w);
  for (const Write& w : unknown_) {
    if (w.type == OpCode::kDelete) unknown_deletes_.insert(w.path);
  }
  for (const std::string& path : server_deletes.maybe) {
    unknown_deletes_.insert(path);
    uncertain_paths_.insert(path);
  }
}

const std::vector<const HistoryChecker::Write*>& HistoryChecker::AckedOf(
    const std::string& path) const {
  static const std::vector<const Write*> kNone;
  auto it = acked_by_path_.find(path);
  return it == acked_by_path_.end() ? kNone : it->second;
}

bool HistoryChecker::Uncertain(const std::string& path) const {
  if (uncertain_paths_.contains(path)) return true;
  for (const std::string& prefix : uncertain_prefixes_) {
    if (path.size() == prefix.size() + 10 && path.starts_with(prefix)) return true;
  }
  return false;
}

bool HistoryChecker::OwnerMayHaveDied(int64_t session, const std::set<int64_t>& dead) const {
  if (session == 0 || closed_at_known_zxid_.contains(session)) return false;
  return died_unseen_.contains(session) || dead.contains(session);
}

bool HistoryChecker::WrittenLater(const std::string& path, int64_t zxid, bool deletes_only,
                                  int sub) const {
  for (const Write* w : AckedOf(path)) {
    // Zxids are distinct per op (CheckWriteOrder), so an equal zxid is the same multi.
    if (w->zxid < zxid || (w->zxid == zxid && w->sub <= sub)) continue;
    if (w->type == OpCode::kDelete) return true;
    if (!deletes_only && (w->type == OpCode::kCreate2 || w->type == OpCode::kSetData)) return true;
  }
  if (unknown_deletes_.contains(path)) return true;
  return !deletes_only && Uncertain(path);
}

bool HistoryChecker::MayVanish(const std::string& path, int64_t zxid, int sub) const {
  if (WrittenLater(path, zxid, true, sub)) return true;
  for (const Write* w : AckedOf(path)) {
    if (w->type != OpCode::kCreate2) continue;
    int64_t owner = w->create_mode == static_cast<int32_t>(CreateMode::kEphemeral) ||
                            w->create_mode == static_cast<int32_t>(CreateMode::kEphemeralSequential)
                        ? w->session
                        : 0;
    if (owner != 0 && (OwnerMayHaveDied(owner, {}) || closed_at_known_zxid_.contains(owner))) {
      return true;
    }
  }
  // An ephemeral create with an unknown outcome may have made `path` an ephemeral of a session
  // that died later.
  for (const Write& w : unknown_) {
    if (w.type != OpCode::kCreate2 ||
        (w.create_mode != static_cast<int32_t>(CreateMode::kEphemeral) &&
         w.create_mode != static_cast<int32_t>(CreateMode::kEphemeralSequential))) {
      continue;
    }
    const bool names_it = w.path == path || (IsSequentialForChecker(w.create_mode) &&
                                             path.size() == w.path.size() + 10 &&
                                             path.starts_with(w.path));
    if (names_it && (OwnerMayHaveDied(w.session, {}) || closed_at_known_zxid_.contains(w.session))) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> HistoryChecker::CheckProtocol() const {
  std::vector<std::string> out;
  for (const ClientHistory& h : histories_) {
    for (const std::string& e : h.protocol_errors) {
      out.push_back("[protocol] session " + Hex(h.session_id) + " (client " +
                    std::to_string(h.client_id) + "): " + e);
    }
  }
  return out;
}

std::vector<std::string> HistoryChecker::CheckSessionOrder() const {
  std::vector<std::string> out;
  for (size_t hi = 0; hi < histories_.size(); ++hi) {
    const ClientHistory& h = histories_[hi];
    int64_t seen = 0;
    std::string seen_at = "nothing";
    for (const Step& s : h.steps) {
      int64_t zxid = 0;
      std::string what;
      if (s.kind == StepKind::kOutcome && h.ops[s.op].outcome == Outcome::kReplied) {
        zxid = h.ops[s.op].zxid;
        what = Where(hi, h.ops[s.op]);
      } else if (s.kind == StepKind::kEvent) {
        const WatchEventRecord& ev = h.events[s.event];
        zxid = ev.zxid;
        what = "session " + Hex(h.session_id) + " (client " + std::to_string(h.client_id) +
               ") event " + EventNameForChecker(ev.type) + " " + ev.path;
      }
      if (zxid <= 0) continue;
      if (zxid < seen) {
        out.push_back("[session-order] " + what + ": zxid " + Hex(zxid) + " after zxid " +
                      Hex(seen) + " seen by " + seen_at + " (the session saw the tree go back)");
        continue;
      }
      seen = zxid;
      seen_at = what;
    }
  }
  return out;
}

std::vector<std::string> HistoryChecker::CheckReadYourWrites() const {
  std::vector<std::string> out;
  struct OwnWrite {
    OpCode type;
    int64_t zxid;
    size_t op;
  };
  for (size_t hi = 0; hi < histories_.size(); ++hi) {
    const ClientHistory& h = histories_[hi];
    std::map<std::string, OwnWrite> own_node;   // the session's last write of the path
    std::map<std::string, OwnWrite> own_child;  // its last create/delete of a child of the path
    for (const Step& s : h.steps) {
      if (s.kind != StepKind::kOutcome) continue;
      const OpRecord& op = h.ops[s.op];
      for (const WriteEffect& e : EffectsForChecker(op)) {
        own_node[e.path] = OwnWrite{e.type, op.zxid, s.op};
        if (e.type != OpCode::kSetData) {
          own_child[ParentOfForChecker(e.path)] = OwnWrite{e.type, op.zxid, s.op};
        }
      }
      std::optional<ObservedNode> seen = ObserveForChecker(op);
      if (!seen) continue;
      if (auto it = own_node.find(op.path); it != own_node.end()) {
        const OwnWrite& w = it->second;
        const std::string by = DescribeOp(h.ops[w.op]) + " succeeded at zxid " + Hex(w.zxid);
        if (w.type == OpCode::kDelete) {
          if (seen->exists && seen->czxid <= w.zxid) {
            out.push_back("[read-your-writes] " + Where(hi, op) + " found the node (czxid " +
                          Hex(seen->czxid) + ") although its own " + by);
          }
        } else if (!seen->exists) {
          if (!MayVanish(op.path, w.zxid)) {
            out.push_back("[read-your-writes] " + Where(hi, op) +
                          " found no node although its own " + by + " and nothing deleted it");
          }
        } else if (seen->mzxid < w.zxid) {
          out.push_back("[read-your-writes] " + Where(hi, op) + " saw mzxid " + Hex(seen->mzxid) +
                        " although its own " + by);
        }
      }
      if (auto it = own_child.find(op.path); it != own_child.end() && seen->exists) {
        const OwnWrite& w = it->second;
        if (seen->pzxid < w.zxid) {
          out.push_back("[read-your-writes] " + Where(hi, op) + " saw pzxid " + Hex(seen->pzxid) +
                        " although its own " + DescribeOp(h.ops[w.op]) +
                        " of a child succeeded at zxid " + Hex(w.zxid));
        }
      }
    }
  }
  return out;
}

std::vector<std::string> HistoryChecker::CheckReadData() const {
  std::vector<std::string> out;
  // (path, zxid) -> the acknowledged create/setData that wrote it.
  std::map<std::pair<std::string, int64_t>, const Write*> written;
  for (const Write& w : acked_) {
    if (w.type == OpCode::kCreate2 || w.type == OpCode::kSetData) written[{w.path, w.zxid}] = &w;
  }
  for (size_t hi = 0; hi < histories_.size(); ++hi) {
    for (const OpRecord& op : histories_[hi].ops) {
      if (op.type != OpCode::kGetData || !op.ok() || !op.has_stat) continue;
      auto it = written.find({op.path, op.stat.mzxid});
      if (it == written.end() || it->second->data == op.data_read) continue;
      out.push_back("[read-data] " + Where(hi, op) + " read \"" + op.data_read + "\" at mzxid " +
                    Hex(op.stat.mzxid) + ", but " + Where(*it->second) + " wrote \"" +
                    it->second->data + "\" there");
    }
  }
  return out;
}

std::vector<std::string> HistoryChecker::CheckWatchOrder() const {
  std::vector<std::string> out;
  struct Armed {
    size_t op;
    ObservedNode seen;
  };
  for (size_t hi = 0; hi < histories_.size(); ++hi) {
    const ClientHistory& h = histories_[hi];
    std::map<std::string, Armed> data;
    std::map<std::string, Armed> child;
    auto complain = [&](const std::string& what, const std::string& path, const Armed& a,
                        const char* kind) {
      out.push_back("[watch-order] " + what + " shows " + path + " changed, but the " + kind +
                    " watch set by " + DescribeOp(h.ops[a.op]) + " (which saw mzxid " +
                    Hex(a.seen.mzxid) + ", pzxid " + Hex(a.seen.pzxid) +
                    ") had not delivered its event yet");
    };
    for (const Step& s : h.steps) {
      if (s.kind == StepKind::kExpired || s.kind == StepKind::kClosed) {
        data.clear();
        child.clear();
        continue;
      }
      if (s.kind == StepKind::kEvent) {
        const WatchEventRecord& ev = h.events[s.event];
        switch (static_cast<EventType>(ev.type)) {
          case EventType::kNodeCreated:
          case EventType::kNodeDataChanged:
            data.erase(ev.path);
            break;
          case EventType::kNodeChildrenChanged:
            child.erase(ev.path);
            break;
          case EventType::kNodeDeleted:
            data.erase(ev.path);
            child.erase(ev.path);
            break;
          default:
            break;
        }
        continue;
      }
      if (s.kind != StepKind::kOutcome) continue;
      const OpRecord& op = h.ops[s.op];
      const std::string what = Where(hi, op);
      // A violation is reported once: the watch is then dropped (its event is overdue).
      auto check = [&](std::map<std::string, Armed>& armed, const std::string& path,
                       const std::string& label, const char* kind, auto changed) {
        auto it = armed.find(path);
        if (it == armed.end() || !changed(it->second.seen)) return;
        complain(what, label, it->second, kind);
        armed.erase(it);
      };
      auto always = [](const ObservedNode&) { return true; };
      for (const WriteEffect& e : EffectsForChecker(op)) {
        check(data, e.path, e.path + " (its own write)", "data", always);
        if (e.type == OpCode::kDelete) {
          check(child, e.path, e.path + " (its own delete)", "child", always);
        }
        if (e.type != OpCode::kSetData) {
          const std::string parent = ParentOfForChecker(e.path);
          check(child, parent, parent + "'s children (its own write of " + e.path + ")", "child",
                always);
        }
      }
      std::optional<ObservedNode> seen = ObserveForChecker(op);
      if (!seen) continue;
      check(data, op.path, op.path + " (mzxid " + Hex(seen->mzxid) + ")", "data",
            [&](const ObservedNode& was) {
              return was.exists != seen->exists || (seen->exists && was.mzxid != seen->mzxid);
            });
      check(child, op.path, op.path + "'s children (pzxid " + Hex(seen->pzxid) + ")", "child",
            [&](const ObservedNode& was) { return !seen->exists || was.pzxid != seen->pzxid; });
      if (!op.watch) continue;
      if (op.type == OpCode::kGetChildren2) {
        if (seen->exists) child[op.path] = Armed{s.op, *seen};
      } else if (seen->exists || op.type == OpCode::kExists) {
        data[op.path] = Armed{s.op, *seen};
      }
    }
  }
  return out;
}

std::vector<std::string> HistoryChecker::CheckOneEventPerWatch() const {
  std::vector<std::string> out;
  for (size_t hi = 0; hi < histories_.size(); ++hi) {
    const ClientHistory& h = histories_[hi];
    std::map<std::string, size_t> data;  // path -> op that armed it
    std::map<std::string, size_t> child;
    for (const Step& s : h.steps) {
      if (s.kind == StepKind::kOutcome) {
        const OpRecord& op = h.ops[s.op];
        if (!op.watch || op.outcome != Outcome::kReplied) continue;
        const bool found = op.err == 0;
        if (op.type == OpCode::kGetChildren2 && found) {
          child[op.path] = s.op;
        } else if ((op.type == OpCode::kGetData && found) ||
                   (op.type == OpCode::kExists &&
                    (found || op.err == static_cast<int32_t>(Err::kNoNode)))) {
          data[op.path] = s.op;
        }
        continue;
      }
      if (s.kind != StepKind::kEvent) continue;
      const WatchEventRecord& ev = h.events[s.event];
      bool matched = false;
      switch (static_cast<EventType>(ev.type)) {
        case EventType::kNodeCreated:
        case EventType::kNodeDataChanged:
          matched = data.erase(ev.path) > 0;
          break;
        case EventType::kNodeChildrenChanged:
          matched = child.erase(ev.path) > 0;
          break;
        case EventType::kNodeDeleted:
          // One event may answer both kinds; but a node found gone when setWatches re-registers
          // a data and a child watch gets one NodeDeleted per kind (as ZooKeeper's setWatches
          // sends them), so an event takes the data watch first, else the child watch.
          matched = data.erase(ev.path) > 0 || child.erase(ev.path) > 0;
          break;
        default:
          matched = true;  // session state events are not watch events
          break;
      }
      if (!matched) {
        out.push_back("[one-event] session " + Hex(h.session_id) + " (client " +
                      std::to_string(h.client_id) + ") received " + EventNameForChecker(ev.type) +
                      " " + ev.path + " (event #" + std::to_string(s.event + 1) +
                      ") with no armed watch of that kind: a second event for one registration, "
                      "or an event never asked for");
      }
    }
  }
  return out;
}

std::vector<std::string> HistoryChecker::CheckAll(const server::DataTree* tree,
                                                  const std::set<int64_t>& dead_sessions) const {
  std::vector<std::string> out;
  auto append = [&](std::vector<std::string> v) {
    for (std::string& s : v) out.push_back(std::move(s));
  };
  append(CheckProtocol());
  append(CheckSessionOrder());
  append(CheckReadYourWrites());
  append(CheckReadData());
  append(CheckWatchOrder());
  append(CheckOneEventPerWatch());
  append(CheckWriteOrder());
  append(CheckSequentialNumbers());
  if (tree != nullptr) {
    append(CheckEphemerals(*tree, dead_sessions));
    append(CheckAckedWritesDurable(*tree, dead_sessions));
  }
  return out;
}

void HistoryChecker::ThrowIfAny(const std::vector<std::string>& violations) {
  if (violations.empty()) return;
  std::string msg = std::to_string(violations.size()) + " client-history violation(s):";
  for (const std::string& v : violations) msg += "\n  " + v;
  throw SimFailure(msg);
}

}  // namespace zk::sim
