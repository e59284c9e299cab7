// ServerConfig is the validated content of a ZooKeeper zoo.cfg file: the keys of Apache ZooKeeper
// 3.8 that zabkeeper honours, with ZooKeeper's defaults, plus zabkeeper's own keys. Parsing never
// throws; a bad value is an InvalidArgument Status naming the key and the value, an unknown key is
// a warning.
//
// A ServerConfig is a plain value: copy it freely, read it from any thread once built.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "zab/status.h"

namespace zk::server {

// One `server.N=host:quorumPort:electionPort[:participant|:observer][;[clientAddr:]clientPort]`.
struct ServerAddress {
  std::string host;  // without the brackets of an IPv6 literal
  int quorum_port = 0;
  int election_port = 0;
  bool observer = false;
  std::optional<std::string> client_address;  // set only if the client part names an address
  std::optional<int> client_port;             // set only if the line has a client part

  // The form ZooKeeper prints in `conf` and /zookeeper/config:
  // "host:2888:3888:participant" or "...:observer;0.0.0.0:2181".
  std::string ToString() const;
};

enum class PeerType { kParticipant = 0, kObserver = 1 };

// Parses the value of a `server.N` line (the part after '='); `key` names it in errors.
zab::Status ParseServerSpec(std::string_view key, std::string_view value, ServerAddress* out);

// --- TLS (ssl.* and ssl.quorum.* keys) ---
// ssl.clientAuth: whether a TLS peer must present a certificate signed by the trust store.
enum class TlsClientAuth { kNone, kWant, kNeed };

// One family of ZooKeeper's X509Util keys: `ssl.*` for the client port, `ssl.quorum.*` for peer
// traffic. Only the PEM store type is supported (a PEM key store holds the private key and the
// certificate chain in one file; a PEM trust store is a CA bundle).
struct TlsOptions {
  std::string key_store_location;    // ssl[.quorum].keyStore.location
  std::string key_store_password;    // ssl[.quorum].keyStore.password (encrypted PEM key)
  std::string trust_store_location;  // ssl[.quorum].trustStore.location
  TlsClientAuth client_auth = TlsClientAuth::kNeed;  // ssl[.quorum].clientAuth
  std::string protocol = "TLSv1.3";                  // ssl[.quorum].protocol
  std::vector<std::string> enabled_protocols;        // ssl[.quorum].enabledProtocols
  std::vector<std::string> cipher_suites;            // ssl[.quorum].ciphersuites (IANA names)
  bool hostname_verification = true;                 // ssl[.quorum].hostnameVerification
  bool reload = true;  // client.certReload / sslQuorumReloadCertFiles (zabkeeper: on)
};

// The AdminServer's keys (admin.*), with Apache ZooKeeper 3.8's defaults.
struct AdminServerOptions {
  bool enabled = true;                      // admin.enableServer
  std::string address = "0.0.0.0";          // admin.serverAddress
  int port = 8080;                          // admin.serverPort; 0 = the kernel picks
  std::string command_url = "/commands";    // admin.commandURL
  int idle_timeout_ms = 30000;              // admin.idleTimeout
  bool force_https = false;                 // admin.forceHttps: TLS with the ssl.* key store
  bool need_client_auth = false;            // admin.needClientAuth: with forceHttps
};

struct ServerConfig {
  // --- ZooKeeper keys (defaults as in Apache ZooKeeper 3.8) ---
  int tick_time_ms = 3000;                 // tickTime
  int init_limit = 10;                     // initLimit, in ticks
  int sync_limit = 5;                      // syncLimit, in ticks
  std::string data_dir;                    // dataDir (required)
  std::string data_log_dir;                // dataLogDir; the parser sets it to data_dir when absent
  int client_port = 2181;                  // clientPort; 0 = let the kernel pick (tests)
  std::string client_port_address;         // clientPortAddress; empty = 0.0.0.0
  int client_port_listen_backlog = -1;     // clientPortListenBacklog; -1 = default
  int max_client_cnxns = 60;               // maxClientCnxns, per client IP; 0 = unlimited
  int max_cnxns = 0;                       // maxCnxns, total; 0 = unlimited
  int min_session_timeout_ms = -1;         // minSessionTimeout; -1 = 2 * tickTime
  int max_session_timeout_ms = -1;         // maxSessionTimeout; -1 = 20 * tickTime
  int snap_count = 100000;                 // snapCount (raised to 2 if lower, as ZooKeeper does)
  int autopurge_snap_retain_count = 3;     // autopurge.snapRetainCount (minimum 3)
  // fsync.warningthresholdms: a group commit (write and sync of the log) slower than this is
  // logged as a warning and counted in fsync_threshold_exceed_count.
  int fsync_warning_threshold_ms = 1000;
  int autopurge_purge_interval_hours = 0;  // autopurge.purgeInterval; 0 = off
  // 4lw.commands.whitelist. Always holds "srvr" (zkServer.sh needs it) and "isro" when
  // read_only_mode; "*" means every command.
  std::set<std::string> four_letter_whitelist = {"srvr"};
  int jute_max_buffer = 0xfffff;                // jute.maxbuffer
  std::string super_digest;                     // DigestAuthenticationProvider.superDigest
  bool extended_types_enabled = false;          // extendedTypesEnabled (TTL nodes)
  bool reconfig_enabled = false;                // reconfigEnabled
  bool standalone_enabled = true;               // standaloneEnabled
  bool quorum_listen_on_all_ips = false;        // quorumListenOnAllIPs: peer ports on all IPs
  bool read_only_mode = false;                  // readonlymode.enabled
  int global_outstanding_limit = 1000;          // globalOutstandingLimit
  int election_alg = 3;                         // electionAlg; only 3 (FastLeaderElection) exists
  std::map<int64_t, ServerAddress> servers;     // server.N
  PeerType peer_type = PeerType::kParticipant;  // peerType
  AdminServerOptions admin;                     // admin.* (docs/operations.md, "AdminServer")
  // The text of the config file as read (the AdminServer's initial_configuration); set by
  // ParseConfigFile.
  std::string config_file_text;
  // The path of that file (ParseConfigFile): committed reconfigurations are written beside it.
  std::string config_file_path;
  // dynamicConfigFile: the file holding the server.N lines (and `version=`); ParseConfigFile
  // reads it into `servers` and `dynamic_config_version`.
  std::string dynamic_config_file;
  int64_t dynamic_config_version = 0;  // its `version=` line (hex), 0 when none

  // znode.container.checkIntervalMs: how often empty containers and expired TTL nodes are
  // looked for; znode.container.maxPerMinute: how many of them are deleted per minute at most;
  // znode.container.maxNeverUsedIntervalMs: age after which a container that never had a
  // child is deleted (0 = never).
  int container_check_interval_ms = 60000;
  int container_max_per_minute = 10000;
  int container_max_never_used_interval_ms = 0;

  // --- Quotas ---
  // enforceQuota (also zookeeper.enforceQuota, as ZooKeeper reads it from the system property):
  // creates and setData past a quota's hard limit fail with QUOTAEXCEEDED.
  bool enforce_quota = false;

  // Content of <dataDir>/myid; read by ParseConfigFile (required when IsDistributed()).
  int64_t server_id = 0;

  // --- TLS ---
  int secure_client_port = -1;             // secureClientPort; -1 = none, 0 = kernel picks
  // True when clientPort is in the file. With secureClientPort and no clientPort there is no
  // plaintext client port (as ZooKeeper).
  bool client_port_set = false;
  std::string secure_client_port_address;  // secureClientPortAddress; empty = 0.0.0.0
  bool port_unification = false;           // client.portUnification: TLS on clientPort too
  TlsOptions client_tls;                   // ssl.*
  bool ssl_quorum = false;                 // sslQuorum
  TlsOptions quorum_tls;                   // ssl.quorum.*
  std::string x509_super_user;             // X509AuthenticationProvider.superUser

  // --- Metrics (ZooKeeper 3.8's Prometheus provider; docs/operations.md, "Metrics") ---
  // metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider
  // turns the endpoint on; ZooKeeper's DefaultMetricsProvider (or no key) leaves it off.
  bool metrics_provider_enabled = false;
  std::string metrics_http_host = "0.0.0.0";  // metricsProvider.httpHost
  int metrics_http_port = 7000;               // metricsProvider.httpPort; 0 = the kernel picks

  // --- zabkeeper's own keys ---
  // snapshot.compression: the snapshots' zstd level, -22..22: the negative ones are zstd's fast
  // levels, 0 is its default (3). With tests/tools/snapshot_bench (1M znodes of 100 B), level -1
  // writes a snapshot for 0.16 us of CPU per znode and 11.9 B/znode, level 1 for 0.29 us and
  // 10.5 B, level 3 for 0.43 us.
  int snapshot_compression_level = -1;
  // memory.hugePages: the heap on transparent huge pages (server/huge_page_heap.h): the snapshot
  // writer's fork() and lookups in a large tree get faster. Off: ordinary 4 KiB pages.
  bool huge_pages = true;
  // node.seed: the seed of every random choice the server makes on its own (the ZAB core's
  // election back-off and timeouts, the snapshot cadence); 0 = drawn from the OS at start. The
  // seed used is logged at start, so a run can be repeated with the same choices. Session
  // passwords never come from it: they are drawn from OpenSSL's generator.
  uint64_t node_seed = 0;
  // digest.onMismatch: what a learner does when the leader's tree digest differs from its own
  // at the same zxid (DigestAudit): "log" (default; logged and counted in mntr's
  // zk_digest_mismatches_count) or "stopServing" (also closes its client connections and
  // refuses new ones until restarted).
  bool digest_stop_on_mismatch = false;
  // test.divergeOnPath: a test seam; this server applies every setData of that path with a
  // different value than the txn's, so its tree diverges from the other replicas'.
  std::string test_diverge_path;
  // test.maxZxidCounter: a test seam; the largest zxid counter an epoch may use before the
  // leader must start a new epoch (ZooKeeper's limit, 2^32 - 1, unless a test lowers it).
  int64_t test_max_zxid_counter = 0xffffffffLL;
  // test.peerMaxQueuedBytes: a test seam; the output a peer connection may queue before it fails
  // (a learner's log range is streamed so that at most half of it is used).
  int64_t test_peer_max_queued_bytes = int64_t{128} << 20;
  // A test seam with no config key (the simulator's planted bug): the container reaper takes a
  // childless TTL node for expired whatever its mtime, and Prep lets the delete through, so TTL
  // nodes go at the next check.
  bool test_reaper_ignores_ttl = false;

  // --- SASL authentication (docs/security.md, "SASL") ---
  // Each may also come from a -D flag in SERVER_JVMFLAGS/JVMFLAGS (see ApplyJvmFlags); zoo.cfg
  // wins.
  // authProvider.N=org.apache.zookeeper.server.auth.SASLAuthenticationProvider: the `sasl` ACL
  // scheme exists (ACLs with it can be set, `auth` expands to sasl ids, sasl ACLs match).
  bool sasl_auth_provider = false;
  // java.security.auth.login.config: the JAAS file whose section sasl_login_section lists the
  // DIGEST-MD5 users. Empty: SASL off (SASL packets are answered with an empty token).
  std::string jaas_login_config;
  std::string sasl_login_section = "Server";  // sasl.serverconfig
  std::string sasl_super_user;                // superUser: this sasl user is a super user
  // enforce.auth.enabled + enforce.auth.schemes (comma list), or the older
  // sessionRequireClientSASLAuth=true (= schemes {sasl}): a connection must have authenticated
  // with one of the schemes before any other request, else SESSIONCLOSEDREQUIRESASLAUTH.
  bool enforce_auth_enabled = false;
  std::set<std::string> enforce_auth_schemes;
  bool session_require_client_sasl_auth = false;
  // The schemes a connection must have authenticated with; empty = no enforcement.
  std::set<std::string> EnforcedAuthSchemes() const;

  // Session timeout bounds with ZooKeeper's defaults resolved.
  int MinSessionTimeoutMs() const {
    return min_session_timeout_ms == -1 ? 2 * tick_time_ms : min_session_timeout_ms;
  }
  int MaxSessionTimeoutMs() const {
    return max_session_timeout_ms == -1 ? 20 * tick_time_ms : max_session_timeout_ms;
  }

  // True if this server runs as a member of an ensemble rather than standalone: ZooKeeper's
  // rule is more than one voting server, or any server line with standaloneEnabled=false.
  bool IsDistributed() const;

  // True if `word` (a four-letter word such as "stat") may be executed.
  bool IsFourLetterWordAllowed(std::string_view word) const;

  // The text of the `conf` four-letter word, as Apache ZooKeeper 3.8 prints it (see
  // docs/reference-4lw-outputs.md), with the given sizes of dataDir and dataLogDir in bytes.
  // Prints data_dir/data_log_dir as configured (ZooKeeper appends its "version-2" subdirectory).
  // `membership`: the text of the membership in force (ConfigText, server/reconfig.h); empty:
  // the server.N lines with version 0.
  std::string ToConfString(int64_t data_dir_bytes, int64_t data_log_dir_bytes,
                           std::string_view membership = {}) const;
};

// Where this server keeps its own files: snapshots in <dataDir>/snapshots, the transaction log in
// <dataLogDir>/txnlog (beside ZooKeeper's version-2, which it only reads when importing).
std::string SnapshotDir(const ServerConfig& config);
std::string TxnLogDir(const ServerConfig& config);

// Parses zoo.cfg text (Java Properties syntax, the subset ZooKeeper configs use: `#`/`!`
// comment lines, blank lines, `key = value` with whitespace trimmed, backslash escapes and line
// continuations; the `key:value` and `key value` separators of Java Properties are not accepted).
// Unknown keys and adjusted values are appended to *warnings, or logged if warnings is null;
// keys ZooKeeper knows but zabkeeper ignores are logged at info level. Does not read myid.
zab::Result<ServerConfig> ParseConfigText(std::string_view text,
                                          std::vector<std::string>* warnings);

// Applies the SASL settings among the Java system properties of `flags` (the JVM flags
// Apache's zkServer.sh passes: "$SERVER_JVMFLAGS $JVMFLAGS"), each `-Dname=value`:
// java.security.auth.login.config and zookeeper.{authProvider.N, sasl.serverconfig, superUser,
// sessionRequireClientSASLAuth, enforce.auth.enabled, enforce.auth.schemes}. Other flags are
// ignored. A later flag wins. Errors name the flag.
zab::Status ApplyJvmFlags(std::string_view flags, ServerConfig* config,
                          std::vector<std::string>* warnings);

// As ParseConfigText, starting from `base` instead of the defaults.
zab::Result<ServerConfig> ParseConfigTextOnto(std::string_view text, ServerConfig base,
                                              std::vector<std::string>* warnings);

// Applies ApplyJvmFlags to the environment's "$SERVER_JVMFLAGS $JVMFLAGS", then reads and
// parses the file at `path` over it (zoo.cfg wins), then reads <dataDir>/myid into server_id
// (an error if it is missing and the configuration is distributed). Warnings are logged.
zab::Result<ServerConfig> ParseConfigFile(const std::string& path);

}  // namespace zk::server
