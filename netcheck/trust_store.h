// Which PEM bundle TLS verification trusts, and why that one.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace netcheck {

struct TrustStore {
  std::string path;    // empty when none was found
  std::string source;  // "--ca-file", "AWS_CA_BUNDLE", "SSL_CERT_FILE", "system",
                       // kEmbeddedRootsSource
  std::string error;   // why no file could be used (missing file, ...)
  // No bundle anywhere on the system: ssm-reach's embedded Amazon roots are
  // trusted instead (embedded_roots.h); `path` is empty, `error` says why.
  bool embedded = false;
  // Certificates can be verified against it: the embedded roots, or a file
  // that loaded (trust_anchors.h records why one did not in `error`). A
  // store that is not usable must never let TLS pass, nor fail it on the
  // endpoint's account: its checks are not run (the tls.trust-store cause).
  bool usable() const { return embedded || (!path.empty() && error.empty()); }
};

// The usual system bundle locations, in search order: Amazon Linux / RHEL /
// Fedora, Debian / Ubuntu, SUSE, then others.
const std::vector<std::string>& system_bundle_paths();

// Order: explicit path (from --ca-file), AWS_CA_BUNDLE, SSL_CERT_FILE, then the
// first readable system bundle, then the embedded Amazon roots. An explicit
// or environment path that does not exist is an error, not silently skipped:
// the user asked for it.
// `system_paths`: where to look for a system bundle (tests pass their own).
TrustStore find_trust_store(const std::optional<std::string>& ca_file,
                            const std::vector<std::string>& system_paths = system_bundle_paths());

}  // namespace netcheck
