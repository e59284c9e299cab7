// RandomPartition: the partitions the simulations inject, drawn from a seeded Rng — isolate the
// leader (or anyone, when none leads), a symmetric split into two random groups, one or two
// directions held (asymmetric), or a bridge (two halves that talk only through one server).
// Returns the held directions (Network::SetHeld) and a description, or nullopt when the draw
// came out empty (the caller simply injects nothing this time).
//
// Thread-safety: none.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/sim/network.h"
#include "tests/sim/rng.h"

namespace zk::sim {

struct NetworkPartition {
  std::set<Direction> held;
  std::string what;
};

std::optional<NetworkPartition> RandomPartition(Rng& rng, const std::vector<zab::ServerId>& ids,
                                         zab::ServerId leader);

}  // namespace zk::sim
