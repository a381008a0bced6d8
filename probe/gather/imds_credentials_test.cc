#include "probe/gather/imds_credentials.h"

#include <doctest/doctest.h>

#include <string>

namespace ssmreach {
namespace {

constexpr const char* kSecretKey = "PureSecretKey/DO-NOT-PRINT/0123456789abcdef";
constexpr const char* kSessionToken = "PureSessionToken/DO-NOT-PRINT/abcdefghijklmnop";

const std::string kAnswer = std::string(R"({
  "Code" : "Success",
  "LastUpdated" : "2024-06-01T11:50:00Z",
  "Type" : "AWS-HMAC",
  "AccessKeyId" : "ASIAPUREFAKEACCESSKEY",
  "SecretAccessKey" : ")") + kSecretKey +
                            R"(",
  "Token" : ")" + kSessionToken +
                            R"(",
  "Expiration" : "2024-06-01T18:00:00Z"
})";

const std::string kIamInfo = R"({
  "Code" : "Success",
  "LastUpdated" : "2024-06-01T11:49:00Z",
  "InstanceProfileArn" : "arn:aws:iam::123456789012:instance-profile/PureProfile",
  "InstanceProfileId" : "AIPAPUREPROFILEID"
})";

netcheck::HttpResponse answer(long status, std::string body = "") {
  netcheck::HttpResponse response;
  response.outcome = netcheck::HttpOutcome::ok;
  response.status = status;
  response.body = std::move(body);
  return response;
}

netcheck::HttpResponse timed_out() {
  netcheck::HttpResponse response;
  response.outcome = netcheck::HttpOutcome::timeout;
  response.error = "Operation timed out after 1000 milliseconds";
  return response;
}

// Nothing a secret was made of, anywhere in the evidence.
void check_no_secret(const CredentialEvidence& e) {
  const std::string all =
      e.source + e.role + e.instance_profile_arn + e.code + e.last_updated + e.expiration + e.error;
  CHECK(all.find("DO-NOT-PRINT") == std::string::npos);
  CHECK(all.find("ASIAPURE") == std::string::npos);
}

TEST_CASE("role list: the first line, if it is a role name") {
  std::string error;
  CHECK(role_from_listing("LabSsmRole", &error) == "LabSsmRole");
  CHECK(error.empty());
  CHECK(role_from_listing("first-role\r\nsecond\n", &error) == "first-role");
  CHECK(role_from_listing("\n  Role+=,.@_-9\n", &error) == "Role+=,.@_-9");
  CHECK(role_from_listing("", &error).empty());
  CHECK(error == "the role list is empty");
  CHECK(role_from_listing(" \n\r\n", &error).empty());
  CHECK(error == "the role list is empty");
  for (const char* bad : {"../../user-data", "role name", "role/path", "r\xc3\xb6le",
                          "a-role-name-far-longer-than-the-sixty-four-characters-iam-allows-x"}) {
    CAPTURE(bad);
    CHECK(role_from_listing(bad, &error).empty());
    CHECK(error == "the role list does not start with an IAM role name");
  }
  CHECK(role_from_listing(std::string(20000, 'a'), &error).empty());
  CHECK(error == "the role list is longer than 16 KiB");
  CHECK(role_from_listing("ok", nullptr) == "ok");  // no error wanted: no crash
}

TEST_CASE("role list: 404 or empty means no role, a failure does not") {
  CHECK(lists_no_role(answer(404)));
  CHECK(lists_no_role(answer(200, "")));
  CHECK(lists_no_role(answer(200, "\n")));
  CHECK_FALSE(lists_no_role(answer(200, "LabSsmRole")));
  CHECK_FALSE(lists_no_role(answer(401)));
  CHECK_FALSE(lists_no_role(timed_out()));
}

TEST_CASE("iam/info: the instance profile's ARN") {
  CredentialEvidence e;
  CHECK(read_iam_info(kIamInfo, e));
  CHECK(e.instance_profile_arn == "arn:aws:iam::123456789012:instance-profile/PureProfile");
  CHECK(e.code == "Success");
  CHECK(e.last_updated == "2024-06-01T11:49:00Z");
  CHECK(e.error.empty());

  CredentialEvidence bad;
  CHECK_FALSE(read_iam_info("{\"Code\": \"Success\", ", bad));
  CHECK(bad.error.starts_with("the answer is not JSON (fault at byte "));
  CHECK_FALSE(read_iam_info(R"({"Code": "Success", "InstanceProfileArn": 7})", bad));
  CHECK(bad.error == "InstanceProfileArn is not a plain text value");
  CHECK(bad.instance_profile_arn.empty());
  CHECK_FALSE(read_iam_info(R"({"Code": "InternalError"})", bad));
  CHECK(bad.code == "InternalError");
  CHECK(bad.error == "Code is InternalError, not Success");
  CHECK_FALSE(read_iam_info("[]", bad));
  CHECK(bad.error == "the answer is JSON but not an object");
}

TEST_CASE("credentials answer: the keys to the secret holder, the rest to the evidence") {
  CredentialEvidence e;
  AwsCredentials keys;
  REQUIRE(read_credentials_answer(kAnswer, e, keys));
  CHECK(e.code == "Success");
  CHECK(e.last_updated == "2024-06-01T11:50:00Z");
  CHECK(e.expiration == "2024-06-01T18:00:00Z");
  CHECK(e.error.empty());
  CHECK(keys.access_key_id == "ASIAPUREFAKEACCESSKEY");
  CHECK(keys.secret_access_key == kSecretKey);
  CHECK(keys.session_token == kSessionToken);
  check_no_secret(e);

  SUBCASE("no Token: long-term keys") {
    AwsCredentials long_term;
    CHECK(read_credentials_answer(
        R"({"Code": "Success", "AccessKeyId": "AKIAPURE", "SecretAccessKey": "x"})", e, long_term));
    CHECK(long_term.session_token.empty());
    CHECK(e.expiration.empty());
  }
}

TEST_CASE("credentials answer: unusable ones leave the keys alone and say why") {
  struct Case {
    std::string text;
    std::string error;
  };
  const Case cases[] = {
      {"", "the answer is not JSON (fault at byte 1)"},
      {"<html>Service Unavailable</html>", "the answer is not JSON (fault at byte 1)"},
      {"[1, 2]", "the answer is JSON but not an object"},
      {R"({"Code": "Success"})", "AccessKeyId is missing"},
      {R"({"Code": "Success", "AccessKeyId": "AKIA", "SecretAccessKey": ""})",
       "SecretAccessKey is missing"},
      {R"({"Code": "Success", "AccessKeyId": "AKIA", "SecretAccessKey": 42})",
       "SecretAccessKey is not a string"},
      {R"({"Code": "Success", "AccessKeyId": "AKIA", "SecretAccessKey": "x", "Token": {}})",
       "Token is not a string"},
      {R"({"Code": "Success", "Expiration": "2024\n06"})", "Expiration is not a plain text value"},
      {R"({"Code": 0})", "Code is not a plain text value"},
      {R"({"Code": "Success", "Type": 1e999})", "the answer is JSON this reader cannot take"},
      {R"({"LastUpdated": "2024-06-01T11:50:00Z"})", "the answer has no Code"},
      {R"({"Code": "AssumeRoleUnauthorizedAccess"})",
       "Code is AssumeRoleUnauthorizedAccess, not Success"},
      {std::string(kMaxCredentialAnswer + 1, ' '),
       "the answer is longer than 16 KiB, not a metadata document"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text.substr(0, 80));
    CredentialEvidence e;
    AwsCredentials keys;
    keys.access_key_id = "untouched";
    CHECK_FALSE(read_credentials_answer(c.text, e, keys));
    CHECK(e.error == c.error);
    CHECK(keys.access_key_id == "untouched");
  }
}

TEST_CASE("credentials answer: cut anywhere, no error quotes a secret") {
  for (std::size_t length = 0; length < kAnswer.size(); ++length) {
    CAPTURE(length);
    CredentialEvidence e;
    AwsCredentials keys;
    CHECK_FALSE(read_credentials_answer(kAnswer.substr(0, length), e, keys));
    CHECK_FALSE(e.error.empty());
    check_no_secret(e);
  }
}

TEST_CASE("credentials answer: a plain member holding a key is not recorded") {
  std::string odd = kAnswer;
  odd.replace(odd.find("2024-06-01T18:00:00Z"), 20, kSessionToken);
  CredentialEvidence e;
  AwsCredentials keys;
  CHECK(read_credentials_answer(odd, e, keys));
  CHECK(e.expiration.empty());
  check_no_secret(e);
}

TEST_CASE("credential evidence: what the agent would use, from the answers") {
  CredentialAnswers answers;
  answers.iam_info = answer(200, kIamInfo);
  answers.role_list = answer(200, "PureRole\n");
  answers.role_credentials = answer(200, kAnswer);
  AwsCredentials keys;

  SUBCASE("the role's credentials") {
    const auto e = credential_evidence(answers, &keys);
    CHECK(e.source == "instance-profile");
    CHECK(e.role == "PureRole");
    CHECK(e.instance_profile_arn == "arn:aws:iam::123456789012:instance-profile/PureProfile");
    CHECK(e.error.empty());
    CHECK(keys.secret_access_key == kSecretKey);
    check_no_secret(e);
  }
  SUBCASE("no place for the keys") {
    CHECK(credential_evidence(answers, nullptr).source == "instance-profile");
  }
  SUBCASE("iam/info timed out: the role's credentials still count") {
    answers.iam_info = timed_out();
    const auto e = credential_evidence(answers, &keys);
    CHECK(e.source == "instance-profile");
    CHECK(e.instance_profile_arn.empty());
    CHECK(e.error.empty());
  }
  SUBCASE("the role's credentials 404") {
    answers.role_credentials = answer(404);
    const auto e = credential_evidence(answers, &keys);
    CHECK(e.source.empty());
    CHECK(e.code.empty());  // not iam/info's Success
    CHECK(e.error == "meta-data/iam/security-credentials/PureRole: 404");
    CHECK(keys.empty());
  }
  SUBCASE("the role's credentials longer than asked for") {
    answers.role_credentials->body_truncated = true;
    CHECK(credential_evidence(answers, &keys).error ==
          "meta-data/iam/security-credentials/PureRole: 200, longer than 16 KiB");
  }
  SUBCASE("an instance profile without a role") {
    answers.role_list = answer(404);
    answers.role_credentials.reset();
    const auto e = credential_evidence(answers, &keys);
    CHECK(e.source.empty());
    CHECK(e.error ==
          "the instance profile arn:aws:iam::123456789012:instance-profile/PureProfile has no role "
          "(meta-data/iam/security-credentials/: 404)");
    answers.role_list = answer(200, "");
    CHECK(credential_evidence(answers, &keys)
              .error.ends_with("(meta-data/iam/security-credentials/: empty)"));
  }
  SUBCASE("the role list fails") {
    answers.role_list = timed_out();
    answers.role_credentials.reset();
    CHECK(credential_evidence(answers, &keys).error ==
          "meta-data/iam/security-credentials/: no answer in time");
    answers.role_list = answer(500);
    CHECK(credential_evidence(answers, &keys).error == "meta-data/iam/security-credentials/: 500");
    answers.role_list = answer(200, "not a role");
    CHECK(credential_evidence(answers, &keys).error ==
          "meta-data/iam/security-credentials/: the role list does not start with an IAM role "
          "name");
    answers.role_list.reset();
    CHECK(credential_evidence(answers, &keys).error ==
          "the role list (meta-data/iam/security-credentials/) was not read");
  }
  SUBCASE("no instance profile; the instance identity answers 500") {
    answers.iam_info = answer(404);
    answers.role_list = answer(404);
    answers.role_credentials.reset();
    answers.identity_credentials = answer(500);
    const auto e = credential_evidence(answers, &keys);
    CHECK(e.source.empty());
    CHECK(e.error ==
          "no instance profile is attached (meta-data/iam/info: 404); "
          "meta-data/identity-credentials/ec2/security-credentials/ec2-instance: 500");
  }
  SUBCASE("no instance profile; the instance identity's credentials") {
    answers.iam_info = answer(404);
    answers.role_list = answer(404);
    answers.role_credentials.reset();
    answers.identity_credentials = answer(200, kAnswer);
    const auto e = credential_evidence(answers, &keys);
    CHECK(e.source == "default-host-management");
    CHECK(e.role.empty());
    CHECK(e.expiration == "2024-06-01T18:00:00Z");
    CHECK(e.error.empty());
    CHECK(keys.session_token == kSessionToken);
  }
}

}  // namespace
}  // namespace ssmreach
