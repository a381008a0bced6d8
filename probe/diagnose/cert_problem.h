// What is wrong with a peer's certificate, from OpenSSL's X509 verify codes.
#pragma once

#include <string>

#include "netcheck/tls.h"
#include "probe/diagnose/cause.h"

namespace ssmreach {

// The kinds of certificate failure, in the order a report should name them:
// a chain nobody trusts explains everything after it.
enum class CertProblem { untrusted, hostname, expired, not_yet_valid, other };

CertProblem classify_verify_code(int code);

// tls.untrusted, tls.hostname-mismatch, ..., tls.verify-failed.
Cause cause_of(CertProblem problem);

// The most important verify error of a handshake (see CertProblem order);
// nullptr when the chain verified.
const netcheck::VerifyError* main_verify_error(const netcheck::TlsResult& tls);

bool has_problem(const netcheck::TlsResult& tls, CertProblem problem);

// The issuer's CN, else its full name, else "an unknown issuer".
std::string issuer_name(const netcheck::TlsResult& tls);

}  // namespace ssmreach
