// ServerNode: SASL authentication on the client port (DIGEST-MD5 users from a JAAS file)
// and the enforcement of authentication (enforce.auth.*, sessionRequireClientSASLAuth), as
// Apache ZooKeeper's ZooKeeperServer.processSasl and AuthenticationHelper do it.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "server/jaas_config.h"
#include "server/reply_builder.h"
#include "server/server_node.h"

namespace zk::server {

zab::Status ServerNode::LoadSaslUsers() {
  if (config_.jaas_login_config.empty()) return zab::Status::OK();
  auto users = zk::server::LoadSaslUsers(config_.jaas_login_config, config_.sasl_login_section);
  if (!users.ok()) return users.status();
  sasl_users_ = std::move(users).value();
  sasl_enabled_ = true;
  spdlog::info("SASL: {} DIGEST-MD5 user(s) from section {} of {}{}", sasl_users_.size(),
               config_.sasl_login_section, config_.jaas_login_config,
               config_.sasl_auth_provider ? ""
                                          : " (no SASLAuthenticationProvider is configured: "
                                            "sasl ACLs cannot be set)");
  return zab::Status::OK();
}

void ServerNode::HandleSasl(ConnState& st, int32_t xid, std::string_view body) {
  ClientLink& conn = *st.conn;
  proto::JuteReader r(body, MaxFieldBytes());
  std::string token;  // GetSASLRequest{buffer token}
  if (!r.ReadBuffer(&token)) {
    spdlog::warn("closing connection {} from {}: malformed SASL request", conn.id(),
                 conn.remote_address());
    ++stats_.frames_rejected;
    conn.Close();
    return;
  }
  if (!st.sasl) {
    st.sasl = std::make_unique<DigestMd5Server>(
        [this](std::string_view user) -> std::optional<std::string> {
          auto it = sasl_users_.find(std::string(user));
          if (it == sasl_users_.end()) return std::nullopt;
          return it->second;
        },
        DigestMd5Server::NewNonce());
  }
  std::string reply, error;
  proto::JuteWriter w;
  size_t mark = w.BeginFrame();
  if (!st.sasl->Step(token, &reply, &error)) {
    // As ZooKeeper: the error with a null token, then the connection is closed (the session
    // lives on until it expires or another connection resumes it).
    bool required = enforced_auth_schemes_.contains("sasl");
    spdlog::warn(
        "client {} (session 0x{:x}) failed to SASL authenticate: {}; closing its "
        "connection",
        conn.remote_address(), st.session_id, error);
    proto::ReplyHeader{
        xid, 0,
        static_cast<int32_t>(required ? Err::kSessionClosedRequireSaslAuth : Err::kAuthFailed)}
        .Write(w);
    w.WriteNullBuffer();
    w.EndFrame(mark);
    conn.Send(w.Take());
    ++stats_.packets_sent;
    conn.CloseAfterFlush();
    return;
  }
  if (st.sasl->complete()) {
    // For DIGEST-MD5 ZooKeeper's Kerberos name rules leave the user name as it is.
    const std::string& user = st.sasl->user();
    spdlog::info("session 0x{:x}: adding SASL authorization for {}", st.session_id, user);
    AuthId id{"sasl", user};
    if (std::find(st.who.ids.begin(), st.who.ids.end(), id) == st.who.ids.end()) {
      st.who.ids.push_back(id);
    }
    if (!config_.sasl_super_user.empty() && user == config_.sasl_super_user) {
      st.who.is_super = true;
      AuthId super_id{"super", ""};
      if (std::find(st.who.ids.begin(), st.who.ids.end(), super_id) == st.who.ids.end()) {
        st.who.ids.push_back(super_id);
      }
    }
  }
  proto::ReplyHeader{xid, 0, 0}.Write(w);
  w.WriteBuffer(reply);
  w.EndFrame(mark);
  conn.Send(w.Take());
  ++stats_.packets_sent;
}

bool ServerNode::AuthEnforced(ConnState& st, int32_t xid) {
  if (enforced_auth_schemes_.empty()) return true;
  for (const AuthId& id : st.who.ids) {
    if (enforced_auth_schemes_.contains(id.scheme)) return true;
  }
  spdlog::warn(
      "client {} (session 0x{:x}) has not authenticated with a required scheme; "
      "closing its connection",
      st.conn->remote_address(), st.session_id);
  st.conn->Send(FrameReply(xid, 0, Err::kSessionClosedRequireSaslAuth));
  ++stats_.packets_sent;
  st.conn->CloseAfterFlush();
  return false;
}

}  // namespace zk::server
