#include "client/recipes/cache.h"

#include "client/recipes/cache_engine.h"

namespace zk::recipes {

const char* CacheEventTypeName(CacheEventType type) {
  switch (type) {
    case CacheEventType::kAdded:
      return "added";
    case CacheEventType::kUpdated:
      return "updated";
    case CacheEventType::kRemoved:
      return "removed";
    case CacheEventType::kInitialized:
      return "initialized";
    case CacheEventType::kSuspended:
      return "suspended";
    case CacheEventType::kReconnected:
      return "reconnected";
    case CacheEventType::kResynced:
      return "resynced";
    case CacheEventType::kSessionEnded:
      return "session-ended";
  }
  return "unknown";
}

Cache::Cache(client::Client& client, const detail::CacheEngineOptions& options)
    : engine_(std::make_shared<detail::CacheEngine>(client, options)) {}

Cache::~Cache() { engine_->Close(); }

client::Result<void> Cache::Start() { return engine_->Start(); }

client::Result<bool> Cache::AwaitInitialized(std::chrono::milliseconds timeout) {
  return engine_->AwaitInitialized(timeout);
}

bool Cache::initialized() const { return engine_->initialized(); }

client::Result<void> Cache::Rebind(client::Client& client) { return engine_->Rebind(client); }

void Cache::Close() { engine_->Close(); }

uint64_t Cache::AddListener(CacheListener listener) {
  return engine_->AddListener(std::move(listener));
}

void Cache::RemoveListener(uint64_t id) { engine_->RemoveListener(id); }

std::optional<CachedNode> Cache::Get(const std::string& path) const { return engine_->Get(path); }

bool Cache::uses_persistent_watch() const { return engine_->uses_persistent_watch(); }

std::map<std::string, CachedNode> Cache::Nodes() const { return engine_->Nodes(); }

std::map<std::string, CachedNode> Cache::ChildrenOf(const std::string& path) const {
  return engine_->ChildrenOf(path);
}

}  // namespace zk::recipes
