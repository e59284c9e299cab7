#include "tests/sim/trace.h"

#include <cinttypes>
#include <cstdio>

#include "zab/zxid.h"

namespace zk::sim {

std::string Hex(int64_t zxid) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%" PRId64 ":%" PRId64, zab::ZxidEpoch(zxid),
                zab::ZxidCounter(zxid));
  return buf;
}

namespace {

const char* StateName(zab::PeerState s) {
  switch (s) {
    case zab::PeerState::kLooking:
      return "LOOKING";
    case zab::PeerState::kFollowing:
      return "FOLLOWING";
    case zab::PeerState::kLeading:
      return "LEADING";
    case zab::PeerState::kObserving:
      return "OBSERVING";
  }
  return "?";
}

const char* ModeName(zab::SyncMode m) {
  switch (m) {
    case zab::SyncMode::kDiff:
      return "DIFF";
    case zab::SyncMode::kTrunc:
      return "TRUNC";
    case zab::SyncMode::kSnap:
      return "SNAP";
  }
  return "?";
}

std::string Join(std::initializer_list<std::string> parts) {
  std::string out;
  for (const std::string& p : parts) out += p;
  return out;
}

}  // namespace

std::string Describe(const zab::Message& m) {
  using namespace zab;
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Notification>) {
          return Join({"NOTIFICATION vote=(leader ", std::to_string(x.vote.leader), ", zxid ",
                       Hex(x.vote.zxid), ", epoch ", std::to_string(x.vote.epoch), ") round ",
                       std::to_string(x.round), " ", StateName(x.state)});
        } else if constexpr (std::is_same_v<T, LearnerInfo>) {
          return Join({x.observer ? "OBSERVERINFO" : "FOLLOWERINFO", " accepted_epoch ",
                       std::to_string(x.accepted_epoch), " last ", Hex(x.last_zxid)});
        } else if constexpr (std::is_same_v<T, LeaderInfo>) {
          return "LEADERINFO epoch " + std::to_string(x.epoch);
        } else if constexpr (std::is_same_v<T, AckEpoch>) {
          return Join({"ACKEPOCH current_epoch ", std::to_string(x.current_epoch), " last ",
                       Hex(x.last_zxid)});
        } else if constexpr (std::is_same_v<T, SyncStart>) {
          return Join({ModeName(x.mode), " ", Hex(x.zxid)});
        } else if constexpr (std::is_same_v<T, Snapshot>) {
          return Join({"SNAPSHOT ", Hex(x.zxid), " (", std::to_string(x.data.size()), " bytes)"});
        } else if constexpr (std::is_same_v<T, LogRange>) {
          return Join({"LOGRANGE (", Hex(x.after), ", ", Hex(x.upto), "]"});
        } else if constexpr (std::is_same_v<T, Proposal>) {
          return "PROPOSAL " + Hex(x.zxid);
        } else if constexpr (std::is_same_v<T, Commit>) {
          return "COMMIT " + Hex(x.zxid);
        } else if constexpr (std::is_same_v<T, NewLeader>) {
          return "NEWLEADER " + Hex(x.zxid);
        } else if constexpr (std::is_same_v<T, Ack>) {
          return "ACK " + Hex(x.zxid);
        } else if constexpr (std::is_same_v<T, UpToDate>) {
          return "UPTODATE";
        } else if constexpr (std::is_same_v<T, Inform>) {
          return "INFORM " + Hex(x.zxid);
        } else if constexpr (std::is_same_v<T, Ping>) {
          return "PING " + Hex(x.zxid);
        } else {
          return "APPDATA (" + std::to_string(x.data.size()) + " bytes)";
        }
      },
      m);
}

std::string Describe(const zab::Action& a) {
  using namespace zab;
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, AppendAction>) {
          std::string s = "append seq " + std::to_string(x.seq) + " [";
          for (size_t i = 0; i < x.entries.size(); ++i) {
            if (i > 0) s += " ";
            s += Hex(x.entries[i].zxid);
          }
          return s + "]";
        } else if constexpr (std::is_same_v<T, TruncateAction>) {
          return Join({"truncate seq ", std::to_string(x.seq), " after ", Hex(x.after_zxid),
                       x.rebuild_state ? " rebuild" : ""});
        } else if constexpr (std::is_same_v<T, SaveEpochsAction>) {
          return Join({"save-epochs seq ", std::to_string(x.seq), " accepted ",
                       std::to_string(x.accepted_epoch), " current ",
                       std::to_string(x.current_epoch)});
        } else if constexpr (std::is_same_v<T, InstallSnapshotAction>) {
          return Join({"install-snapshot seq ", std::to_string(x.seq), " at ", Hex(x.zxid)});
        } else if constexpr (std::is_same_v<T, ApplyAction>) {
          return "apply " + Hex(x.entry.zxid);
        } else if constexpr (std::is_same_v<T, SendAction>) {
          return Join({"send to ", std::to_string(x.to), ": ", Describe(x.msg)});
        } else if constexpr (std::is_same_v<T, BroadcastAction>) {
          std::string to;
          for (ServerId id : x.to) to += (to.empty() ? "" : ",") + std::to_string(id);
          return Join({"send to ", to, ": ", Describe(x.msg)});
        } else if constexpr (std::is_same_v<T, DisconnectAction>) {
          return "disconnect " + std::to_string(x.peer);
        } else if constexpr (std::is_same_v<T, SaveConfigAction>) {
          return Join({"save-config seq ", std::to_string(x.seq), " ", x.config.Describe()});
        } else {
          return Join({"deliver app data from ", std::to_string(x.from)});
        }
      },
      a);
}

void Trace::Print(const std::string& line) const {
  int64_t now = clock_->now();
  std::printf("[%6" PRId64 ".%" PRId64 "] %s\n", now / kUnitsPerTick, now % kUnitsPerTick,
              line.c_str());
}

}  // namespace zk::sim
