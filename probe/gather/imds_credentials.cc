#include "probe/gather/imds_credentials.h"

#include <cctype>
#include <nlohmann/json.hpp>
#include <vector>

#include "probe/util/json_depth.h"
#include "probe/util/text_util.h"

namespace ssmreach {
namespace {

using Json = nlohmann::ordered_json;  // as every JSON reader here: one parser in the binary

// What IMDS says about a value it should have, in a recorded field: plain
// printable ASCII of a sane length (dates, codes, ARNs all are).
constexpr std::size_t kMaxFieldLength = 256;

bool is_plain(std::string_view text) {
  if (text.size() > kMaxFieldLength) return false;
  for (unsigned char c : text)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

// The answer as a JSON object, or nullopt with `error` set. The parser's
// own message is not used: it quotes the text around the fault, which may
// be a secret.
std::optional<Json> parse_object(std::string_view answer, std::string* error) {
  if (answer.size() > kMaxCredentialAnswer) {
    *error = "the answer is longer than 16 KiB, not a metadata document";
    return std::nullopt;
  }
  if (json_nested_too_deeply(answer)) {
    *error = std::string("the answer is ") + json_too_deep_text();
    return std::nullopt;
  }
  Json document;
  try {
    document = Json::parse(answer.begin(), answer.end());
  } catch (const Json::parse_error& e) {
    *error = "the answer is not JSON (fault at byte " + std::to_string(e.byte) + ")";
    return std::nullopt;
  } catch (const Json::exception&) {  // a number beyond a double, say
    *error = "the answer is JSON this reader cannot take";
    return std::nullopt;
  }
  if (!document.is_object()) {
    *error = "the answer is JSON but not an object";
    return std::nullopt;
  }
  return document;
}

// A recorded member: absent is "", a plain string is kept, anything else is
// an error naming the member (never its value).
bool plain_member(const Json& document, const char* key, std::string& out, std::string* error) {
  const auto it = document.find(key);
  if (it == document.end()) {
    out.clear();
    return true;
  }
  if (!it->is_string() || !is_plain(it->get_ref<const std::string&>())) {
    *error = std::string(key) + " is not a plain text value";
    return false;
  }
  out = it->get<std::string>();
  return true;
}

// A secret member: a non-empty string, or an error naming it (never its value).
bool secret_member(const Json& document, const char* key, bool required, std::string& out,
                   std::string* error) {
  const auto it = document.find(key);
  if (it == document.end() || (it->is_string() && it->get_ref<const std::string&>().empty())) {
    if (!required) return true;
    *error = std::string(key) + " is missing";
    return false;
  }
  if (!it->is_string()) {
    *error = std::string(key) + " is not a string";
    return false;
  }
  out = it->get<std::string>();
  return true;
}

bool valid_role_name(std::string_view name) {
  // IAM: 1 to 64 of [A-Za-z0-9+=,.@_-].
  if (name.empty() || name.size() > 64) return false;
  for (unsigned char c : name) {
    const bool ok = std::isalnum(c) || std::string_view("+=,.@_-").find(static_cast<char>(c)) !=
                                           std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool answered_200(const netcheck::HttpResponse& response) {
  return response.outcome == netcheck::HttpOutcome::ok && response.status == 200 &&
         !response.body_truncated;
}

bool answered_404(const netcheck::HttpResponse& response) {
  return response.outcome == netcheck::HttpOutcome::ok && response.status == 404;
}

bool answered_404(const std::optional<netcheck::HttpResponse>& response) {
  return response && answered_404(*response);
}

std::string path_words(std::string_view path, const netcheck::HttpResponse& response) {
  return std::string(path) + ": " + imds_answer_words(response);
}

// A credentials answer at `path` into `evidence`; a problem into `problems`.
bool read_answer_at(std::string_view path, const netcheck::HttpResponse& response,
                    CredentialEvidence& evidence, AwsCredentials& credentials,
                    std::vector<std::string>& problems) {
  if (!answered_200(response)) {
    problems.push_back(path_words(path, response));
    return false;
  }
  if (read_credentials_answer(response.body, evidence, credentials)) return true;
  problems.push_back(std::string(path) + ": " + evidence.error);
  evidence.error.clear();
  return false;
}

}  // namespace

std::string imds_answer_words(const netcheck::HttpResponse& response) {
  switch (response.outcome) {
    case netcheck::HttpOutcome::ok:
      return response.body_truncated ? std::to_string(response.status) + ", longer than 16 KiB"
                                     : std::to_string(response.status);
    case netcheck::HttpOutcome::timeout:
      return "no answer in time";
    case netcheck::HttpOutcome::refused:
      return "connection refused";
    case netcheck::HttpOutcome::unreachable:
      return "no route";
    case netcheck::HttpOutcome::error:
      break;
  }
  return response.error.empty() ? std::string("failed") : "failed: " + response.error;
}

bool lists_no_role(const netcheck::HttpResponse& role_list) {
  if (answered_404(role_list)) return true;
  if (!answered_200(role_list)) return false;
  return role_list.body.find_first_not_of(" \t\r\n") == std::string::npos;
}

std::string role_from_listing(std::string_view listing, std::string* error) {
  std::string failure;
  std::string role;
  if (listing.size() > kMaxCredentialAnswer) {
    failure = "the role list is longer than 16 KiB";
  } else {
    const auto start = listing.find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos) {
      failure = "the role list is empty";
    } else {
      auto line = listing.substr(start, listing.find('\n', start) - start);
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
        line.remove_suffix(1);
      if (valid_role_name(line))
        role = std::string(line);
      else
        failure = "the role list does not start with an IAM role name";
    }
  }
  if (error) *error = failure;
  return role;
}

bool read_iam_info(std::string_view answer, CredentialEvidence& evidence) {
  std::string error;
  const auto document = parse_object(answer, &error);
  CredentialEvidence read = evidence;
  const bool ok = document && plain_member(*document, "Code", read.code, &error) &&
                  plain_member(*document, "LastUpdated", read.last_updated, &error) &&
                  plain_member(*document, "InstanceProfileArn", read.instance_profile_arn, &error);
  if (!ok) {
    evidence.error = error;
    return false;
  }
  evidence = std::move(read);
  if (evidence.code != "Success") {
    evidence.error = evidence.code.empty() ? "the answer has no Code"
                                           : "Code is " + evidence.code + ", not Success";
    return false;
  }
  return true;
}

bool read_credentials_answer(std::string_view answer, CredentialEvidence& evidence,
                             AwsCredentials& credentials) {
  std::string error;
  const auto document = parse_object(answer, &error);
  CredentialEvidence read = evidence;
  AwsCredentials keys;
  const bool plain = document && plain_member(*document, "Code", read.code, &error) &&
                     plain_member(*document, "LastUpdated", read.last_updated, &error) &&
                     plain_member(*document, "Expiration", read.expiration, &error);
  if (!plain) {
    evidence.error = error;
    return false;
  }
  if (read.code != "Success") {
    evidence = std::move(read);
    evidence.error = evidence.code.empty() ? "the answer has no Code"
                                           : "Code is " + evidence.code + ", not Success";
    return false;
  }
  const bool keys_ok =
      secret_member(*document, "AccessKeyId", true, keys.access_key_id, &error) &&
      secret_member(*document, "SecretAccessKey", true, keys.secret_access_key, &error) &&
      secret_member(*document, "Token", false, keys.session_token, &error);
  if (!keys_ok) {
    evidence = std::move(read);
    evidence.error = error;
    return false;
  }
  // An answer that carries a key in a plain member (it should never) keeps
  // that member out of the evidence.
  for (std::string* field : {&read.code, &read.last_updated, &read.expiration}) {
    for (const std::string* secret :
         {&keys.access_key_id, &keys.secret_access_key, &keys.session_token}) {
      if (!secret->empty() && contains(*field, *secret)) field->clear();
    }
  }
  evidence = std::move(read);
  evidence.error.clear();
  credentials = std::move(keys);
  return true;
}

std::string credentials_answer_problem(std::string_view answer) {
  CredentialEvidence evidence;
  AwsCredentials keys;
  if (read_credentials_answer(answer, evidence, keys)) return "";
  if (!evidence.code.empty() && evidence.code != "Success") return "";
  return evidence.error;
}

std::string iam_info_problem(std::string_view answer) {
  CredentialEvidence evidence;
  if (read_iam_info(answer, evidence)) return "";
  if (!evidence.code.empty() && evidence.code != "Success") return "";
  return evidence.error;
}

CredentialEvidence credential_evidence(const CredentialAnswers& answers,
                                       AwsCredentials* credentials) {
  CredentialEvidence evidence;
  AwsCredentials keys;
  std::vector<std::string> problems;

  if (answers.iam_info && answered_200(*answers.iam_info)) {
    if (!read_iam_info(answers.iam_info->body, evidence))
      problems.push_back(std::string(kIamInfoPath) + ": " + evidence.error);
    evidence.error.clear();
  } else if (answers.iam_info && !answered_404(answers.iam_info)) {
    problems.push_back(path_words(kIamInfoPath, *answers.iam_info));
  }

  if (!answers.role_list) {
    problems.push_back("the role list (" + std::string(kRoleListPath) + ") was not read");
  } else if (lists_no_role(*answers.role_list)) {
    const std::string listed = answered_404(answers.role_list) ? "404" : "empty";
    if (answered_404(answers.iam_info))
      problems.push_back("no instance profile is attached (" + std::string(kIamInfoPath) +
                         ": 404)");
    else if (!evidence.instance_profile_arn.empty())
      problems.push_back("the instance profile " + evidence.instance_profile_arn +
                         " has no role (" + std::string(kRoleListPath) + ": " + listed + ")");
    else
      problems.push_back("no instance profile role (" + std::string(kRoleListPath) + ": " + listed +
                         ")");
    if (answers.identity_credentials) {
      CredentialEvidence identity;
      std::vector<std::string> identity_problems;
      const bool read = read_answer_at(kIdentityCredentialsPath, *answers.identity_credentials,
                                       identity, keys, identity_problems);
      // The instance profile's facts (none, or a role-less profile's ARN)
      // stay; Code and the dates are the identity credentials' answer's.
      evidence.code = identity.code;
      evidence.last_updated = identity.last_updated;
      evidence.expiration = identity.expiration;
      if (read) {
        evidence.source = kSourceDefaultHostManagement;
      } else if (answered_404(answers.identity_credentials)) {
        problems.push_back(
            "no EC2 instance identity credentials for Default Host Management "
            "either (" +
            std::string(kIdentityCredentialsPath) + ": 404)");
      } else {
        problems.insert(problems.end(), identity_problems.begin(), identity_problems.end());
      }
    }
  } else if (!answered_200(*answers.role_list)) {
    problems.push_back(path_words(kRoleListPath, *answers.role_list));
  } else {
    std::string listing_error;
    evidence.role = role_from_listing(answers.role_list->body, &listing_error);
    if (evidence.role.empty()) {
      problems.push_back(std::string(kRoleListPath) + ": " + listing_error);
    } else if (!answers.role_credentials) {
      evidence.source = kSourceInstanceProfile;  // listed; its keys were not asked for
    } else {
      const std::string path = std::string(kRoleListPath) + evidence.role;
      // Code and the dates are the credentials answer's, not iam/info's.
      evidence.code.clear();
      evidence.last_updated.clear();
      if (read_answer_at(path, *answers.role_credentials, evidence, keys, problems))
        evidence.source = kSourceInstanceProfile;
    }
  }

  if (evidence.source.empty()) {
    evidence.error = join(problems, "; ");
  } else if (credentials && !keys.empty()) {
    *credentials = std::move(keys);
  }
  return evidence;
}

}  // namespace ssmreach
