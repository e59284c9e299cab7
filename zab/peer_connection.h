// PeerConnection: one TCP connection of the ZAB peer mesh (see peer_transport.h), on the io
// thread, plain or TLS (a SocketStream set up for TLS: the handshake runs first, output
// waits for it, and a failed handshake fails the connection). It splits the byte stream into frames (message_codec.h), decodes them, reassembles
// chunked snapshots, checks that each message travels on its own channel, and hands what it
// reads to its Owner. Output is queued and written with gathered writes; a Snapshot is queued
// as is and cut into chunk frames only as the socket drains, its data going to the socket
// without a copy. Ordinary output beyond a byte limit fails the connection.
//
// A connection always keeps a read outstanding, so a peer's EOF or RST is seen at once. Any
// malformed input, I/O error or EOF fails it: the Owner hears OnFailed once, then nothing more.
// Close() (the Owner's own decision) is silent. Either way nothing is delivered after it.
//
// Thread-safety: none; everything runs on the io thread. Owned by shared_ptr: the owner keeps
// one, asio handlers keep it alive until they have run. Handlers never touch the Owner once the
// connection is closed, so the Owner may be destroyed after closing its connections.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

// After the standard headers: asio picks its allocation functions by macros those define, and
// every translation unit must make the same choice.
#include <asio.hpp>

#include "zab/message_codec.h"
#include "zab/messages.h"
#include "zab/socket_stream.h"

namespace zk::zab {

inline const char* ChannelName(Channel c) {
  return c == Channel::kElection ? "election" : "quorum";
}

struct PeerConnectionLimits {
  size_t max_frame_bytes = wire::kDefaultMaxFrameBytes;
  size_t snapshot_chunk_bytes = size_t{1} << 20;
  uint64_t max_snapshot_bytes = uint64_t{4} << 30;
  size_t max_queued_bytes = size_t{128} << 20;  // encoded frames waiting to be written
  size_t max_queued_snapshots = 4;
};

struct PeerConnectionCounters {
  uint64_t messages_in = 0;
  uint64_t messages_out = 0;  // queued
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;  // written
};

class PeerConnection : public std::enable_shared_from_this<PeerConnection> {
 public:
  class Owner {
   public:
    virtual ~Owner() = default;
    // The first frame of a connection started with expect_handshake. The owner either adopts
    // the connection (SetPeer) or Close()s it before returning.
    virtual void OnHandshake(PeerConnection& conn, const Handshake& hs) = 0;
    virtual void OnMessage(PeerConnection& conn, Message&& msg) = 0;
    // The connection failed and is closed; called once, never after Close().
    virtual void OnFailed(PeerConnection& conn, const std::string& reason) = 0;
    // A write of queued output completed (queued_bytes() went down); only once the peer is
    // named (SetPeer). The owner may Send more.
    virtual void OnWritten(PeerConnection& /*conn*/) {}
  };

  // REQUIRES: socket is connected; limits.snapshot_chunk_bytes + wire::kChunkOverheadBytes <=
  // limits.max_frame_bytes.
  // With `tls` (non-null), the connection speaks TLS as it says.
  PeerConnection(TcpSocket socket, Owner* owner, const PeerConnectionLimits& limits,
                 const TlsSetup* tls = nullptr);
  ~PeerConnection();
  PeerConnection(const PeerConnection&) = delete;
  PeerConnection& operator=(const PeerConnection&) = delete;

  // Starts reading. With expect_handshake the first frame must be a Handshake.
  void Start(bool expect_handshake);
  // Names the peer and the channel: messages of the other channel then fail the connection.
  void SetPeer(ServerId peer, Channel channel);

  // Queues `msg`. False when the connection is closed, when the message cannot be sent
  // (LogRange, over the frame or snapshot limit: logged, the connection stays up), or when it
  // takes the output over its limit (the connection then fails: OnFailed runs before this
  // returns).
  bool Send(Message msg);
  // Queues a frame already encoded (EncodeMessageFrame within this connection's frame limit),
  // which other connections may write too. False as for Send.
  bool SendFrame(std::shared_ptr<const std::string> frame);
  void SendHandshake(const Handshake& hs);

  // Fails the connection with `what` unless CancelDeadline() comes first.
  void SetDeadline(std::chrono::milliseconds after, std::string what);
  void CancelDeadline();

  // Closes now without telling the owner; drops queued output. Idempotent.
  void Close();
  // Tells the owner nothing more and reads nothing more from now on, but writes the output
  // already queued before closing (at most `limit` later). The connection keeps itself alive
  // meanwhile.
  void CloseAfterFlush(std::chrono::milliseconds limit);

  bool closed() const { return closed_; }
  ServerId peer() const { return peer_; }
  Channel channel() const { return channel_; }
  const std::string& remote() const { return remote_; }
  const PeerConnectionCounters& counters() const { return counters_; }
  size_t queued_bytes() const { return queued_bytes_; }

 private:
  // Queued output: an encoded frame, or a snapshot still to be cut into chunks.
  struct OutItem {
    std::string frame;
    std::shared_ptr<const std::string> shared_frame;  // instead of frame: one for many peers
    std::unique_ptr<Snapshot> snapshot;
    uint64_t snapshot_offset = 0;
    bool snapshot_started = false;
  };

  void StartTlsHandshake();
  void Read();
  // Makes room for `n` more bytes after in_end_.
  void Reserve(size_t n);
  void OnRead(const asio::error_code& ec, size_t n);
  void ParseFrames();
  // Handles one frame's payload; false when the connection must stop parsing.
  bool OnFrame(std::string_view payload);
  // Starts a write after the current handler, so messages queued together go out together.
  void ScheduleWrite();
  void Write();
  void OnWrite(const asio::error_code& ec, size_t n);
  void Fail(const std::string& reason);
  void Deliver(Message&& msg);

  SocketStream stream_;
  bool stream_ready_ = false;  // the TLS handshake (if any) completed
  asio::steady_timer deadline_;
  Owner* owner_;
  PeerConnectionLimits limits_;
  std::string remote_;
  ServerId peer_ = 0;
  Channel channel_ = Channel::kElection;
  bool peer_known_ = false;

  // Read buffer: bytes [in_start_, in_end_) of in_ are read and not yet parsed.
  std::unique_ptr<char[]> in_;
  size_t in_capacity_ = 0;
  size_t in_start_ = 0;
  size_t in_end_ = 0;
  size_t want_ = 0;  // bytes the incomplete frame at in_start_ still needs
  bool expect_handshake_ = false;
  bool reading_ = false;
  SnapshotAssembler assembler_;

  std::deque<OutItem> out_;
  size_t queued_snapshots_ = 0;
  // What the write in flight points into.
  std::deque<std::string> writing_;
  std::vector<std::shared_ptr<const std::string>> writing_shared_;
  std::vector<std::unique_ptr<Snapshot>> writing_snapshots_;
  bool write_in_flight_ = false;
  bool write_posted_ = false;
  size_t queued_bytes_ = 0;    // ordinary frames queued or being written
  size_t writing_frames_ = 0;  // bytes of ordinary frames in the write in flight

  std::string deadline_what_;
  uint64_t deadline_generation_ = 0;

  bool closed_ = false;
  bool close_after_flush_ = false;
  PeerConnectionCounters counters_;
};

}  // namespace zk::zab
