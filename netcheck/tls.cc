#include "netcheck/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace netcheck {

const char* to_string(TlsOutcome outcome) {
  switch (outcome) {
    case TlsOutcome::ok:
      return "ok";
    case TlsOutcome::timeout:
      return "timeout";
    case TlsOutcome::protocol:
      return "protocol";
    case TlsOutcome::closed:
      return "closed";
    case TlsOutcome::error:
      return "error";
  }
  return "error";
}

bool warm_up_tls_client(std::string* error) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) {
    char text[256] = "out of memory";
    if (unsigned long code = ERR_get_error()) ERR_error_string_n(code, text, sizeof(text));
    if (error) *error = std::string("SSL_CTX_new failed: ") + text;
    ERR_clear_error();
    return false;
  }
  SSL_CTX_free(ctx);
  return true;
}

}  // namespace netcheck
