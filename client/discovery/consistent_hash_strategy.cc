#include "client/discovery/consistent_hash_strategy.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <functional>
#include <map>

namespace zk::discovery {

namespace {

std::array<unsigned char, 16> Md5(std::string_view text) {
  std::array<unsigned char, 16> digest{};
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_md5(), nullptr);
  return digest;
}

uint32_t Point(const std::array<unsigned char, 16>& digest, int n) {
  return static_cast<uint32_t>(digest[n * 4]) | static_cast<uint32_t>(digest[n * 4 + 1]) << 8 |
         static_cast<uint32_t>(digest[n * 4 + 2]) << 16 |
         static_cast<uint32_t>(digest[n * 4 + 3]) << 24;
}

// endpoint == ConsistentHashStrategy::Endpoint(instance), without building the string.
bool EndpointIs(const std::string& endpoint, const ServiceInstance& instance) {
  if (!instance.port) return endpoint == instance.address;
  char port[16];
  auto end = std::to_chars(port, port + sizeof(port), *instance.port).ptr;
  size_t n = static_cast<size_t>(end - port);
  size_t a = instance.address.size();
  return endpoint.size() == a + 1 + n && endpoint.compare(0, a, instance.address) == 0 &&
         endpoint[a] == ':' && endpoint.compare(a + 1, n, port, n) == 0;
}

}  // namespace

ConsistentHashStrategy::ConsistentHashStrategy(int virtual_nodes)
    : virtual_nodes_(std::max(4, virtual_nodes / 4 * 4)) {}

std::string ConsistentHashStrategy::Endpoint(const ServiceInstance& instance) {
  if (!instance.port) return instance.address;
  return instance.address + ":" + std::to_string(*instance.port);
}

uint32_t ConsistentHashStrategy::KetamaHash(std::string_view text, int n) {
  return Point(Md5(text), n);
}

std::shared_ptr<const ConsistentHashStrategy::Ring> ConsistentHashStrategy::Build(
    std::vector<std::string> endpoints) const {
  auto ring = std::make_shared<Ring>();
  std::map<uint32_t, uint32_t> points;  // a later instance takes a shared point
  for (size_t i = 0; i < endpoints.size(); ++i) {
    for (int r = 0; r < virtual_nodes_ / 4; ++r) {
      auto digest = Md5(endpoints[i] + std::to_string(r));
      for (int h = 0; h < 4; ++h)
        points.insert_or_assign(Point(digest, h), static_cast<uint32_t>(i));
    }
  }
  ring->points.assign(points.begin(), points.end());
  ring->endpoints = std::move(endpoints);
  return ring;
}

std::optional<size_t> ConsistentHashStrategy::PickFrom(
    std::span<const ServiceInstance* const> candidates, std::string_view key) {
  if (candidates.empty()) return std::nullopt;
  if (candidates.size() == 1) return 0;
  // A hash of the endpoints, in order, without building them.
  uint64_t fingerprint = candidates.size();
  for (const ServiceInstance* c : candidates) {
    uint64_t h = std::hash<std::string_view>{}(c->address) ^
                 (static_cast<uint64_t>(c->port.value_or(-1)) * 0x9E3779B97F4A7C15ull);
    fingerprint = (fingerprint ^ h) * 0x100000001B3ull + 0x9E3779B9ull;
  }
  auto matches = [&](const Ring& ring) {
    if (ring.endpoints.size() != candidates.size()) return false;
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (!EndpointIs(ring.endpoints[i], *candidates[i])) return false;
    }
    return true;
  };
  std::shared_ptr<const Ring> ring;
  {
    std::lock_guard lock(mu_);
    for (auto it = rings_.rbegin(); it != rings_.rend(); ++it) {
      if (it->first == fingerprint && matches(*it->second)) {
        ring = it->second;
        break;
      }
    }
  }
  if (!ring) {
    std::vector<std::string> endpoints;
    endpoints.reserve(candidates.size());
    for (const ServiceInstance* c : candidates) endpoints.push_back(Endpoint(*c));
    ring = Build(std::move(endpoints));
    std::lock_guard lock(mu_);
    if (rings_.size() >= kMaxRings) rings_.erase(rings_.begin());
    rings_.emplace_back(fingerprint, ring);
  }
  uint32_t hash = KetamaHash(key, 0);
  auto it = std::lower_bound(ring->points.begin(), ring->points.end(),
                             std::pair<uint32_t, uint32_t>(hash, 0));
  if (it == ring->points.end()) it = ring->points.begin();
  return it->second;
}

}  // namespace zk::discovery
