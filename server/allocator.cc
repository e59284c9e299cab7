#include "server/allocator.h"

#include <malloc.h>

#include <cstddef>

// gperftools' C API (gperftools/malloc_extension_c.h); null unless tcmalloc is linked in.
extern "C" {
int MallocExtension_GetNumericProperty(const char* property, size_t* value) __attribute__((weak));
void MallocExtension_ReleaseFreeMemory() __attribute__((weak));
}

namespace zk::server {
namespace {

bool TcmallocLinked() {
  return MallocExtension_GetNumericProperty != nullptr &&
         MallocExtension_ReleaseFreeMemory != nullptr;
}

uint64_t TcmallocProperty(const char* name) {
  size_t value = 0;
  return MallocExtension_GetNumericProperty(name, &value) ? value : 0;
}

}  // namespace

void ReleaseFreeMemory() {
  if (TcmallocLinked()) {
    MallocExtension_ReleaseFreeMemory();
  } else {
    malloc_trim(0);
  }
}

AllocatorFigures CurrentAllocatorFigures() {
  AllocatorFigures f;
  if (TcmallocLinked()) {
    f.allocated_bytes = TcmallocProperty("generic.current_allocated_bytes");
    const uint64_t heap = TcmallocProperty("generic.heap_size");
    const uint64_t unmapped = TcmallocProperty("tcmalloc.pageheap_unmapped_bytes");
    const uint64_t held = heap > unmapped ? heap - unmapped : 0;
    f.free_bytes = held > f.allocated_bytes ? held - f.allocated_bytes : 0;
  } else {
    const struct mallinfo2 heap = mallinfo2();
    f.allocated_bytes = heap.uordblks + heap.hblkhd;
    f.free_bytes = heap.fordblks;
  }
  return f;
}

}  // namespace zk::server
