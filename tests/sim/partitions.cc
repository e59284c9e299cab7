#include "tests/sim/partitions.h"

namespace zk::sim {
namespace {

void CutBetween(const std::vector<zab::ServerId>& a, const std::vector<zab::ServerId>& b,
                std::set<Direction>* held) {
  for (zab::ServerId x : a) {
    for (zab::ServerId y : b) {
      held->insert({x, y});
      held->insert({y, x});
    }
  }
}

std::string ListOf(const std::vector<zab::ServerId>& v) {
  std::string s = "{";
  for (zab::ServerId x : v) s += (s.size() > 1 ? "," : "") + std::to_string(x);
  return s + "}";
}

}  // namespace

std::optional<NetworkPartition> RandomPartition(Rng& rng, const std::vector<zab::ServerId>& ids,
                                         zab::ServerId leader) {
  NetworkPartition p;
  switch (rng.Below(4)) {
    case 0: {  // isolate the leader (or anyone)
      zab::ServerId l = leader != 0 ? leader : ids[rng.Below(ids.size())];
      std::vector<zab::ServerId> rest;
      for (zab::ServerId x : ids) {
        if (x != l) rest.push_back(x);
      }
      CutBetween({l}, rest, &p.held);
      p.what = "partition: isolate " + std::to_string(l);
      break;
    }
    case 1: {  // symmetric split
      std::vector<zab::ServerId> a, b;
      for (zab::ServerId x : ids) (rng.Below(2) ? a : b).push_back(x);
      if (a.empty() || b.empty()) return std::nullopt;
      CutBetween(a, b, &p.held);
      p.what = "partition: " + ListOf(a) + " | " + ListOf(b);
      break;
    }
    case 2: {  // asymmetric: one or two directions held
      p.what = "partition: asymmetric";
      for (uint64_t k = 1 + rng.Below(2); k > 0; --k) {
        zab::ServerId x = ids[rng.Below(ids.size())];
        zab::ServerId y = ids[rng.Below(ids.size())];
        if (x == y) continue;
        p.held.insert({x, y});
        p.what += " " + std::to_string(x) + "->" + std::to_string(y);
      }
      if (p.held.empty()) return std::nullopt;
      break;
    }
    default: {  // bridge: two halves that talk only through one server
      zab::ServerId bridge = ids[rng.Below(ids.size())];
      std::vector<zab::ServerId> a, b;
      for (zab::ServerId x : ids) {
        if (x != bridge) (rng.Below(2) ? a : b).push_back(x);
      }
      if (a.empty() || b.empty()) return std::nullopt;
      CutBetween(a, b, &p.held);
      p.what = "partition: " + ListOf(a) + " | " + ListOf(b) + " bridged by " +
               std::to_string(bridge);
      break;
    }
  }
  return p;
}

}  // namespace zk::sim
