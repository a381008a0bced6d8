// IMDS's answers on the credential paths: the role listing, iam/info and the
// credentials JSON (a role's, or the instance identity's of Default Host
// Management). Beside not crashing: the evidence built from them never holds
// the secret key or the session token.
//
// Input: LISTING @@@@ IAM-INFO @@@@ CREDENTIALS @@@@ FLAGS (kPartSeparator
// lines); FLAGS' bytes pick the statuses of the answers.
#include <cstddef>
#include <cstdint>
#include <string>

#include "netcheck/http.h"
#include "probe/evidence/evidence.h"
#include "probe/gather/imds_credentials.h"
#include "probe/gather/sigv4.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using namespace ssmreach;

bool holds(const CredentialEvidence& e, const std::string& secret) {
  for (const std::string* field : {&e.source, &e.role, &e.instance_profile_arn, &e.code,
                                   &e.last_updated, &e.expiration, &e.error}) {
    if (field->find(secret) != std::string::npos) return true;
  }
  return false;
}

// The secret key and the token never reach the evidence. (Short ones could
// match by chance: real ones are 40 and hundreds of characters.)
void require_no_secret(const CredentialEvidence& e, const AwsCredentials& c) {
  if (c.secret_access_key.size() >= 16)
    fuzz::require(!holds(e, c.secret_access_key), "no secret key in the credential evidence");
  if (c.session_token.size() >= 16)
    fuzz::require(!holds(e, c.session_token), "no session token in the credential evidence");
}

netcheck::HttpResponse answer(std::string body, unsigned char flags) {
  netcheck::HttpResponse r;
  r.outcome = (flags & 1) ? netcheck::HttpOutcome::ok : netcheck::HttpOutcome::timeout;
  r.status = (flags & 2) ? 200 : 404;
  r.body = std::move(body);
  r.body_truncated = (flags & 4) != 0;
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parts = fuzz::split_parts(fuzz::as_text(data, size), 4);
  std::string error;
  const std::string role = role_from_listing(parts[0], &error);
  fuzz::require(role.find('/') == std::string::npos, "a role name never holds '/'");

  CredentialEvidence info;
  (void)read_iam_info(parts[1], info);

  CredentialEvidence evidence;
  AwsCredentials credentials;
  if (read_credentials_answer(parts[2], evidence, credentials)) {
    fuzz::require(!credentials.empty(), "a read credentials answer has keys");
    require_no_secret(evidence, credentials);
  }

  const std::string flags = parts[3] + std::string(4, '\xff');
  CredentialAnswers answers;
  answers.iam_info = answer(parts[1], static_cast<unsigned char>(flags[0]));
  answers.role_list = answer(parts[0], static_cast<unsigned char>(flags[1]));
  (void)lists_no_role(*answers.role_list);
  if (flags[2] & 8)
    answers.role_credentials = answer(parts[2], static_cast<unsigned char>(flags[2]));
  if (flags[3] & 8)
    answers.identity_credentials = answer(parts[2], static_cast<unsigned char>(flags[3]));
  AwsCredentials keys;
  const CredentialEvidence combined = credential_evidence(answers, &keys);
  require_no_secret(combined, keys);
  (void)credential_evidence(answers, nullptr);
  return 0;
}
