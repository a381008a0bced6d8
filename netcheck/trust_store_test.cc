#include "netcheck/trust_store.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "netcheck/embedded_roots.h"
#include "tests/unit/scratch.h"

namespace netcheck {
namespace {

namespace fs = std::filesystem;
using testing::ScopedEnv;

// A scratch folder with PEM-named files in it.
class TempDir : public testing::TempDir {
 public:
  TempDir() : testing::TempDir("trust_store_test") {}
  std::string file(const std::string& name) const {
    return write(name, "-----BEGIN CERTIFICATE-----\n");
  }
  std::string missing(const std::string& name) const { return path(name); }
};

std::string first_readable_system_bundle() {
  for (const std::string& path : system_bundle_paths()) {
    std::ifstream in(path);
    if (in && fs::is_regular_file(path)) return path;
  }
  return "";
}

TEST_CASE("system bundle paths cover Amazon Linux, RHEL, Debian, SUSE in that order") {
  const auto& paths = system_bundle_paths();
  REQUIRE(paths.size() >= 6);
  CHECK(paths[0] == "/etc/pki/tls/certs/ca-bundle.crt");
  CHECK(paths[1] == "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem");
  CHECK(paths[2] == "/etc/ssl/certs/ca-certificates.crt");
  CHECK(paths[3] == "/etc/ssl/ca-bundle.pem");
  CHECK(paths[4] == "/var/lib/ca-certificates/ca-bundle.pem");
  CHECK(paths[5] == "/etc/ssl/cert.pem");
}

TEST_CASE("trust store precedence: --ca-file, AWS_CA_BUNDLE, SSL_CERT_FILE, system") {
  TempDir dir;
  std::string explicit_file = dir.file("explicit.pem");
  std::string aws_file = dir.file("aws.pem");
  std::string ssl_file = dir.file("ssl.pem");
  ScopedEnv aws("AWS_CA_BUNDLE", aws_file);
  ScopedEnv ssl("SSL_CERT_FILE", ssl_file);

  SUBCASE("--ca-file wins over both variables") {
    TrustStore store = find_trust_store(explicit_file);
    CHECK(store.path == explicit_file);
    CHECK(store.source == "--ca-file");
    CHECK(store.error.empty());
  }
  SUBCASE("AWS_CA_BUNDLE wins over SSL_CERT_FILE") {
    TrustStore store = find_trust_store(std::nullopt);
    CHECK(store.path == aws_file);
    CHECK(store.source == "AWS_CA_BUNDLE");
    CHECK(store.error.empty());
  }
  SUBCASE("SSL_CERT_FILE when AWS_CA_BUNDLE is unset") {
    ScopedEnv unset("AWS_CA_BUNDLE", std::nullopt);
    TrustStore store = find_trust_store(std::nullopt);
    CHECK(store.path == ssl_file);
    CHECK(store.source == "SSL_CERT_FILE");
  }
  SUBCASE("an empty variable counts as unset") {
    ScopedEnv empty("AWS_CA_BUNDLE", "");
    TrustStore store = find_trust_store(std::nullopt);
    CHECK(store.path == ssl_file);
    CHECK(store.source == "SSL_CERT_FILE");
  }
  SUBCASE("the system bundle when nothing is configured") {
    ScopedEnv unset_aws("AWS_CA_BUNDLE", std::nullopt);
    ScopedEnv empty_ssl("SSL_CERT_FILE", "");
    TrustStore store = find_trust_store(std::nullopt);
    std::string expected = first_readable_system_bundle();
    CHECK(store.source == (expected.empty() ? kEmbeddedRootsSource : "system"));
    CHECK(store.embedded == expected.empty());
    CHECK(store.path == expected);
    if (expected.empty()) {
      CHECK(store.error.find("/etc/ssl/certs/ca-certificates.crt") != std::string::npos);
    } else {
      CHECK(store.error.empty());
    }
  }
}

TEST_CASE("a path the user named but that cannot be read is an error, not a fallback") {
  TempDir dir;
  std::string good = dir.file("good.pem");
  std::string missing = dir.missing("missing.pem");

  SUBCASE("--ca-file missing, although the environment names a good file") {
    ScopedEnv aws("AWS_CA_BUNDLE", good);
    TrustStore store = find_trust_store(missing);
    CHECK(store.path.empty());
    CHECK(store.source == "--ca-file");
    CHECK(store.error.find(missing) != std::string::npos);
    CHECK(store.error.find("--ca-file") != std::string::npos);
    CHECK(store.error.find("No such file") != std::string::npos);
  }
  SUBCASE("AWS_CA_BUNDLE missing, although SSL_CERT_FILE is good") {
    ScopedEnv aws("AWS_CA_BUNDLE", missing);
    ScopedEnv ssl("SSL_CERT_FILE", good);
    TrustStore store = find_trust_store(std::nullopt);
    CHECK(store.path.empty());
    CHECK(store.source == "AWS_CA_BUNDLE");
    CHECK(store.error.find("AWS_CA_BUNDLE") != std::string::npos);
    CHECK(store.error.find(missing) != std::string::npos);
  }
  SUBCASE("SSL_CERT_FILE missing") {
    ScopedEnv aws("AWS_CA_BUNDLE", std::nullopt);
    ScopedEnv ssl("SSL_CERT_FILE", missing);
    TrustStore store = find_trust_store(std::nullopt);
    CHECK(store.path.empty());
    CHECK(store.source == "SSL_CERT_FILE");
    CHECK(store.error.find("SSL_CERT_FILE") != std::string::npos);
    CHECK(store.error.find(missing) != std::string::npos);
  }
  SUBCASE("a directory is not a bundle") {
    TrustStore store = find_trust_store(dir.dir());
    CHECK(store.path.empty());
    CHECK(store.source == "--ca-file");
    CHECK(store.error.find("not a regular file") != std::string::npos);
  }
  SUBCASE("a file without read permission (meaningful when not root)") {
    std::string locked = dir.file("locked.pem");
    REQUIRE(::chmod(locked.c_str(), 0) == 0);
    TrustStore store = find_trust_store(locked);
    // Root reads any file; everyone else must get the error.
    if (::geteuid() != 0) {
      CHECK(store.path.empty());
      CHECK(store.error.find("Permission denied") != std::string::npos);
    } else {
      CHECK(store.path == locked);
    }
  }
}

}  // namespace
TEST_CASE("no bundle anywhere: the embedded Amazon roots, saying why") {
  ScopedEnv unset_aws("AWS_CA_BUNDLE", std::nullopt);
  ScopedEnv unset_ssl("SSL_CERT_FILE", std::nullopt);
  TrustStore store = find_trust_store(std::nullopt, {"/nonexistent/ssm-reach/ca-bundle.crt"});
  CHECK(store.embedded);
  CHECK(store.path.empty());
  CHECK(store.source == kEmbeddedRootsSource);
  CHECK(store.error.find("/nonexistent/ssm-reach/ca-bundle.crt") != std::string::npos);
}

TEST_CASE("a named bundle that is missing never falls back to the embedded roots") {
  ScopedEnv unset_aws("AWS_CA_BUNDLE", std::nullopt);
  ScopedEnv unset_ssl("SSL_CERT_FILE", std::nullopt);
  TrustStore store = find_trust_store("/nonexistent/ca.pem", {"/nonexistent/ca-bundle.crt"});
  CHECK_FALSE(store.embedded);
  CHECK(store.source == "--ca-file");
  CHECK_FALSE(store.error.empty());
}

}  // namespace netcheck
