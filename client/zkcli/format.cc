#include "client/zkcli/format.h"

#include <cstdio>
#include <ctime>

namespace zk::zkcli {

std::string Hex(int64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx",
                static_cast<unsigned long long>(static_cast<uint64_t>(v)));
  return buf;
}

std::string JavaDate(int64_t epoch_ms) {
  time_t secs = static_cast<time_t>(epoch_ms / 1000);
  if (epoch_ms < 0 && epoch_ms % 1000 != 0) --secs;
  struct tm tm;
  localtime_r(&secs, &tm);
  char buf[64];
  if (std::strftime(buf, sizeof buf, "%a %b %d %H:%M:%S %Z %Y", &tm) == 0) return "?";
  return buf;
}

std::string FormatStat(const proto::Stat& s) {
  std::string out;
  auto line = [&](std::string_view name, const std::string& value) {
    out.append(name).append(" = ").append(value).append("\n");
  };
  line("cZxid", Hex(s.czxid));
  line("ctime", JavaDate(s.ctime));
  line("mZxid", Hex(s.mzxid));
  line("mtime", JavaDate(s.mtime));
  line("pZxid", Hex(s.pzxid));
  line("cversion", std::to_string(s.cversion));
  line("dataVersion", std::to_string(s.version));
  line("aclVersion", std::to_string(s.aversion));
  line("ephemeralOwner", Hex(s.ephemeral_owner));
  line("dataLength", std::to_string(s.data_length));
  line("numChildren", std::to_string(s.num_children));
  return out;
}

Json StatJson(const proto::Stat& s) {
  return Json{{"cZxid", s.czxid},
              {"ctime", s.ctime},
              {"mZxid", s.mzxid},
              {"mtime", s.mtime},
              {"pZxid", s.pzxid},
              {"cversion", s.cversion},
              {"dataVersion", s.version},
              {"aclVersion", s.aversion},
              {"ephemeralOwner", s.ephemeral_owner},
              {"dataLength", s.data_length},
              {"numChildren", s.num_children}};
}

std::string FormatList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    out += items[i];
  }
  return out + "]";
}

int32_t PermBit(char letter) {
  switch (letter) {
    case 'r':
      return perms::kRead;
    case 'w':
      return perms::kWrite;
    case 'c':
      return perms::kCreate;
    case 'd':
      return perms::kDelete;
    case 'a':
      return perms::kAdmin;
    default:
      return 0;
  }
}

std::string PermString(int32_t perms) {
  std::string s;
  if (perms & perms::kCreate) s += 'c';
  if (perms & perms::kDelete) s += 'd';
  if (perms & perms::kRead) s += 'r';
  if (perms & perms::kWrite) s += 'w';
  if (perms & perms::kAdmin) s += 'a';
  return s;
}

std::string FormatAcl(const std::vector<proto::Acl>& acl) {
  std::string out;
  for (const auto& a : acl) {
    out += "'" + a.id.scheme + ",'" + a.id.id + "\n: " + PermString(a.perms) + "\n";
  }
  return out;
}

Json AclJson(const std::vector<proto::Acl>& acl) {
  Json arr = Json::array();
  for (const auto& a : acl) {
    arr.push_back(Json{{"scheme", a.id.scheme}, {"id", a.id.id}, {"perms", PermString(a.perms)}});
  }
  return arr;
}

std::vector<proto::Acl> ParseAcl(std::string_view text, std::vector<std::string>* warnings) {
  std::vector<proto::Acl> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view entry = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    size_t first = entry.find(':');
    size_t last = entry.rfind(':');
    if (first == std::string_view::npos || first == last) {
      if (warnings)
        warnings->push_back(std::string(entry) + " does not have the form scheme:id:perm");
    } else {
      proto::Acl a;
      a.id.scheme = std::string(entry.substr(0, first));
      a.id.id = std::string(entry.substr(first + 1, last - first - 1));
      for (char c : entry.substr(last + 1)) {
        int32_t bit = PermBit(c);
        if (bit == 0 && warnings) warnings->push_back(std::string("Unknown perm type: ") + c);
        a.perms |= bit;
      }
      out.push_back(std::move(a));
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kNone:
      return "None";
    case EventType::kNodeCreated:
      return "NodeCreated";
    case EventType::kNodeDeleted:
      return "NodeDeleted";
    case EventType::kNodeDataChanged:
      return "NodeDataChanged";
    case EventType::kNodeChildrenChanged:
      return "NodeChildrenChanged";
    case EventType::kDataWatchRemoved:
      return "DataWatchRemoved";
    case EventType::kChildWatchRemoved:
      return "ChildWatchRemoved";
    case EventType::kPersistentWatchRemoved:
      return "PersistentWatchRemoved";
  }
  return "Unknown";
}

std::string_view KeeperStateName(KeeperState state) {
  switch (state) {
    case KeeperState::kDisconnected:
      return "Disconnected";
    case KeeperState::kSyncConnected:
      return "SyncConnected";
    case KeeperState::kAuthFailed:
      return "AuthFailed";
    case KeeperState::kConnectedReadOnly:
      return "ConnectedReadOnly";
    case KeeperState::kSaslAuthenticated:
      return "SaslAuthenticated";
    case KeeperState::kExpired:
      return "Expired";
    case KeeperState::kClosed:
      return "Closed";
  }
  return "Unknown";
}

std::string FormatEvent(const client::WatchEvent& e) {
  return "WatchedEvent state:" + std::string(KeeperStateName(e.state)) +
         " type:" + std::string(EventTypeName(e.type)) +
         " path:" + (e.path.empty() ? std::string("null") : e.path);
}

Json EventJson(const client::WatchEvent& e) {
  return Json{{"type", EventTypeName(e.type)},
              {"state", KeeperStateName(e.state)},
              {"path", e.path.empty() ? Json(nullptr) : Json(e.path)}};
}

std::string ErrorMessage(Err err, std::string_view path) {
  std::string p(path);
  switch (err) {
    case Err::kNoNode:
      return "Node does not exist: " + p;
    case Err::kNoChildrenForEphemerals:
      return "Ephemerals cannot have children: " + p;
    case Err::kNodeExists:
      return "Node already exists: " + p;
    case Err::kNotEmpty:
      return "Node not empty: " + p;
    case Err::kNotReadOnly:
      return "Not a read-only call: " + p;
    case Err::kInvalidAcl:
      return "Acl is not valid : " + p;
    case Err::kNoAuth:
      return "Insufficient permission : " + p;
    case Err::kBadArguments:
      return "Arguments are not valid : " + p;
    case Err::kBadVersion:
      return "version No is not valid : " + p;
    case Err::kQuotaExceeded:
      return "Quota has exceeded : " + p;
    case Err::kNoWatcher:
      return "KeeperErrorCode = No such watcher for " + p;
    case Err::kUnimplemented:
      return "Not supported by the server (KeeperErrorCode = Unimplemented) for " + p;
    case Err::kConnectionLoss:
      return "Connection lost before the server answered (the operation may or may not have "
             "been applied): " +
             p;
    case Err::kSessionExpired:
      return "Session expired: the server has ended this session; use 'connect' to start a "
             "new one";
    case Err::kRequestTimeout:
    case Err::kOperationTimeout:
      return "Not connected: no answer from the server in time (is it running?)";
    case Err::kClosing:
      return "Not connected: the session is closed; use 'connect'";
    case Err::kAuthFailed:
      return "Authentication failed: the server rejected the credentials and closed the "
             "session; use 'connect'";
    case Err::kEphemeralOnLocalSession:
      return "Unable to create ephemeral node on a local session: " + p;
    case Err::kThrottledOp:
      return "The server is overloaded (KeeperErrorCode = ThrottledOp) for " + p;
    default:
      return "KeeperErrorCode = " + std::string(ErrName(err)) + " for " + p;
  }
}

int ExitCodeFor(Err err) {
  switch (err) {
    case Err::kConnectionLoss:
    case Err::kSessionExpired:
    case Err::kRequestTimeout:
    case Err::kOperationTimeout:
    case Err::kClosing:
    case Err::kAuthFailed:
      return 3;
    default:
      return 1;
  }
}

Json StatsTrackJson(const StatsTrack& track) {
  Json j = Json{{"count", track.Get("count")}, {"bytes", track.Get("bytes")}};
  for (const auto& [k, v] : track.values()) {
    if (k != "count" && k != "bytes") j[k] = v;
  }
  return j;
}

std::string ParentPath(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string ChildPath(std::string_view parent, std::string_view name) {
  std::string out(parent);
  if (out.empty() || out.back() != '/') out += '/';
  return out.append(name);
}

}  // namespace zk::zkcli

namespace zk::zkcli {

std::string PathError(std::string_view path, bool sequential) {
  if (path.empty()) return "Path length must be > 0";
  if (path[0] != '/') return "Path must start with / character";
  if (path.size() == 1) return "";
  if (path.back() == '/' && !sequential) return "Path must not end with / character";
  for (size_t i = 1; i < path.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(path[i]);
    std::string at = " @" + std::to_string(i);
    if (c == 0) return "null character not allowed" + at;
    if (c == '/' && path[i - 1] == '/') return "empty node name specified" + at;
    if (c == '.' && path[i - 1] == '/' &&
        (i + 1 == path.size() || path[i + 1] == '/' ||
         (path[i + 1] == '.' && (i + 2 == path.size() || path[i + 2] == '/')))) {
      return "relative paths not allowed" + at;
    }
    if (c < 0x20 || c == 0x7f) return "invalid character" + at;
  }
  return "";
}

}  // namespace zk::zkcli
