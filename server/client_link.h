// ClientLink: the server node's port to one client connection. The node sees a connection only
// through this interface, so the same pipeline serves asio connections (server/connection.h) in
// the process and simulated clients in the deterministic simulator.
//
// The node calls these methods on the thread it runs on (the io thread in the process); a link
// reports what it reads through the LinkHandler it was given, on that same thread. Frames carry
// their 4-byte length prefix on the way out and none on the way in.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace zk::server {

struct ConnectionStats {
  uint64_t packets_received = 0;
  uint64_t packets_sent = 0;
  uint64_t bytes_received = 0;
  uint64_t bytes_sent = 0;
  std::chrono::system_clock::time_point established;
};

class ClientLink {
 public:
  virtual ~ClientLink() = default;

  // Queues one complete frame (length prefix included) for the client.
  virtual void Send(std::string frame) = 0;
  // Stops reading; closes once queued output is written.
  virtual void CloseAfterFlush() = 0;
  // Closes now, dropping queued output. Idempotent. The handler's OnClosed follows (possibly
  // later, never from inside a handler call of the same link).
  virtual void Close() = 0;
  // Stops/resumes reading requests (back-pressure: too many outstanding requests). Frames
  // already read are still delivered.
  virtual void PauseReading() = 0;
  virtual void ResumeReading() = 0;

  // Unique among the node's links for the node's lifetime.
  virtual uint64_t id() const = 0;
  virtual bool closed() const = 0;
  virtual const std::string& remote_address() const = 0;
  virtual uint16_t remote_port() const = 0;
  virtual ConnectionStats& stats() = 0;
  virtual bool is_tls() const = 0;
  // The subject DN (RFC 2253) of the client's certificate; empty without TLS or certificate.
  virtual const std::string& tls_peer_subject() const = 0;
  virtual size_t queued_output_bytes() const = 0;
};

// Receives what a link reads. Implemented by the server node.
class LinkHandler {
 public:
  virtual ~LinkHandler() = default;
  virtual void OnFrame(ClientLink& link, std::string_view frame) = 0;
  virtual void OnFourLetterWord(ClientLink& link, std::string_view word) = 0;
  virtual void OnClosed(ClientLink& link) = 0;
  // The TLS handshake completed; link.tls_peer_subject() names the client's certificate.
  virtual void OnTlsEstablished(ClientLink& link) = 0;
};

}  // namespace zk::server
