#include "client/discovery/service_instance.h"

#include <algorithm>
#include <charconv>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace zk::discovery {

const char* ServiceTypeName(ServiceType type) {
  switch (type) {
    case ServiceType::kDynamic: return "DYNAMIC";
    case ServiceType::kStatic: return "STATIC";
    case ServiceType::kPermanent: return "PERMANENT";
    case ServiceType::kDynamicSequential: return "DYNAMIC_SEQUENTIAL";
  }
  return "DYNAMIC";
}

namespace {

std::optional<int64_t> PositiveNumber(const nlohmann::json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) {
    int64_t n = v.get<int64_t>();
    if (n > 0) return n;
  } else if (v.is_number_float()) {
    auto n = static_cast<int64_t>(v.get<double>());
    if (n > 0) return n;
  } else if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    int64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && end == s.data() + s.size() && n > 0) return n;
  }
  return std::nullopt;
}

}  // namespace

int32_t WeightOf(const ServiceInstance& instance) {
  constexpr int32_t kDefault = 100;
  if (instance.payload_json.empty()) return kDefault;
  auto payload = nlohmann::json::parse(instance.payload_json, nullptr, /*allow_exceptions=*/false);
  if (!payload.is_object()) return kDefault;
  std::optional<int64_t> w;
  if (auto it = payload.find("weight"); it != payload.end()) w = PositiveNumber(*it);
  if (!w) {
    if (auto m = payload.find("metadata"); m != payload.end() && m->is_object()) {
      if (auto it = m->find("weight"); it != m->end()) w = PositiveNumber(*it);
    }
  }
  if (!w) return kDefault;
  return static_cast<int32_t>(std::min<int64_t>(*w, INT32_MAX));
}

}  // namespace zk::discovery
