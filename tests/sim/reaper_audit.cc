#include "tests/sim/reaper_audit.h"

#include <cinttypes>
#include <cstdio>

#include "server/txn.h"
#include "tests/sim/checker.h"

namespace zk::sim {
namespace {

std::string HexForReaperAudit(int64_t value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, static_cast<uint64_t>(value));
  return buf;
}

// The path a reaper delete txn removes, if `data` is one.
bool ReaperDeletePath(const std::string& data, server::Txn* txn, std::string* path) {
  if (!server::DecodeTxn(data, txn) || txn->type != OpCode::kDeleteContainer) return false;
  const auto* del = std::get_if<server::DeleteTxn>(&txn->body);
  if (del == nullptr) return false;
  *path = del->path;
  return true;
}

}  // namespace

void ReaperAudit::Proposed(int64_t zxid, const std::string& data) {
  server::Txn txn;
  std::string path;
  if (ReaperDeletePath(data, &txn, &path)) proposed_[zxid] = std::move(path);
}

void ReaperAudit::Withdrawn(int64_t zxid) { proposed_.erase(zxid); }

void ReaperAudit::BeforeApply(zab::ServerId id, const server::DataTree& tree,
                              const zab::LogEntry& entry) {
  server::Txn txn;
  std::string path;
  if (!ReaperDeletePath(entry.data, &txn, &path)) return;
  applied_[entry.zxid] = path;
  const std::string what = "server " + std::to_string(id) + " applies the reaper's delete of " +
                           path + " at zxid " + HexForReaperAudit(entry.zxid) + ", but ";
  const server::DataTree::Node* n = tree.Find(path);
  if (n == nullptr) throw SimFailure("[reaper] " + what + "the node does not exist");
  const server::NodeStat& s = tree.StoredStat(*n);
  const int32_t children = tree.NumChildren(*n);
  switch (server::ClassifyOwner(s.ephemeral_owner)) {
    case server::OwnerKind::kContainer:
      if (children != 0) {
        throw SimFailure("[reaper-container] " + what + "the container still has " +
                         std::to_string(children) + " children");
      }
      return;
    case server::OwnerKind::kTtl: {
      const int64_t ttl = s.ephemeral_owner & ephemeral_owner::kMaxTtl;
      if (children != 0) {
        throw SimFailure("[reaper-ttl] " + what + "the TTL node still has " +
                         std::to_string(children) + " children");
      }
      if (txn.time_ms - s.mtime < ttl) {
        throw SimFailure("[reaper-ttl] " + what + "its TTL of " + std::to_string(ttl) +
                         " ms has not passed: last modified at zxid " + HexForReaperAudit(s.mzxid) +
                         ", " + std::to_string(txn.time_ms - s.mtime) + " ms before the delete");
      }
      return;
    }
    default:
      throw SimFailure("[reaper] " + what + "it is neither a container nor a TTL node (owner " +
                       HexForReaperAudit(s.ephemeral_owner) + ")");
  }
}

ServerDeletes ReaperAudit::Deletes() const {
  ServerDeletes out;
  for (const auto& [zxid, path] : applied_) out.committed.emplace_back(path, zxid);
  for (const auto& [zxid, path] : proposed_) {
    if (!applied_.contains(zxid)) out.maybe.insert(path);
  }
  return out;
}

std::string ReaperAudit::Unreaped(const server::DataTree& tree, int64_t wall_ms) {
  for (const std::string& path : tree.Containers()) {
    const server::DataTree::Node* n = tree.Find(path);
    if (n != nullptr && tree.NumChildren(*n) == 0 && tree.StoredStat(*n).cversion > 0) {
      return "the empty container " + path + " (cversion " +
             std::to_string(tree.StoredStat(*n).cversion) + ")";
    }
  }
  for (const std::string& path : tree.TtlNodes()) {
    const server::DataTree::Node* n = tree.Find(path);
    if (n == nullptr || tree.NumChildren(*n) != 0) continue;
    const server::NodeStat& s = tree.StoredStat(*n);
    const int64_t ttl = s.ephemeral_owner & ephemeral_owner::kMaxTtl;
    if (wall_ms - s.mtime > ttl) {
      return "the TTL node " + path + " (TTL " + std::to_string(ttl) + " ms, last modified " +
             std::to_string(wall_ms - s.mtime) + " ms ago)";
    }
  }
  return {};
}

}  // namespace zk::sim
