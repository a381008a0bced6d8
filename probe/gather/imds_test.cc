#include "probe/gather/imds.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <vector>

#include "probe/evidence/evidence_file.h"
#include "tests/unit/fake_env.h"
#include "tests/unit/keepalive_http_server.h"
#include "tests/unit/loopback_http_server.h"

namespace ssmreach {
namespace {

using testing::fake_env;

constexpr const char* kToken = "AQAEAFAKE-IMDS-TOKEN==";

// Fake keys: none of them may show up in any evidence.
constexpr const char* kAccessKeyId = "ASIAUNITFAKEACCESSKEY";
constexpr const char* kSecretKey = "UnitSecretKey/DO-NOT-PRINT/0123456789abcdef";
constexpr const char* kSessionToken = "UnitSessionToken/DO-NOT-PRINT/abcdefghijklmnopqrstuvwxyz";
constexpr const char* kIdentityAccessKeyId = "ASIAUNITIDENTITYKEY";
constexpr const char* kIdentitySecretKey = "UnitIdentitySecret/DO-NOT-PRINT/fedcba9876543210";
constexpr const char* kIdentityToken = "UnitIdentityToken/DO-NOT-PRINT/zyxwvutsrqponmlkjihgfedcba";
const std::vector<std::string> kSecrets = {kSecretKey, kSessionToken, kIdentitySecretKey,
                                           kIdentityToken, kToken};

std::string credentials_json(const std::string& code, const std::string& expiration,
                             const std::string& key_id = kAccessKeyId,
                             const std::string& secret = kSecretKey,
                             const std::string& token = kSessionToken) {
  return R"({
  "Code" : ")" +
         code + R"(",
  "LastUpdated" : "2024-06-01T11:50:00Z",
  "Type" : "AWS-HMAC",
  "AccessKeyId" : ")" +
         key_id + R"(",
  "SecretAccessKey" : ")" +
         secret + R"(",
  "Token" : ")" +
         token + R"(",
  "Expiration" : ")" +
         expiration + R"("
})";
}

const std::string kIamInfo = R"({
  "Code" : "Success",
  "LastUpdated" : "2024-06-01T11:49:00Z",
  "InstanceProfileArn" : "arn:aws:iam::123456789012:instance-profile/UnitProfile",
  "InstanceProfileId" : "AIPAUNITPROFILEID"
})";
const std::string kRolePath = "/latest/meta-data/iam/security-credentials/UnitSsmRole";
const std::string kIdentityPath =
    "/latest/meta-data/identity-credentials/ec2/security-credentials/ec2-instance";

const std::string kIdentityDocument = R"({
  "accountId" : "123456789012",
  "architecture" : "x86_64",
  "availabilityZone" : "ap-northeast-2a",
  "imageId" : "ami-0abc",
  "instanceId" : "i-0abc1234",
  "instanceType" : "t3.micro",
  "privateIp" : "10.40.3.7",
  "region" : "ap-northeast-2",
  "version" : "2017-09-30"
})";

// Metadata paths (below the host) and the answers a fake IMDS gives them.
using Answers = std::map<std::string, std::string>;

Answers role_answers(const std::string& credentials) {
  return {
      {"/latest/meta-data/iam/info", testing::http_response(200, kIamInfo)},
      {"/latest/meta-data/iam/security-credentials/", testing::http_response(200, "UnitSsmRole")},
      {kRolePath, testing::http_response(200, credentials)}};
}

// A fake IMDSv2: the token PUT answers per `token_mode`, GETs need the token
// unless `allow_v1`; `extra` adds answers (the credential paths).
testing::Handler imds_handler(const std::string& token_mode, bool allow_v1,
                              const Answers& extra = {}) {
  return [=](const testing::SeenRequest& r) -> std::optional<std::string> {
    if (r.method == "PUT" && r.path == "/latest/api/token") {
      if (token_mode == "silent") return std::nullopt;
      if (token_mode == "forbidden") return testing::http_response(403, "");
      if (r.head.find("X-aws-ec2-metadata-token-ttl-seconds:") == std::string::npos)
        return testing::http_response(400, "");
      return testing::http_response(200, kToken);
    }
    bool has_token =
        r.head.find(std::string("X-aws-ec2-metadata-token: ") + kToken) != std::string::npos;
    if (!has_token && !allow_v1) return testing::http_response(401, "");
    if (auto it = extra.find(r.path); it != extra.end()) return it->second;
    if (r.path == "/latest/dynamic/instance-identity/document")
      return testing::http_response(200, kIdentityDocument);
    if (r.path == "/latest/meta-data/mac") return testing::http_response(200, "0a:1b:2c:3d:4e:5f");
    const std::string macs = "/latest/meta-data/network/interfaces/macs/0a:1b:2c:3d:4e:5f/";
    if (r.path == macs + "vpc-id") return testing::http_response(200, "vpc-0abc");
    if (r.path == macs + "vpc-ipv4-cidr-blocks")
      return testing::http_response(200, "10.40.0.0/16\n100.64.0.0/16");
    return testing::http_response(404, "");
  };
}

struct Conversation {
  ImdsEvidence evidence;
  AwsCredentials credentials;
};

// `with_credentials` false: start_imds gets no place for the keys.
Conversation converse(const std::string& url, netcheck::Duration timeout,
                      bool with_credentials = true) {
  ImdsSettings settings;
  settings.endpoint = url;
  settings.timeout = timeout;
  netcheck::EventLoop loop;
  Conversation result;
  bool done = false;
  start_imds(loop, settings, &result.evidence, with_credentials ? &result.credentials : nullptr,
             ImdsCallbacks{.on_done = [&] { done = true; }});
  loop.run(netcheck::Clock::now() + std::chrono::seconds(5));
  REQUIRE(done);
  return result;
}

std::string everything_recorded(const ImdsEvidence& e) {
  std::string all = e.endpoint;
  for (const auto& c : e.calls) all += c.path + c.error;
  for (const auto& [k, v] : e.facts) all += k + v;
  if (const auto& c = e.credentials)
    all += c->source + c->role + c->instance_profile_arn + c->code + c->last_updated +
           c->expiration + c->error;
  return all;
}

bool called(const ImdsEvidence& e, const std::string& path) {
  return std::any_of(e.calls.begin(), e.calls.end(),
                     [&](const ImdsCall& c) { return c.path == path; });
}

void check_no_secret(const ImdsEvidence& e) {
  const std::string recorded = everything_recorded(e);
  Evidence whole;
  whole.context.imds = e;
  const std::string file = evidence_to_json(whole);
  for (const auto& secret : kSecrets) {
    CAPTURE(secret);
    CHECK(recorded.find(secret) == std::string::npos);
    CHECK(file.find(secret) == std::string::npos);
  }
  // Nor the access key ids: the evidence describes credentials, it does not hold them.
  for (const char* key_id : {kAccessKeyId, kIdentityAccessKeyId}) {
    CHECK(recorded.find(key_id) == std::string::npos);
    CHECK(file.find(key_id) == std::string::npos);
  }
}

TEST_CASE("IMDS settings: flags beat environment, disabled by env") {
  ImdsFlags o;
  auto s = imds_settings(o, fake_env({}));
  CHECK(s.enabled);
  CHECK(s.endpoint == "http://169.254.169.254");
  s = imds_settings(o,
                    fake_env({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://[fd00:ec2::254]/"}}));
  CHECK(s.endpoint == "http://[fd00:ec2::254]");
  o.imds_endpoint = "http://127.0.0.1:9";
  CHECK(imds_settings(o, fake_env({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://x"}})).endpoint ==
        "http://127.0.0.1:9");
  s = imds_settings(ImdsFlags{}, fake_env({{"AWS_EC2_METADATA_DISABLED", "TRUE"}}));
  CHECK_FALSE(s.enabled);
  CHECK(s.skipped_by == "AWS_EC2_METADATA_DISABLED");
  ImdsFlags off;
  off.no_imds = true;
  CHECK(imds_settings(off, fake_env({})).skipped_by == "--no-imds");
  off.timeout_s = 0.2;
  CHECK(imds_settings(off, fake_env({})).timeout == netcheck::seconds(0.2));
}

TEST_CASE("IMDSv2: token, then GETs with it, the token is never recorded") {
  testing::LoopbackHttpServer imds(imds_handler("ok", false));
  auto e = converse(imds.url(), std::chrono::seconds(1)).evidence;
  CHECK(e.attempted);
  CHECK(e.token_ok);
  CHECK_FALSE(e.v1_used);
  // The identity document's values, under the paths that serve them too.
  CHECK(e.facts["meta-data/placement/region"] == "ap-northeast-2");
  CHECK(e.facts["meta-data/instance-id"] == "i-0abc1234");
  CHECK(e.facts["meta-data/placement/availability-zone"] == "ap-northeast-2a");
  CHECK(e.facts["meta-data/local-ipv4"] == "10.40.3.7");
  CHECK(e.facts["account-id"] == "123456789012");
  // The MAC leads to the primary interface's VPC facts.
  const std::string macs = "meta-data/network/interfaces/macs/0a:1b:2c:3d:4e:5f/";
  CHECK(e.facts[macs + "vpc-id"] == "vpc-0abc");
  CHECK(e.facts[macs + "vpc-ipv4-cidr-blocks"] == "10.40.0.0/16\n100.64.0.0/16");
  CHECK_FALSE(e.facts.contains(macs + "subnet-id"));  // 404 here: absent, not empty
  // The token, the identity document, the role list, and without a role
  // iam/info and the instance identity credentials; the MAC and its
  // interface's facts. Nothing else.
  CHECK(e.calls.size() == 1 + 1 + 1 + 2 + 1 + imds_interface_paths().size());
  for (const auto& call : e.calls) CHECK(call.attempts == 1);
  CHECK(everything_recorded(e).find(kToken) == std::string::npos);
}

TEST_CASE("IMDS: token PUT refused (403), GETs without token answer") {
  testing::LoopbackHttpServer imds(imds_handler("forbidden", true));
  auto e = converse(imds.url(), std::chrono::seconds(1)).evidence;
  CHECK_FALSE(e.token_ok);
  CHECK(e.v1_used);
  CHECK(e.calls[0].status == 403);
  CHECK(e.facts["meta-data/placement/region"] == "ap-northeast-2");
}

TEST_CASE("IMDS: token PUT silent (hop limit), GETs answer 401 under IMDSv2-only") {
  testing::LoopbackHttpServer imds(imds_handler("silent", false));
  auto e = converse(imds.url(), std::chrono::milliseconds(300)).evidence;
  CHECK_FALSE(e.token_ok);
  CHECK(e.calls[0].outcome == netcheck::HttpOutcome::timeout);
  bool saw_401 = false;
  for (const auto& c : e.calls) saw_401 |= c.status == 401;
  CHECK(saw_401);
  CHECK(e.facts.empty());
  // IMDS answered (401): the credentials are described, as unreadable.
  REQUIRE(e.credentials);
  CHECK(e.credentials->source.empty());
  CHECK(e.credentials->error == "meta-data/iam/security-credentials/: 401");
}

TEST_CASE("IMDS credentials: the instance profile role's, in parallel with the facts") {
  testing::LoopbackHttpServer imds(
      imds_handler("ok", false, role_answers(credentials_json("Success", "2099-01-01T00:00:00Z"))));
  const auto [e, keys] = converse(imds.url(), std::chrono::seconds(1));
  REQUIRE(e.credentials);
  const auto& c = *e.credentials;
  CHECK(c.source == "instance-profile");
  CHECK(c.role == "UnitSsmRole");
  // iam/info only tells a missing profile from a role-less one: a listed
  // role makes it needless.
  CHECK(c.instance_profile_arn.empty());
  CHECK_FALSE(called(e, "/latest/meta-data/iam/info"));
  CHECK(c.code == "Success");
  CHECK(c.last_updated == "2024-06-01T11:50:00Z");
  CHECK(c.expiration == "2099-01-01T00:00:00Z");
  CHECK(c.error.empty());
  CHECK(keys.access_key_id == kAccessKeyId);
  CHECK(keys.secret_access_key == kSecretKey);
  CHECK(keys.session_token == kSessionToken);
  // The GETs are recorded (with the token), their answers are not facts.
  CHECK(called(e, kRolePath));
  CHECK_FALSE(called(e, kIdentityPath));
  for (const auto& call : e.calls) CHECK(call.with_token == (call.method == "GET"));
  for (const auto& [key, value] : e.facts) CHECK(key.find("iam") == std::string::npos);
  CHECK(e.facts.at("meta-data/placement/region") == "ap-northeast-2");
  check_no_secret(e);
}

TEST_CASE("IMDS credentials: without a place for the keys, only the role list") {
  testing::LoopbackHttpServer imds(
      imds_handler("ok", false, role_answers(credentials_json("Success", "2099-01-01T00:00:00Z"))));
  const auto e = converse(imds.url(), std::chrono::seconds(1), false).evidence;
  CHECK(called(e, "/latest/meta-data/iam/security-credentials/"));
  CHECK_FALSE(called(e, "/latest/meta-data/iam/info"));
  CHECK_FALSE(called(e, kRolePath));
  REQUIRE(e.credentials);
  CHECK(e.credentials->source == "instance-profile");
  CHECK(e.credentials->role == "UnitSsmRole");
  CHECK(e.credentials->code.empty());
  CHECK(e.credentials->expiration.empty());
  check_no_secret(e);
}

TEST_CASE("IMDS credentials: no instance profile, Default Host Management's identity") {
  testing::LoopbackHttpServer imds(imds_handler(
      "ok", false,
      {{kIdentityPath,
        testing::http_response(
            200, credentials_json("Success", "2099-01-01T06:00:00Z", kIdentityAccessKeyId,
                                  kIdentitySecretKey, kIdentityToken))}}));
  const auto [e, keys] = converse(imds.url(), std::chrono::seconds(1));
  REQUIRE(e.credentials);
  const auto& c = *e.credentials;
  CHECK(c.source == "default-host-management");
  CHECK(c.role.empty());
  CHECK(c.instance_profile_arn.empty());
  CHECK(c.code == "Success");
  CHECK(c.expiration == "2099-01-01T06:00:00Z");
  CHECK(c.error.empty());
  CHECK(keys.access_key_id == kIdentityAccessKeyId);
  CHECK(keys.secret_access_key == kIdentitySecretKey);
  CHECK(keys.session_token == kIdentityToken);
  CHECK(called(e, kIdentityPath));
  check_no_secret(e);
}

TEST_CASE("IMDS credentials: no instance profile and no Default Host Management: none") {
  testing::LoopbackHttpServer imds(imds_handler("ok", false));
  const auto [e, keys] = converse(imds.url(), std::chrono::seconds(1));
  REQUIRE(e.credentials);
  CHECK(e.credentials->source.empty());
  CHECK(e.credentials->error ==
        "no instance profile is attached (meta-data/iam/info: 404); no EC2 instance identity "
        "credentials for Default Host Management either "
        "(meta-data/identity-credentials/ec2/security-credentials/ec2-instance: 404)");
  CHECK(keys.empty());
  CHECK(keys.session_token.empty());
}

TEST_CASE("IMDS credentials: expired ones are recorded as they are") {
  testing::LoopbackHttpServer imds(
      imds_handler("ok", false, role_answers(credentials_json("Success", "2020-01-01T00:00:00Z"))));
  const auto [e, keys] = converse(imds.url(), std::chrono::seconds(1));
  REQUIRE(e.credentials);
  CHECK(e.credentials->source == "instance-profile");
  CHECK(e.credentials->expiration == "2020-01-01T00:00:00Z");
  CHECK(e.credentials->error.empty());
  CHECK(keys.secret_access_key == kSecretKey);
  check_no_secret(e);
}

TEST_CASE("IMDS credentials: a malformed answer gives none, in words without the secret") {
  // Cut in the middle of the secret key: a parser's message would quote it.
  std::string cut = credentials_json("Success", "2099-01-01T00:00:00Z");
  cut.resize(cut.find(kSecretKey) + 20);
  testing::LoopbackHttpServer imds(imds_handler("ok", false, role_answers(cut)));
  const auto [e, keys] = converse(imds.url(), std::chrono::seconds(1));
  REQUIRE(e.credentials);
  CHECK(e.credentials->source.empty());
  CHECK(e.credentials->role == "UnitSsmRole");
  CHECK(e.credentials->error.starts_with(
      "meta-data/iam/security-credentials/UnitSsmRole: the answer is not JSON (fault at byte "));
  CHECK(keys.empty());
  CHECK(e.credentials->error.find("UnitSecretKey") == std::string::npos);
  // The call says the answer was of no use, in words without the secret.
  const auto role_call = std::find_if(e.calls.begin(), e.calls.end(),
                                      [](const ImdsCall& c) { return c.path == kRolePath; });
  REQUIRE(role_call != e.calls.end());
  CHECK(role_call->bad_answer.starts_with("the answer is not JSON"));
  check_no_secret(e);
}

TEST_CASE("IMDS credentials: Code other than Success gives none") {
  const std::string refused = R"({
  "Code" : "AssumeRoleUnauthorizedAccess",
  "Message" : "EC2 cannot assume the role UnitSsmRole.",
  "LastUpdated" : "2024-06-01T11:50:00Z"
})";
  testing::LoopbackHttpServer imds(imds_handler("ok", false, role_answers(refused)));
  const auto [e, keys] = converse(imds.url(), std::chrono::seconds(1));
  REQUIRE(e.credentials);
  CHECK(e.credentials->source.empty());
  CHECK(e.credentials->role == "UnitSsmRole");
  CHECK(e.credentials->code == "AssumeRoleUnauthorizedAccess");
  CHECK(e.credentials->error ==
        "meta-data/iam/security-credentials/UnitSsmRole: Code is AssumeRoleUnauthorizedAccess, "
        "not Success");
  CHECK(keys.empty());
}

TEST_CASE("IMDS credentials: nothing answers, nothing described") {
  testing::LoopbackHttpServer imds([](const testing::SeenRequest&) { return std::nullopt; });
  const auto e = converse(imds.url(), std::chrono::milliseconds(200)).evidence;
  CHECK_FALSE(e.credentials);
}

TEST_CASE("IMDS: the credential paths are secret facts") {
  for (const char* path :
       {"meta-data/iam/security-credentials/", "meta-data/iam/security-credentials/UnitSsmRole",
        "meta-data/identity-credentials/ec2/security-credentials/ec2-instance",
        "meta-data/identity-credentials/ec2/info", "api/token", "user-data"}) {
    CAPTURE(path);
    CHECK(is_secret_fact(path, "anything"));
  }
  CHECK(is_secret_fact("meta-data/other", credentials_json("Success", "2099-01-01T00:00:00Z")));
  CHECK_FALSE(is_secret_fact("meta-data/iam/info", kIamInfo));
  CHECK_FALSE(is_secret_fact("meta-data/instance-id", "i-0abc1234"));
}

TEST_CASE("IMDS disabled: nothing attempted, done at once") {
  ImdsSettings settings;
  settings.enabled = false;
  settings.skipped_by = "--no-imds";
  netcheck::EventLoop loop;
  ImdsEvidence e;
  bool done = false;
  start_imds(loop, settings, &e, nullptr, ImdsCallbacks{.on_done = [&] { done = true; }});
  CHECK(done);
  CHECK_FALSE(e.attempted);
  CHECK(e.skipped_by == "--no-imds");
  CHECK(loop.pending() == 0);
}

TEST_CASE("IMDS identity document: the accountId, or nothing") {
  CHECK(account_id_from_identity_document(
            R"({"accountId":"123456789012","region":"eu-west-1","instanceId":"i-0abc"})") ==
        "123456789012");
  CHECK_FALSE(account_id_from_identity_document(R"({"accountId":123456789012})"));
  CHECK_FALSE(account_id_from_identity_document(R"(["accountId"])"));
  CHECK_FALSE(account_id_from_identity_document("{\"accountId\":\"1"));
  CHECK_FALSE(account_id_from_identity_document(""));
}

// A keep-alive IMDSv2 with an instance profile; `override` answers some
// paths otherwise (nullopt: silence), before the usual answers.
testing::Handler keepalive_imds(
    std::function<std::optional<std::optional<std::string>>(const testing::SeenRequest&)> override =
        {}) {
  const std::string credentials = credentials_json("Success", "2099-01-01T00:00:00Z");
  return [=](const testing::SeenRequest& r) -> std::optional<std::string> {
    if (override)
      if (auto answer = override(r)) return *answer;
    if (r.method == "PUT") return testing::keepalive_response(200, kToken);
    if (r.head.find(std::string("X-aws-ec2-metadata-token: ") + kToken) == std::string::npos)
      return testing::keepalive_response(401, "");
    if (r.path == "/latest/dynamic/instance-identity/document")
      return testing::keepalive_response(200, kIdentityDocument);
    if (r.path == "/latest/meta-data/iam/security-credentials/")
      return testing::keepalive_response(200, "UnitSsmRole");
    if (r.path == kRolePath) return testing::keepalive_response(200, credentials);
    if (r.path == "/latest/meta-data/mac")
      return testing::keepalive_response(200, "0a:1b:2c:3d:4e:5f");
    if (r.path.starts_with("/latest/meta-data/network/interfaces/macs/0a:1b:2c:3d:4e:5f/"))
      return testing::keepalive_response(200, "fact");
    return testing::keepalive_response(404, "");
  };
}

const ImdsCall* find_call(const ImdsEvidence& e, const std::string& path) {
  for (const auto& call : e.calls)
    if (call.path == path) return &call;
  return nullptr;
}

TEST_CASE("IMDS: at most two connections, kept alive, credentials before the interface facts") {
  testing::KeepAliveHttpServer imds(keepalive_imds());
  // The race made certain: the role list's answer waits until an interface
  // fact is asked for, and that fact's answer until the role's credentials
  // are asked for. The role's credentials must then go out ahead of the
  // other facts waiting in line; a client that sent a fact instead would
  // have both connections held until its requests time out.
  const auto is_fact = [](const testing::SeenRequest& r) {
    return r.path.starts_with("/latest/meta-data/network/interfaces/macs/");
  };
  const auto is_path = [](std::string path) {
    return [path](const testing::SeenRequest& r) { return r.path == path; };
  };
  imds.hold(is_path("/latest/meta-data/iam/security-credentials/"), is_fact);
  imds.hold(is_fact, is_path(kRolePath));
  ImdsSettings settings;
  settings.endpoint = imds.url();
  netcheck::EventLoop loop;
  ImdsEvidence e;
  AwsCredentials keys;
  std::size_t calls_at_credentials = 0;
  bool credentials_first = false, done = false;
  start_imds(loop, settings, &e, &keys,
             ImdsCallbacks{.on_credentials =
                               [&] {
                                 credentials_first = !done;
                                 calls_at_credentials = e.calls.size();
                               },
                           .on_done = [&] { done = true; }});
  loop.run(netcheck::Clock::now() + std::chrono::seconds(5));
  REQUIRE(done);
  CHECK(credentials_first);
  CHECK(keys.secret_access_key == kSecretKey);
  // Every request on one of two connections, opened once each.
  CHECK(imds.most_open() <= kImdsMaxConnections);
  CHECK(imds.accepted() <= kImdsMaxConnections);
  CHECK(imds.requests() == static_cast<int>(e.calls.size()));
  // The token, then the identity document and the role list, then the role.
  REQUIRE(e.calls.size() >= 4);
  CHECK(e.calls[0].path == "/latest/api/token");
  CHECK(calls_at_credentials < e.calls.size());  // the interface facts came after
  const auto* role = find_call(e, kRolePath);
  REQUIRE(role);
  CHECK(role->status == 200);
  // Asked for right after the first fact, ahead of the seven others.
  const auto order = imds.paths_in_order();
  const auto role_at = std::find(order.begin(), order.end(), kRolePath);
  REQUIRE(role_at != order.end());
  CHECK(std::count_if(order.begin(), role_at, [](const std::string& path) {
          return path.starts_with("/latest/meta-data/network/interfaces/macs/");
        }) == 1);
  for (const auto& leaf : imds_interface_paths())
    CHECK(e.facts["meta-data/network/interfaces/macs/0a:1b:2c:3d:4e:5f/" + leaf] == "fact");
  check_no_secret(e);
}

TEST_CASE("IMDS: throttled once (429), asked again and read") {
  std::atomic<int> role_list_asked{0};
  testing::KeepAliveHttpServer imds(keepalive_imds(
      [&](const testing::SeenRequest& r) -> std::optional<std::optional<std::string>> {
        if (r.path == "/latest/meta-data/iam/security-credentials/" && role_list_asked++ == 0)
          return std::optional<std::string>(testing::keepalive_response(429, ""));
        return std::nullopt;
      }));
  const auto [e, keys] = converse(imds.url(), std::chrono::seconds(1));
  const auto* list = find_call(e, "/latest/meta-data/iam/security-credentials/");
  REQUIRE(list);
  CHECK(list->status == 200);
  CHECK(list->attempts == 2);
  CHECK(list->earlier == "429");
  REQUIRE(e.credentials);
  CHECK(e.credentials->source == "instance-profile");
  CHECK(keys.secret_access_key == kSecretKey);
}

TEST_CASE("IMDS: throttled throughout (503): three attempts, then recorded as such") {
  testing::KeepAliveHttpServer imds(keepalive_imds(
      [&](const testing::SeenRequest& r) -> std::optional<std::optional<std::string>> {
        if (r.path == "/latest/meta-data/iam/security-credentials/")
          return std::optional<std::string>(testing::keepalive_response(503, ""));
        return std::nullopt;
      }));
  const auto [e, keys] = converse(imds.url(), std::chrono::seconds(1));
  const auto* list = find_call(e, "/latest/meta-data/iam/security-credentials/");
  REQUIRE(list);
  CHECK(list->status == 503);
  CHECK(list->attempts == kImdsMaxAttempts);
  CHECK(list->earlier == "503, 503");
  CHECK_FALSE(find_call(e, "/latest/meta-data/iam/info"));  // 503 says nothing of a profile
  CHECK(keys.empty());
}

TEST_CASE("IMDS: a request that is never answered is tried three times, never called absent") {
  testing::KeepAliveHttpServer imds(keepalive_imds(
      [&](const testing::SeenRequest& r) -> std::optional<std::optional<std::string>> {
        if (r.path == kRolePath) return std::optional<std::string>();  // silence
        return std::nullopt;
      }));
  const auto [e, keys] = converse(imds.url(), std::chrono::milliseconds(200));
  const auto* role = find_call(e, kRolePath);
  REQUIRE(role);
  CHECK(role->outcome == netcheck::HttpOutcome::timeout);
  CHECK(role->attempts == kImdsMaxAttempts);
  CHECK(keys.empty());
  REQUIRE(e.credentials);
  CHECK(e.credentials->source.empty());
  CHECK(e.credentials->error.find("no answer in time") != std::string::npos);
  CHECK(e.credentials->error.find("no instance profile") == std::string::npos);
  // The interface facts still came, on the other connection.
  CHECK(e.facts.contains("meta-data/network/interfaces/macs/0a:1b:2c:3d:4e:5f/vpc-id"));
}

TEST_CASE("IMDS: a blackholed IMDS is not asked three times over") {
  testing::KeepAliveHttpServer imds(
      [](const testing::SeenRequest&) -> std::optional<std::string> { return std::nullopt; });
  const auto e = converse(imds.url(), std::chrono::milliseconds(150)).evidence;
  REQUIRE_FALSE(e.calls.empty());
  for (const auto& call : e.calls) {
    CAPTURE(call.path);
    CHECK(call.outcome == netcheck::HttpOutcome::timeout);
    CHECK(call.attempts == 1);
  }
  CHECK_FALSE(e.credentials);
}

TEST_CASE("IMDS: a region that is not a region name is a bad answer, not a fact") {
  testing::KeepAliveHttpServer imds(keepalive_imds(
      [&](const testing::SeenRequest& r) -> std::optional<std::optional<std::string>> {
        if (r.path == "/latest/dynamic/instance-identity/document")
          return std::optional<std::string>(testing::keepalive_response(
              200, R"({"region":"<html>oops</html>","instanceId":"i-0abc1234"})"));
        return std::nullopt;
      }));
  const auto e = converse(imds.url(), std::chrono::seconds(1)).evidence;
  const auto* document = find_call(e, "/latest/dynamic/instance-identity/document");
  REQUIRE(document);
  CHECK(document->status == 200);
  CHECK(document->bad_answer == "its region \"<html>oops</html>\" is not a region name");
  CHECK_FALSE(e.facts.contains("meta-data/placement/region"));
  CHECK(e.facts.at("meta-data/instance-id") == "i-0abc1234");
  CHECK(imds_region_settled(e));
}

TEST_CASE("IMDS: an identity document cut at the size limit is a bad answer") {
  testing::KeepAliveHttpServer imds(keepalive_imds(
      [&](const testing::SeenRequest& r) -> std::optional<std::optional<std::string>> {
        if (r.path == "/latest/dynamic/instance-identity/document")
          return std::optional<std::string>(
              testing::keepalive_response(200, "{\"region\":\"" + std::string(20000, 'a') + "\"}"));
        return std::nullopt;
      }));
  const auto e = converse(imds.url(), std::chrono::seconds(1)).evidence;
  const auto* document = find_call(e, "/latest/dynamic/instance-identity/document");
  REQUIRE(document);
  CHECK(document->bad_answer.starts_with("cut at 16384 bytes"));
  CHECK_FALSE(e.facts.contains("meta-data/placement/region"));
}

TEST_CASE("IMDS: credentials without their keys are a bad answer") {
  testing::KeepAliveHttpServer imds(keepalive_imds(
      [&](const testing::SeenRequest& r) -> std::optional<std::optional<std::string>> {
        if (r.path == kRolePath)
          return std::optional<std::string>(testing::keepalive_response(
              200, R"({"Code":"Success","LastUpdated":"2024-06-01T11:50:00Z"})"));
        return std::nullopt;
      }));
  const auto [e, keys] = converse(imds.url(), std::chrono::seconds(1));
  const auto* role = find_call(e, kRolePath);
  REQUIRE(role);
  CHECK(role->bad_answer == "AccessKeyId is missing");
  CHECK(keys.empty());
}

TEST_CASE("IMDS: answers nested too deeply are bad answers, not a crash (issue 15, 2)") {
  // 16 KiB of '[' passes the size limit; nlohmann's parser recursed on it.
  const std::string deep = "{\"region\":" + std::string(16000, '[') + "}";
  testing::KeepAliveHttpServer imds(keepalive_imds(
      [&](const testing::SeenRequest& r) -> std::optional<std::optional<std::string>> {
        if (r.path == "/latest/dynamic/instance-identity/document" || r.path == kRolePath)
          return std::optional<std::string>(testing::keepalive_response(200, deep));
        return std::nullopt;
      }));
  const auto [e, keys] = converse(imds.url(), std::chrono::seconds(1));
  const auto* document = find_call(e, "/latest/dynamic/instance-identity/document");
  REQUIRE(document);
  CHECK(document->bad_answer == "nested too deeply (more than 64 levels of arrays and objects)");
  CHECK_FALSE(e.facts.contains("meta-data/placement/region"));
  const auto* role = find_call(e, kRolePath);
  REQUIRE(role);
  CHECK(role->bad_answer.find("nested too deeply") != std::string::npos);
  CHECK(keys.empty());
  CHECK_FALSE(account_id_from_identity_document(deep));
}

TEST_CASE("IMDS: a user and password in the endpoint are never recorded (issue 15, 6)") {
  testing::LoopbackHttpServer imds(imds_handler("ok", false));
  std::string url = imds.url();
  url.insert(url.find("://") + 3, "user:s3cret@");
  const auto e = converse(url, std::chrono::seconds(1)).evidence;
  CHECK(e.endpoint.find("s3cret") == std::string::npos);
  CHECK(e.endpoint.starts_with("http://***@127.0.0.1:"));
  Evidence whole;
  whole.context.imds = e;
  CHECK(evidence_to_json(whole).find("s3cret") == std::string::npos);
}

TEST_CASE("IMDS: the region bound covers the token and the identity document's attempts") {
  ImdsSettings settings;
  settings.timeout = std::chrono::seconds(1);
  CHECK(imds_region_bound(settings) >= std::chrono::milliseconds(4300));
  CHECK(imds_region_bound(settings) <= std::chrono::milliseconds(5000));
}

}  // namespace
}  // namespace ssmreach
