#include "client/discovery/instance_json.h"

#include <nlohmann/json.hpp>

namespace zk::discovery {

using Json = nlohmann::ordered_json;

namespace {

// Parses embedded JSON text; text that is not JSON is kept as a JSON string.
Json Embedded(const std::string& text) {
  if (text.empty()) return nullptr;
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return text;
  return j;
}

std::optional<int32_t> Port(const Json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) return v.get<int32_t>();
  return std::nullopt;
}

}  // namespace

std::string ToCuratorJson(const ServiceInstance& in) {
  Json j;
  j["name"] = in.name;
  j["id"] = in.id;
  j["address"] = in.address;
  j["port"] = in.port ? Json(*in.port) : Json(nullptr);
  j["sslPort"] = in.ssl_port ? Json(*in.ssl_port) : Json(nullptr);
  j["payload"] = Embedded(in.payload_json);
  j["registrationTimeUTC"] = in.registration_time_utc;
  j["serviceType"] = ServiceTypeName(in.service_type);
  j["uriSpec"] = Embedded(in.uri_spec_json);
  // Curator's default serializer (its "compatible" mode, which Dubbo 3 uses too) writes no
  // "enabled"; readers take it as true. Written only when false, so that what we write for an
  // enabled instance is byte for byte what Curator writes, and a disabled one stays disabled
  // for every reader that knows the member.
  if (!in.enabled) j["enabled"] = false;
  return j.dump();
}

client::Result<ServiceInstance> FromCuratorJson(std::string_view text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Err::kMarshallingError;
  auto name = j.find("name");
  auto id = j.find("id");
  if (name == j.end() || !name->is_string() || id == j.end() || !id->is_string()) {
    return Err::kMarshallingError;
  }
  ServiceInstance out;
  out.name = name->get<std::string>();
  out.id = id->get<std::string>();
  if (auto it = j.find("address"); it != j.end() && it->is_string()) out.address = it->get<std::string>();
  if (auto it = j.find("port"); it != j.end()) out.port = Port(*it);
  if (auto it = j.find("sslPort"); it != j.end()) out.ssl_port = Port(*it);
  if (auto it = j.find("payload"); it != j.end() && !it->is_null()) out.payload_json = it->dump();
  if (auto it = j.find("registrationTimeUTC"); it != j.end() && it->is_number()) {
    out.registration_time_utc = it->get<int64_t>();
  }
  if (auto it = j.find("serviceType"); it != j.end() && it->is_string()) {
    const auto& t = it->get_ref<const std::string&>();
    if (t == "STATIC") out.service_type = ServiceType::kStatic;
    else if (t == "PERMANENT") out.service_type = ServiceType::kPermanent;
    else if (t == "DYNAMIC_SEQUENTIAL") out.service_type = ServiceType::kDynamicSequential;
    else out.service_type = ServiceType::kDynamic;
  }
  if (auto it = j.find("uriSpec"); it != j.end() && !it->is_null()) out.uri_spec_json = it->dump();
  if (auto it = j.find("enabled"); it != j.end() && it->is_boolean()) out.enabled = it->get<bool>();
  return out;
}

}  // namespace zk::discovery
