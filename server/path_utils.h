// ZooKeeper path rules and helpers: validation exactly as ZooKeeper's PathUtils (absolute, no
// empty, "." or ".." components, no trailing slash, none of the forbidden code points), and
// splitting a path into parent and name. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace zk::server {

// Returns true when `path` is a valid znode path. With `sequential`, the path may end in '/'
// (the server appends the sequence number).
bool IsValidPath(std::string_view path, bool sequential = false);

// "/a/b" -> "/a"; "/a" -> "/". REQUIRES: path starts with '/' and is not "/".
std::string_view ParentPath(std::string_view path);

// "/a/b" -> "b". REQUIRES: path starts with '/'.
std::string_view NodeName(std::string_view path);

// Joins a parent path and a child name: ("/", "a") -> "/a", ("/a", "b") -> "/a/b".
std::string JoinPath(std::string_view parent, std::string_view name);

// True when `path` equals `prefix` or lies below it ("/a" covers "/a/b" but not "/ab").
bool PathCovers(std::string_view prefix, std::string_view path);

}  // namespace zk::server
