// Workload: random client writes for the simulation — creates (persistent, sequential,
// ephemeral), setData, delete, multi, createSession and closeSession on a handful of paths, so
// that writes conflict, fail in Prep (ErrorTxn) and delete ephemerals when sessions close.
// Requests only: the leader's Prep turns them into txns against its tree.
//
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <vector>

#include "server/prep.h"
#include "tests/sim/rng.h"

namespace zk::sim {

struct ClientWrite {
  server::WriteRequest req;
  int64_t session_id = 0;
};

class Workload {
 public:
  explicit Workload(Rng* rng) : rng_(rng) {}
  ClientWrite Next();

 private:
  server::WriteOp RandomOp(int64_t session_id);

  Rng* rng_;
  std::vector<int64_t> sessions_;
  int64_t next_session_ = 0x1000;
};

}  // namespace zk::sim
