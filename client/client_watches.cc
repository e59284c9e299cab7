// Client: watch bookkeeping (registration on replies, delivery of notifications) and the watch
// operations addWatch, removeWatches and checkWatches.
#include "client/client_impl.h"

namespace zk::client {

void Client::Impl::RegisterWatch(Request& req, Err err) {
  if (req.watch_kind == WatchKind::kNone || !req.watcher) return;
  WatchKind kind = req.watch_kind;
  if (err == Err::kOk) {
    // exists() on an existing node sets a data watch (fires on change or deletion).
    if (kind == WatchKind::kExist) kind = WatchKind::kData;
  } else if (!(err == Err::kNoNode && kind == WatchKind::kExist)) {
    return;  // No watch was set on the server.
  }
  watches_.Add(kind, req.watch_path, std::move(req.watcher));
}

void Client::Impl::Deliver(const std::vector<WatcherPtr>& watchers, const WatchEvent& ev) {
  for (const WatcherPtr& w : watchers) {
    if (*w) (*w)(ev);
  }
}

void Client::Impl::FireWatches(const WatchEvent& ev) {
  std::vector<WatcherPtr> fire = watches_.Trigger(ev.type, ev.path);
  if (fire.empty()) return;
  WatchEvent out = ev;
  out.path = cs_.ToClient(ev.path);
  Deliver(fire, out);
}

bool Client::Impl::RemoveLocalWatches(const std::string& server_path, WatcherType type) {
  auto removed = watches_.Remove(server_path, type);
  if (removed.empty()) return false;
  const std::string client_path = cs_.ToClient(server_path);
  for (auto& [why, w] : removed) {
    if (*w) (*w)(WatchEvent{why, KeeperState::kSyncConnected, client_path});
  }
  return true;
}

namespace {

bool ValidWatcherType(WatcherType t) {
  const auto v = static_cast<int32_t>(t);
  return v >= static_cast<int32_t>(WatcherType::kChildren) &&
         v <= static_cast<int32_t>(WatcherType::kPersistentRecursive);
}

}  // namespace

void Client::AddWatchAsync(std::string_view path, AddWatchMode mode, Watcher listener,
                           Callback<void> cb) {
  if (!ValidPath(path) || !listener ||
      (mode != AddWatchMode::kPersistent && mode != AddWatchMode::kPersistentRecursive)) {
    cb(Err::kBadArguments);
    return;
  }
  std::string sp = impl_->cs().ToServer(path);
  auto req = MakeRequest<void>(
      impl_.get(), OpCode::kAddWatch,
      Encode(proto::AddWatchRequest{sp, static_cast<int32_t>(mode)}), std::move(cb), NoDecode{});
  req->watch_kind = mode == AddWatchMode::kPersistent ? WatchKind::kPersistent
                                                      : WatchKind::kPersistentRecursive;
  req->watch_path = std::move(sp);
  req->watcher = std::move(listener);
  impl_->Submit(std::move(req));
}

void Client::RemoveWatchesAsync(std::string_view path, WatcherType type, bool local,
                                Callback<void> cb) {
  if (!ValidPath(path) || !ValidWatcherType(type)) {
    cb(Err::kBadArguments);
    return;
  }
  std::string sp = impl_->cs().ToServer(path);
  Impl* impl = impl_.get();
  auto req = std::make_shared<Request>();
  req->op = OpCode::kRemoveWatches;
  req->body = Encode(proto::WatchesRequest{sp, static_cast<int32_t>(type)});
  if (impl->request_timeout().count() > 0) req->deadline = Clock::now() + impl->request_timeout();
  req->fail_if_disconnected = local;
  // Runs on the io thread (or inline with the session's final error, when nothing is left).
  req->on_reply = [impl, sp, type, local, cb = std::move(cb)](Err err, proto::JuteReader*) {
    const bool session_over = err == Err::kSessionExpired || err == Err::kClosing ||
                              err == Err::kAuthFailed;
    if (session_over) {
      cb(err);
      return;
    }
    if (err == Err::kOk || local) {
      const bool had = impl->RemoveLocalWatches(sp, type);
      cb(err == Err::kOk || had ? Result<void>() : Result<void>(err));
      return;
    }
    cb(err);
  };
  impl_->Submit(std::move(req));
}

void Client::CheckWatchesAsync(std::string_view path, WatcherType type, Callback<void> cb) {
  if (!ValidPath(path) || !ValidWatcherType(type)) {
    cb(Err::kBadArguments);
    return;
  }
  impl_->Submit(MakeRequest<void>(
      impl_.get(), OpCode::kCheckWatches,
      Encode(proto::WatchesRequest{impl_->cs().ToServer(path), static_cast<int32_t>(type)}),
      std::move(cb), NoDecode{}));
}

}  // namespace zk::client
