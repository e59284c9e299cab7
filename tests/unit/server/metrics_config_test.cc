// The metricsProvider.* keys of zoo.cfg (ZooKeeper 3.8's Prometheus provider).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "server/config.h"

namespace zk::server {
namespace {

constexpr const char* kPrometheus =
    "metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider\n";

TEST_CASE("metrics are off by default, on port 7000 of every address when enabled") {
  std::vector<std::string> warnings;
  auto off = ParseConfigText("dataDir=/d\n", &warnings);
  REQUIRE(off.ok());
  CHECK_FALSE(off.value().metrics_provider_enabled);

  auto on = ParseConfigText(std::string("dataDir=/d\n") + kPrometheus, &warnings);
  REQUIRE(on.ok());
  CHECK(on.value().metrics_provider_enabled);
  CHECK(on.value().metrics_http_host == "0.0.0.0");
  CHECK(on.value().metrics_http_port == 7000);
  CHECK(warnings.empty());
}

TEST_CASE("httpHost, httpPort and exportJvmInfo are read") {
  std::vector<std::string> warnings;
  auto c = ParseConfigText(std::string("dataDir=/d\n") + kPrometheus +
                               "metricsProvider.httpHost=127.0.0.1\n"
                               "metricsProvider.httpPort=9141\n"
                               "metricsProvider.exportJvmInfo=false\n",
                           &warnings);
  REQUIRE(c.ok());
  CHECK(c.value().metrics_http_host == "127.0.0.1");
  CHECK(c.value().metrics_http_port == 9141);
  CHECK(warnings.empty());
}

TEST_CASE("ZooKeeper's default provider leaves the endpoint off") {
  auto c = ParseConfigText(
      "dataDir=/d\n"
      "metricsProvider.className=org.apache.zookeeper.metrics.impl.DefaultMetricsProvider\n",
      nullptr);
  REQUIRE(c.ok());
  CHECK_FALSE(c.value().metrics_provider_enabled);
}

TEST_CASE("an unknown provider class or a bad port is a startup error naming the key") {
  auto c = ParseConfigText("dataDir=/d\nmetricsProvider.className=com.example.Other\n", nullptr);
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().message().find("metricsProvider.className") != std::string::npos);
  CHECK(c.status().message().find("com.example.Other") != std::string::npos);

  auto p = ParseConfigText(
      std::string("dataDir=/d\n") + kPrometheus + "metricsProvider.httpPort=70000\n", nullptr);
  REQUIRE_FALSE(p.ok());
  CHECK(p.status().message().find("metricsProvider.httpPort") != std::string::npos);

  auto b = ParseConfigText("dataDir=/d\nmetricsProvider.exportJvmInfo=maybe\n", nullptr);
  CHECK_FALSE(b.ok());
}

}  // namespace
}  // namespace zk::server
