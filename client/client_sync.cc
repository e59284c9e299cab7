// Client: the std::future and blocking forms of every operation, built on the Async forms.
#include "client/client_impl.h"

namespace zk::client {

namespace {

// Runs `start(callback)` and returns a future of the callback's result.
template <class T, class Start>
std::future<Result<T>> ToFuture(Start start) {
  auto promise = std::make_shared<std::promise<Result<T>>>();
  std::future<Result<T>> f = promise->get_future();
  start([promise](Result<T> r) { promise->set_value(std::move(r)); });
  return f;
}

// The blocking form; kInvalidState on the io thread (it would wait for itself).
template <class T, class Start>
Result<T> Block(Client::Impl* impl, Start start) {
  if (impl->OnIoThread()) return Err::kInvalidState;
  return ToFuture<T>(std::move(start)).get();
}

}  // namespace

#define ZK_FUTURE_AND_BLOCKING(T, Name, PARAMS, ARGS)                                  \
  std::future<Result<T>> Client::Name##Future PARAMS {                                 \
    return ToFuture<T>([&](Callback<T> cb) { Name##Async ARGS; });                     \
  }                                                                                    \
  Result<T> Client::Name PARAMS {                                                      \
    return Block<T>(impl_.get(), [&](Callback<T> cb) { Name##Async ARGS; });           \
  }

ZK_FUTURE_AND_BLOCKING(CreateResult, Create,
                       (std::string_view path, std::string_view data, std::vector<Acl> acl,
                        CreateMode mode, int64_t ttl_ms),
                       (path, data, std::move(acl), mode, ttl_ms, std::move(cb)))
ZK_FUTURE_AND_BLOCKING(void, Delete, (std::string_view path, int32_t version),
                       (path, version, std::move(cb)))
ZK_FUTURE_AND_BLOCKING(Stat, Exists, (std::string_view path, Watcher watcher),
                       (path, std::move(watcher), std::move(cb)))
ZK_FUTURE_AND_BLOCKING(DataResult, GetData, (std::string_view path, Watcher watcher),
                       (path, std::move(watcher), std::move(cb)))
ZK_FUTURE_AND_BLOCKING(Stat, SetData,
                       (std::string_view path, std::string_view data, int32_t version),
                       (path, data, version, std::move(cb)))
ZK_FUTURE_AND_BLOCKING(AclResult, GetAcl, (std::string_view path), (path, std::move(cb)))
ZK_FUTURE_AND_BLOCKING(Stat, SetAcl,
                       (std::string_view path, std::vector<Acl> acl, int32_t version),
                       (path, std::move(acl), version, std::move(cb)))
ZK_FUTURE_AND_BLOCKING(ChildrenResult, GetChildren, (std::string_view path, Watcher watcher),
                       (path, std::move(watcher), std::move(cb)))
ZK_FUTURE_AND_BLOCKING(ChildrenResult, GetChildren2, (std::string_view path, Watcher watcher),
                       (path, std::move(watcher), std::move(cb)))
ZK_FUTURE_AND_BLOCKING(int32_t, GetAllChildrenNumber, (std::string_view path),
                       (path, std::move(cb)))
ZK_FUTURE_AND_BLOCKING(std::vector<std::string>, GetEphemerals, (std::string_view prefix),
                       (prefix, std::move(cb)))
ZK_FUTURE_AND_BLOCKING(std::string, Sync, (std::string_view path), (path, std::move(cb)))
ZK_FUTURE_AND_BLOCKING(DataResult, GetConfig, (Watcher watcher), (std::move(watcher), std::move(cb)))
ZK_FUTURE_AND_BLOCKING(DataResult, Reconfig,
                       (std::string_view joining, std::string_view leaving,
                        std::string_view new_members, int64_t from_config),
                       (joining, leaving, new_members, from_config, std::move(cb)))
ZK_FUTURE_AND_BLOCKING(MultiResult, Multi, (std::vector<Op> ops), (std::move(ops), std::move(cb)))
ZK_FUTURE_AND_BLOCKING(void, AddAuth, (std::string_view scheme, std::string_view auth),
                       (scheme, auth, std::move(cb)))
ZK_FUTURE_AND_BLOCKING(std::vector<ClientInfo>, WhoAmI, (), (std::move(cb)))
ZK_FUTURE_AND_BLOCKING(void, Check, (std::string_view path, int32_t version),
                       (path, version, std::move(cb)))
ZK_FUTURE_AND_BLOCKING(std::vector<OpResult>, MultiRead, (std::vector<Op> ops),
                       (std::move(ops), std::move(cb)))
ZK_FUTURE_AND_BLOCKING(void, AddWatch,
                       (std::string_view path, AddWatchMode mode, Watcher listener),
                       (path, mode, std::move(listener), std::move(cb)))
ZK_FUTURE_AND_BLOCKING(void, RemoveWatches,
                       (std::string_view path, WatcherType type, bool local),
                       (path, type, local, std::move(cb)))
ZK_FUTURE_AND_BLOCKING(void, CheckWatches, (std::string_view path, WatcherType type),
                       (path, type, std::move(cb)))

#undef ZK_FUTURE_AND_BLOCKING

}  // namespace zk::client
