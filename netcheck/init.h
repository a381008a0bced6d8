// Process-wide initialisation of OpenSSL, libcurl and c-ares.
#pragma once

#include <string>

namespace netcheck {

// Must run before any probe. OpenSSL is initialised without reading
// openssl.cnf (OPENSSL_INIT_NO_LOAD_CONFIG) and before libcurl, whose own
// init would otherwise load it: a host's OpenSSL config must not change what
// ssm-reach sees. Returns false and sets `error` on failure.
bool global_init(std::string* error);

// Library versions for --version and the report.
std::string library_versions();

}  // namespace netcheck
