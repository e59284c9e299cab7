// The JSON of a registered instance, as Apache Curator's JsonInstanceSerializer writes and reads
// it (curator-x-discovery; Dubbo 3's application-level discovery uses it too):
//   {"name":...,"id":...,"address":...,"port":...,"sslPort":...,"payload":...,
//    "registrationTimeUTC":...,"serviceType":"DYNAMIC","uriSpec":...}
// with null for absent port, sslPort, payload and uriSpec — the output of Curator 5.4's default
// serializer (its "compatible" mode), byte for byte. That mode has no "enabled" member (an
// instance reads as enabled); we add "enabled":false for a disabled instance, which Curator's
// reader honours (its non-compatible mode writes the member always). Reading is lenient as Curator's is:
// unknown members are ignored, missing ones take their defaults, "enabled" defaults to true; the
// payload and the uriSpec are kept as JSON text, whatever they hold. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "client/discovery/service_instance.h"
#include "client/result.h"

namespace zk::discovery {

std::string ToCuratorJson(const ServiceInstance& instance);
// kMarshallingError: not JSON, not an object, or without a string "name" and "id".
client::Result<ServiceInstance> FromCuratorJson(std::string_view json);

}  // namespace zk::discovery
