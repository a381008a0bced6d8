// What every TLS handshake of a run trusts, made once: the trust store
// (--ca-file, AWS_CA_BUNDLE, SSL_CERT_FILE, the system bundle or the embedded
// Amazon roots), its certificates parsed into one X509_STORE that every
// libcurl connection shares, and OpenSSL warmed up for their handshakes.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "netcheck/tls.h"
#include "netcheck/trust_anchors.h"
#include "netcheck/trust_store.h"

namespace ssmreach {

struct TlsSetup {
  // Where the bundle came from; its error says why it cannot be used (a
  // missing, empty or unreadable file): then `anchors` is null, and the
  // TLS checks are not run (the tls.trust-store cause).
  netcheck::TrustStore trust_store;
  std::shared_ptr<const netcheck::TrustAnchors> anchors;
};

// A few milliseconds of CPU that nothing needs before DNS has answered
// (~150 roots of a system bundle, OpenSSL's first SSL_CTX): the live run
// makes it on another thread while IMDS answers. Never throws.
TlsSetup set_up_tls(const std::optional<std::string>& ca_file) noexcept;

}  // namespace ssmreach
