// Client::Impl: looking for a read-write server while connected to a read-only one (io thread).
// As ZooKeeper's ClientCnxn.pingRwServer: the hosts are asked `isro` one at a time, in the
// connect order, after a delay that starts at 100 ms and doubles up to a minute; the first that
// answers "rw" gets the next connection (the read-only one is dropped: kSuspended, then
// kConnected or kReconnected from the read-write server).
#include <algorithm>

#include "client/client_impl.h"

namespace zk::client {

namespace {
constexpr auto kMinProbeDelay = std::chrono::milliseconds(100);
constexpr auto kMaxProbeDelay = std::chrono::milliseconds(60000);
// A host that has not answered `isro` within this time is skipped until its next turn.
constexpr auto kProbeTimeout = std::chrono::milliseconds(1000);
}  // namespace

void Client::Impl::StartRwProbing() {
  probe_delay_ = kMinProbeDelay;
  ArmRwProbe();
}

void Client::Impl::ArmRwProbe() {
  const uint64_t gen = ++probe_gen_;
  probe_timer_.expires_after(probe_delay_);
  probe_delay_ = std::min(probe_delay_ * 2, kMaxProbeDelay);
  probe_timer_.async_wait([this, keep = Keep(), gen](const asio::error_code& ec) {
    if (ec || gen != probe_gen_ || !read_only_ || phase_ != Phase::kConnected) return;
    const size_t index = next_host_;
    next_host_ = (next_host_ + 1) % hosts_.size();
    ProbeHost(index);
  });
}

void Client::Impl::ProbeHost(size_t index) {
  const uint64_t gen = ++probe_gen_;
  const HostPort& hp = hosts_[index];
  probe_answer_.clear();
  // The probe's own deadline: closing the socket ends whatever step it is in.
  probe_timer_.expires_after(kProbeTimeout);
  probe_timer_.async_wait([this, keep = Keep(), gen, index](const asio::error_code& ec) {
    if (ec || gen != probe_gen_) return;
    ProbeDone(gen, index, false);
  });
  probe_resolver_.async_resolve(
      hp.host, std::to_string(hp.port),
      [this, keep = Keep(), gen, index](const asio::error_code& ec,
                                        asio::ip::tcp::resolver::results_type rs) {
        if (gen != probe_gen_) return;
        if (ec) {
          ProbeDone(gen, index, false);
          return;
        }
        asio::async_connect(
            probe_socket_, rs,
            [this, keep = Keep(), gen, index](const asio::error_code& ec2,
                                              const asio::ip::tcp::endpoint&) {
              if (gen != probe_gen_) return;
              if (ec2) {
                ProbeDone(gen, index, false);
                return;
              }
              static const std::string kIsro = "isro";
              asio::async_write(
                  probe_socket_, asio::buffer(kIsro),
                  [this, keep = Keep(), gen, index](const asio::error_code& ec3, size_t) {
                    if (gen != probe_gen_) return;
                    if (ec3) {
                      ProbeDone(gen, index, false);
                      return;
                    }
                    // The server answers and closes: read to the end of the stream.
                    asio::async_read(
                        probe_socket_, asio::dynamic_buffer(probe_answer_, 64),
                        [this, keep = Keep(), gen, index](const asio::error_code&, size_t) {
                          if (gen != probe_gen_) return;
                          ProbeDone(gen, index, probe_answer_.starts_with("rw"));
                        });
                  });
            });
      });
}

void Client::Impl::ProbeDone(uint64_t gen, size_t index, bool rw) {
  if (gen != probe_gen_) return;
  ++probe_gen_;
  asio::error_code ignored;
  probe_socket_.close(ignored);
  probe_resolver_.cancel();
  probe_timer_.cancel();
  if (!read_only_ || phase_ != Phase::kConnected) return;
  if (!rw) {
    ArmRwProbe();
    return;
  }
  // Reconnect at once, to that host first.
  next_host_ = index;
  attempts_in_round_ = 0;
  Disconnect(Err::kConnectionLoss);
}

void Client::Impl::StopRwProbing() {
  read_only_ = false;
  ++probe_gen_;
  asio::error_code ignored;
  probe_timer_.cancel();
  probe_resolver_.cancel();
  probe_socket_.close(ignored);
}

}  // namespace zk::client
