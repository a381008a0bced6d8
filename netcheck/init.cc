#include "netcheck/init.h"

#include <ares.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <openssl/ssl.h>

namespace netcheck {

bool global_init(std::string* error) {
  // First, so that libcurl's own OpenSSL init finds it done and cannot load
  // the system openssl.cnf (which may enable providers or change defaults).
  if (OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr) != 1) {
    if (error) *error = "OpenSSL initialisation failed";
    return false;
  }
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    if (error) *error = "libcurl initialisation failed";
    return false;
  }
  if (int rc = ares_library_init(ARES_LIB_INIT_ALL); rc != ARES_SUCCESS) {
    if (error) *error = std::string("c-ares initialisation failed: ") + ares_strerror(rc);
    return false;
  }
  return true;
}

std::string library_versions() {
  std::string out = OpenSSL_version(OPENSSL_VERSION);
  out += ", c-ares ";
  out += ares_version(nullptr);
  out += ", libcurl ";
  out += curl_version_info(CURLVERSION_NOW)->version;
  return out;
}

}  // namespace netcheck
