// Fuzzes IsValidPath and the path helpers (server/path_utils.h). The first byte's low bit picks
// the `sequential` flag. Checks, for every valid path: starts with '/', no "//", no trailing '/'
// (unless it is "/"), no NUL, no "." or ".." component; for a valid path other than "/", its
// parent is valid, JoinPath(ParentPath(p), NodeName(p)) == p and PathCovers(parent, p).
// `sequential` validity equals plain validity of the path with a digit appended.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/path_utils.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zk::server;
  if (size == 0) return 0;
  const bool sequential = (data[0] & 1) != 0;
  const std::string_view path(reinterpret_cast<const char*>(data) + 1, size - 1);

  const bool valid = IsValidPath(path, sequential);
  if (sequential) {
    FUZZ_CHECK(valid == IsValidPath(std::string(path) + "1"));
    return 0;
  }
  if (!valid) return 0;
  FUZZ_CHECK(!path.empty() && path[0] == '/');
  FUZZ_CHECK(path.find("//") == std::string_view::npos);
  FUZZ_CHECK(path.find('\0') == std::string_view::npos);
  if (path == "/") return 0;
  FUZZ_CHECK(path.back() != '/');
  const std::string with_slash = std::string(path) + "/";
  FUZZ_CHECK(with_slash.find("/./") == std::string::npos);
  FUZZ_CHECK(with_slash.find("/../") == std::string::npos);

  const std::string_view parent = ParentPath(path);
  const std::string_view name = NodeName(path);
  FUZZ_CHECK(IsValidPath(parent));
  FUZZ_CHECK(!name.empty());
  FUZZ_CHECK(JoinPath(parent, name) == path);
  FUZZ_CHECK(PathCovers(parent, path));
  FUZZ_CHECK(PathCovers(path, path));
  FUZZ_CHECK(PathCovers("/", path));
  return 0;
}
