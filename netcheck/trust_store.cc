#include "netcheck/trust_store.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "netcheck/embedded_roots.h"
#include "netcheck/unique_fd.h"

namespace netcheck {

const std::vector<std::string>& system_bundle_paths() {
  static const std::vector<std::string> paths = {
      "/etc/pki/tls/certs/ca-bundle.crt",                   // Amazon Linux, RHEL, Fedora
      "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  // RHEL, Fedora (extracted)
      "/etc/ssl/certs/ca-certificates.crt",                 // Debian, Ubuntu
      "/etc/ssl/ca-bundle.pem",                             // SUSE
      "/var/lib/ca-certificates/ca-bundle.pem",             // SUSE
      "/etc/ssl/cert.pem",                                  // Alpine, others
  };
  return paths;
}

namespace {

// Empty when `path` is a regular file this process can open for reading,
// otherwise why not. Opening (not access(2)) gives the real answer for root
// and under an LSM.
std::string unreadable_reason(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return std::strerror(errno);
  if (!S_ISREG(info.st_mode)) return "not a regular file";
  UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file.valid()) return std::strerror(errno);
  return "";
}

// An environment variable set to the empty string counts as unset, as the
// AWS SDKs and OpenSSL treat it.
const char* env_path(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? value : nullptr;
}

// The user named this file: use it or say why not, never fall through to
// another bundle behind their back.
TrustStore chosen(const std::string& path, const char* source, const std::string& described_as) {
  TrustStore store;
  store.source = source;
  if (std::string why = unreadable_reason(path); !why.empty()) {
    store.error = described_as + " cannot be read: " + why;
    return store;
  }
  store.path = path;
  return store;
}

}  // namespace

TrustStore find_trust_store(const std::optional<std::string>& ca_file,
                            const std::vector<std::string>& system_paths) {
  if (ca_file) return chosen(*ca_file, "--ca-file", "--ca-file " + *ca_file);
  if (const char* path = env_path("AWS_CA_BUNDLE"))
    return chosen(path, "AWS_CA_BUNDLE", std::string("AWS_CA_BUNDLE=") + path);
  if (const char* path = env_path("SSL_CERT_FILE"))
    return chosen(path, "SSL_CERT_FILE", std::string("SSL_CERT_FILE=") + path);

  TrustStore store;
  store.source = "system";
  for (const std::string& path : system_paths) {
    if (unreadable_reason(path).empty()) {
      store.path = path;
      return store;
    }
  }
  store.error = "no readable CA bundle in the usual system locations (";
  for (std::size_t i = 0; i < system_paths.size(); ++i) {
    if (i > 0) store.error += ", ";
    store.error += system_paths[i];
  }
  store.error += ")";
  // A minimal image without ca-certificates still gets a meaningful check
  // of the AWS endpoints, whose chains lead to the Amazon roots.
  store.embedded = true;
  store.source = kEmbeddedRootsSource;
  return store;
}

}  // namespace netcheck
