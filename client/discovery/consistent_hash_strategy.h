// zk::discovery::ConsistentHashStrategy: Dubbo's ConsistentHashLoadBalance — calls with the same
// key go to the same instance, and when an instance comes or goes only the keys of that instance
// move.
//
// The ring is ketama's, as Dubbo builds it: for each instance, its endpoint "address:port" (the
// address alone without a port; Dubbo's URL address) and for i in [0, virtual_nodes / 4) the MD5
// of endpoint + decimal i gives four 32-bit points (the digest's bytes 4h..4h+3, little-endian),
// so 160 virtual nodes per instance by default. A key is the MD5 of the caller's key string (the
// chosen call arguments concatenated, as Dubbo's hash.arguments), its first four bytes
// little-endian; it goes to the first point at or after it, wrapping around. A point two
// instances share goes to the later one in the list (Dubbo's TreeMap.put). The same endpoints and
// key give the same instance as a Dubbo consumer picks.
//
// Since an instance's points depend only on its own endpoint, removing an instance moves exactly
// the keys that were on it (to the next points on the ring), and adding one takes only the keys
// that now fall on its points (about 1/n of them).
//
// A ring is built for a list of candidates (n x virtual nodes / 4 MD5s and a sort of the points)
// and kept for the next picks that see the same endpoints in the same order; the rings of the
// last 8 distinct lists are kept (threads may see different lists for a while,
// or the down-instance policy may exclude an instance), so alternating lists do not rebuild.
// Keep the candidates' order stable (as the discovery cache does).
//
// Threads: thread-safe; rings are shared immutable, looked up under a short mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "client/discovery/provider_strategy.h"

namespace zk::discovery {

inline constexpr int kDefaultVirtualNodes = 160;  // Dubbo's hash.nodes default

class ConsistentHashStrategy : public ProviderStrategy {
 public:
  // `virtual_nodes` is rounded down to a multiple of 4 (at least 4).
  explicit ConsistentHashStrategy(int virtual_nodes = kDefaultVirtualNodes);

  std::optional<size_t> PickFrom(std::span<const ServiceInstance* const> candidates,
                                 std::string_view key) override;
  std::string_view Name() const override { return "consistenthash"; }

  // An instance's endpoint on the ring ("address:port", or the address without a port).
  static std::string Endpoint(const ServiceInstance& instance);
  // The 32-bit ketama hash number `n` (0..3) of MD5(text), as Dubbo's hash(digest, n).
  static uint32_t KetamaHash(std::string_view text, int n = 0);

 private:
  struct Ring {
    std::vector<std::string> endpoints;                 // the list it was built for
    std::vector<std::pair<uint32_t, uint32_t>> points;  // (point, candidate index), sorted
  };
  std::shared_ptr<const Ring> Build(std::vector<std::string> endpoints) const;

  const int virtual_nodes_;
  static constexpr size_t kMaxRings = 8;
  std::mutex mu_;
  // The rings of recent lists by a hash of their endpoints, newest last; guarded by mu_.
  std::vector<std::pair<uint64_t, std::shared_ptr<const Ring>>> rings_;
};

}  // namespace zk::discovery
