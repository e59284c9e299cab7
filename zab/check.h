// Always-on invariant checks (also in release builds): a broken invariant aborts with a message.
// ZooKeeper result codes and I/O errors are never reported this way.
#pragma once

#include <cstdio>
#include <cstdlib>

#define ZK_CHECK(cond)                                                                 \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);    \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)
