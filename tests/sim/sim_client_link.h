// SimClientLink: a ClientLink (server/client_link.h) joining one SimClient to one server node
// inside a simulation, with no sockets. What the node sends (length-prefixed frames) reaches
// the client without its prefix; what the client sends reaches the node's LinkHandler::OnFrame.
//
// Time: every delivery goes through the caller's Scheduler, which runs the given closure later
// (the caller chooses the delay, e.g. EventQueue::After(delay, fn)). Each direction is a FIFO
// queue and each scheduled closure delivers that queue's head, so frames keep their order (as on
// TCP) whatever delays the scheduler picks.
//
// Closing: the node's Close() drops queued output, then (scheduled) tells the client
// OnDisconnected and the node OnClosed — never from inside a node call. CloseAfterFlush stops
// reading and closes once the queued output has been delivered. Disconnect() is the network or
// the client cutting the connection: the client hears at once, the node later.
// PauseReading holds the client's frames until ResumeReading.
//
// Wiring, e.g. with an EventQueue `q`, a node `node` and a client `c`:
//   std::string ip = "10.0.0.1";
//   uint64_t id = node.AdmitLink(ip);  // 0: refused, treat as a lost connection
//   auto link = std::make_shared<SimClientLink>(id, ip, &c,
//       [&](SimClientLink::Direction, std::function<void()> fn) { q.After(delay, fn); });
//   link->SetHandler(&node);
//   link->set_pump_on_delivery(true);  // or call PumpClient() when the client should act
//   node.AttachLink(link);
//   link->SendToNode(c.ConnectFrame());
// When c.state() is kDisconnected again, connect it (to any node) the same way; a partition is
// link->Disconnect().
//
// Ownership: hold it in a std::shared_ptr (the node keeps one); scheduled closures keep it
// alive. The SimClient and the handler are borrowed and must outlive the link's scheduled
// deliveries, or be detached first. Thread-safety: none.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/client_link.h"
#include "tests/sim/sim_client.h"

namespace zk::sim {

// A tap on a link (the planted bugs of tests/sim/planted_bugs.h): sees each frame the client
// sends, and turns each frame for the client (without its prefix) into the frames delivered in
// its place. Either function may be empty.
struct LinkTap {
  std::function<void(const std::string& frame)> to_node;
  std::function<std::vector<std::string>(std::string frame)> to_client;
};

class SimClientLink : public server::ClientLink,
                      public std::enable_shared_from_this<SimClientLink> {
 public:
  enum class Direction { kToClient, kToNode };
  using Scheduler = std::function<void(Direction, std::function<void()>)>;

  // `id` from ServerNode::AdmitLink(remote_address): the node counts connections per address
  // and uncounts them by remote_address() when the link closes, so both must be the same.
  // Call SetHandler before the first SendToNode.
  SimClientLink(uint64_t id, std::string remote_address, SimClient* client, Scheduler schedule);

  void SetHandler(server::LinkHandler* handler) { handler_ = handler; }
  void SetTap(LinkTap tap) { tap_ = std::move(tap); }
  void DetachClient() { client_ = nullptr; }
  void DetachHandler() { handler_ = nullptr; }

  // Client -> node: queues one frame (no length prefix). Dropped once the link is closed.
  void SendToNode(std::string frame);
  // Sends every request the client has ready (SimClient::NextFrame); returns how many.
  size_t PumpClient();
  // When on, PumpClient runs after every frame delivered to the client (a closed loop).
  void set_pump_on_delivery(bool on) { pump_on_delivery_ = on; }
  // The connection is cut from the client's side or by the network.
  void Disconnect();

  // ClientLink
  void Send(std::string frame) override;
  void CloseAfterFlush() override;
  void Close() override;
  void PauseReading() override { paused_ = true; }
  void ResumeReading() override;
  uint64_t id() const override { return id_; }
  bool closed() const override { return closed_; }
  const std::string& remote_address() const override { return address_; }
  uint16_t remote_port() const override { return 0; }
  server::ConnectionStats& stats() override { return stats_; }
  bool is_tls() const override { return false; }
  const std::string& tls_peer_subject() const override { return no_subject_; }
  size_t queued_output_bytes() const override { return queued_bytes_; }

 private:
  void DeliverToClient();
  void DeliverToNode();
  // Marks the link closed and schedules the node's OnClosed (once).
  void MarkClosed();

  uint64_t id_;
  SimClient* client_;
  Scheduler schedule_;
  server::LinkHandler* handler_ = nullptr;
  LinkTap tap_;
  std::deque<std::string> to_client_;
  std::deque<std::string> to_node_;
  size_t owed_to_node_ = 0;  // deliveries that found the link paused
  size_t queued_bytes_ = 0;
  bool closed_ = false;
  bool close_after_flush_ = false;
  bool paused_ = false;
  bool pump_on_delivery_ = false;
  std::string address_;
  std::string no_subject_;
  server::ConnectionStats stats_;
};

}  // namespace zk::sim
