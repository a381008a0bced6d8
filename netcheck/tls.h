// TLS evidence: an OpenSSL handshake on an already connected socket.
#pragma once

#include <openssl/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "netcheck/clock.h"
#include "netcheck/event_loop.h"
#include "netcheck/trust_anchors.h"
#include "netcheck/unique_fd.h"

namespace netcheck {

enum class TlsOutcome {
  ok,        // handshake completed (see verify_errors for trust)
  timeout,   // no complete handshake in time
  protocol,  // the peer does not speak TLS 1.2+ (garbage, plain HTTP, alert)
  closed,    // the peer closed or reset the connection during the handshake
  error,     // local failure
};

const char* to_string(TlsOutcome outcome);

struct VerifyError {
  int code = 0;      // X509_V_ERR_*
  int depth = 0;     // 0 = leaf
  std::string text;  // X509_verify_cert_error_string
};

struct TlsResult {
  std::string server_name;  // SNI and the name verified
  TlsOutcome outcome = TlsOutcome::error;
  std::string version;  // "TLSv1.3"
  std::string cipher;
  std::string subject;  // leaf, RFC 2253
  std::string issuer;   // leaf's issuer, RFC 2253
  std::string issuer_cn;
  std::vector<std::string> sans;  // DNS and IP SANs
  std::string not_before;         // ISO 8601 UTC
  std::string not_after;
  std::vector<VerifyError> verify_errors;  // empty = chain and name verified
  std::string error;                       // OpenSSL's words when not ok
  double ms = 0;
  bool verified() const { return outcome == TlsOutcome::ok && verify_errors.empty(); }
};

// The shared client configuration: TLS 1.2 minimum, the trust store,
// verification of chain and host name (errors recorded, not fatal, so the
// evidence shows the certificate that was actually served).
class TlsClientContext {
 public:
  // `ca_file` empty: no trust anchors (every chain is untrusted).
  static std::unique_ptr<TlsClientContext> create(const std::string& ca_file, std::string* error);
  // The run's trust anchors, parsed once (trust_anchors.h): the context
  // shares their X509_STORE, as every libcurl connection of the run does.
  static std::unique_ptr<TlsClientContext> create(const TrustAnchors& anchors, std::string* error);
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;
  SSL_CTX* get() const { return ctx_; }

 private:
  explicit TlsClientContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

using TlsCallback = std::function<void(TlsResult, UniqueFd socket)>;

// Hands the socket back when done (closed by the callback's owner) so a
// later layer (HTTP) could use the same connection.
std::unique_ptr<Task> make_tls_task(const TlsClientContext& context, UniqueFd socket,
                                    std::string server_name, Duration timeout, TlsCallback on_done);

}  // namespace netcheck
