#include "client/recipes/sequence.h"

#include <algorithm>
#include <utility>

#include "client/recipes/contenders.h"
#include "client/recipes/ensure_path.h"
#include "client/retry.h"

namespace zk::recipes {

using client::Op;
using client::Result;

SequenceGenerator::SequenceGenerator(client::Client& client, std::string path,
                                     std::vector<client::Acl> acl)
    : client_(client), path_(std::move(path)), acl_(std::move(acl)) {}

Result<int64_t> SequenceGenerator::Next() { return NextBatch(1); }

Result<int64_t> SequenceGenerator::NextBatch(int count) {
  if (count < 1 || count > 1000) return Err::kBadArguments;
  const std::string prefix = NewProtectionPrefix();
  const std::string node = JoinPath(path_, prefix + "id-");
  std::vector<std::string> created;  // the batch's node paths
  while (created.empty()) {
    std::vector<Op> ops;
    for (int i = 0; i < count; ++i) {
      ops.push_back(Op::Create(node, "", acl_, CreateMode::kEphemeralSequential));
    }
    auto m = client_.Multi(std::move(ops));
    if (m.ok() && m->committed()) {
      for (const auto& r : m->results) created.push_back(JoinPath(path_, r.path.substr(r.path.rfind('/') + 1)));
      break;
    }
    if (m.ok() && !m->committed()) {
      bool no_parent = std::any_of(m->results.begin(), m->results.end(),
                                   [](const client::OpResult& r) { return r.err == Err::kNoNode; });
      if (!no_parent) return m->err;
      if (Err e = EnsurePath(client_, path_, acl_, CreateMode::kPersistent); e != Err::kOk) {
        if (!client::IsRetryable(e)) return e;
      }
      continue;
    }
    if (!client::IsRetryable(m.err())) return m.err();
    // The reply was lost: the batch was applied or not, as a whole.
    while (true) {
      if (Err e = WaitConnectedUntil(client_, std::nullopt); e != Err::kOk) return e;
      auto children = client_.GetChildren(path_);
      if (children.ok()) {
        for (const auto& c : children->children) {
          if (c.starts_with(prefix)) created.push_back(JoinPath(path_, c));
        }
        break;
      }
      if (children.err() == Err::kNoNode) break;
      if (!client::IsRetryable(children.err())) return children.err();
    }
  }
  std::vector<int64_t> ids;
  std::vector<Op> deletes;
  for (const auto& p : created) {
    ids.push_back(SequenceOf(p));
    deletes.push_back(Op::Delete(p));
  }
  std::sort(ids.begin(), ids.end());
  // The nodes are ephemeral: if this delete is lost, the session's end removes them.
  client_.MultiAsync(std::move(deletes), [](Result<client::MultiResult>) {});
  if (ids.front() < 0 || ids.back() - ids.front() != count - 1 ||
      static_cast<int>(ids.size()) != count) {
    return Err::kMarshallingError;
  }
  return ids.front();
}

}  // namespace zk::recipes
