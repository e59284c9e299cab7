// The process's allocator, whichever it is: gperftools' tcmalloc in the zabkeeper binary (linked
// there only, CMakeLists.txt), glibc's malloc in the tests and sanitizer builds. tcmalloc is
// reached through weak references to its C API, so the server library links without it.
#pragma once

#include <cstdint>

namespace zk::server {

// Hands the free memory the allocator holds back to the system (after start-up's loading).
void ReleaseFreeMemory();

struct AllocatorFigures {
  uint64_t allocated_bytes = 0;  // in use by the program
  uint64_t free_bytes = 0;       // held by the allocator, free, not yet returned to the system
};
AllocatorFigures CurrentAllocatorFigures();

}  // namespace zk::server
