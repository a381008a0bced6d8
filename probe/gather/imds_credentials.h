// The instance's AWS credentials as IMDS serves them to the SSM agent, read
// from IMDS's answers: pure functions from answer texts to evidence (no
// secret) and AwsCredentials (the secret, for signing only).
//
// The agent asks, in this order: the instance profile's role
// (meta-data/iam/security-credentials/<role>), and without one the EC2
// instance identity credentials that Default Host Management Configuration
// works with (meta-data/identity-credentials/ec2/security-credentials/
// ec2-instance). Both answer the same JSON: Code, LastUpdated, Type,
// AccessKeyId, SecretAccessKey, Token, Expiration.
//
// Errors are plain words that never quote the answer's key id, secret key or
// token (nor the parser's own message, which may quote any of them).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "netcheck/http.h"
#include "probe/evidence/evidence.h"
#include "probe/gather/sigv4.h"

namespace ssmreach {

// Paths below /latest/.
inline constexpr std::string_view kIamInfoPath = "meta-data/iam/info";
inline constexpr std::string_view kRoleListPath = "meta-data/iam/security-credentials/";
inline constexpr std::string_view kIdentityCredentialsPath =
    "meta-data/identity-credentials/ec2/security-credentials/ec2-instance";

// CredentialEvidence::source values.
inline constexpr std::string_view kSourceInstanceProfile = "instance-profile";
inline constexpr std::string_view kSourceDefaultHostManagement = "default-host-management";

// Real answers are a few hundred bytes; anything longer is not one.
inline constexpr std::size_t kMaxCredentialAnswer = std::size_t{16} * 1024;

// The role named first in the meta-data/iam/security-credentials/ listing
// (one name per line), or "" with `error` set when the listing names none or
// something that is not an IAM role name (it becomes part of a URL path).
std::string role_from_listing(std::string_view listing, std::string* error);

// "404", "200, longer than 16 KiB", "no answer in time": how one request
// to IMDS ended, in words for an error text or the record of an attempt.
std::string imds_answer_words(const netcheck::HttpResponse& response);

// The role list's answer says there is no role (404, or an empty listing):
// then the agent turns to the instance identity credentials.
bool lists_no_role(const netcheck::HttpResponse& role_list);

// meta-data/iam/info (Code, LastUpdated, InstanceProfileArn,
// InstanceProfileId) into `evidence`'s instance_profile_arn, code and
// last_updated. False with evidence.error set when the answer is unusable.
bool read_iam_info(std::string_view answer, CredentialEvidence& evidence);

// A credentials answer (role or instance identity) into `evidence`'s code,
// last_updated and expiration, and `credentials`. True when Code is Success
// and the keys are there; then `credentials` holds them. Otherwise false with
// evidence.error set and `credentials` left untouched. An Expiration in the
// past is recorded as it is: whether it matters is the diagnosis's to say.
bool read_credentials_answer(std::string_view answer, CredentialEvidence& evidence,
                             AwsCredentials& credentials);

// Why an HTTP 200 answer on a credentials path (role or instance identity)
// is of no use to the agent, in words without any secret: not JSON, a key
// missing, too long. "" when it is usable, and also when it is IMDS's own
// refusal (a Code other than Success), which is an answer, not a bad one.
std::string credentials_answer_problem(std::string_view answer);

// The same for meta-data/iam/info.
std::string iam_info_problem(std::string_view answer);

// The answers the IMDS conversation got on the credential paths: absent
// when that GET was not made. The bodies may hold secrets: memory only.
struct CredentialAnswers {
  std::optional<netcheck::HttpResponse> iam_info;
  std::optional<netcheck::HttpResponse> role_list;
  // For the role role_from_listing() names in role_list.
  std::optional<netcheck::HttpResponse> role_credentials;
  std::optional<netcheck::HttpResponse> identity_credentials;
};

// What the agent would authenticate with, from those answers: source "" and
// an error in plain words when IMDS serves none. Without a role_credentials
// or identity_credentials answer (the caller had no place for a secret) a
// listed role still gives source "instance-profile". `credentials` (may be
// nullptr) gets the keys of the source, when there is one.
CredentialEvidence credential_evidence(const CredentialAnswers& answers,
                                       AwsCredentials* credentials);

}  // namespace ssmreach
