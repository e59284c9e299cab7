#include "server/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>

namespace zk::server {
namespace {

using zab::Status;

std::string OpenSslError(const std::string& what, const asio::error_code& ec) {
  return what + ": " + ec.message();
}

int VersionOf(std::string_view protocol) {
  return protocol == "TLSv1.2" ? TLS1_2_VERSION : TLS1_3_VERSION;
}

// Protocol versions as ZooKeeper's X509Util chooses them: `protocol` is the highest version,
// `enabledProtocols` (default: TLSv1.3 and TLSv1.2 for TLSv1.3, else just `protocol`) the set.
Status SetVersions(const TlsOptions& o, SSL_CTX* ctx) {
  int max_version = VersionOf(o.protocol);
  int min_version = TLS1_2_VERSION;
  if (!o.enabled_protocols.empty()) {
    min_version = TLS1_3_VERSION;
    max_version = TLS1_2_VERSION;
    for (const auto& p : o.enabled_protocols) {
      min_version = std::min(min_version, VersionOf(p));
      max_version = std::max(max_version, VersionOf(p));
    }
  }
  if (SSL_CTX_set_min_proto_version(ctx, min_version) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, max_version) != 1) {
    return Status::InvalidArgument("cannot set the TLS protocol versions");
  }
  return Status::OK();
}

// Cipher suites by their IANA names (Java's), mapped to OpenSSL's: TLS 1.3 suites carry the same
// names in both; TLS 1.2 suites are looked up by their standard name.
Status SetCipherSuites(const std::vector<std::string>& names, SSL_CTX* ctx) {
  if (names.empty()) return Status::OK();
  std::string tls13, tls12;
  SSL_CTX* all = SSL_CTX_new(TLS_method());
  if (all == nullptr) return Status::InvalidArgument("cannot create an OpenSSL context");
  SSL_CTX_set_cipher_list(all, "ALL:COMPLEMENTOFALL");
  STACK_OF(SSL_CIPHER)* known = SSL_CTX_get_ciphers(all);
  for (const auto& name : names) {
    bool found = false;
    for (int i = 0; i < sk_SSL_CIPHER_num(known); ++i) {
      const SSL_CIPHER* c = sk_SSL_CIPHER_value(known, i);
      const char* standard = SSL_CIPHER_standard_name(c);
      if (standard == nullptr || name != standard) continue;
      found = true;
      const bool tls13_suite = std::string_view(SSL_CIPHER_get_version(c)) == "TLSv1.3";
      std::string& list = tls13_suite ? tls13 : tls12;
      if (!list.empty()) list += ":";
      list += tls13_suite ? standard : SSL_CIPHER_get_name(c);
      break;
    }
    if (!found) spdlog::warn("TLS: cipher suite {} is not known to OpenSSL; ignored", name);
  }
  SSL_CTX_free(all);
  if (tls12.empty() && tls13.empty()) {
    return Status::InvalidArgument("none of the configured cipher suites is supported");
  }
  // An empty list for one version disables that version's suites.
  if (SSL_CTX_set_ciphersuites(ctx, tls13.c_str()) != 1 && !tls13.empty()) {
    return Status::InvalidArgument("cannot set the TLS 1.3 cipher suites " + tls13);
  }
  if (!tls12.empty() && SSL_CTX_set_cipher_list(ctx, tls12.c_str()) != 1) {
    return Status::InvalidArgument("cannot set the cipher suites " + tls12);
  }
  if (tls12.empty()) SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  return Status::OK();
}

}  // namespace

zab::Result<std::shared_ptr<asio::ssl::context>> BuildTlsContext(const TlsOptions& o) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls);
  asio::error_code ec;
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression |
                       asio::ssl::context::single_dh_use,
                   ec);
  if (Status s = SetVersions(o, ctx->native_handle()); !s.ok()) return s;
  if (Status s = SetCipherSuites(o.cipher_suites, ctx->native_handle()); !s.ok()) return s;
  if (!o.key_store_password.empty()) {
    std::string password = o.key_store_password;
    ctx->set_password_callback(
        [password](size_t, asio::ssl::context::password_purpose) { return password; }, ec);
  }
  if (!o.key_store_location.empty()) {
    ctx->use_certificate_chain_file(o.key_store_location, ec);
    if (ec) {
      return Status::InvalidArgument(
          OpenSslError("cannot read the certificate chain of " + o.key_store_location, ec));
    }
    ctx->use_private_key_file(o.key_store_location, asio::ssl::context::pem, ec);
    if (ec) {
      return Status::InvalidArgument(OpenSslError(
          "cannot read the private key of " + o.key_store_location +
              (o.key_store_password.empty() ? "" : " (with keyStore.password)"),
          ec));
    }
  }
  if (!o.trust_store_location.empty()) {
    ctx->load_verify_file(o.trust_store_location, ec);
    if (ec) {
      return Status::InvalidArgument(
          OpenSslError("cannot read the trust store " + o.trust_store_location, ec));
    }
  } else {
    ctx->set_default_verify_paths(ec);
  }
  switch (o.client_auth) {
    case TlsClientAuth::kNone:
      ctx->set_verify_mode(asio::ssl::verify_none, ec);
      break;
    case TlsClientAuth::kWant:
      ctx->set_verify_mode(asio::ssl::verify_peer, ec);
      break;
    case TlsClientAuth::kNeed:
      ctx->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert, ec);
      break;
  }
  return ctx;
}

std::string PeerSubjectDn(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return "";
  std::string out;
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio != nullptr &&
      X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    if (n > 0) out.assign(data, static_cast<size_t>(n));
  }
  BIO_free(bio);
  X509_free(cert);
  return out;
}

std::string ContextCertificateSerial(asio::ssl::context& context) {
  X509* cert = SSL_CTX_get0_certificate(context.native_handle());
  if (cert == nullptr) return "";
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  if (bn == nullptr) return "";
  char* hex = BN_bn2hex(bn);
  std::string out = hex != nullptr ? hex : "";
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

zab::Result<std::unique_ptr<TlsContextSource>> TlsContextSource::Create(asio::io_context& io,
                                                                        TlsOptions options,
                                                                        std::string what) {
  std::unique_ptr<TlsContextSource> source(
      new TlsContextSource(io, std::move(options), std::move(what)));
  auto stamps = source->Stamps();
  auto ctx = BuildTlsContext(source->options_);
  if (!ctx.ok()) {
    return Status::InvalidArgument("TLS (" + source->what_ + "): " + ctx.status().message());
  }
  source->current_ = std::move(ctx.value());
  source->loaded_ = stamps;
  spdlog::info("TLS ({}): certificate {} serial {}", source->what_,
               source->options_.key_store_location, ContextCertificateSerial(*source->current_));
  if (source->options_.reload) source->SchedulePoll();
  return source;
}

TlsContextSource::TlsContextSource(asio::io_context& io, TlsOptions options, std::string what)
    : timer_(io), options_(std::move(options)), what_(std::move(what)) {}

TlsContextSource::~TlsContextSource() { Stop(); }

void TlsContextSource::Stop() {
  stopped_ = true;
  timer_.cancel();
}

std::array<TlsContextSource::FileStamp, 2> TlsContextSource::Stamps() const {
  std::array<FileStamp, 2> out;
  const std::string* paths[2] = {&options_.key_store_location, &options_.trust_store_location};
  for (int i = 0; i < 2; ++i) {
    struct stat st;
    if (paths[i]->empty() || ::stat(paths[i]->c_str(), &st) != 0) continue;
    out[i].mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    out[i].size = static_cast<int64_t>(st.st_size);
    out[i].inode = static_cast<uint64_t>(st.st_ino);
  }
  return out;
}

void TlsContextSource::SchedulePoll() {
  timer_.expires_after(kPollInterval);
  timer_.async_wait([this](const asio::error_code& ec) {
    if (ec || stopped_) return;
    Poll();
    SchedulePoll();
  });
}

void TlsContextSource::Poll() {
  auto stamps = Stamps();
  if (stamps == loaded_) return;
  auto ctx = BuildTlsContext(options_);
  if (!ctx.ok()) {
    // Files are often replaced one at a time: retry at every poll, log each new state once.
    if (stamps != last_failed_) {
      spdlog::warn("TLS ({}): not reloading the changed certificate files: {}", what_,
                   ctx.status().message());
      last_failed_ = stamps;
    }
    return;
  }
  current_ = std::move(ctx.value());
  loaded_ = stamps;
  spdlog::info("TLS ({}): reloaded {}, certificate serial {}", what_,
               options_.key_store_location, ContextCertificateSerial(*current_));
}

}  // namespace zk::server
