#include "server/config.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <set>
#include <fstream>
#include <string>
#include <vector>

namespace zk::server {
namespace {

ServerConfig MustParse(std::string_view text, std::vector<std::string>* warnings = nullptr) {
  std::vector<std::string> local;
  auto result = ParseConfigText(text, warnings != nullptr ? warnings : &local);
  REQUIRE_MESSAGE(result.ok(), result.status().ToString());
  return std::move(result).value();
}

// The error message of parsing `text`, which must fail.
std::string ErrorOf(std::string_view text) {
  std::vector<std::string> warnings;
  auto result = ParseConfigText(text, &warnings);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().IsInvalidArgument());
  return result.status().message();
}

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

bool AnyContains(const std::vector<std::string>& lines, std::string_view needle) {
  for (const auto& l : lines) {
    if (Contains(l, needle)) return true;
  }
  return false;
}

TEST_CASE("defaults are Apache ZooKeeper's") {
  std::vector<std::string> warnings;
  ServerConfig c = MustParse("dataDir=/var/zk\n", &warnings);
  CHECK(warnings.empty());
  CHECK(c.tick_time_ms == 3000);
  CHECK(c.init_limit == 10);
  CHECK(c.sync_limit == 5);
  CHECK(c.data_dir == "/var/zk");
  CHECK(c.data_log_dir == "/var/zk");
  CHECK(c.client_port == 2181);
  CHECK(c.client_port_address.empty());
  CHECK(c.client_port_listen_backlog == -1);
  CHECK(c.max_client_cnxns == 60);
  CHECK(c.max_cnxns == 0);
  CHECK(c.min_session_timeout_ms == -1);
  CHECK(c.max_session_timeout_ms == -1);
  CHECK(c.MinSessionTimeoutMs() == 6000);
  CHECK(c.MaxSessionTimeoutMs() == 60000);
  CHECK(c.snap_count == 100000);
  CHECK(c.autopurge_snap_retain_count == 3);
  CHECK(c.autopurge_purge_interval_hours == 0);
  CHECK(c.four_letter_whitelist == std::set<std::string>{"srvr"});
  CHECK(c.IsFourLetterWordAllowed("srvr"));
  CHECK_FALSE(c.IsFourLetterWordAllowed("stat"));
  CHECK_FALSE(c.IsFourLetterWordAllowed("isro"));
  CHECK(c.jute_max_buffer == 0xfffff);
  CHECK(c.super_digest.empty());
  CHECK_FALSE(c.extended_types_enabled);
  CHECK_FALSE(c.reconfig_enabled);
  CHECK(c.standalone_enabled);
  CHECK_FALSE(c.read_only_mode);
  CHECK(c.global_outstanding_limit == 1000);
  CHECK(c.election_alg == 3);
  CHECK(c.servers.empty());
  CHECK(c.peer_type == PeerType::kParticipant);
  CHECK(c.server_id == 0);
  CHECK(c.snapshot_compression_level == -1);
  CHECK(c.huge_pages);
  CHECK(c.fsync_warning_threshold_ms == 1000);
  CHECK(c.node_seed == 0);
  CHECK_FALSE(c.IsDistributed());
}

TEST_CASE("every key") {
  std::vector<std::string> warnings;
  ServerConfig c = MustParse(
      "tickTime=2000\n"
      "initLimit=7\n"
      "syncLimit=3\n"
      "dataDir=/d\n"
      "dataLogDir=/l\n"
      "clientPort=2182\n"
      "clientPortAddress=127.0.0.1\n"
      "clientPortListenBacklog=128\n"
      "maxClientCnxns=0\n"
      "maxCnxns=500\n"
      "minSessionTimeout=1000\n"
      "maxSessionTimeout=90000\n"
      "snapCount=5000\n"
      "autopurge.snapRetainCount=5\n"
      "autopurge.purgeInterval=24\n"
      "4lw.commands.whitelist=stat, ruok ,conf\n"
      "jute.maxbuffer=4194304\n"
      "DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=\n"
      "extendedTypesEnabled=true\n"
      "standaloneEnabled=false\n"
      "readonlymode.enabled=true\n"
      "globalOutstandingLimit=2000\n"
      "electionAlg=3\n"
      "peerType=observer\n"
      "snapshot.compression=-5\n"
      "memory.hugePages=false\n"
      "fsync.warningthresholdms=50\n"
      "node.seed=18446744073709\n",
      &warnings);
  CHECK(warnings.empty());
  CHECK(c.tick_time_ms == 2000);
  CHECK(c.init_limit == 7);
  CHECK(c.sync_limit == 3);
  CHECK(c.data_dir == "/d");
  CHECK(c.data_log_dir == "/l");
  CHECK(c.client_port == 2182);
  CHECK(c.client_port_address == "127.0.0.1");
  CHECK(c.client_port_listen_backlog == 128);
  CHECK(c.max_client_cnxns == 0);
  CHECK(c.max_cnxns == 500);
  CHECK(c.MinSessionTimeoutMs() == 1000);
  CHECK(c.MaxSessionTimeoutMs() == 90000);
  CHECK(c.snap_count == 5000);
  CHECK(c.autopurge_snap_retain_count == 5);
  CHECK(c.autopurge_purge_interval_hours == 24);
  CHECK(c.four_letter_whitelist == std::set<std::string>{"conf", "isro", "ruok", "srvr", "stat"});
  CHECK(c.jute_max_buffer == 4194304);
  CHECK(c.super_digest == "super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
  CHECK(c.extended_types_enabled);
  CHECK_FALSE(c.standalone_enabled);
  CHECK(c.read_only_mode);
  CHECK(c.global_outstanding_limit == 2000);
  CHECK(c.peer_type == PeerType::kObserver);
  CHECK(c.snapshot_compression_level == -5);
  CHECK_FALSE(c.huge_pages);
  CHECK(c.fsync_warning_threshold_ms == 50);
  CHECK(c.node_seed == 18446744073709ULL);
}

TEST_CASE("TLS keys") {
  const std::string base = "dataDir=/tmp/zk\n";
  ServerConfig d = MustParse(base);
  CHECK(d.secure_client_port == -1);
  CHECK_FALSE(d.port_unification);
  CHECK_FALSE(d.ssl_quorum);
  CHECK(d.client_tls.client_auth == TlsClientAuth::kNeed);  // ZooKeeper's default
  CHECK(d.client_tls.protocol == "TLSv1.3");
  CHECK(d.client_tls.reload);

  ServerConfig c = MustParse(base +
                             "secureClientPort=2281\n"
                             "secureClientPortAddress=127.0.0.1\n"
                             "client.portUnification=true\n"
                             "ssl.keyStore.location=/k.pem\n"
                             "ssl.keyStore.type=PEM\n"
                             "ssl.keyStore.password=pw\n"
                             "ssl.trustStore.location=/ca.pem\n"
                             "ssl.trustStore.type=pem\n"
                             "ssl.clientAuth=want\n"
                             "ssl.protocol=TLSv1.2\n"
                             "ssl.enabledProtocols=TLSv1.2, TLSv1.3\n"
                             "ssl.ciphersuites=TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n"
                             "ssl.hostnameVerification=false\n"
                             "client.certReload=false\n"
                             "sslQuorum=true\n"
                             "ssl.quorum.keyStore.location=/q.pem\n"
                             "ssl.quorum.trustStore.location=/qca.pem\n"
                             "ssl.quorum.clientAuth=none\n"
                             "X509AuthenticationProvider.superUser=CN=admin\n");
  CHECK(c.secure_client_port == 2281);
  CHECK(c.secure_client_port_address == "127.0.0.1");
  CHECK(c.port_unification);
  CHECK(c.client_tls.key_store_location == "/k.pem");
  CHECK(c.client_tls.key_store_password == "pw");
  CHECK(c.client_tls.trust_store_location == "/ca.pem");
  CHECK(c.client_tls.client_auth == TlsClientAuth::kWant);
  CHECK(c.client_tls.protocol == "TLSv1.2");
  CHECK(c.client_tls.enabled_protocols == std::vector<std::string>{"TLSv1.2", "TLSv1.3"});
  CHECK(c.client_tls.cipher_suites.size() == 2);
  CHECK_FALSE(c.client_tls.hostname_verification);
  CHECK_FALSE(c.client_tls.reload);
  CHECK(c.ssl_quorum);
  CHECK(c.quorum_tls.key_store_location == "/q.pem");
  CHECK(c.quorum_tls.trust_store_location == "/qca.pem");
  CHECK(c.quorum_tls.client_auth == TlsClientAuth::kNone);
  CHECK(c.quorum_tls.reload);
  CHECK(c.x509_super_user == "CN=admin");
  CHECK(Contains(c.ToConfString(0, 0), "secureClientPort=2281\n"));

  CHECK(Contains(ErrorOf(base + "secureClientPort=2281\n"), "ssl.keyStore.location"));
  CHECK(Contains(ErrorOf(base + "sslQuorum=true\nssl.quorum.keyStore.location=/q\n"),
                 "ssl.quorum.trustStore.location"));
  CHECK(Contains(ErrorOf(base + "ssl.keyStore.type=JKS\n"), "PEM"));
  CHECK(Contains(ErrorOf(base + "ssl.clientAuth=maybe\n"), "ssl.clientAuth"));
  CHECK(Contains(ErrorOf(base + "ssl.protocol=SSLv3\n"), "ssl.protocol"));
  CHECK(Contains(ErrorOf(base + "ssl.enabledProtocols=TLSv1\n"), "ssl.enabledProtocols"));
}

TEST_CASE("session timeout defaults follow tickTime") {
  ServerConfig c = MustParse("dataDir=/d\ntickTime=2000\n");
  CHECK(c.MinSessionTimeoutMs() == 4000);
  CHECK(c.MaxSessionTimeoutMs() == 40000);
  c = MustParse("dataDir=/d\ntickTime=2000\nminSessionTimeout=-1\nmaxSessionTimeout=-1\n");
  CHECK(c.MinSessionTimeoutMs() == 4000);
  CHECK(c.MaxSessionTimeoutMs() == 40000);
}

TEST_CASE("system-property spellings and hex values") {
  std::vector<std::string> warnings;
  ServerConfig c = MustParse(
      "dataDir=/d\n"
      "zookeeper.extendedTypesEnabled=TRUE\n"
      "zookeeper.4lw.commands.whitelist=*\n"
      "jute.maxbuffer=0x200000\n"
      "reconfigEnabled=false\n",
      &warnings);
  CHECK(warnings.empty());
  CHECK(c.extended_types_enabled);
  CHECK(c.jute_max_buffer == 0x200000);
  CHECK(c.IsFourLetterWordAllowed("wchc"));
  CHECK(c.IsFourLetterWordAllowed("srvr"));
}

TEST_CASE("4lw whitelist parsing") {
  SUBCASE("star among others means all") {
    ServerConfig c = MustParse("dataDir=/d\n4lw.commands.whitelist=ruok, *\n");
    CHECK(c.four_letter_whitelist == std::set<std::string>{"*"});
    CHECK(c.IsFourLetterWordAllowed("dump"));
  }
  SUBCASE("srvr is always allowed") {
    ServerConfig c = MustParse("dataDir=/d\n4lw.commands.whitelist=ruok\n");
    CHECK(c.four_letter_whitelist == std::set<std::string>{"ruok", "srvr"});
  }
  SUBCASE("empty entries and spaces") {
    ServerConfig c = MustParse("dataDir=/d\n4lw.commands.whitelist= stat ,, mntr ,\n");
    CHECK(c.four_letter_whitelist == std::set<std::string>{"mntr", "srvr", "stat"});
  }
  SUBCASE("empty value leaves only srvr") {
    ServerConfig c = MustParse("dataDir=/d\n4lw.commands.whitelist=\n");
    CHECK(c.four_letter_whitelist == std::set<std::string>{"srvr"});
  }
  SUBCASE("read-only mode adds isro") {
    ServerConfig c = MustParse("dataDir=/d\nreadonlymode.enabled=true\n");
    CHECK(c.IsFourLetterWordAllowed("isro"));
  }
}

TEST_CASE("server lines") {
  ServerConfig c = MustParse(
      "dataDir=/d\n"
      "server.1=zk1.example.com:2888:3888\n"
      "server.2=10.0.0.2:2888:3888:participant\n"
      "server.3 = 10.0.0.3:2888:3888:observer;2181\n"
      "server.4=zk4:2889:3889;127.0.0.1:2182\n"
      "server.5=[2001:db8::5]:2888:3888:participant;[::1]:2183\n");
  REQUIRE(c.servers.size() == 5);
  const ServerAddress& s1 = c.servers.at(1);
  CHECK(s1.host == "zk1.example.com");
  CHECK(s1.quorum_port == 2888);
  CHECK(s1.election_port == 3888);
  CHECK_FALSE(s1.observer);
  CHECK_FALSE(s1.client_port.has_value());
  CHECK_FALSE(s1.client_address.has_value());
  CHECK(s1.ToString() == "zk1.example.com:2888:3888:participant");
  CHECK_FALSE(c.servers.at(2).observer);
  const ServerAddress& s3 = c.servers.at(3);
  CHECK(s3.observer);
  CHECK(s3.client_port == 2181);
  CHECK_FALSE(s3.client_address.has_value());
  CHECK(s3.ToString() == "10.0.0.3:2888:3888:observer;0.0.0.0:2181");
  const ServerAddress& s4 = c.servers.at(4);
  CHECK(s4.client_address == "127.0.0.1");
  CHECK(s4.client_port == 2182);
  CHECK(s4.quorum_port == 2889);
  const ServerAddress& s5 = c.servers.at(5);
  CHECK(s5.host == "2001:db8::5");
  CHECK(s5.client_address == "::1");
  CHECK(s5.client_port == 2183);
  CHECK(s5.ToString() == "[2001:db8::5]:2888:3888:participant;[::1]:2183");
  CHECK(c.IsDistributed());
}

TEST_CASE("IsDistributed follows standaloneEnabled") {
  CHECK_FALSE(MustParse("dataDir=/d\nserver.1=a:1:2\n").IsDistributed());
  CHECK(MustParse("dataDir=/d\nserver.1=a:1:2\nstandaloneEnabled=false\n").IsDistributed());
  CHECK_FALSE(MustParse("dataDir=/d\nserver.1=a:1:2\nserver.2=b:1:2:observer\n").IsDistributed());
}

TEST_CASE("invalid values name the key and the value") {
  CHECK(ErrorOf("dataDir=/d\ntickTime=abc\n") ==
        "invalid value \"abc\" for tickTime: not an integer");
  CHECK(Contains(ErrorOf("dataDir=/d\ntickTime=0\n"), "for tickTime"));
  CHECK(Contains(ErrorOf("dataDir=/d\ntickTime=-5\n"), "\"-5\" for tickTime"));
  CHECK(Contains(ErrorOf("dataDir=/d\ntickTime=99999999999\n"), "for tickTime"));
  CHECK(Contains(ErrorOf("dataDir=/d\ntickTime=2000 # comment\n"), "for tickTime"));
  CHECK(Contains(ErrorOf("dataDir=/d\ninitLimit=x\n"), "for initLimit"));
  CHECK(Contains(ErrorOf("dataDir=/d\nsyncLimit=0\n"), "for syncLimit"));
  CHECK(Contains(ErrorOf("dataDir=/d\nclientPort=-1\n"), "\"-1\" for clientPort"));
  CHECK(Contains(ErrorOf("dataDir=/d\nclientPort=65536\n"), "\"65536\" for clientPort"));
  CHECK(Contains(ErrorOf("dataDir=/d\nclientPortListenBacklog=q\n"), "clientPortListenBacklog"));
  CHECK(Contains(ErrorOf("dataDir=/d\nmaxClientCnxns=-1\n"), "for maxClientCnxns"));
  CHECK(Contains(ErrorOf("dataDir=/d\nmaxCnxns=1.5\n"), "for maxCnxns"));
  CHECK(Contains(ErrorOf("dataDir=/d\nminSessionTimeout=-2\n"), "for minSessionTimeout"));
  CHECK(Contains(ErrorOf("dataDir=/d\nmaxSessionTimeout=ten\n"), "for maxSessionTimeout"));
  CHECK(Contains(ErrorOf("dataDir=/d\nsnapCount=many\n"), "for snapCount"));
  CHECK(Contains(ErrorOf("dataDir=/d\nautopurge.snapRetainCount=x\n"),
                 "for autopurge.snapRetainCount"));
  CHECK(
      Contains(ErrorOf("dataDir=/d\nautopurge.purgeInterval=1h\n"), "for autopurge.purgeInterval"));
  CHECK(Contains(ErrorOf("dataDir=/d\njute.maxbuffer=big\n"), "for jute.maxbuffer"));
  CHECK(Contains(ErrorOf("dataDir=/d\nDigestAuthenticationProvider.superDigest=nocolon\n"),
                 "for DigestAuthenticationProvider.superDigest"));
  CHECK(Contains(ErrorOf("dataDir=/d\nextendedTypesEnabled=yes\n"),
                 "\"yes\" for extendedTypesEnabled"));
  CHECK(Contains(ErrorOf("dataDir=/d\nreconfigEnabled=1\n"), "for reconfigEnabled"));
  CHECK(Contains(ErrorOf("dataDir=/d\nstandaloneEnabled=no\n"), "for standaloneEnabled"));
  CHECK(Contains(ErrorOf("dataDir=/d\nreadonlymode.enabled=on\n"), "for readonlymode.enabled"));
  CHECK(Contains(ErrorOf("dataDir=/d\nglobalOutstandingLimit=0\n"), "for globalOutstandingLimit"));
  CHECK(Contains(ErrorOf("dataDir=/d\nelectionAlg=1\n"), "\"1\" for electionAlg"));
  CHECK(Contains(ErrorOf("dataDir=/d\npeerType=leader\n"), "\"leader\" for peerType"));
  CHECK(Contains(ErrorOf("dataDir=/d\nsnapshot.compression=23\n"), "for snapshot.compression"));
  CHECK(Contains(ErrorOf("dataDir=/d\nsnapshot.compression=-23\n"), "for snapshot.compression"));
  CHECK(Contains(ErrorOf("dataDir=/d\nmemory.hugePages=yes\n"), "for memory.hugePages"));
  CHECK(Contains(ErrorOf("dataDir=/d\nnode.seed=-1\n"), "for node.seed"));
  CHECK(Contains(ErrorOf("dataDir=/d\nnode.seed=x\n"), "for node.seed"));
  CHECK(Contains(ErrorOf("dataDir=\n"), "for dataDir"));
}

TEST_CASE("structural errors") {
  CHECK(ErrorOf("tickTime=2000\n") == "dataDir is not set");
  const std::string e =
      ErrorOf("dataDir=/d\ntickTime=2000\nminSessionTimeout=50000\nmaxSessionTimeout=40000\n");
  CHECK(Contains(e, "minSessionTimeout"));
  CHECK(Contains(e, "maxSessionTimeout"));
  // min larger than the default max (20 ticks).
  CHECK(Contains(ErrorOf("dataDir=/d\ntickTime=1000\nminSessionTimeout=30000\n"),
                 "maxSessionTimeout"));
  CHECK(Contains(ErrorOf("dataDir=/d\njust some words\n"), "line 2"));
  CHECK(Contains(ErrorOf("dataDir=/d\n=value\n"), "empty key"));
}

TEST_CASE("malformed server lines") {
  CHECK(Contains(ErrorOf("dataDir=/d\nserver.x=a:1:2\n"), "server.x"));
  CHECK(Contains(ErrorOf("dataDir=/d\nserver.=a:1:2\n"), "server."));
  CHECK(Contains(ErrorOf("dataDir=/d\nserver.-1=a:1:2\n"), "server.-1"));
  const char* bad[] = {
      "a:1",               // no election port
      "a:1:2:observer:5",  // too many parts
      ":1:2",              // empty host
      "a:x:2",             // bad quorum port
      "a:1:70000",         // election port out of range
      "a:-1:2",            // negative port
      "a:1:2:leader",      // unknown peer type
      "a:1:2;b:c:2181",    // bad client part
      "a:1:2;port",        // non-numeric client port
      "a:1:2;2181;2182",   // two client parts
      "[::1:1:2",          // unterminated IPv6 bracket
      "a:1:2|b:1:2",       // multiAddress
  };
  for (const char* value : bad) {
    CAPTURE(value);
    const std::string e = ErrorOf(std::string("dataDir=/d\nserver.1=") + value + "\n");
    CHECK(Contains(e, "server.1"));
    CHECK(Contains(e, value));
  }
}

TEST_CASE("unknown, unsupported and no-effect keys") {
  std::vector<std::string> warnings;
  ServerConfig c = MustParse(
      "dataDir=/d\n"
      "fooBar=1\n"
      "group.1=1:2:3\n"
      "admin.enableServer=false\n"
      "admin.serverPort=8080\n"
      "metricsProvider.className=org.apache.zookeeper.metrics.prometheus."
      "PrometheusMetricsProvider\n"
      "metricsProvider.httpPort=7000\n"
      "audit.enable=true\n"
      "preAllocSize=65536\n"
      "forceSync=yes\n"
      "syncEnabled=true\n"
      "localSessionsEnabled=true\n"
      "localSessionsUpgradingEnabled=true\n"
      "snapshot.compression.method=gz\n",
      &warnings);
  CHECK(warnings.size() == 2);
  CHECK(AnyContains(warnings, "fooBar"));
  CHECK(AnyContains(warnings, "group.1"));
  CHECK(c.data_dir == "/d");
}

TEST_CASE("quorumListenOnAllIPs: off by default, a boolean") {
  CHECK_FALSE(MustParse("dataDir=/d\n").quorum_listen_on_all_ips);
  CHECK(MustParse("dataDir=/d\nquorumListenOnAllIPs=true\n").quorum_listen_on_all_ips);
  std::vector<std::string> warnings;
  CHECK_FALSE(ParseConfigText("dataDir=/d\nquorumListenOnAllIPs=maybe\n", &warnings).ok());
}

TEST_CASE("the AdminServer keys, with ZooKeeper's defaults") {
  const ServerConfig d = MustParse("dataDir=/d\n");
  CHECK(d.admin.enabled);
  CHECK(d.admin.address == "0.0.0.0");
  CHECK(d.admin.port == 8080);
  CHECK(d.admin.command_url == "/commands");
  CHECK(d.admin.idle_timeout_ms == 30000);
  CHECK_FALSE(d.admin.force_https);

  std::vector<std::string> warnings;
  const ServerConfig c = MustParse(
      "dataDir=/d\n"
      "admin.enableServer=false\n"
      "admin.serverAddress=127.0.0.1\n"
      "admin.serverPort=9090\n"
      "admin.commandURL=/cmds/\n"
      "admin.idleTimeout=5000\n"
      "admin.forceHttps=true\n"
      "admin.needClientAuth=true\n",
      &warnings);
  CHECK(warnings.empty());
  CHECK_FALSE(c.admin.enabled);
  CHECK(c.admin.address == "127.0.0.1");
  CHECK(c.admin.port == 9090);
  CHECK(c.admin.command_url == "/cmds");
  CHECK(c.admin.idle_timeout_ms == 5000);
  CHECK(c.admin.force_https);
  CHECK(c.admin.need_client_auth);

  CHECK(Contains(ErrorOf("dataDir=/d\nadmin.serverPort=70000\n"), "admin.serverPort"));
  CHECK(Contains(ErrorOf("dataDir=/d\nadmin.enableServer=maybe\n"), "admin.enableServer"));
  CHECK(Contains(ErrorOf("dataDir=/d\nadmin.commandURL=commands\n"), "admin.commandURL"));
  CHECK(Contains(ErrorOf("dataDir=/d\nadmin.idleTimeout=0\n"), "admin.idleTimeout"));
}

TEST_CASE("adjusted values are warned about") {
  std::vector<std::string> warnings;
  ServerConfig c = MustParse(
      "dataDir=/d\nautopurge.snapRetainCount=1\nsnapCount=1\nautopurge.purgeInterval=-4\n",
      &warnings);
  CHECK(c.autopurge_snap_retain_count == 3);
  CHECK(c.snap_count == 2);
  CHECK(c.autopurge_purge_interval_hours == 0);
  CHECK(warnings.size() == 3);
  CHECK(AnyContains(warnings, "autopurge.snapRetainCount"));
  CHECK(AnyContains(warnings, "snapCount"));
}

TEST_CASE("Java Properties syntax") {
  SUBCASE("comments, blank lines, whitespace, CRLF") {
    std::vector<std::string> warnings;
    ServerConfig c = MustParse(
        "# The number of milliseconds of each tick\r\n"
        "   ! another comment style\r\n"
        "\r\n"
        "  tickTime   =   2000   \r\n"
        "\tdataDir\t=\t/var/lib/zookeeper#not-a-comment\r\n",
        &warnings);
    CHECK(warnings.empty());
    CHECK(c.tick_time_ms == 2000);
    CHECK(c.data_dir == "/var/lib/zookeeper#not-a-comment");
  }
  SUBCASE("continuation lines") {
    ServerConfig c = MustParse(
        "dataDir=/d\n"
        "4lw.commands.whitelist=stat, \\\n"
        "     ruok, \\\n"
        "\tconf\n"
        "tick\\\n"
        "  Time=2500\n");
    CHECK(c.four_letter_whitelist == std::set<std::string>{"conf", "ruok", "srvr", "stat"});
    CHECK(c.tick_time_ms == 2500);
  }
  SUBCASE("an even number of backslashes does not continue") {
    ServerConfig c = MustParse("dataLogDir=C:\\\\zk\\\\\ndataDir=/d\n");
    CHECK(c.data_log_dir == "C:\\zk\\");
    CHECK(c.data_dir == "/d");
  }
  SUBCASE("a comment line ending in a backslash does not continue") {
    ServerConfig c = MustParse("# comment \\\ndataDir=/d\n");
    CHECK(c.data_dir == "/d");
  }
  SUBCASE("continuation at end of text") {
    ServerConfig c = MustParse("tickTime=1000\ndataDir=/d\\");
    CHECK(c.data_dir == "/d");
  }
  SUBCASE("escapes") {
    ServerConfig c = MustParse("dataDir=/a\\=b\\u00e9\\tc\nclientPortAddress=\\ x\n");
    CHECK(c.data_dir == "/a=b\xc3\xa9\tc");
    CHECK(c.client_port_address == "x");
    CHECK(Contains(ErrorOf("dataDir=/a\\u00g1\n"), "escape"));
  }
  SUBCASE("last duplicate wins") { CHECK(MustParse("dataDir=/a\ndataDir=/b\n").data_dir == "/b"); }
  SUBCASE("no trailing newline") { CHECK(MustParse("dataDir=/d").data_dir == "/d"); }
  SUBCASE("empty text") { CHECK(ErrorOf("") == "dataDir is not set"); }
}

TEST_CASE("ToConfString, standalone") {
  ServerConfig c = MustParse("dataDir=/nonexistent/zk\ntickTime=2000\nclientPort=2181\n");
  CHECK(c.ToConfString(0, 0) ==
        "clientPort=2181\n"
        "secureClientPort=-1\n"
        "dataDir=/nonexistent/zk\n"
        "dataDirSize=0\n"
        "dataLogDir=/nonexistent/zk\n"
        "dataLogSize=0\n"
        "tickTime=2000\n"
        "maxClientCnxns=60\n"
        "minSessionTimeout=4000\n"
        "maxSessionTimeout=40000\n"
        "clientPortListenBacklog=-1\n"
        "serverId=0\n");
}

TEST_CASE("ToConfString, ensemble") {
  ServerConfig c = MustParse(
      "dataDir=/nonexistent/zk\ntickTime=2000\nclientPort=22183\n"
      "server.1=127.0.0.1:2288:3388\n"
      "server.2=127.0.0.1:2289:3389\n"
      "server.3=127.0.0.1:2290:3390:observer\n");
  c.server_id = 3;
  CHECK(c.ToConfString(0, 0) ==
        "clientPort=22183\n"
        "secureClientPort=-1\n"
        "dataDir=/nonexistent/zk\n"
        "dataDirSize=0\n"
        "dataLogDir=/nonexistent/zk\n"
        "dataLogSize=0\n"
        "tickTime=2000\n"
        "maxClientCnxns=60\n"
        "minSessionTimeout=4000\n"
        "maxSessionTimeout=40000\n"
        "clientPortListenBacklog=-1\n"
        "serverId=3\n"
        "initLimit=10\n"
        "syncLimit=5\n"
        "electionAlg=3\n"
        "electionPort=3390\n"
        "quorumPort=2290\n"
        "peerType=1\n"
        "membership: \n"
        "server.1=127.0.0.1:2288:3388:participant\n"
        "server.2=127.0.0.1:2289:3389:participant\n"
        "server.3=127.0.0.1:2290:3390:observer\n"
        "version=0");
}

// A scratch directory removed at scope exit.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("zk_config_test_" + std::to_string(reinterpret_cast<uintptr_t>(this)) + "_" +
            std::to_string(::getpid()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
  }
};

TEST_CASE("ParseConfigFile reads myid and sizes the data dir") {
  TempDir dir;
  const std::string data = (dir.path / "data").string();
  std::filesystem::create_directories(data);
  const std::string servers =
      "server.1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889:observer\n"
      "server.3=127.0.0.1:2890:3890\n";
  dir.Write("zoo.cfg", "dataDir=" + data + "\n" + servers);

  SUBCASE("missing myid in an ensemble is an error") {
    auto r = ParseConfigFile((dir.path / "zoo.cfg").string());
    REQUIRE_FALSE(r.ok());
    CHECK(Contains(r.status().message(), "myid"));
  }
  SUBCASE("myid selects the server line; its type wins over peerType") {
    dir.Write("data/myid", "2\n");
    auto r = ParseConfigFile((dir.path / "zoo.cfg").string());
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(r->server_id == 2);
    CHECK(r->peer_type == PeerType::kObserver);
    const std::string conf = r->ToConfString(2, 2);
    CHECK(Contains(conf, "serverId=2\n"));
    CHECK(Contains(conf, "peerType=1\n"));
  }
  SUBCASE("myid without a server line") {
    dir.Write("data/myid", "7");
    auto r = ParseConfigFile((dir.path / "zoo.cfg").string());
    REQUIRE_FALSE(r.ok());
    CHECK(Contains(r.status().message(), "server.7"));
  }
  SUBCASE("non-numeric myid") {
    dir.Write("data/myid", "one");
    CHECK_FALSE(ParseConfigFile((dir.path / "zoo.cfg").string()).ok());
  }
  SUBCASE("errors carry the path") {
    dir.Write("zoo.cfg", "dataDir=" + data + "\ntickTime=abc\n");
    auto r = ParseConfigFile((dir.path / "zoo.cfg").string());
    REQUIRE_FALSE(r.ok());
    CHECK(Contains(r.status().message(), "zoo.cfg: invalid value \"abc\" for tickTime"));
  }
  SUBCASE("standalone needs no myid") {
    dir.Write("zoo.cfg", "dataDir=" + data + "\n");
    auto r = ParseConfigFile((dir.path / "zoo.cfg").string());
    REQUIRE(r.ok());
    CHECK(r->server_id == 0);
  }
}

TEST_CASE("ParseConfigFile on a missing file is an I/O error") {
  auto r = ParseConfigFile("/nonexistent/zoo.cfg");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsIOError());
}

}  // namespace
}  // namespace zk::server

namespace zk::server {
namespace {

TEST_CASE("SASL keys: zoo.cfg and system-property spellings") {
  ServerConfig c = MustParse(
      "dataDir=/tmp/x\n"
      "authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider\n"
      "java.security.auth.login.config=/etc/zk/jaas.conf\n"
      "zookeeper.sasl.serverconfig=ZkServer\n"
      "superUser=admin\n"
      "sessionRequireClientSASLAuth=true\n");
  CHECK(c.sasl_auth_provider);
  CHECK(c.jaas_login_config == "/etc/zk/jaas.conf");
  CHECK(c.sasl_login_section == "ZkServer");
  CHECK(c.sasl_super_user == "admin");
  CHECK(c.EnforcedAuthSchemes() == std::set<std::string>{"sasl"});

  ServerConfig d = MustParse("dataDir=/tmp/x\n");
  CHECK_FALSE(d.sasl_auth_provider);
  CHECK(d.jaas_login_config.empty());
  CHECK(d.sasl_login_section == "Server");
  CHECK(d.EnforcedAuthSchemes().empty());

  ServerConfig e = MustParse(
      "dataDir=/tmp/x\nzookeeper.authProvider.x=org.apache.zookeeper.server.auth."
      "SASLAuthenticationProvider\nenforce.auth.enabled=true\nenforce.auth.schemes=sasl, digest\n");
  CHECK(e.sasl_auth_provider);
  CHECK(e.EnforcedAuthSchemes() == std::set<std::string>{"digest", "sasl"});
  CHECK(Contains(ErrorOf("dataDir=/tmp/x\nenforce.auth.enabled=true\n"), "enforce.auth.schemes"));
  CHECK(Contains(ErrorOf("dataDir=/tmp/x\nsessionRequireClientSASLAuth=maybe\n"),
                 "sessionRequireClientSASLAuth"));
}

TEST_CASE("ApplyJvmFlags takes the SASL system properties; zoo.cfg wins over them") {
  ServerConfig base;
  REQUIRE(ApplyJvmFlags(
              "-Xmx1g -Djava.security.auth.login.config=/a.conf -Dfoo=bar "
              "-Dzookeeper.authProvider.1=org.apache.zookeeper.server.auth."
              "SASLAuthenticationProvider -Dzookeeper.superUser=root "
              "-Djava.security.auth.login.config=\"/b.conf\" -Dzookeeper.jute.maxbuffer=5",
              &base, nullptr)
              .ok());
  CHECK(base.jaas_login_config == "/b.conf");  // the later flag wins
  CHECK(base.sasl_auth_provider);
  CHECK(base.sasl_super_user == "root");
  CHECK(base.jute_max_buffer == ServerConfig{}.jute_max_buffer);  // not a SASL flag

  auto parsed = ParseConfigTextOnto("dataDir=/tmp/x\nsuperUser=admin\n", base, nullptr);
  REQUIRE(parsed.ok());
  CHECK(parsed.value().sasl_super_user == "admin");
  CHECK(parsed.value().jaas_login_config == "/b.conf");

  ServerConfig bad;
  auto s = ApplyJvmFlags("-Dzookeeper.sessionRequireClientSASLAuth=yes", &bad, nullptr);
  REQUIRE_FALSE(s.ok());
  CHECK(Contains(s.message(), "JVM flag -Dzookeeper.sessionRequireClientSASLAuth=yes"));
}

}  // namespace
}  // namespace zk::server
