// MetricsExporter: the Prometheus endpoint (ZooKeeper's PrometheusMetricsProvider, enabled by
// metricsProvider.className): an HTTP server (prometheus-cpp's pull Exposer, its own threads)
// answering GET /metrics in the Prometheus text format.
//
// Nothing is observed into prometheus-cpp objects as requests run: at each scrape the exporter
// asks for one MetricsSnapshot (the server takes it on its io thread) and builds the metric
// families from it (MetricFamiliesOf), so the request path only ever bumps plain counters and
// LogLinearHistograms. Names follow ZooKeeper's Prometheus provider (gauges, counters and
// summaries with quantiles 0.5/0.9/0.99, in ZooKeeper's units); figures ZooKeeper has no name
// for carry a zabkeeper_ prefix.
//
// Thread-safety: Start and the destructor on one thread; the snapshot source is called on the
// exporter's HTTP threads, one call per scrape, and must be thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/metrics_snapshot.h"
#include "zab/status.h"

namespace prometheus {
class Exposer;
struct MetricFamily;
}  // namespace prometheus

namespace zk::server {

// The metric families /metrics exports for one snapshot.
std::vector<prometheus::MetricFamily> MetricFamiliesOf(const MetricsSnapshot& m);

// The Prometheus text exposition of `families` (what a scrape of them returns).
std::string PrometheusText(const std::vector<prometheus::MetricFamily>& families);

class MetricsExporter {
 public:
  // Returns the figures to export, or nullopt when they cannot be had (the scrape then
  // returns no samples).
  using SnapshotSource = std::function<std::optional<MetricsSnapshot>()>;

  // Listens on host:port (port 0: the kernel picks) and serves /metrics from `source`.
  // An IOError when the address cannot be bound.
  static zab::Result<std::unique_ptr<MetricsExporter>> Start(const std::string& host, int port,
                                                             SnapshotSource source);
  // Stops the HTTP threads (waiting for a scrape in progress).
  ~MetricsExporter();
  MetricsExporter(const MetricsExporter&) = delete;
  MetricsExporter& operator=(const MetricsExporter&) = delete;

  // The port it listens on.
  int port() const { return port_; }

 private:
  class Collector;
  MetricsExporter() = default;

  std::shared_ptr<Collector> collector_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace zk::server
