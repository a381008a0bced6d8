// ssm-reach's own copy of the Amazon Trust Services roots, for a system with
// no CA bundle at all (a minimal image): the AWS endpoints' chains lead to
// one of them, so the checks still mean something there. Taken at build time
// from Debian's ca-certificates (see CMakeLists.txt).
#pragma once

#include <openssl/types.h>

#include <string>
#include <string_view>

namespace netcheck {

// The TrustStore::source the reports show for these roots.
inline constexpr const char* kEmbeddedRootsSource = "embedded Amazon roots";

// Amazon Root CA 1-4 and Starfield Services Root Certificate Authority - G2,
// concatenated PEM.
std::string_view embedded_amazon_roots_pem();

// Adds every embedded root to `store`. False, with `error`, when one does
// not parse or cannot be added.
bool add_embedded_amazon_roots(X509_STORE* store, std::string* error);

}  // namespace netcheck
