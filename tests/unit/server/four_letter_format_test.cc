// The four-letter-word formats against the shapes Apache ZooKeeper 3.8 printed
// (docs/reference-4lw-outputs.md).
#include "server/four_letter_format.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <ctime>
#include <string>
#include <vector>

namespace zk::server {
namespace {

constexpr std::string_view kZkVersion = "3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC";

ConnectionInfo SessionConnection() {
  ConnectionInfo c;
  c.address = "127.0.0.1";
  c.port = 35174;
  c.reading = true;
  c.queued = 0;
  c.received = 12;
  c.sent = 13;
  c.session_id = 0x100000350ad0002;
  c.last_op = "CREA";
  c.established_ms = 1795448671364;
  c.timeout_ms = 30000;
  c.last_cxid = 0x8;
  c.last_zxid = 0xd;
  c.last_response_ms = 277180;
  c.last_latency_ms = 1;
  c.min_latency_ms = 0;
  c.avg_latency_ms = 0;
  c.max_latency_ms = 2;
  return c;
}

ConnectionInfo FourLetterConnection(uint16_t port) {
  ConnectionInfo c;
  c.address = "127.0.0.1";
  c.port = port;
  c.received = 1;
  return c;
}

// Sets TZ=UTC for its lifetime (JavaDate prints local time), then restores it.
class ScopedUtc {
 public:
  ScopedUtc() {
    const char* tz = getenv("TZ");
    had_tz_ = tz != nullptr;
    if (had_tz_) saved_ = tz;
    setenv("TZ", "UTC", 1);
    tzset();
  }
  ~ScopedUtc() {
    if (had_tz_) {
      setenv("TZ", saved_.c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }

 private:
  bool had_tz_ = false;
  std::string saved_;
};

ServerSummary ReferenceSummary() {
  ServerSummary s;
  s.full_version = std::string(kZkVersion);
  s.min_latency_ms = 0;
  s.avg_latency_ms = 55.0 / 24.0;  // 2.291666...
  s.max_latency_ms = 11;
  s.received = 41;
  s.sent = 43;
  s.connections = 2;
  s.outstanding = 0;
  s.zxid = 0xd;
  s.mode = "standalone";
  s.node_count = 11;
  return s;
}

TEST_CASE("Java number formats") {
  CHECK(JavaHex(0) == "0");
  CHECK(JavaHex(0xd) == "d");
  CHECK(JavaHex(0x100000350ad0002) == "100000350ad0002");
  CHECK(JavaHex(-1) == "ffffffffffffffff");

  CHECK(JavaDouble(0) == "0.0");
  CHECK(JavaDouble(11) == "11.0");
  CHECK(JavaDouble(2.2917) == "2.2917");
  CHECK(JavaDouble(0.2) == "0.2");
  CHECK(JavaDouble(81.8571) == "81.8571");
  CHECK(JavaDouble(1e7) == "1.0E7");
  CHECK(JavaDouble(12345678.5) == "1.23456785E7");
  CHECK(JavaDouble(0.0001) == "1.0E-4");
  CHECK(JavaDouble(-3.5) == "-3.5");

  CHECK(RoundedAverage(55.0 / 24.0) == "2.2917");
  CHECK(RoundedAverage(2.0 / 13.0) == "0.1538");
  CHECK(RoundedAverage(0) == "0.0");
  CHECK(RoundedAverage(11) == "11.0");
}

TEST_CASE("version and build date") {
  CHECK(BuildDateFromMacros("Dec 29 2024", "17:54:03") == "2024-12-29 17:54");
  CHECK(BuildDateFromMacros("Jan  2 2025", "08:05:59") == "2025-01-02 08:05");
  CHECK(BuildDateFromMacros("garbage", "x") == "garbage");
  const std::string v = FullVersion("2025-01-02 08:05");
  CHECK(v == "3.8.0-zabkeeper-0.1.0, built on 2025-01-02 08:05");
  // kazoo's server_version(): the part before the first '-', split on dots.
  CHECK(v.substr(0, v.find('-')) == "3.8.0");
}

TEST_CASE("Java date") {
  ScopedUtc utc;
  // 1795448716000 ms = Mon Nov 23 2026 15:45:16 UTC (the reference's first session bucket).
  CHECK(JavaDate(1795448716000) == "Mon Nov 23 15:45:16 UTC 2026");
  CHECK(JavaDate(1795448716999) == "Mon Nov 23 15:45:16 UTC 2026");
}

TEST_CASE("connection lines as stat and cons print them") {
  CHECK(FormatConnectionInfo(SessionConnection(), /*brief=*/true) ==
        " /127.0.0.1:35174[1](queued=0,recved=12,sent=13)");
  CHECK(FormatConnectionInfo(SessionConnection(), /*brief=*/false) ==
        " /127.0.0.1:35174[1](queued=0,recved=12,sent=13,sid=0x100000350ad0002,lop=CREA,"
        "est=1795448671364,to=30000,lcxid=0x8,lzxid=0xd,lresp=277180,llat=1,minlat=0,avglat=0,"
        "maxlat=2)");
  // No session: no details even in cons.
  CHECK(FormatConnectionInfo(FourLetterConnection(34754), /*brief=*/false) ==
        " /127.0.0.1:34754[0](queued=0,recved=1,sent=0)");
  // After crst ZooKeeper has lastCxid = lastZxid = -1: lcxid is left out, lzxid is not.
  ConnectionInfo reset = SessionConnection();
  reset.last_cxid = -1;
  reset.last_zxid = -1;
  const std::string line = FormatConnectionInfo(reset, false);
  CHECK(line.find("lcxid") == std::string::npos);
  CHECK(line.find(",lzxid=0xffffffffffffffff,") != std::string::npos);

  CHECK(FormatCons({FourLetterConnection(34754), SessionConnection()}) ==
        " /127.0.0.1:34754[0](queued=0,recved=1,sent=0)\n"
        " /127.0.0.1:35174[1](queued=0,recved=12,sent=13,sid=0x100000350ad0002,lop=CREA,"
        "est=1795448671364,to=30000,lcxid=0x8,lzxid=0xd,lresp=277180,llat=1,minlat=0,avglat=0,"
        "maxlat=2)\n"
        "\n");
  CHECK(FormatCons({}) == "\n");
}

TEST_CASE("srvr and stat") {
  CHECK(FormatSrvr(ReferenceSummary()) ==
        "Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\n"
        "Latency min/avg/max: 0/2.2917/11\n"
        "Received: 41\n"
        "Sent: 43\n"
        "Connections: 2\n"
        "Outstanding: 0\n"
        "Zxid: 0xd\n"
        "Mode: standalone\n"
        "Node count: 11\n");

  ServerSummary s = ReferenceSummary();
  s.received = 42;
  s.sent = 44;
  CHECK(FormatStat(s, {SessionConnection(), FourLetterConnection(34738)}) ==
        "Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\n"
        "Clients:\n"
        " /127.0.0.1:35174[1](queued=0,recved=12,sent=13)\n"
        " /127.0.0.1:34738[0](queued=0,recved=1,sent=0)\n"
        "\n"
        "Latency min/avg/max: 0/2.2917/11\n"
        "Received: 42\n"
        "Sent: 44\n"
        "Connections: 2\n"
        "Outstanding: 0\n"
        "Zxid: 0xd\n"
        "Mode: standalone\n"
        "Node count: 11\n");

  ServerSummary leader;
  leader.full_version = std::string(kZkVersion);
  leader.received = 5;
  leader.sent = 6;
  leader.connections = 1;
  leader.zxid = 0x100000000;
  leader.mode = "leader";
  leader.node_count = 5;
  leader.has_proposal_sizes = true;
  CHECK(FormatSrvr(leader) ==
        "Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\n"
        "Latency min/avg/max: 0/0.0/0\n"
        "Received: 5\n"
        "Sent: 6\n"
        "Connections: 1\n"
        "Outstanding: 0\n"
        "Zxid: 0x100000000\n"
        "Mode: leader\n"
        "Node count: 5\n"
        "Proposal sizes last/min/max: -1/-1/-1\n");
}

TEST_CASE("wchs, wchc, wchp") {
  CHECK(FormatWatchSummary(1, 4, 4) == "1 connections watching 4 paths\nTotal watches:4\n");
  CHECK(FormatWatchesByConnection(
            {{0x100000350ad0002, {"/app", "/config", "/app/child1", "/app/ephem"}}}) ==
        "0x100000350ad0002\n\t/app\n\t/config\n\t/app/child1\n\t/app/ephem\n\n");
  CHECK(FormatWatchesByPath({{"/app", {0x100000350ad0002}},
                             {"/config", {0x100000350ad0002}},
                             {"/app/child1", {0x100000350ad0002}},
                             {"/app/ephem", {0x100000350ad0002}}}) ==
        "/app\n\t0x100000350ad0002\n/config\n\t0x100000350ad0002\n"
        "/app/child1\n\t0x100000350ad0002\n/app/ephem\n\t0x100000350ad0002\n\n");
  CHECK(FormatWatchesByConnection({}) == "\n");
  CHECK(FormatWatchesByPath({}) == "\n");
}

TEST_CASE("mntr lines") {
  MntrWriter m;
  m.AddText("zk_version", kZkVersion);
  m.AddText("zk_server_state", "standalone");
  m.Add("zk_ephemerals_count", 1);
  m.AddAverage("zk_avg_latency", 55.0 / 24.0);
  m.Add("zk_last_proposal_size", -1);
  m.AddDouble("zk_connection_drop_probability", 0);
  CHECK(m.text() ==
        "zk_version\t3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\n"
        "zk_server_state\tstandalone\n"
        "zk_ephemerals_count\t1\n"
        "zk_avg_latency\t2.2917\n"
        "zk_last_proposal_size\t-1\n"
        "zk_connection_drop_probability\t0.0\n");
}

TEST_CASE("dump") {
  ScopedUtc utc;
  std::vector<ExpiryBucket> sessions = {{1795448742000, {"0x100000350ad0002"}}};
  CHECK(FormatExpirySets("Session ", sessions) ==
        "Session Sets (1)/(1):\n"
        "1 expire at Mon Nov 23 15:45:42 UTC 2026:\n"
        "\t0x100000350ad0002\n");
  std::vector<ExpiryBucket> connections = {
      {1795448724000, {"ip: /127.0.0.1:34800 sessionId: 0x0"}},
      {1795448744000, {"ip: /127.0.0.1:35174 sessionId: 0x100000350ad0002"}}};
  CHECK(FormatExpirySets("Connections ", connections) ==
        "Connections Sets (2)/(2):\n"
        "1 expire at Mon Nov 23 15:45:24 UTC 2026:\n"
        "\tip: /127.0.0.1:34800 sessionId: 0x0\n"
        "1 expire at Mon Nov 23 15:45:44 UTC 2026:\n"
        "\tip: /127.0.0.1:35174 sessionId: 0x100000350ad0002\n");
  CHECK(FormatEphemerals({{0x100000350ad0002, {"/app/ephem"}}}) ==
        "Sessions with Ephemerals (1):\n0x100000350ad0002:\n\t/app/ephem\n");
  CHECK(FormatEphemerals({}) == "Sessions with Ephemerals (0):\n");
}

TEST_CASE("envi, dirs, whitelist") {
  CHECK(FormatEnvironment({{"zookeeper.version", std::string(kZkVersion)}, {"os.name", "Linux"}}) ==
        "Environment:\n"
        "zookeeper.version=3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\n"
        "os.name=Linux\n");
  CHECK(FormatDirs(67109337, 67109337) == "datadir_size: 67109337\nlogdir_size: 67109337\n");
  CHECK(FormatNotWhitelisted("conf") ==
        "conf is not executed because it is not in the whitelist.\n");
}

}  // namespace
}  // namespace zk::server
