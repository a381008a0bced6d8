#include "probe/diagnose/cert_problem.h"

#include <openssl/x509_vfy.h>

#include <algorithm>

namespace ssmreach {

CertProblem classify_verify_code(int code) {
  switch (code) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
    case X509_V_ERR_NO_ISSUER_PUBLIC_KEY:
    case X509_V_ERR_CERT_CHAIN_TOO_LONG:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_PATH_LOOP:
      return CertProblem::untrusted;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return CertProblem::hostname;
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return CertProblem::expired;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return CertProblem::not_yet_valid;
    default:
      return CertProblem::other;
  }
}

Cause cause_of(CertProblem problem) {
  switch (problem) {
    case CertProblem::untrusted:
      return Cause::tls_untrusted;
    case CertProblem::hostname:
      return Cause::tls_hostname_mismatch;
    case CertProblem::expired:
      return Cause::tls_expired;
    case CertProblem::not_yet_valid:
      return Cause::tls_not_yet_valid;
    case CertProblem::other:
      return Cause::tls_verify_failed;
  }
  return Cause::tls_verify_failed;
}

const netcheck::VerifyError* main_verify_error(const netcheck::TlsResult& tls) {
  const netcheck::VerifyError* best = nullptr;
  for (const auto& error : tls.verify_errors) {
    if (!best || classify_verify_code(error.code) < classify_verify_code(best->code)) {
      best = &error;
    }
  }
  return best;
}

bool has_problem(const netcheck::TlsResult& tls, CertProblem problem) {
  return std::any_of(tls.verify_errors.begin(), tls.verify_errors.end(),
                     [&](const auto& e) { return classify_verify_code(e.code) == problem; });
}

std::string issuer_name(const netcheck::TlsResult& tls) {
  if (!tls.issuer_cn.empty()) return tls.issuer_cn;
  if (!tls.issuer.empty()) return tls.issuer;
  return "an unknown issuer";
}

}  // namespace ssmreach
