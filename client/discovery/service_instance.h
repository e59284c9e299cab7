// zk::discovery::ServiceInstance: one registered instance of a service, with the fields of
// Apache Curator's ServiceInstance (curator-x-discovery), which Dubbo 3's application-level
// discovery also writes. Stored as JSON in the instance's znode exactly as Curator's
// JsonInstanceSerializer writes it (see instance_json.h); the payload is kept as JSON text, so an
// instance whose payload is an object of another program survives a read and a write unchanged.
// A value type; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace zk::discovery {

// Curator's ServiceType.
enum class ServiceType { kDynamic, kStatic, kPermanent, kDynamicSequential };
const char* ServiceTypeName(ServiceType type);  // "DYNAMIC", "STATIC", ...

struct ServiceInstance {
  std::string name;     // the service name
  std::string id;       // unique within the service (the znode's name)
  std::string address;  // host name or IP
  std::optional<int32_t> port;
  std::optional<int32_t> ssl_port;
  int64_t registration_time_utc = 0;  // ms since the epoch
  ServiceType service_type = ServiceType::kDynamic;
  std::string uri_spec_json;  // Curator's UriSpec as JSON ({"parts":[...]}); empty: none
  bool enabled = true;
  std::string payload_json;   // the payload as JSON text; empty: none (null)

  bool operator==(const ServiceInstance&) const = default;
};

// The instance's weight for load balancing: the payload's "weight" member, or its
// "metadata"."weight" (a number or a decimal string, as Dubbo writes it); 100 (Dubbo's default)
// when absent or not a positive number.
int32_t WeightOf(const ServiceInstance& instance);

}  // namespace zk::discovery
