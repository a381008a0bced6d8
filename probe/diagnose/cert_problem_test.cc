#include "probe/diagnose/cert_problem.h"

#include <doctest/doctest.h>
#include <openssl/x509_vfy.h>

using namespace ssmreach;

TEST_CASE("cert problem: verify codes") {
  CHECK(classify_verify_code(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY) ==
        CertProblem::untrusted);
  CHECK(classify_verify_code(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT) == CertProblem::untrusted);
  CHECK(classify_verify_code(X509_V_ERR_HOSTNAME_MISMATCH) == CertProblem::hostname);
  CHECK(classify_verify_code(X509_V_ERR_CERT_HAS_EXPIRED) == CertProblem::expired);
  CHECK(classify_verify_code(X509_V_ERR_CERT_NOT_YET_VALID) == CertProblem::not_yet_valid);
  CHECK(classify_verify_code(X509_V_ERR_CERT_REVOKED) == CertProblem::other);
  CHECK(cause_of(CertProblem::untrusted) == Cause::tls_untrusted);
  CHECK(cause_of(CertProblem::hostname) == Cause::tls_hostname_mismatch);
  CHECK(cause_of(CertProblem::other) == Cause::tls_verify_failed);
}

TEST_CASE("cert problem: an untrusted chain explains the rest") {
  netcheck::TlsResult tls;
  CHECK(main_verify_error(tls) == nullptr);
  tls.verify_errors = {{X509_V_ERR_CERT_HAS_EXPIRED, 0, "certificate has expired"},
                       {X509_V_ERR_HOSTNAME_MISMATCH, 0, "hostname mismatch"},
                       {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 1, "unable to get issuer"}};
  REQUIRE(main_verify_error(tls) != nullptr);
  CHECK(main_verify_error(tls)->code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  CHECK(has_problem(tls, CertProblem::expired));
  CHECK_FALSE(has_problem(tls, CertProblem::not_yet_valid));
}

TEST_CASE("cert problem: issuer name") {
  netcheck::TlsResult tls;
  CHECK(issuer_name(tls) == "an unknown issuer");
  tls.issuer = "CN=Corp Inspection CA,O=Example Corp";
  CHECK(issuer_name(tls) == "CN=Corp Inspection CA,O=Example Corp");
  tls.issuer_cn = "Corp Inspection CA";
  CHECK(issuer_name(tls) == "Corp Inspection CA");
}
