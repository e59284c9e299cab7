// Tab completion of command names and znode paths. Pure logic: the znode children come from a
// caller-supplied lister (the shell asks the server), so this is unit-testable without one.
// Thread-safety: none needed (no state).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zk::zkcli {

// Children names of an absolute path, or nullopt if they cannot be listed.
using ChildLister = std::function<std::optional<std::vector<std::string>>(const std::string&)>;

struct CompletionResult {
  std::string insert;                // Text to insert at the cursor (may be empty).
  std::vector<std::string> listing;  // Choices to show when the word stays ambiguous.
};

// `before_cursor` is the line up to the cursor. The first word completes against `commands`;
// a later word that starts with '/' (or an empty word) completes as a znode path. A unique
// command gets a trailing space; a unique path gets '/' if it has children, else a space.
CompletionResult Complete(std::string_view before_cursor, const std::vector<std::string>& commands,
                          const ChildLister& lister);

// The longest common prefix of all strings (empty for an empty list).
std::string CommonPrefix(const std::vector<std::string>& items);

}  // namespace zk::zkcli
