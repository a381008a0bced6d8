// The trust store's certificates, parsed once per run and shared by every
// handshake: the raw TLS checks' SSL_CTX and every libcurl connection
// (CURLOPT_SSL_CTX_FUNCTION installs the same X509_STORE). A system bundle
// of ~150 roots costs a few milliseconds to parse; libcurl would otherwise
// parse it again for every HTTPS connection.
#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <memory>
#include <string>

#include "netcheck/trust_store.h"

namespace netcheck {

class TrustAnchors {
 public:
  // The certificates of `trust` (its file, or the embedded Amazon roots).
  // nullptr when none can be used, with `why` in plain words: the file cannot
  // be read, is empty, or holds no certificate OpenSSL can parse. Like the
  // SSM agent (Go's AppendCertsFromPEM), a block that does not parse is
  // skipped and the others are kept.
  static std::shared_ptr<const TrustAnchors> load(const TrustStore& trust, std::string* why);

  ~TrustAnchors();
  TrustAnchors(const TrustAnchors&) = delete;
  TrustAnchors& operator=(const TrustAnchors&) = delete;

  // Shared, never modified after load: callers take their own reference
  // (SSL_CTX_set1_cert_store).
  X509_STORE* store() const { return store_; }
  std::size_t certificates() const { return certificates_; }

 private:
  TrustAnchors(X509_STORE* store, std::size_t certificates)
      : store_(store), certificates_(certificates) {}
  X509_STORE* store_;
  std::size_t certificates_;
};

// Loads the trust store's certificates and records why they cannot be used
// in `trust.error` (the report's trust store line, the tls.trust-store cause).
std::shared_ptr<const TrustAnchors> load_trust_anchors(TrustStore& trust);

}  // namespace netcheck
