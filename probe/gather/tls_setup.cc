#include "probe/gather/tls_setup.h"

namespace ssmreach {

TlsSetup set_up_tls(const std::optional<std::string>& ca_file) noexcept {
  TlsSetup setup;
  try {
    setup.trust_store = netcheck::find_trust_store(ca_file);
    setup.anchors = netcheck::load_trust_anchors(setup.trust_store);
    if (!setup.anchors) return setup;
    std::string error;
    if (!netcheck::warm_up_tls_client(&error)) {
      // Not the bundle's fault (OpenSSL could not make a context): TLS is
      // not checked either, and the report says why.
      setup.anchors.reset();
      setup.trust_store.error = "TLS cannot be set up on this instance: " + error;
    }
  } catch (...) {
    setup.anchors.reset();
    setup.trust_store.error = "TLS cannot be set up on this instance: out of memory";
  }
  return setup;
}

}  // namespace ssmreach
