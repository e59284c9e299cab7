// Client: the operations (encoding requests, decoding replies) and the Async entry points.
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "client/client_impl.h"

namespace zk::client {

std::vector<Acl> OpenAclUnsafe() { return {Acl{perms::kAll, Id{"world", "anyone"}}}; }
std::vector<Acl> ReadAclUnsafe() { return {Acl{perms::kRead, Id{"world", "anyone"}}}; }
std::vector<Acl> CreatorAllAcl() { return {Acl{perms::kAll, Id{"auth", ""}}}; }

std::string DigestId(std::string_view user, std::string_view password) {
  std::string plain = std::string(user) + ":" + std::string(password);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(plain.data()), plain.size(), digest);
  unsigned char b64[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  int n = EVP_EncodeBlock(b64, digest, SHA_DIGEST_LENGTH);
  return std::string(user) + ":" + std::string(reinterpret_cast<char*>(b64), n);
}

std::string_view ConnectionStateName(ConnectionState state) {
  switch (state) {
    case ConnectionState::kConnected: return "CONNECTED";
    case ConnectionState::kSuspended: return "SUSPENDED";
    case ConnectionState::kReconnected: return "RECONNECTED";
    case ConnectionState::kExpired: return "EXPIRED";
    case ConnectionState::kAuthFailed: return "AUTH_FAILED";
    case ConnectionState::kClosed: return "CLOSED";
    case ConnectionState::kReadOnly: return "READ_ONLY";
  }
  return "?";
}

Op Op::Create(std::string path, std::string data, std::vector<Acl> acl, CreateMode mode,
              int64_t ttl_ms) {
  Op op;
  op.type = OpCode::kCreate;
  op.path = std::move(path);
  op.data = std::move(data);
  op.acl = std::move(acl);
  op.mode = mode;
  op.ttl_ms = ttl_ms;
  return op;
}
Op Op::Delete(std::string path, int32_t version) {
  Op op;
  op.type = OpCode::kDelete;
  op.path = std::move(path);
  op.version = version;
  return op;
}
Op Op::SetData(std::string path, std::string data, int32_t version) {
  Op op;
  op.type = OpCode::kSetData;
  op.path = std::move(path);
  op.data = std::move(data);
  op.version = version;
  return op;
}
Op Op::Check(std::string path, int32_t version) {
  Op op;
  op.type = OpCode::kCheck;
  op.path = std::move(path);
  op.version = version;
  return op;
}

namespace {

bool IsSequential(CreateMode m) {
  return m == CreateMode::kPersistentSequential || m == CreateMode::kEphemeralSequential ||
         m == CreateMode::kPersistentSequentialWithTtl;
}
bool IsTtl(CreateMode m) {
  return m == CreateMode::kPersistentWithTtl || m == CreateMode::kPersistentSequentialWithTtl;
}

// Checks a create's arguments and writes its record; returns the op code or kError.
OpCode EncodeCreate(const ConnectString& cs, std::string_view path, std::string_view data,
                    const std::vector<Acl>& acl, CreateMode mode, int64_t ttl_ms,
                    proto::JuteWriter& w) {
  const int32_t m = static_cast<int32_t>(mode);
  if (m < 0 || m > static_cast<int32_t>(CreateMode::kPersistentSequentialWithTtl)) {
    return OpCode::kError;
  }
  if (!ValidPath(path, IsSequential(mode)) || acl.empty()) return OpCode::kError;
  if (IsTtl(mode) ? (ttl_ms <= 0 || ttl_ms > ephemeral_owner::kMaxTtl) : ttl_ms != 0) {
    return OpCode::kError;
  }
  if (IsTtl(mode)) {
    proto::CreateTtlRequest r{cs.ToServer(path), std::string(data), false, acl, m, ttl_ms};
    r.Write(w);
    return OpCode::kCreateTtl;
  }
  proto::CreateRequest r{cs.ToServer(path), std::string(data), false, acl, m};
  r.Write(w);
  return mode == CreateMode::kContainer ? OpCode::kCreateContainer : OpCode::kCreate2;
}

}  // namespace

Client::Client(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::~Client() { Close(); }

Result<std::unique_ptr<Client>> Client::Start(Options options) {
  auto cs = ParseConnectString(options.connect_string);
  if (!cs || options.session_timeout.count() <= 0 || options.session_timeout.count() > INT32_MAX ||
      options.request_timeout.count() < 0 || options.max_pending_requests == 0) {
    return Err::kBadArguments;
  }
  if (options.session_id != 0 &&
      options.session_password.size() != static_cast<size_t>(kSessionPasswordLength)) {
    return Err::kBadArguments;
  }
  std::shared_ptr<asio::ssl::context> tls_context;
  if (options.tls.enabled) {
    auto made = MakeTlsContext(options.tls);
    if (!made.ok()) return made.err();
    tls_context = std::move(made.value());
  }
  auto impl = std::make_shared<Impl>(std::move(options), std::move(*cs), std::move(tls_context));
  impl->StartThread(impl);
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

void Client::Close() { impl_->Close(); }
Result<void> Client::WaitConnected(std::chrono::milliseconds timeout) {
  return impl_->WaitConnected(timeout);
}
int64_t Client::session_id() const { return impl_->session_id(); }
std::string Client::session_password() const { return impl_->session_password(); }
std::chrono::milliseconds Client::negotiated_timeout() const {
  return impl_->negotiated_timeout();
}
ConnectionState Client::state() const { return impl_->state(); }
bool Client::connected() const { return impl_->connected(); }
void Client::TEST_DropConnection() { impl_->DropConnection(); }
uint64_t Client::AddStateListener(StateListener listener) {
  return impl_->AddStateListener(std::move(listener));
}
void Client::RemoveStateListener(uint64_t id) { impl_->RemoveStateListener(id); }


void Client::CreateAsync(std::string_view path, std::string_view data, std::vector<Acl> acl,
                         CreateMode mode, int64_t ttl_ms, Callback<CreateResult> cb) {
  proto::JuteWriter w;
  OpCode op = EncodeCreate(impl_->cs(), path, data, acl, mode, ttl_ms, w);
  if (op == OpCode::kError) {
    cb(Err::kBadArguments);
    return;
  }
  Impl* impl = impl_.get();
  impl_->Submit(MakeRequest<CreateResult>(
      impl, op, w.Take(), std::move(cb), [impl](proto::JuteReader& r, CreateResult* out) {
        proto::Create2Response resp;
        if (!resp.Read(r)) return false;
        out->path = impl->cs().ToClient(resp.path);
        out->stat = resp.stat;
        return true;
      }));
}

void Client::DeleteAsync(std::string_view path, int32_t version, Callback<void> cb) {
  if (!ValidPath(path) || path == "/") {
    cb(Err::kBadArguments);
    return;
  }
  impl_->Submit(MakeRequest<void>(impl_.get(), OpCode::kDelete,
                                  Encode(proto::DeleteRequest{impl_->cs().ToServer(path), version}),
                                  std::move(cb), NoDecode{}));
}

namespace {

std::shared_ptr<Request> WithWatch(std::shared_ptr<Request> req, WatchKind kind,
                                   std::string server_path, Watcher watcher) {
  if (watcher) {
    req->watch_kind = kind;
    req->watch_path = std::move(server_path);
    req->watcher = std::move(watcher);
  }
  return req;
}

}  // namespace

void Client::ExistsAsync(std::string_view path, Watcher watcher, Callback<Stat> cb) {
  if (!ValidPath(path)) {
    cb(Err::kBadArguments);
    return;
  }
  std::string sp = impl_->cs().ToServer(path);
  const bool watch = static_cast<bool>(watcher);
  impl_->Submit(WithWatch(
      MakeRequest<Stat>(impl_.get(), OpCode::kExists, Encode(proto::PathWatchRequest{sp, watch}),
                        std::move(cb),
                        [](proto::JuteReader& r, Stat* out) { return out->Read(r); }),
      WatchKind::kExist, sp, std::move(watcher)));
}

namespace {
constexpr std::string_view kConfigNode = "/zookeeper/config";

bool ReadDataResult(proto::JuteReader& r, DataResult* out) {
  proto::GetDataResponse resp;
  if (!resp.Read(r)) return false;
  out->data = std::move(resp.data);
  out->stat = resp.stat;
  return true;
}
}  // namespace

void Client::GetDataAsync(std::string_view path, Watcher watcher, Callback<DataResult> cb) {
  if (!ValidPath(path)) {
    cb(Err::kBadArguments);
    return;
  }
  std::string sp = impl_->cs().ToServer(path);
  const bool watch = static_cast<bool>(watcher);
  impl_->Submit(WithWatch(
      MakeRequest<DataResult>(impl_.get(), OpCode::kGetData,
                              Encode(proto::PathWatchRequest{sp, watch}), std::move(cb),
                              [](proto::JuteReader& r, DataResult* out) {
                                proto::GetDataResponse resp;
                                if (!resp.Read(r)) return false;
                                out->data = std::move(resp.data);
                                out->stat = resp.stat;
                                return true;
                              }),
      WatchKind::kData, sp, std::move(watcher)));
}

void Client::SetDataAsync(std::string_view path, std::string_view data, int32_t version,
                          Callback<Stat> cb) {
  if (!ValidPath(path)) {
    cb(Err::kBadArguments);
    return;
  }
  impl_->Submit(MakeRequest<Stat>(
      impl_.get(), OpCode::kSetData,
      Encode(proto::SetDataRequest{impl_->cs().ToServer(path), std::string(data), false, version}),
      std::move(cb), [](proto::JuteReader& r, Stat* out) { return out->Read(r); }));
}

void Client::GetAclAsync(std::string_view path, Callback<AclResult> cb) {
  if (!ValidPath(path)) {
    cb(Err::kBadArguments);
    return;
  }
  impl_->Submit(MakeRequest<AclResult>(
      impl_.get(), OpCode::kGetAcl, Encode(proto::PathRequest{impl_->cs().ToServer(path)}),
      std::move(cb), [](proto::JuteReader& r, AclResult* out) {
        proto::GetAclResponse resp;
        if (!resp.Read(r)) return false;
        out->acl = std::move(resp.acl);
        out->stat = resp.stat;
        return true;
      }));
}

void Client::SetAclAsync(std::string_view path, std::vector<Acl> acl, int32_t version,
                         Callback<Stat> cb) {
  if (!ValidPath(path) || acl.empty()) {
    cb(Err::kBadArguments);
    return;
  }
  impl_->Submit(MakeRequest<Stat>(
      impl_.get(), OpCode::kSetAcl,
      Encode(proto::SetAclRequest{impl_->cs().ToServer(path), std::move(acl), version}),
      std::move(cb), [](proto::JuteReader& r, Stat* out) { return out->Read(r); }));
}

void Client::GetChildrenAsync(std::string_view path, Watcher watcher,
                              Callback<ChildrenResult> cb) {
  if (!ValidPath(path)) {
    cb(Err::kBadArguments);
    return;
  }
  std::string sp = impl_->cs().ToServer(path);
  const bool watch = static_cast<bool>(watcher);
  impl_->Submit(WithWatch(
      MakeRequest<ChildrenResult>(impl_.get(), OpCode::kGetChildren,
                                  Encode(proto::PathWatchRequest{sp, watch}), std::move(cb),
                                  [](proto::JuteReader& r, ChildrenResult* out) {
                                    return r.ReadStringVector(&out->children);
                                  }),
      WatchKind::kChild, sp, std::move(watcher)));
}

void Client::GetChildren2Async(std::string_view path, Watcher watcher,
                               Callback<ChildrenResult> cb) {
  if (!ValidPath(path)) {
    cb(Err::kBadArguments);
    return;
  }
  std::string sp = impl_->cs().ToServer(path);
  const bool watch = static_cast<bool>(watcher);
  impl_->Submit(WithWatch(
      MakeRequest<ChildrenResult>(impl_.get(), OpCode::kGetChildren2,
                                  Encode(proto::PathWatchRequest{sp, watch}), std::move(cb),
                                  [](proto::JuteReader& r, ChildrenResult* out) {
                                    proto::GetChildren2Response resp;
                                    if (!resp.Read(r)) return false;
                                    out->children = std::move(resp.children);
                                    out->stat = resp.stat;
                                    return true;
                                  }),
      WatchKind::kChild, sp, std::move(watcher)));
}

void Client::GetAllChildrenNumberAsync(std::string_view path, Callback<int32_t> cb) {
  if (!ValidPath(path)) {
    cb(Err::kBadArguments);
    return;
  }
  impl_->Submit(MakeRequest<int32_t>(
      impl_.get(), OpCode::kGetAllChildrenNumber,
      Encode(proto::PathRequest{impl_->cs().ToServer(path)}), std::move(cb),
      [](proto::JuteReader& r, int32_t* out) { return r.ReadInt(out); }));
}

void Client::GetEphemeralsAsync(std::string_view prefix, Callback<std::vector<std::string>> cb) {
  if (prefix.empty() || prefix[0] != '/') {
    cb(Err::kBadArguments);
    return;
  }
  Impl* impl = impl_.get();
  impl_->Submit(MakeRequest<std::vector<std::string>>(
      impl, OpCode::kGetEphemerals, Encode(proto::PathRequest{impl_->cs().ToServer(prefix)}),
      std::move(cb), [impl](proto::JuteReader& r, std::vector<std::string>* out) {
        if (!r.ReadStringVector(out)) return false;
        for (auto& p : *out) p = impl->cs().ToClient(p);
        return true;
      }));
}

void Client::SyncAsync(std::string_view path, Callback<std::string> cb) {
  if (!ValidPath(path)) {
    cb(Err::kBadArguments);
    return;
  }
  Impl* impl = impl_.get();
  impl_->Submit(MakeRequest<std::string>(
      impl, OpCode::kSync, Encode(proto::PathRequest{impl_->cs().ToServer(path)}), std::move(cb),
      [impl](proto::JuteReader& r, std::string* out) {
        if (!r.ReadString(out)) return false;
        *out = impl->cs().ToClient(*out);
        return true;
      }));
}

void Client::AddAuthAsync(std::string_view scheme, std::string_view auth, Callback<void> cb) {
  if (scheme.empty()) {
    cb(Err::kBadArguments);
    return;
  }
  impl_->AddAuth(std::string(scheme), std::string(auth), std::move(cb));
}

void Client::GetConfigAsync(Watcher watcher, Callback<DataResult> cb) {
  const std::string sp(kConfigNode);  // never under the chroot
  const bool watch = static_cast<bool>(watcher);
  impl_->Submit(WithWatch(MakeRequest<DataResult>(impl_.get(), OpCode::kGetData,
                                                  Encode(proto::PathWatchRequest{sp, watch}),
                                                  std::move(cb), ReadDataResult),
                          WatchKind::kData, sp, std::move(watcher)));
}

void Client::ReconfigAsync(std::string_view joining, std::string_view leaving,
                           std::string_view new_members, int64_t from_config,
                           Callback<DataResult> cb) {
  const auto nullable = [](std::string_view s) {
    return s.empty() ? std::nullopt : std::optional<std::string>(s);
  };
  proto::ReconfigRequest req{nullable(joining), nullable(leaving), nullable(new_members),
                             from_config};
  impl_->Submit(MakeRequest<DataResult>(impl_.get(), OpCode::kReconfig, Encode(req),
                                        std::move(cb), ReadDataResult));
}

Result<void> Client::UpdateServerList(std::string_view hosts) {
  std::optional<ConnectString> parsed = ParseConnectString(hosts);
  if (!parsed || !parsed->chroot.empty()) return Err::kBadArguments;
  impl_->UpdateHosts(std::move(parsed->hosts));
  return Result<void>();
}

std::string ClientHostsOf(std::string_view config_text) {
  std::string out;
  size_t start = 0;
  while (start < config_text.size()) {
    size_t end = config_text.find('\n', start);
    if (end == std::string_view::npos) end = config_text.size();
    std::string_view line = config_text.substr(start, end - start);
    start = end + 1;
    if (!line.starts_with("server.")) continue;
    const size_t eq = line.find('=');
    const size_t semi = line.find(';');
    if (eq == std::string_view::npos || semi == std::string_view::npos || semi < eq) continue;
    std::string_view quorum_host = line.substr(eq + 1, semi - eq - 1);
    quorum_host = quorum_host.starts_with('[')
                      ? quorum_host.substr(0, quorum_host.find(']') + 1)
                      : quorum_host.substr(0, quorum_host.find(':'));
    std::string_view client = line.substr(semi + 1);
    std::string_view host;
    std::string_view port = client;
    if (const size_t colon = client.rfind(':'); colon != std::string_view::npos) {
      host = client.substr(0, colon);
      port = client.substr(colon + 1);
    }
    if (host.empty() || host == "0.0.0.0" || host == "[::]" || host == "[0:0:0:0:0:0:0:0]") {
      host = quorum_host;
    }
    if (port.empty()) continue;
    if (!out.empty()) out += ",";
    out += std::string(host) + ":" + std::string(port);
  }
  return out;
}

void Client::WhoAmIAsync(Callback<std::vector<ClientInfo>> cb) {
  impl_->Submit(MakeRequest<std::vector<ClientInfo>>(
      impl_.get(), OpCode::kWhoAmI, std::string(), std::move(cb),
      [](proto::JuteReader& r, std::vector<ClientInfo>* out) {
        proto::WhoAmIResponse resp;
        if (!resp.Read(r)) return false;
        for (auto& ci : resp.client_info) out->push_back({ci.auth_scheme, ci.user});
        return true;
      }));
}

}  // namespace zk::client
