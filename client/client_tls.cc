// The client's TLS context (options.tls): built once by Client::Start.
#include "client/client_impl.h"

namespace zk::client {

Result<std::shared_ptr<asio::ssl::context>> MakeTlsContext(const TlsOptions& tls) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  asio::error_code ec;
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression,
                   ec);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  if (tls.ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
  } else {
    ctx->load_verify_file(tls.ca_file, ec);
  }
  if (ec) return Err::kBadArguments;
  ctx->set_verify_mode(asio::ssl::verify_peer, ec);
  if (!tls.key_password.empty()) {
    std::string password = tls.key_password;
    ctx->set_password_callback(
        [password](size_t, asio::ssl::context::password_purpose) { return password; }, ec);
  }
  if (!tls.cert_file.empty()) {
    ctx->use_certificate_chain_file(tls.cert_file, ec);
    if (ec) return Err::kBadArguments;
    ctx->use_private_key_file(tls.key_file.empty() ? tls.cert_file : tls.key_file,
                              asio::ssl::context::pem, ec);
    if (ec) return Err::kBadArguments;
  } else if (!tls.key_file.empty()) {
    return Err::kBadArguments;  // a key without its certificate
  }
  return ctx;
}

}  // namespace zk::client
