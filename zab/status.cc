#include "zab/status.h"

namespace zk::zab {

std::string Status::ToString() const {
  const char* name = "Unknown";
  switch (code_) {
    case Code::kOk:
      return "OK";
    case Code::kIOError:
      name = "IO error";
      break;
    case Code::kCorruption:
      name = "Corruption";
      break;
    case Code::kInvalidArgument:
      name = "Invalid argument";
      break;
  }
  std::string result(name);
  result.append(": ");
  result.append(message_);
  return result;
}

}  // namespace zk::zab
