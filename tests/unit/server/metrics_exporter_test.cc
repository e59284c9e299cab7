// The Prometheus text /metrics serves for a MetricsSnapshot: ZooKeeper's names and types, the
// summaries' quantiles in milliseconds, the role-dependent families.
#include "server/metrics_exporter.h"

#include <doctest/doctest.h>
#include <prometheus/metric_family.h>

#include <string>

namespace zk::server {
namespace {

MetricsSnapshot Sample() {
  MetricsSnapshot m;
  m.server_state = "standalone";
  m.znode_count = 12;
  m.watch_count = 3;
  m.ephemerals_count = 2;
  m.approximate_data_size = 456;
  m.outstanding_requests = 1;
  m.num_alive_connections = 4;
  m.global_sessions = 5;
  m.packets_received = 100;
  m.packets_sent = 99;
  m.avg_latency_ms = 0.25;
  m.max_latency_ms = 7;
  m.uptime_ms = 60000;
  m.proposal_count = 17;
  m.log_dir_bytes = 4096;
  m.forwarded_writes_pending = 2;
  // Reads of 100, 200 and 3000 microseconds.
  m.read_latency_us.Record(100);
  m.read_latency_us.Record(200);
  m.read_latency_us.Record(3000);
  m.fsync_us.Record(1500);
  m.group_commit_batch.Record(8);
  return m;
}

bool Has(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

TEST_CASE("gauges and counters carry ZooKeeper's names and types") {
  const std::string text = PrometheusText(MetricFamiliesOf(Sample()));
  CAPTURE(text);
  CHECK(Has(text, "# TYPE znode_count gauge\nznode_count 12\n"));
  CHECK(Has(text, "\nwatch_count 3\n"));
  CHECK(Has(text, "\nephemerals_count 2\n"));
  CHECK(Has(text, "\napproximate_data_size 456\n"));
  CHECK(Has(text, "\noutstanding_requests 1\n"));
  CHECK(Has(text, "\nnum_alive_connections 4\n"));
  CHECK(Has(text, "\nglobal_sessions 5\n"));
  CHECK(Has(text, "# TYPE packets_received gauge\npackets_received 100\n"));
  CHECK(Has(text, "\npackets_sent 99\n"));
  CHECK(Has(text, "\navg_latency 0.25\n"));
  CHECK(Has(text, "\nmax_latency 7\n"));
  CHECK(Has(text, "\nuptime 60000\n"));
  CHECK(Has(text, "# TYPE proposal_count counter\n"));
  CHECK(Has(text, "# TYPE zabkeeper_log_size_bytes gauge\nzabkeeper_log_size_bytes 4096\n"));
  CHECK(Has(text, "\nzabkeeper_forwarding_queue_length 2\n"));
}

TEST_CASE("latency summaries export quantiles, sum and count in milliseconds") {
  const std::string text = PrometheusText(MetricFamiliesOf(Sample()));
  CAPTURE(text);
  CHECK(Has(text, "# TYPE readlatency summary\n"));
  // 200 us is in the exact-to-1/8 bucket [192, 207]: its upper end, 0.207 ms.
  CHECK(Has(text, "readlatency{quantile=\"0.5\"} 0.207\n"));
  CHECK(Has(text, "readlatency{quantile=\"0.99\"} 3\n"));  // clamped to the max, 3000 us
  CHECK(Has(text, "readlatency_sum 3.3\n"));
  CHECK(Has(text, "readlatency_count 3\n"));
  CHECK(Has(text, "# TYPE updatelatency summary\n"));
  CHECK(Has(text, "updatelatency_count 0\n"));
  CHECK(Has(text, "fsynctime_count 1\n"));
  CHECK(Has(text, "zabkeeper_group_commit_batch_size{quantile=\"0.9\"} 8\n"));
}

TEST_CASE("ensemble and leader families appear only where ZooKeeper has them") {
  MetricsSnapshot m = Sample();
  std::string text = PrometheusText(MetricFamiliesOf(m));
  CHECK_FALSE(Has(text, "quorum_size"));
  CHECK_FALSE(Has(text, "election_time"));
  CHECK_FALSE(Has(text, "synced_followers"));

  m.distributed = true;
  m.server_state = "leader";
  m.quorum_size = 3;
  m.leader = true;
  m.learners = 2;
  m.synced_followers = 2;
  m.election_time_ms.Record(40);
  text = PrometheusText(MetricFamiliesOf(m));
  CAPTURE(text);
  CHECK(Has(text, "\nquorum_size 3\n"));
  CHECK(Has(text, "\nlearners 2\n"));
  CHECK(Has(text, "\nsynced_followers 2\n"));
  CHECK(Has(text, "\npending_syncs 0\n"));
  CHECK(Has(text, "election_time_count 1\n"));
  CHECK(Has(text, "election_time{quantile=\"0.5\"} 40\n"));
}

}  // namespace
}  // namespace zk::server
