// JSON parsers for zk::recipes::ConfigWatcher (header-only; include it only where nlohmann-json
// is available — the recipes library itself does not depend on it).
//
//   zk::recipes::ConfigWatcher<nlohmann::json> doc(*client, "/config/app", zk::recipes::ParseJson);
//   zk::recipes::ConfigWatcher<Limits> limits(*client, "/config/limits",
//                                             zk::recipes::JsonAs<Limits>());  // from_json(Limits)
//
// Thread-safe (pure functions).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "client/recipes/config_watcher.h"

namespace zk::recipes {

// Any JSON document.
inline std::optional<nlohmann::json> ParseJson(std::string_view data, std::string* error) {
  try {
    return nlohmann::json::parse(data);
  } catch (const nlohmann::json::exception& e) {
    *error = e.what();
    return std::nullopt;
  }
}

// A JSON document converted to T with nlohmann's from_json (or T's json constructors).
template <class T>
ConfigParser<T> JsonAs() {
  return [](std::string_view data, std::string* error) -> std::optional<T> {
    try {
      return nlohmann::json::parse(data).get<T>();
    } catch (const nlohmann::json::exception& e) {
      *error = e.what();
      return std::nullopt;
    }
  };
}

}  // namespace zk::recipes
