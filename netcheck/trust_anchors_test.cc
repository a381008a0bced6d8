#include "netcheck/trust_anchors.h"

#include <doctest/doctest.h>

#include <string>

#include "netcheck/embedded_roots.h"
#include "tests/unit/scratch.h"

namespace netcheck {
namespace {

TrustStore from_flag(const std::string& path) {
  TrustStore trust;
  trust.source = "--ca-file";
  trust.path = path;
  return trust;
}

// A certificate block whose base64 does not decode, between real ones.
const std::string kDamagedBlock =
    "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=!!\n-----END CERTIFICATE-----\n";

}  // namespace

TEST_CASE("trust anchors: a bundle is parsed once into a store every handshake can share") {
  testing::TempFile bundle{std::string(embedded_amazon_roots_pem())};
  TrustStore trust = from_flag(bundle.path());
  auto anchors = load_trust_anchors(trust);
  REQUIRE(anchors);
  CHECK(anchors->certificates() == 5);
  CHECK(anchors->store() != nullptr);
  CHECK(trust.error.empty());
  CHECK(trust.usable());
}

TEST_CASE("trust anchors: the embedded Amazon roots when no bundle was found") {
  TrustStore trust;
  trust.embedded = true;
  trust.source = kEmbeddedRootsSource;
  trust.error = "no readable CA bundle in the usual system locations";
  auto anchors = load_trust_anchors(trust);
  REQUIRE(anchors);
  CHECK(anchors->certificates() == 5);
  CHECK(trust.usable());  // the note stays, the store works
}

TEST_CASE("trust anchors: a damaged block is skipped, the rest kept (as the agent does)") {
  const std::string roots(embedded_amazon_roots_pem());
  const auto second = roots.find("-----BEGIN CERTIFICATE-----", 1);
  testing::TempFile bundle("# a comment line\n" + roots.substr(0, second) + kDamagedBlock +
                           "garbage between blocks\n" + roots.substr(second));
  TrustStore trust = from_flag(bundle.path());
  auto anchors = load_trust_anchors(trust);
  REQUIRE(anchors);
  CHECK(anchors->certificates() == 5);
  CHECK(trust.usable());
}

TEST_CASE("trust anchors: empty, blank, garbage and damaged-only bundles cannot be used") {
  struct Case {
    const char* name;
    std::string content;
    const char* why;
  };
  const Case cases[] = {
      {"empty", "", "it is empty"},
      {"blank", " \n\n\t\r\n", "it is empty"},
      {"garbage", std::string("not a bundle\n") + std::string(4000, '\x07'),
       "holds no certificate"},
      {"damaged only", kDamagedBlock + kDamagedBlock, "holds no certificate"},
      {"no end line", "-----BEGIN CERTIFICATE-----\nMIIB\n", "holds no certificate"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    testing::TempFile bundle(c.content);
    TrustStore trust = from_flag(bundle.path());
    CHECK_FALSE(load_trust_anchors(trust));
    CHECK(trust.error.find("--ca-file " + bundle.path() + " cannot be used: ") == 0);
    CHECK(trust.error.find(c.why) != std::string::npos);
    CHECK_FALSE(trust.usable());
  }
}

TEST_CASE("trust anchors: a directory, and a store already known to be missing") {
  testing::TempDir dir;
  TrustStore directory = from_flag(dir.dir());
  CHECK_FALSE(load_trust_anchors(directory));
  CHECK(directory.error.find("not a regular file") != std::string::npos);

  TrustStore missing;
  missing.source = "SSL_CERT_FILE";
  missing.error = "SSL_CERT_FILE=/nonexistent.pem cannot be read: No such file or directory";
  CHECK_FALSE(load_trust_anchors(missing));
  CHECK(missing.error ==
        "SSL_CERT_FILE=/nonexistent.pem cannot be read: No such file or directory");
  CHECK_FALSE(missing.usable());
}

}  // namespace netcheck
