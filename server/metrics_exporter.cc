#include "server/metrics_exporter.h"

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <exception>
#include <sstream>
#include <utility>

namespace zk::server {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// The quantiles ZooKeeper's Prometheus provider exports for its summaries.
constexpr double kQuantiles[] = {0.5, 0.9, 0.99};

class FamilyList {
 public:
  void Gauge(std::string name, std::string help, double value) {
    ClientMetric c;
    c.gauge.value = value;
    Add(std::move(name), std::move(help), MetricType::Gauge, std::move(c));
  }
  void Counter(std::string name, std::string help, double value) {
    ClientMetric c;
    c.counter.value = value;
    Add(std::move(name), std::move(help), MetricType::Counter, std::move(c));
  }
  // A summary of `h`, whose values are in units of `divisor` times the exported unit.
  void Summary(std::string name, std::string help, const zab::LogLinearHistogram& h,
               double divisor) {
    ClientMetric c;
    c.summary.sample_count = h.count();
    c.summary.sample_sum = static_cast<double>(h.sum()) / divisor;
    for (double q : kQuantiles) {
      c.summary.quantile.push_back({q, static_cast<double>(h.Quantile(q)) / divisor});
    }
    Add(std::move(name), std::move(help), MetricType::Summary, std::move(c));
  }
  std::vector<MetricFamily> Take() { return std::move(families_); }

 private:
  void Add(std::string name, std::string help, MetricType type, ClientMetric c) {
    MetricFamily f;
    f.name = std::move(name);
    f.help = std::move(help);
    f.type = type;
    f.metric.push_back(std::move(c));
    families_.push_back(std::move(f));
  }
  std::vector<MetricFamily> families_;
};

double D(int64_t v) { return static_cast<double>(v); }
double D(uint64_t v) { return static_cast<double>(v); }

}  // namespace

std::vector<MetricFamily> MetricFamiliesOf(const MetricsSnapshot& m) {
  FamilyList f;
  // ZooKeeper's names (ZooKeeperServer's gauges, ServerMetrics' counters and summaries).
  f.Gauge("znode_count", "Number of znodes (ZooKeeper counts the root twice)", D(m.znode_count));
  f.Gauge("watch_count", "Number of watches set by clients", D(m.watch_count));
  f.Gauge("ephemerals_count", "Number of ephemeral znodes", D(m.ephemerals_count));
  f.Gauge("approximate_data_size", "Bytes of znode paths and data", D(m.approximate_data_size));
  f.Gauge("outstanding_requests", "Requests received and not yet answered",
          D(m.outstanding_requests));
  f.Gauge("num_alive_connections", "Open client connections", D(m.num_alive_connections));
  f.Gauge("global_sessions", "Sessions in the ensemble", D(m.global_sessions));
  f.Gauge("local_sessions", "Local sessions (none in zabkeeper)", D(m.local_sessions));
  f.Gauge("packets_received", "Client packets received since start or srst", D(m.packets_received));
  f.Gauge("packets_sent", "Client packets sent since start or srst", D(m.packets_sent));
  f.Gauge("avg_latency", "Average request latency in ms since start or srst", m.avg_latency_ms);
  f.Gauge("min_latency", "Minimum request latency in ms since start or srst", D(m.min_latency_ms));
  f.Gauge("max_latency", "Maximum request latency in ms since start or srst", D(m.max_latency_ms));
  f.Summary("readlatency", "Latency of read requests in ms", m.read_latency_us, 1000.0);
  f.Summary("updatelatency", "Latency of write requests in ms", m.update_latency_us, 1000.0);
  f.Gauge("uptime", "Milliseconds since the server started", D(m.uptime_ms));
  f.Gauge("open_file_descriptor_count", "Open file descriptors", D(m.open_file_descriptor_count));
  f.Gauge("max_file_descriptor_count", "File descriptor limit (-1: unlimited)",
          D(m.max_file_descriptor_count));
  f.Counter("connection_rejected", "Client connections refused (limits)", D(m.connection_rejected));
  f.Counter("sessionless_connections_expired",
            "Client connections closed for having no session 10 s after they opened",
            D(m.sessionless_connections_expired));
  f.Counter("stale_sessions_expired", "Sessions expired", D(m.stale_sessions_expired));
  f.Summary("fsynctime", "Time of one synced write of the txn log (a group commit) in ms",
            m.fsync_us, 1000.0);
  f.Summary("snapshottime", "Time to write one snapshot in ms (resolution: tickTime)",
            m.snapshot_time_ms, 1.0);
  f.Counter("proposal_count", "Txns this server proposed as leader", D(m.proposal_count));
  f.Counter("digest_mismatches_count", "Leader digests that differed from this learner's",
            D(m.digest_mismatches_count));
  f.Counter("looking_count", "Times this member started looking for a leader",
            D(m.looking_count));
  if (m.distributed) {
    f.Gauge("quorum_size", "Voting members of the ensemble", D(m.quorum_size));
    f.Summary("election_time", "Time from looking to a leader found in ms", m.election_time_ms,
              1.0);
  }
  if (m.leader) {
    f.Gauge("learners", "Learners connected to this leader", D(m.learners));
    f.Gauge("synced_followers", "Followers in sync", D(m.synced_followers));
    f.Gauge("synced_non_voting_followers", "Non-voting followers in sync (none in zabkeeper)", 0);
    f.Gauge("synced_observers", "Observers in sync", D(m.synced_observers));
    f.Gauge("pending_syncs", "Learners still being synchronized", D(m.pending_syncs));
  }
  // zabkeeper's own.
  f.Summary("zabkeeper_group_commit_batch_size", "Txns written by one group commit",
            m.group_commit_batch, 1.0);
  f.Counter("zabkeeper_fsync_threshold_exceed_count", "Group commits slower than 1 s",
            D(m.fsync_threshold_exceed_count));
  f.Gauge("zabkeeper_log_size_bytes", "Bytes of the txn log directory", D(m.log_dir_bytes));
  f.Gauge("zabkeeper_snapshot_size_bytes", "Bytes of the snapshot directory",
          D(m.snapshot_dir_bytes));
  f.Gauge("zabkeeper_forwarding_queue_length",
          "Client writes forwarded to the leader and not yet answered",
          D(m.forwarded_writes_pending));
  f.Counter("zabkeeper_frames_rejected", "Client frames refused as malformed or too large",
            D(m.frames_rejected));
  f.Gauge("zabkeeper_last_zxid", "zxid of the last applied txn", D(m.last_zxid));
  f.Gauge("zabkeeper_resident_memory_bytes", "Resident set size of the process", D(m.rss_bytes));
  f.Gauge("zabkeeper_heap_allocated_bytes", "Bytes the allocator has handed out and not had back",
          D(m.heap_allocated_bytes));
  f.Gauge("zabkeeper_heap_free_bytes",
          "Bytes the allocator holds free, not returned to the system",
          D(m.heap_free_bytes));
  f.Gauge("zabkeeper_log_memory_bytes",
          "Bytes the transaction log store holds in memory (memtables, block cache)",
          D(m.log_memory_bytes));
  return f.Take();
}

std::string PrometheusText(const std::vector<MetricFamily>& families) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

class MetricsExporter::Collector : public prometheus::Collectable {
 public:
  explicit Collector(SnapshotSource source) : source_(std::move(source)) {}
  std::vector<MetricFamily> Collect() const override {
    std::optional<MetricsSnapshot> m = source_();
    if (!m) return {};
    return MetricFamiliesOf(*m);
  }

 private:
  const SnapshotSource source_;
};

zab::Result<std::unique_ptr<MetricsExporter>> MetricsExporter::Start(const std::string& host,
                                                                     int port,
                                                                     SnapshotSource source) {
  const bool ipv6 = host.find(':') != std::string::npos;
  const std::string address = (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  std::unique_ptr<MetricsExporter> e(new MetricsExporter());
  e->collector_ = std::make_shared<Collector>(std::move(source));
  try {
    e->exposer_ = std::make_unique<prometheus::Exposer>(address, /*num_threads=*/2);
  } catch (const std::exception& ex) {
    return zab::Status::IOError("metricsProvider: cannot listen on " + address + ": " + ex.what());
  }
  e->exposer_->RegisterCollectable(e->collector_);
  const std::vector<int> ports = e->exposer_->GetListeningPorts();
  e->port_ = ports.empty() ? port : ports.front();
  return e;
}

MetricsExporter::~MetricsExporter() {
  if (exposer_) exposer_->RemoveCollectable(collector_);
  exposer_.reset();
}

}  // namespace zk::server
