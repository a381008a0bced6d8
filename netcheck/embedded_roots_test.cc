#include "netcheck/embedded_roots.h"

#include <doctest/doctest.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace netcheck {
namespace {

struct StoreFree {
  void operator()(X509_STORE* store) const { X509_STORE_free(store); }
};

std::size_t count_of(std::string_view text, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string_view::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

}  // namespace

TEST_CASE("the embedded Amazon roots are five PEM certificates") {
  CHECK(count_of(embedded_amazon_roots_pem(), "-----BEGIN CERTIFICATE-----") == 5);
  CHECK(count_of(embedded_amazon_roots_pem(), "-----END CERTIFICATE-----") == 5);
}

TEST_CASE("the embedded Amazon roots load into an X509_STORE, each by its name") {
  std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
  REQUIRE(store);
  std::string error;
  REQUIRE(add_embedded_amazon_roots(store.get(), &error));
  CHECK(error.empty());
  auto* objects = X509_STORE_get0_objects(store.get());
  std::vector<std::string> names;
  for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
    X509* cert = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, i));
    if (!cert) continue;
    char name[256];
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, name, sizeof name);
    names.emplace_back(name);
  }
  REQUIRE(names.size() == 5);
  for (const char* want :
       {"Amazon Root CA 1", "Amazon Root CA 2", "Amazon Root CA 3", "Amazon Root CA 4",
        "Starfield Services Root Certificate Authority - G2"})
    CHECK(std::find(names.begin(), names.end(), want) != names.end());
}

}  // namespace netcheck
