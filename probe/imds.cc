#include "probe/imds.h"

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "netcheck/http.h"
#include "probe/imds_credentials.h"

namespace ssmreach {

namespace {

constexpr const char* kTokenPath = "/latest/api/token";
// Short: the token lives only as long as this run needs it.
constexpr const char* kTokenTtlHeader = "X-aws-ec2-metadata-token-ttl-seconds: 300";

std::string trim_trailing_slash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// The conversation's state, shared by the callbacks of its requests.
struct ImdsConversation {
  netcheck::EventLoop* loop;
  ImdsSettings settings;
  ImdsEvidence* out;
  AwsCredentials* credentials_out;  // nullptr: the secret answers are not asked for
  std::function<void()> on_done;
  std::string token;  // in memory only, never in evidence or output
  // The credential paths' answers, secrets included: in memory only, until
  // the conversation ends.
  CredentialAnswers credential_answers;
  std::size_t pending_gets = 0;
  // Keep-alive: a GET takes the connection of an answered request when one
  // is idle (the region GET the token PUT's, saving a TCP connect on the
  // way to DNS); GETs started together still open their own.
  std::shared_ptr<netcheck::ConnectionShare> connections;
};

using Conversation = std::shared_ptr<ImdsConversation>;
using AnswerHandler = std::function<void(const Conversation&, const netcheck::HttpResponse&)>;

ImdsCall record(const std::string& method, const std::string& path, bool with_token,
                const netcheck::HttpResponse& response) {
  ImdsCall call;
  call.method = method;
  call.path = path;
  call.with_token = with_token;
  call.outcome = response.outcome;
  call.status = response.status;
  call.error = response.error;
  call.ms = response.ms;
  return call;
}

bool answered(const std::optional<netcheck::HttpResponse>& response) {
  return response && response->outcome == netcheck::HttpOutcome::ok;
}

// The last GET has answered: the credentials are described (only when IMDS
// answered on their paths), every secret dropped, and the caller told.
void finish(const Conversation& conv) {
  auto& answers = conv->credential_answers;
  if (answered(answers.iam_info) || answered(answers.role_list))
    conv->out->credentials = credential_evidence(answers, conv->credentials_out);
  answers = CredentialAnswers{};
  conv->token.clear();
  if (conv->on_done) conv->on_done();
}

// One GET below /latest/ with the token (when there is one), recorded in
// the calls; `on_answer` gets the response, whatever it is.
void start_get(const Conversation& conv, const std::string& path, AnswerHandler on_answer) {
  const bool with_token = !conv->token.empty();
  netcheck::HttpRequest request;
  request.url = conv->settings.endpoint + "/latest/" + path;
  request.timeout = conv->settings.timeout;
  request.max_body = std::size_t{16} * 1024;
  if (with_token) request.headers.push_back("X-aws-ec2-metadata-token: " + conv->token);
  request.connection_share = conv->connections;
  ++conv->pending_gets;
  conv->loop->add(netcheck::make_http_task(
      std::move(request), [conv, path, with_token, on_answer = std::move(on_answer)](
                              const netcheck::HttpResponse& response) {
        conv->out->calls.push_back(record("GET", "/latest/" + path, with_token, response));
        on_answer(conv, response);
        if (--conv->pending_gets == 0) finish(conv);
      }));
}

void start_fact_get(const Conversation& conv, const std::string& path);

// The primary interface's MAC names the folder of its VPC facts.
void on_fact(const Conversation& conv, const std::string& path, const std::string& value) {
  if (path == "dynamic/instance-identity/document") {
    if (auto account = account_id_from_identity_document(value))
      conv->out->facts["account-id"] = *account;
    return;
  }
  if (path != "meta-data/mac" || value.find('/') != std::string::npos) return;
  for (const auto& leaf : imds_interface_paths())
    start_fact_get(conv, "meta-data/network/interfaces/macs/" + value + "/" + leaf);
}

void start_fact_get(const Conversation& conv, const std::string& path) {
  start_get(conv, path, [path](const Conversation& c, const netcheck::HttpResponse& response) {
    if (response.outcome == netcheck::HttpOutcome::ok && response.status == 200 &&
        !response.body_truncated) {
      c->out->facts[path] = response.body;
      on_fact(c, path, response.body);
    }
  });
}

// The credentials the agent would use, asked for beside the facts: iam/info
// and the role list at once; then the role's credentials, or without a role
// the instance identity credentials (Default Host Management). The answers
// go to credential_answers, never to the facts.
void start_credential_gets(const Conversation& conv) {
  start_get(conv, std::string(kIamInfoPath),
            [](const Conversation& c, const netcheck::HttpResponse& response) {
              c->credential_answers.iam_info = response;
            });
  start_get(conv, std::string(kRoleListPath),
            [](const Conversation& c, const netcheck::HttpResponse& response) {
              c->credential_answers.role_list = response;
              if (!c->credentials_out) return;  // nowhere to keep a secret: not asked for
              if (lists_no_role(response)) {
                start_get(c, std::string(kIdentityCredentialsPath),
                          [](const Conversation& c2, const netcheck::HttpResponse& answer) {
                            c2->credential_answers.identity_credentials = answer;
                          });
                return;
              }
              if (response.outcome != netcheck::HttpOutcome::ok || response.status != 200) return;
              const std::string role = role_from_listing(response.body, nullptr);
              if (role.empty()) return;
              start_get(c, std::string(kRoleListPath) + role,
                        [](const Conversation& c2, const netcheck::HttpResponse& answer) {
                          c2->credential_answers.role_credentials = answer;
                        });
            });
}

void start_gets(const Conversation& conv) {
  conv->out->v1_used = conv->token.empty();
  for (const auto& path : imds_paths()) start_fact_get(conv, path);
  start_credential_gets(conv);
}

}  // namespace

ImdsSettings imds_settings(const Options& options, const GetEnv& env) {
  ImdsSettings settings;
  if (options.no_imds) {
    settings.enabled = false;
    settings.skipped_by = "--no-imds";
  } else if (auto disabled = env("AWS_EC2_METADATA_DISABLED")) {
    std::string value = *disabled;
    std::transform(value.begin(), value.end(), value.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (value == "true") {
      settings.enabled = false;
      settings.skipped_by = "AWS_EC2_METADATA_DISABLED";
    }
  }
  if (options.imds_endpoint)
    settings.endpoint = *options.imds_endpoint;
  else if (auto endpoint = env("AWS_EC2_METADATA_SERVICE_ENDPOINT"))
    settings.endpoint = *endpoint;
  settings.endpoint = trim_trailing_slash(settings.endpoint);
  settings.timeout = std::min(settings.timeout, netcheck::seconds(options.timeout_s));
  return settings;
}

std::optional<std::string> account_id_from_identity_document(std::string_view document_text) {
  auto document = nlohmann::ordered_json::parse(document_text.begin(), document_text.end(), nullptr,
                                                /*allow_exceptions=*/false);
  if (document.is_object() && document.contains("accountId") && document["accountId"].is_string())
    return document["accountId"].get<std::string>();
  return std::nullopt;
}

bool is_secret_fact(const std::string& key, const std::string& value) {
  static constexpr std::string_view kSecretPaths[] = {"meta-data/iam/security-credentials",
                                                      "meta-data/identity-credentials", "api/token",
                                                      "user-data"};
  for (auto path : kSecretPaths)
    if (key.find(path) != std::string::npos) return true;
  for (std::string_view marker : {"SecretAccessKey", "\"Token\"", "AccessKeyId"})
    if (value.find(marker) != std::string::npos) return true;
  return false;
}

const std::vector<std::string>& imds_paths() {
  static const std::vector<std::string> paths = {
      "meta-data/placement/region",
      "meta-data/placement/availability-zone",
      "meta-data/instance-id",
      "meta-data/local-ipv4",
      "meta-data/mac",
      "dynamic/instance-identity/document",  // the account id
  };
  return paths;
}

const std::vector<std::string>& imds_interface_paths() {
  static const std::vector<std::string> leaves = {
      "vpc-id",
      "subnet-id",
      "vpc-ipv4-cidr-block",  // the primary CIDR: its base + 2 is the VPC resolver
      "vpc-ipv4-cidr-blocks",
      "vpc-ipv6-cidr-blocks",
      "security-group-ids",
  };
  return leaves;
}

void start_imds(netcheck::EventLoop& loop, const ImdsSettings& settings, ImdsEvidence* out,
                AwsCredentials* credentials_out, std::function<void()> on_done) {
  out->endpoint = settings.endpoint;
  out->skipped_by = settings.skipped_by;
  if (!settings.enabled) {
    if (on_done) on_done();
    return;
  }
  out->attempted = true;
  auto conv = std::make_shared<ImdsConversation>(
      ImdsConversation{&loop, settings, out, credentials_out, std::move(on_done), {}, {}, 0, {}});
  conv->connections = netcheck::make_connection_share();

  netcheck::HttpRequest request;
  request.method = "PUT";
  request.url = settings.endpoint + kTokenPath;
  request.headers.push_back(kTokenTtlHeader);
  request.timeout = settings.timeout;
  request.max_body = 256;
  request.connection_share = conv->connections;
  loop.add(
      netcheck::make_http_task(std::move(request), [conv](const netcheck::HttpResponse& response) {
        conv->out->calls.push_back(record("PUT", kTokenPath, false, response));
        if (response.outcome == netcheck::HttpOutcome::ok && response.status == 200 &&
            !response.body.empty() && !response.body_truncated) {
          conv->token = response.body;
          conv->out->token_ok = true;
        }
        start_gets(conv);
      }));
}

}  // namespace ssmreach
