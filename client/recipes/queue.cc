#include "client/recipes/queue.h"

#include <utility>

#include "client/recipes/contenders.h"
#include "client/recipes/ensure_path.h"
#include "client/retry.h"

namespace zk::recipes {

using client::Op;
using client::Result;

namespace {
constexpr std::string_view kItemPrefix = "queue-";

std::string NewConsumerPrefix() {
  std::string p = NewProtectionPrefix();  // "_c_<uuid>-"
  return "_taken-" + p.substr(3);
}
}  // namespace

Queue::Queue(client::Client& client, std::string path, std::vector<client::Acl> acl)
    : client_(client),
      path_(std::move(path)),
      acl_(std::move(acl)),
      consumer_(NewConsumerPrefix()),
      waiter_(client) {}

Queue::~Queue() {
  if (!receipt_.empty()) client_.DeleteAsync(receipt_, kAnyVersion, [](Result<void>) {});
}

Result<std::string> Queue::Put(std::string_view data) {
  while (true) {
    auto r = client_.Create(JoinPath(path_, kItemPrefix), data, acl_,
                            CreateMode::kPersistentSequential);
    if (r.ok()) return r->path.substr(r->path.rfind('/') + 1);
    if (r.err() != Err::kNoNode) return r.err();
    if (Err e = EnsurePath(client_, path_, acl_, CreateMode::kPersistent);
        e != Err::kOk) {
      return e;
    }
  }
}

Result<std::vector<std::string>> Queue::Items(bool watch) {
  auto r = client_.GetChildren(path_, watch ? waiter_.MakeWatcher() : nullptr);
  if (!r.ok()) return r.err();
  std::vector<std::string> items;
  for (auto& c : r->children) {
    if (std::string_view(c).starts_with(kItemPrefix)) items.push_back(std::move(c));
  }
  return SortBySequence(std::move(items));
}

Result<std::optional<std::string>> Queue::Take() { return TakeUntil(std::nullopt); }

Result<std::optional<std::string>> Queue::Take(std::chrono::milliseconds timeout) {
  return TakeUntil(EventWaiter::Clock::now() + timeout);
}

Result<std::optional<std::string>> Queue::TakeUntil(Deadline deadline) {
  waiter_.Reset();
  // Waits out a connection loss; false when the call is to end with `err`.
  Err err = Err::kOk;
  auto recover = [&](Err e) {
    if (!client::IsRetryable(e)) {
      err = e;
      return false;
    }
    err = WaitConnectedUntil(client_, deadline);
    return err == Err::kOk;
  };
  auto finish = [&]() -> Result<std::optional<std::string>> {
    if (err == Err::kOperationTimeout) return std::optional<std::string>{};
    return err;
  };
  while (true) {
    const uint64_t seen = waiter_.generation();
    auto items = Items(/*watch=*/true);
    if (!items.ok()) {
      if (items.err() != Err::kNoNode) {
        if (!recover(items.err())) return finish();
        continue;
      }
      // No queue yet: wait for it to be created.
      auto e = client_.Exists(path_, waiter_.MakeWatcher());
      if (e.ok()) continue;
      if (e.err() != Err::kNoNode) {
        if (!recover(e.err())) return finish();
        continue;
      }
      items = std::vector<std::string>{};
    }
    for (const auto& name : *items) {
      const std::string item = JoinPath(path_, name);
      auto data = client_.GetData(item);
      if (data.err() == Err::kNoNode) continue;  // taken by someone else
      if (!data.ok()) {
        if (!recover(data.err())) return finish();
        break;  // look again
      }
      const std::string receipt = JoinPath(path_, consumer_ + name);
      std::vector<Op> ops{Op::Delete(item, data->stat.version),
                          Op::Create(receipt, "", acl_, CreateMode::kEphemeral)};
      if (!receipt_.empty()) ops.push_back(Op::Delete(receipt_));
      auto m = client_.Multi(ops);
      if (!m.ok() && client::IsRetryable(m.err())) {
        // The reply was lost: our receipt tells whether the take was applied.
        if (!recover(m.err())) return finish();
        while (true) {
          auto mine = client_.Exists(receipt);
          if (mine.ok()) {
            receipt_ = receipt;
            return std::optional<std::string>(std::move(data->data));
          }
          if (mine.err() == Err::kNoNode) break;  // not applied: look again
          if (!recover(mine.err())) return finish();
        }
        break;
      }
      if (!m.ok()) return m.err();
      if (m->committed()) {
        receipt_ = receipt;
        return std::optional<std::string>(std::move(data->data));
      }
      // The old receipt vanished (the Queue's earlier delete raced this one): retry without it.
      if (ops.size() == 3 && m->results.size() == 3 && m->results[2].err == Err::kNoNode) {
        receipt_.clear();
        break;
      }
      // The item was taken or changed meanwhile: try the next one.
    }
    if (!items->empty()) {
      // Items existed but others took them first: look again at once, within the deadline.
      if (deadline && EventWaiter::Clock::now() >= *deadline) return std::optional<std::string>{};
      continue;
    }
    switch (waiter_.Wait(seen, deadline)) {
      case EventWaiter::Outcome::kWoken: break;
      case EventWaiter::Outcome::kCancelled:
      case EventWaiter::Outcome::kTimedOut: return std::optional<std::string>{};
    }
  }
}

Result<std::optional<std::string>> Queue::Peek() {
  while (true) {
    auto items = Items(/*watch=*/false);
    if (items.err() == Err::kNoNode) return std::optional<std::string>{};
    if (!items.ok()) return items.err();
    bool raced = false;
    for (const auto& name : *items) {
      auto data = client_.GetData(JoinPath(path_, name));
      if (data.ok()) return std::optional<std::string>(std::move(data->data));
      if (data.err() != Err::kNoNode) return data.err();
      raced = true;
    }
    if (!raced) return std::optional<std::string>{};
  }
}

Result<size_t> Queue::Size() {
  auto items = Items(/*watch=*/false);
  if (items.err() == Err::kNoNode) return size_t{0};
  if (!items.ok()) return items.err();
  return items->size();
}

}  // namespace zk::recipes
