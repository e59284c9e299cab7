// zk::recipes::ConfigWatcher<T>: a typed configuration value kept in one znode, parsed from its
// data and kept current by a NodeCache, on the public zk::client::Client API.
//
//   zk::recipes::ConfigWatcher<int64_t> limit(*client, "/config/max-connections",
//                                             zk::recipes::ParseInt64, /*fallback=*/100);
//   limit.SetChangeListener([](const std::optional<int64_t>& old_value,
//                              const std::optional<int64_t>& new_value) { ... });
//   limit.SetErrorListener([](const zk::recipes::ConfigError& e) { log(e.message); });
//   limit.Start();
//   limit.AwaitInitialized(std::chrono::seconds(10));
//   int64_t now = limit.GetOr(100);
//
// The value: the node's data parsed by the parse function while the node exists and parses; the
// fallback (nullopt unless given) while the node does not exist. Data that does not parse leaves
// the value as it was (the last good value, or the fallback) and is reported to the error
// listener and by LastError(); the next data that parses clears LastError(). The change listener
// is called with the old and the new value whenever the value changes (for a T without ==, on
// every change of the node that gives a value); a rewrite with an equal value is not a change.
// Values are applied in the order the node changed; fast successive writes may be coalesced
// (NodeCache, cache.h).
//
// Failure model: the NodeCache's (cache.h): after a reconnect the node is re-read and a change
// missed meanwhile is applied; when the session ends (kExpired) the last value stays readable and
// Rebind(new client) resumes watching.
//
// Threads: Get, GetOr, LastError may be called from any thread at any time. The listeners run on
// the cache's event thread, one at a time, in order; they may block. Set them before Start.
// Start, Rebind, Close as in cache.h; AwaitInitialized blocks.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "client/recipes/node_cache.h"

namespace zk::recipes {

// Data that did not parse.
struct ConfigError {
  std::string path;
  std::string data;     // the data as read
  std::string message;  // the parse function's message
  client::Stat stat;    // of the node version that did not parse
};

// Parses a node's data; on failure returns nullopt and sets *error (never null).
template <class T>
using ConfigParser = std::function<std::optional<T>(std::string_view data, std::string* error)>;

// Parsers for common types. Surrounding ASCII whitespace is ignored (except by ParseString).
std::optional<std::string> ParseString(std::string_view data, std::string* error);  // as is
std::optional<int64_t> ParseInt64(std::string_view data, std::string* error);       // decimal
std::optional<double> ParseDouble(std::string_view data, std::string* error);
// true/false, 1/0, yes/no, on/off (case-insensitive).
std::optional<bool> ParseBool(std::string_view data, std::string* error);

template <class T>
class ConfigWatcher {
 public:
  using ChangeListener =
      std::function<void(const std::optional<T>& old_value, const std::optional<T>& new_value)>;
  using ErrorListener = std::function<void(const ConfigError& error)>;

  // REQUIRES: `client` outlives the watcher (or the next Rebind); `path` is an absolute znode
  // path; `parse` is callable from the cache's event thread.
  ConfigWatcher(client::Client& client, std::string path, ConfigParser<T> parse,
                std::optional<T> fallback = std::nullopt)
      : cache_(client, std::move(path)),
        parse_(std::move(parse)),
        fallback_(fallback),
        value_(std::move(fallback)) {
    cache_.AddListener([this](const CacheEvent& ev) { OnEvent(ev); });
  }
  ~ConfigWatcher() { cache_.Close(); }  // before the members the listener uses go
  ConfigWatcher(const ConfigWatcher&) = delete;
  ConfigWatcher& operator=(const ConfigWatcher&) = delete;

  client::Result<void> Start() { return cache_.Start(); }
  client::Result<bool> AwaitInitialized(std::chrono::milliseconds timeout) {
    return cache_.AwaitInitialized(timeout);
  }
  client::Result<void> Rebind(client::Client& client) { return cache_.Rebind(client); }
  void Close() { cache_.Close(); }

  // The current value (see above).
  std::optional<T> Get() const {
    std::lock_guard<std::mutex> g(mu_);
    return value_;
  }
  T GetOr(T otherwise) const {
    std::lock_guard<std::mutex> g(mu_);
    return value_ ? *value_ : std::move(otherwise);
  }
  // The error of the node's current data, if it does not parse.
  std::optional<ConfigError> LastError() const {
    std::lock_guard<std::mutex> g(mu_);
    return error_;
  }
  void SetChangeListener(ChangeListener listener) {
    std::lock_guard<std::mutex> g(mu_);
    on_change_ = std::move(listener);
  }
  void SetErrorListener(ErrorListener listener) {
    std::lock_guard<std::mutex> g(mu_);
    on_error_ = std::move(listener);
  }
  const std::string& path() const { return cache_.path(); }

 private:
  // On the cache's event thread, one event at a time.
  void OnEvent(const CacheEvent& ev) {
    std::optional<T> next;
    if (ev.type == CacheEventType::kAdded || ev.type == CacheEventType::kUpdated) {
      std::string message;
      next = parse_(ev.node.data, &message);
      if (!next) {
        ConfigError err{ev.node.path, ev.node.data, std::move(message), ev.node.stat};
        ErrorListener on_error;
        {
          std::lock_guard<std::mutex> g(mu_);
          error_ = err;
          on_error = on_error_;
        }
        if (on_error) on_error(err);
        return;
      }
    } else if (ev.type == CacheEventType::kRemoved) {
      next = fallback_;
    } else {
      return;
    }
    std::optional<T> old;
    ChangeListener on_change;
    {
      std::lock_guard<std::mutex> g(mu_);
      error_.reset();
      if constexpr (std::equality_comparable<T>) {
        if (value_ == next) return;
      }
      old = std::exchange(value_, next);
      on_change = on_change_;
    }
    if (on_change) on_change(old, next);
  }

  NodeCache cache_;
  const ConfigParser<T> parse_;
  const std::optional<T> fallback_;
  mutable std::mutex mu_;
  std::optional<T> value_;
  std::optional<ConfigError> error_;
  ChangeListener on_change_;
  ErrorListener on_error_;
};

}  // namespace zk::recipes
