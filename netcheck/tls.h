// TLS evidence: what one handshake showed (tls_observer.h records it from
// the handshake libcurl makes for an HTTPS exchange).
#pragma once

#include <string>
#include <vector>

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

// OpenSSL can make a client context: false with its words in `error`
// otherwise. Costs OpenSSL 3.0's first fetch of every algorithm a handshake
// needs (3-4 ms, cached for the rest of the process), so a run calls it on
// a thread of its own before the first handshake (tls_observer.h).
bool warm_up_tls_client(std::string* error);

}  // namespace netcheck
