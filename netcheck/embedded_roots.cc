#include "netcheck/embedded_roots.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "netcheck/amazon_roots_pem.h"
#include "netcheck/openssl_handles.h"

namespace netcheck {

std::string_view embedded_amazon_roots_pem() { return generated::kAmazonRootsPem; }

bool add_embedded_amazon_roots(X509_STORE* store, std::string* error) {
  const std::string_view pem = embedded_amazon_roots_pem();
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) {
    if (error) *error = "cannot read the embedded Amazon roots (out of memory)";
    return false;
  }
  int added = 0;
  while (true) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) break;
    if (X509_STORE_add_cert(store, cert.get()) != 1) {
      if (error) *error = "cannot add an embedded Amazon root to the trust store";
      ERR_clear_error();
      return false;
    }
    ++added;
  }
  // The loop ends on "no start line" after the last certificate: expected.
  ERR_clear_error();
  if (added == 0) {
    if (error) *error = "the embedded Amazon roots hold no certificate";
    return false;
  }
  return true;
}

}  // namespace netcheck
