// The ZooKeeper wire protocol's numbers: op codes, error codes, watch events, keeper states,
// create modes, permissions and reserved xids, exactly as Apache ZooKeeper 3.8/3.9 defines them.
// This is the one header that holds protocol magic numbers; everything else names them from here.
#pragma once

#include <cstdint>
#include <string_view>

namespace zk {

enum class OpCode : int32_t {
  kNotification = 0,
  kCreate = 1,
  kDelete = 2,
  kExists = 3,
  kGetData = 4,
  kSetData = 5,
  kGetAcl = 6,
  kSetAcl = 7,
  kGetChildren = 8,
  kSync = 9,
  kPing = 11,
  kGetChildren2 = 12,
  kCheck = 13,
  kMulti = 14,
  kCreate2 = 15,
  kReconfig = 16,
  kCheckWatches = 17,
  kRemoveWatches = 18,
  kCreateContainer = 19,
  kDeleteContainer = 20,
  kCreateTtl = 21,
  kMultiRead = 22,
  kAuth = 100,
  kSetWatches = 101,
  kSasl = 102,
  kGetEphemerals = 103,
  kGetAllChildrenNumber = 104,
  kSetWatches2 = 105,
  kAddWatch = 106,
  kWhoAmI = 107,
  kCreateSession = -10,
  kCloseSession = -11,
  kError = -1,
};

// ZooKeeper result codes (KeeperException.Code / the C client's ZOO_ERRORS).
enum class Err : int32_t {
  kOk = 0,
  kSystemError = -1,
  kRuntimeInconsistency = -2,
  kDataInconsistency = -3,
  kConnectionLoss = -4,
  kMarshallingError = -5,
  kUnimplemented = -6,
  kOperationTimeout = -7,
  kBadArguments = -8,
  kInvalidState = -9,
  kUnknownSession = -12,
  kNewConfigNoQuorum = -13,
  kReconfigInProgress = -14,
  kApiError = -100,
  kNoNode = -101,
  kNoAuth = -102,
  kBadVersion = -103,
  kNoChildrenForEphemerals = -108,
  kNodeExists = -110,
  kNotEmpty = -111,
  kSessionExpired = -112,
  kInvalidCallback = -113,
  kInvalidAcl = -114,
  kAuthFailed = -115,
  kClosing = -116,
  kNothing = -117,
  kSessionMoved = -118,
  kNotReadOnly = -119,
  kEphemeralOnLocalSession = -120,
  kNoWatcher = -121,
  kRequestTimeout = -122,
  kReconfigDisabled = -123,
  kSessionClosedRequireSaslAuth = -124,
  kQuotaExceeded = -125,
  kThrottledOp = -127,
};

// A short name for an error code, as the Java client spells it ("NONODE", "BADVERSION", ...).
std::string_view ErrName(Err err);

enum class EventType : int32_t {
  kNone = -1,
  kNodeCreated = 1,
  kNodeDeleted = 2,
  kNodeDataChanged = 3,
  kNodeChildrenChanged = 4,
  kDataWatchRemoved = 5,
  kChildWatchRemoved = 6,
  kPersistentWatchRemoved = 7,
};

enum class KeeperState : int32_t {
  kDisconnected = 0,
  kSyncConnected = 3,
  kAuthFailed = 4,
  kConnectedReadOnly = 5,
  kSaslAuthenticated = 6,
  kExpired = -112,
  kClosed = 7,
};

// Watcher types of checkWatches/removeWatches (Watcher.WatcherType).
enum class WatcherType : int32_t {
  kChildren = 1,
  kData = 2,
  kAny = 3,
  kPersistent = 4,
  kPersistentRecursive = 5,
};

// Modes of addWatch (ZooDefs.AddWatchModes).
enum class AddWatchMode : int32_t {
  kPersistent = 0,
  kPersistentRecursive = 1,
};

// The `flags` field of create requests (CreateMode).
enum class CreateMode : int32_t {
  kPersistent = 0,
  kEphemeral = 1,
  kPersistentSequential = 2,
  kEphemeralSequential = 3,
  kContainer = 4,
  kPersistentWithTtl = 5,
  kPersistentSequentialWithTtl = 6,
};

namespace perms {
inline constexpr int32_t kRead = 1;
inline constexpr int32_t kWrite = 2;
inline constexpr int32_t kCreate = 4;
inline constexpr int32_t kDelete = 8;
inline constexpr int32_t kAdmin = 16;
inline constexpr int32_t kAll = 31;
}  // namespace perms

namespace xids {
inline constexpr int32_t kNotification = -1;
inline constexpr int32_t kPing = -2;
inline constexpr int32_t kAuth = -4;
inline constexpr int32_t kSetWatches = -8;
}  // namespace xids

// Encodings of Stat.ephemeralOwner for the non-session node types (EphemeralType.java).
namespace ephemeral_owner {
inline constexpr int64_t kContainer = static_cast<int64_t>(0x8000000000000000ULL);
inline constexpr int64_t kTtlMask = static_cast<int64_t>(0xff00000000000000ULL);
inline constexpr int64_t kMaxTtl = 0x000000ffffffffffLL;  // 40 bits of milliseconds
}  // namespace ephemeral_owner

inline constexpr int32_t kProtocolVersion = 0;
inline constexpr int kSessionPasswordLength = 16;
inline constexpr int32_t kDefaultJuteMaxBuffer = 0xfffff;  // 1 MiB - 1
inline constexpr int32_t kSetWatchesMaxChunk = 128 * 1024;
// The jute length (of a buffer, string or vector) that encodes null.
inline constexpr int32_t kJuteNullLength = -1;
// The version argument of delete/setData/setACL/check that matches any version.
inline constexpr int32_t kAnyVersion = -1;
// The curConfigId argument of reconfig that skips the config-version check.
inline constexpr int64_t kAnyConfigId = -1;

}  // namespace zk
