// The instance JSON of curator-x-discovery: what we write, what we read from Curator (fields,
// nulls, unknown members, foreign payloads kept verbatim), and WeightOf.
#include <doctest/doctest.h>

#include "client/discovery/instance_json.h"

namespace zk::discovery {
namespace {

TEST_CASE("instance json: Curator's default serializer's bytes; enabled written only when false") {
  ServiceInstance in;
  in.name = "orders";
  in.id = "a1";
  in.address = "10.0.0.7";
  in.port = 8080;
  in.registration_time_utc = 1700000000123;
  CHECK(ToCuratorJson(in) ==
        R"({"name":"orders","id":"a1","address":"10.0.0.7","port":8080,"sslPort":null,)"
        R"("payload":null,"registrationTimeUTC":1700000000123,"serviceType":"DYNAMIC",)"
        R"("uriSpec":null})");
  in.ssl_port = 8443;
  in.payload_json = R"({"weight":5,"zone":"b"})";
  in.uri_spec_json = R"({"parts":[{"value":"http://","variable":false}]})";
  in.enabled = false;
  in.service_type = ServiceType::kPermanent;
  CHECK(ToCuratorJson(in).ends_with(R"(,"enabled":false})"));
  auto back = FromCuratorJson(ToCuratorJson(in));
  REQUIRE(back.ok());
  CHECK(*back == in);
}

TEST_CASE("instance json: Curator's output is read with every field, foreign payloads kept") {
  // As Curator 5.4's JsonInstanceSerializer writes an instance whose payload is a Java object.
  const char* curator =
      R"({"name":"svc","id":"0b3a","address":"192.168.1.2","port":null,"sslPort":443,)"
      R"("payload":{"@class":"com.example.Meta","tags":["x","y"],"nested":{"k":1}},)"
      R"("registrationTimeUTC":1325129459728,"serviceType":"DYNAMIC_SEQUENTIAL",)"
      R"("uriSpec":{"parts":[{"value":"scheme","variable":true}]},"enabled":true,"extra":7})";
  auto in = FromCuratorJson(curator);
  REQUIRE(in.ok());
  CHECK(in->name == "svc");
  CHECK(in->id == "0b3a");
  CHECK(in->address == "192.168.1.2");
  CHECK_FALSE(in->port.has_value());
  CHECK(in->ssl_port == 443);
  CHECK(in->registration_time_utc == 1325129459728);
  CHECK(in->service_type == ServiceType::kDynamicSequential);
  CHECK(in->payload_json ==
        R"({"@class":"com.example.Meta","tags":["x","y"],"nested":{"k":1}})");
  CHECK(in->uri_spec_json == R"({"parts":[{"value":"scheme","variable":true}]})");
  CHECK(in->enabled);
  // Written back, the payload is unchanged (member order included).
  auto again = FromCuratorJson(ToCuratorJson(*in));
  REQUIRE(again.ok());
  CHECK(again->payload_json == in->payload_json);
  // Older Curator versions leave "enabled" out: true.
  auto old = FromCuratorJson(R"({"name":"n","id":"i","address":"h"})");
  REQUIRE(old.ok());
  CHECK(old->enabled);
  CHECK(old->service_type == ServiceType::kDynamic);
}

TEST_CASE("instance json: what is not an instance is refused") {
  CHECK(FromCuratorJson("").err() == Err::kMarshallingError);
  CHECK(FromCuratorJson("not json").err() == Err::kMarshallingError);
  CHECK(FromCuratorJson("[1,2]").err() == Err::kMarshallingError);
  CHECK(FromCuratorJson(R"({"name":"n"})").err() == Err::kMarshallingError);
  CHECK(FromCuratorJson(R"({"name":1,"id":"i"})").err() == Err::kMarshallingError);
}

TEST_CASE("WeightOf: payload weight, Dubbo's metadata weight, default 100") {
  ServiceInstance in;
  CHECK(WeightOf(in) == 100);
  in.payload_json = R"({"weight":7})";
  CHECK(WeightOf(in) == 7);
  in.payload_json = R"({"metadata":{"weight":"250"}})";
  CHECK(WeightOf(in) == 250);
  in.payload_json = R"({"metadata":{"weight":"x"}})";
  CHECK(WeightOf(in) == 100);
  in.payload_json = R"({"weight":0})";
  CHECK(WeightOf(in) == 100);
  in.payload_json = R"("just text")";
  CHECK(WeightOf(in) == 100);
}

}  // namespace
}  // namespace zk::discovery
