// SimClientLink: FIFO delivery in both directions through the caller's scheduler.
#include "tests/sim/sim_client_link.h"

#include <utility>

namespace zk::sim {

namespace {
constexpr size_t kSimLinkPrefixBytes = 4;
}  // namespace

SimClientLink::SimClientLink(uint64_t id, std::string remote_address, SimClient* client,
                             Scheduler schedule)
    : id_(id),
      client_(client),
      schedule_(std::move(schedule)),
      address_(std::move(remote_address)) {}

void SimClientLink::SendToNode(std::string frame) {
  if (closed_ || close_after_flush_) return;
  if (tap_.to_node) tap_.to_node(frame);
  to_node_.push_back(std::move(frame));
  schedule_(Direction::kToNode, [self = shared_from_this()] { self->DeliverToNode(); });
}

size_t SimClientLink::PumpClient() {
  size_t sent = 0;
  while (client_ != nullptr && !closed_ && !close_after_flush_) {
    std::optional<std::string> f = client_->NextFrame();
    if (!f) break;
    SendToNode(std::move(*f));
    ++sent;
  }
  return sent;
}

void SimClientLink::DeliverToNode() {
  if (closed_ || to_node_.empty()) return;
  if (paused_) {
    ++owed_to_node_;
    return;
  }
  std::string frame = std::move(to_node_.front());
  to_node_.pop_front();
  ++stats_.packets_received;
  stats_.bytes_received += frame.size();
  if (handler_ != nullptr) handler_->OnFrame(*this, frame);
}

void SimClientLink::ResumeReading() {
  paused_ = false;
  for (; owed_to_node_ > 0; --owed_to_node_) {
    schedule_(Direction::kToNode, [self = shared_from_this()] { self->DeliverToNode(); });
  }
}

void SimClientLink::Send(std::string frame) {
  if (closed_ || frame.size() < kSimLinkPrefixBytes) return;
  ++stats_.packets_sent;
  stats_.bytes_sent += frame.size();
  std::vector<std::string> frames;
  if (tap_.to_client) {
    frames = tap_.to_client(frame.substr(kSimLinkPrefixBytes));
  } else {
    frames.push_back(frame.substr(kSimLinkPrefixBytes));
  }
  for (std::string& f : frames) {
    queued_bytes_ += f.size();
    to_client_.push_back(std::move(f));
    schedule_(Direction::kToClient, [self = shared_from_this()] { self->DeliverToClient(); });
  }
}

void SimClientLink::DeliverToClient() {
  if (closed_ || to_client_.empty()) return;
  std::string frame = std::move(to_client_.front());
  to_client_.pop_front();
  queued_bytes_ -= frame.size();
  if (client_ != nullptr) client_->OnFrame(frame);
  if (close_after_flush_ && to_client_.empty()) {
    Close();
    return;
  }
  if (pump_on_delivery_) PumpClient();
}

void SimClientLink::CloseAfterFlush() {
  if (closed_) return;
  close_after_flush_ = true;
  if (to_client_.empty()) Close();
}

void SimClientLink::Close() {
  if (closed_) return;
  MarkClosed();
  schedule_(Direction::kToClient, [self = shared_from_this()] {
    if (self->client_ != nullptr) self->client_->OnDisconnected();
  });
}

void SimClientLink::Disconnect() {
  if (closed_) return;
  MarkClosed();
  if (client_ != nullptr) client_->OnDisconnected();
}

void SimClientLink::MarkClosed() {
  closed_ = true;
  to_client_.clear();
  to_node_.clear();
  queued_bytes_ = 0;
  schedule_(Direction::kToNode, [self = shared_from_this()] {
    if (self->handler_ != nullptr) self->handler_->OnClosed(*self);
  });
}

}  // namespace zk::sim
