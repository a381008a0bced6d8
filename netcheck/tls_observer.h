// TLS evidence from a handshake libcurl makes: OpenSSL callbacks on the
// SSL_CTX of that one connection record what the peer served, every
// verification failure (the handshake goes on, so the evidence shows the
// certificate actually served: an inspecting proxy's, an expired one) and how
// the handshake ended. One handshake per address then serves both the TLS
// evidence and the HTTPS exchange.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <string>

#include "netcheck/clock.h"
#include "netcheck/tls.h"

namespace netcheck {

class TlsObserver {
 public:
  // `server_name`: the name (or IP literal) the certificate must match.
  // Made as the exchange starts, on a connected socket: the TLS step's time
  // counts from here (libcurl's SSL_CTX and SSL set-up included).
  explicit TlsObserver(std::string server_name);

  // From CURLOPT_SSL_CTX_FUNCTION, on the context libcurl made for one
  // connection, before its SSL exists: TLS 1.2 at least, the name checked by
  // OpenSSL's chain verification (a mismatch is a verify error like any
  // other), failures recorded instead of fatal (libcurl still refuses the
  // connection afterwards: it checks the verify result), the handshake's end
  // recorded. The context keeps `observer` alive. False: out of memory.
  static bool attach(SSL_CTX* ctx, const std::shared_ptr<TlsObserver>& observer);

  // A handshake began (ClientHello on its way).
  bool started() const { return started_; }

  // The evidence. A handshake that has not ended is a timeout when
  // `timed_out`, else a local error in `why` (the transfer stopped it).
  TlsResult result(TimePoint now, bool timed_out, const std::string& why) const;

 private:
  static void on_info(const SSL* ssl, int where, int ret) noexcept;
  static int on_verify(int preverified, X509_STORE_CTX* store) noexcept;
  void handshake_done(const SSL* ssl, TimePoint now);
  void handshake_failed(const SSL* ssl, int ret, int saved_errno, TimePoint now);

  TlsResult result_;
  bool started_ = false;
  bool ended_ = false;
  TimePoint start_;
  // Where the handshake was last: a stall reads differently after the
  // ClientHello than halfway through.
  int state_ = 0;  // OSSL_HANDSHAKE_STATE
  const char* state_text_ = "";
};

}  // namespace netcheck
