// TLS contexts of the server: an OpenSSL context built from one family of ZooKeeper's TLS keys
// (TlsOptions: `ssl.*` for the client port, `ssl.quorum.*` for peer traffic), and
// TlsContextSource, which keeps the current context of a listener and rebuilds it when the key
// or trust store files change, so new connections present the new certificate without a
// restart (connections already open keep the context they started with).
//
// Threads: BuildTlsContext is pure (reads the files it names) and thread-safe. TlsContextSource
// runs on the io thread: it polls the files' status (stat, no reads) from a timer, and reads
// the small PEM files only when they changed.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <string>

#include <asio.hpp>
#include <asio/ssl.hpp>

#include "server/config.h"
#include "zab/status.h"

namespace zk::server {

// Builds a context usable for both ends of a connection (the quorum dials and accepts with the
// same one): key store (PEM: private key and certificate chain in one file, the key optionally
// encrypted with keyStore.password), trust store (PEM CA bundle; the system's CAs when unset),
// peer verification per clientAuth, protocol versions, cipher suites (IANA names, as Java).
zab::Result<std::shared_ptr<asio::ssl::context>> BuildTlsContext(const TlsOptions& options);

// The subject of the peer's certificate in RFC 2253 form, as Java's
// X500Principal.getName() prints it ("CN=client1,OU=ops,O=Example"); empty when the peer sent
// no certificate. REQUIRES: the handshake on `ssl` completed.
std::string PeerSubjectDn(SSL* ssl);

// The serial number of the certificate a context presents, in hex (logs and tests).
std::string ContextCertificateSerial(asio::ssl::context& context);

class TlsContextSource {
 public:
  static constexpr auto kPollInterval = std::chrono::seconds(1);

  // Builds the first context; `what` names the listener in logs ("client", "quorum").
  static zab::Result<std::unique_ptr<TlsContextSource>> Create(asio::io_context& io,
                                                               TlsOptions options,
                                                               std::string what);
  ~TlsContextSource();

  // The context new connections use.
  std::shared_ptr<asio::ssl::context> current() const { return current_; }
  const TlsOptions& options() const { return options_; }
  // Stops polling. Idempotent.
  void Stop();

 private:
  struct FileStamp {
    int64_t mtime_ns = -1;
    int64_t size = -1;
    uint64_t inode = 0;
    bool operator==(const FileStamp&) const = default;
  };
  TlsContextSource(asio::io_context& io, TlsOptions options, std::string what);
  std::array<FileStamp, 2> Stamps() const;
  void SchedulePoll();
  void Poll();

  asio::steady_timer timer_;
  TlsOptions options_;
  std::string what_;
  std::shared_ptr<asio::ssl::context> current_;
  std::array<FileStamp, 2> loaded_;       // of the files current_ was built from
  std::array<FileStamp, 2> last_failed_;  // of the last failed rebuild (logged once)
  bool stopped_ = false;
};

}  // namespace zk::server
