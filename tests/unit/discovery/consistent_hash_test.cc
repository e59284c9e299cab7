// Dubbo's consistent hash: the same key goes to the same instance; only the keys of an instance
// that comes or goes move.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "client/discovery/consistent_hash_strategy.h"
#include "tests/unit/discovery/test_support.h"

namespace zk::discovery {
namespace {

using testing::Instance;

constexpr int kKeys = 20'000;

std::string Key(int i) { return "user-" + std::to_string(i); }

// key index -> the id of the instance it goes to.
std::vector<std::string> Assign(ConsistentHashStrategy& s,
                                const std::vector<ServiceInstance>& instances) {
  std::vector<std::string> out;
  out.reserve(kKeys);
  for (int i = 0; i < kKeys; ++i) out.push_back(instances[*s.Pick(instances, Key(i))].id);
  return out;
}

std::vector<ServiceInstance> Instances(int n) {
  std::vector<ServiceInstance> out;
  for (int i = 0; i < n; ++i)
    out.push_back(Instance("p" + std::to_string(i), 0, 0, "10.0.0." + std::to_string(i + 1)));
  return out;
}

TEST_CASE("ketama hashing is Dubbo's: MD5, four little-endian 32-bit points") {
  // MD5("") = d41d8cd9 8f00b204 e9800998 ecf8427e.
  CHECK(ConsistentHashStrategy::KetamaHash("", 0) == 0xd98c1dd4u);
  CHECK(ConsistentHashStrategy::KetamaHash("", 1) == 0x04b2008fu);
  CHECK(ConsistentHashStrategy::KetamaHash("", 2) == 0x980980e9u);
  CHECK(ConsistentHashStrategy::KetamaHash("", 3) == 0x7e42f8ecu);
  ServiceInstance i = Instance("x", 0, 0, "192.168.1.7");
  CHECK(ConsistentHashStrategy::Endpoint(i) == "192.168.1.7:20880");
  i.port.reset();
  CHECK(ConsistentHashStrategy::Endpoint(i) == "192.168.1.7");
}

TEST_CASE("consistent hash: the same key gives the same instance; keys spread over instances") {
  ConsistentHashStrategy s;
  auto instances = Instances(5);
  auto first = Assign(s, instances);
  CHECK(Assign(s, instances) == first);
  // Another strategy object, and the list in another order: the same assignment.
  ConsistentHashStrategy other;
  std::vector<ServiceInstance> reversed(instances.rbegin(), instances.rend());
  CHECK(Assign(other, reversed) == first);

  std::map<std::string, int> counts;
  for (const auto& id : first) ++counts[id];
  REQUIRE(counts.size() == 5);
  // 160 virtual nodes: every instance holds between half and twice its fair share.
  for (const auto& [id, n] : counts) {
    CAPTURE(id);
    CHECK(n > kKeys / 5 / 2);
    CHECK(n < kKeys / 5 * 2);
  }
}

TEST_CASE("consistent hash: removing an instance moves exactly its keys") {
  ConsistentHashStrategy s;
  auto instances = Instances(6);
  auto before = Assign(s, instances);
  for (int removed = 0; removed < 6; ++removed) {
    auto fewer = instances;
    fewer.erase(fewer.begin() + removed);
    auto after = Assign(s, fewer);
    const std::string& gone = instances[removed].id;
    int moved = 0;
    for (int k = 0; k < kKeys; ++k) {
      if (before[k] != after[k]) {
        ++moved;
        REQUIRE(before[k] == gone);  // every key that moved was on the removed instance
      } else {
        REQUIRE(before[k] != gone);  // and every key of it moved
      }
    }
    CHECK(moved > 0);
    // Back again: the original assignment.
    CHECK(Assign(s, instances) == before);
  }
}

TEST_CASE("consistent hash: adding an instance takes about 1/n of the keys, from the others") {
  ConsistentHashStrategy s;
  auto instances = Instances(7);
  std::vector<ServiceInstance> six(instances.begin(), instances.end() - 1);
  auto before = Assign(s, six);
  auto after = Assign(s, instances);
  const std::string& added = instances.back().id;
  int moved = 0;
  for (int k = 0; k < kKeys; ++k) {
    if (before[k] != after[k]) {
      ++moved;
      REQUIRE(after[k] == added);  // keys move only to the newcomer
    }
  }
  double share = static_cast<double>(moved) / kKeys;
  CAPTURE(share);
  CHECK(share > 1.0 / 7 / 2);
  CHECK(share < 1.0 / 7 * 2);
}

}  // namespace
}  // namespace zk::discovery
