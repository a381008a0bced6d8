#include "probe/gather/imds.h"

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "netcheck/endpoint.h"
#include "netcheck/http.h"
#include "netcheck/proxy_url.h"
#include "netcheck/tcp.h"
#include "netcheck/timer.h"
#include "probe/evidence/http_evidence.h"
#include "probe/gather/imds_credentials.h"
#include "probe/plan/region.h"
#include "probe/util/json_depth.h"

namespace ssmreach {

namespace {

using Json = nlohmann::ordered_json;  // as every JSON reader here: one parser in the binary

constexpr std::string_view kTokenPath = "api/token";
constexpr std::string_view kIdentityDocumentPath = "dynamic/instance-identity/document";
constexpr std::string_view kMacPath = "meta-data/mac";
constexpr std::string_view kInterfacesPath = "meta-data/network/interfaces/macs/";
// Short: the token lives only as long as this run needs it.
constexpr const char* kTokenTtlHeader = "X-aws-ec2-metadata-token-ttl-seconds: 300";
constexpr std::size_t kMaxTokenAnswer = 256;
constexpr std::size_t kMaxAnswer = std::size_t{16} * 1024;
// A value worth keeping as a fact: a line of printable ASCII, not a page.
constexpr std::size_t kMaxFactLength = 256;

// The order of need: a request waiting for a connection goes before every
// waiting request of a later kind.
enum class Need { token, identity, role_list, credentials, mac, interface };

struct Conversation;
using ConversationPtr = std::shared_ptr<Conversation>;
// Gets the final answer and the call as it will be recorded: may say why
// the answer is of no use (call.bad_answer) and ask for more.
using AnswerHandler =
    std::function<void(const ConversationPtr&, const netcheck::HttpResponse&, ImdsCall&)>;

struct Request {
  Need need = Need::interface;
  std::string method = "GET";
  std::string path;  // below /latest/
  AnswerHandler on_answer;
  bool credential = false;  // part of what the signed call waits for
  int attempts = 0;
  std::string earlier;  // how the earlier attempts ended
};

// The conversation's state, shared by the callbacks of its requests.
struct Conversation {
  netcheck::EventLoop* loop = nullptr;
  ImdsSettings settings;
  ImdsEvidence* out = nullptr;
  AwsCredentials* credentials_out = nullptr;  // nullptr: the secret answers are not asked for
  ImdsCallbacks callbacks;
  std::string token;  // in memory only, never in evidence or output
  // The credential paths' answers, secrets included: in memory only, until
  // the credentials are described.
  CredentialAnswers credential_answers;
  // Keep-alive: a request takes an idle connection of an answered one, so
  // the conversation never holds more than kImdsMaxConnections.
  std::shared_ptr<netcheck::HttpClient> client;
  std::vector<Request> waiting;  // for a connection, in order of need
  int in_flight = 0;
  int outstanding = 0;          // waiting, in flight, or backing off before a retry
  int credential_requests = 0;  // outstanding ones of the credentials chain
  bool gets_started = false;
  bool identity_settled = false;
  bool credentials_reported = false;
  // IMDS has answered something: it is there, so a failure is passing
  // (throttling, a dropped SYN) and worth another attempt.
  bool answered_once = false;
};

bool answered_200(const netcheck::HttpResponse& response) {
  return response.outcome == netcheck::HttpOutcome::ok && response.status == 200;
}

bool plain_value(std::string_view text) {
  if (text.empty() || text.size() > kMaxFactLength) return false;
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return c >= 0x20 && c <= 0x7e; });
}

// A value quoted in a reason: printable, and short enough for one line.
std::string quote_value(std::string_view text) {
  std::string out;
  for (unsigned char c : text.substr(0, 40)) out += (c >= 0x20 && c <= 0x7e) ? char(c) : '?';
  return "\"" + out + (text.size() > 40 ? "...\"" : "\"");
}

// The AWS SDKs ask IMDS again after throttling (429), a server error, or a
// transport failure; the last only once IMDS has answered (a blackholed
// IMDS is not waited for three times over).
bool worth_another_attempt(const Conversation& conv, const netcheck::HttpResponse& response) {
  if (response.outcome == netcheck::HttpOutcome::ok)
    return response.status == 429 || (response.status >= 500 && response.status <= 599);
  return conv.answered_once;
}

void pump(const ConversationPtr& conv);
void settle(const ConversationPtr& conv, const Request& request,
            const netcheck::HttpResponse& response);

// Into the line for a connection: behind every request of the same or an
// earlier need, ahead of every later one.
void line_up(Conversation& conv, Request request) {
  auto after = std::find_if(conv.waiting.begin(), conv.waiting.end(),
                            [&](const Request& r) { return r.need > request.need; });
  conv.waiting.insert(after, std::move(request));
}

void enqueue(const ConversationPtr& conv, Request request) {
  ++conv->outstanding;
  if (request.credential) ++conv->credential_requests;
  line_up(*conv, std::move(request));
  pump(conv);
}

void on_response(const ConversationPtr& conv, Request request,
                 const netcheck::HttpResponse& response) {
  --conv->in_flight;
  if (response.outcome == netcheck::HttpOutcome::ok) conv->answered_once = true;
  if (request.attempts < kImdsMaxAttempts && worth_another_attempt(*conv, response)) {
    request.earlier += (request.earlier.empty() ? "" : ", ") + imds_answer_words(response);
    const auto backoff = kImdsFirstBackoff * (1 << (request.attempts - 1));
    conv->loop->add(netcheck::make_timer_task(netcheck::Clock::now() + backoff,
                                              [conv, request, response](bool abandoned) mutable {
                                                if (abandoned)
                                                  return settle(conv, std::move(request), response);
                                                // Back in line, ahead of every later need: no
                                                // longer wait than one request.
                                                line_up(*conv, std::move(request));
                                                pump(conv);
                                              }));
  } else {
    // Every attempt went unanswered: IMDS has stopped answering, so the
    // requests still to come get one attempt each, not three.
    if (response.outcome != netcheck::HttpOutcome::ok) conv->answered_once = false;
    settle(conv, std::move(request), response);
  }
  pump(conv);
}

void send(const ConversationPtr& conv, Request request) {
  ++conv->in_flight;
  ++request.attempts;
  netcheck::HttpRequest http;
  http.method = request.method;
  http.url = conv->settings.endpoint + "/latest/" + request.path;
  http.timeout = conv->settings.timeout;
  http.max_body = request.need == Need::token ? kMaxTokenAnswer : kMaxAnswer;
  if (request.need == Need::token)
    http.headers.push_back(kTokenTtlHeader);
  else if (!conv->token.empty())
    http.headers.push_back("X-aws-ec2-metadata-token: " + conv->token);
  http.client = conv->client;
  conv->loop->add(netcheck::make_http_task(
      std::move(http),
      [conv, request = std::move(request)](const netcheck::HttpResponse& response) {
        on_response(conv, request, response);
      }));
}

void pump(const ConversationPtr& conv) {
  while (conv->in_flight < kImdsMaxConnections && !conv->waiting.empty()) {
    Request next = std::move(conv->waiting.front());
    conv->waiting.erase(conv->waiting.begin());
    send(conv, std::move(next));
  }
}

// The credentials and the instance id are settled: described (only when
// IMDS answered on those paths), every secret answer dropped, the caller
// told. Once.
void report_credentials(const ConversationPtr& conv) {
  if (conv->credentials_reported) return;
  conv->credentials_reported = true;
  auto& answers = conv->credential_answers;
  if (answered(answers.iam_info) || answered(answers.role_list))
    conv->out->credentials = credential_evidence(answers, conv->credentials_out);
  answers = CredentialAnswers{};
  if (conv->callbacks.on_credentials) conv->callbacks.on_credentials();
}

void finish(const ConversationPtr& conv) {
  report_credentials(conv);
  conv->token.clear();
  if (conv->callbacks.on_done) conv->callbacks.on_done();
}

void settle(const ConversationPtr& conv, const Request& request,
            const netcheck::HttpResponse& response) {
  ImdsCall call;
  call.method = request.method;
  call.path = "/latest/" + request.path;
  call.with_token = request.need != Need::token && !conv->token.empty();
  call.outcome = response.outcome;
  call.status = response.status;
  call.error = response.error;
  call.ms = response.ms;
  call.attempts = request.attempts;
  call.earlier = request.earlier;
  if (answered_200(response) && response.body_truncated)
    call.bad_answer = "cut at " +
                      std::to_string(request.need == Need::token ? kMaxTokenAnswer : kMaxAnswer) +
                      " bytes, longer than any real answer";
  if (request.on_answer) request.on_answer(conv, response, call);
  conv->out->calls.push_back(std::move(call));
  if (request.credential) --conv->credential_requests;
  --conv->outstanding;
  if (conv->gets_started && conv->identity_settled && conv->credential_requests == 0)
    report_credentials(conv);
  if (conv->outstanding == 0) finish(conv);
}

// A usable 200 answer's body, or nullptr (the call says why when it is not).
const std::string* usable_body(const netcheck::HttpResponse& response, const ImdsCall& call) {
  return answered_200(response) && call.bad_answer.empty() ? &response.body : nullptr;
}

// The identity document: the agent's own source of its region and instance
// id. Its values are kept under the paths that serve the same value.
void on_identity_document(const ConversationPtr& conv, const netcheck::HttpResponse& response,
                          ImdsCall& call) {
  conv->identity_settled = true;
  const std::string* body = usable_body(response, call);
  if (!body) return;
  if (json_nested_too_deeply(*body)) {
    call.bad_answer = json_too_deep_text();
    return;
  }
  const auto document =
      Json::parse(body->begin(), body->end(), nullptr, /*allow_exceptions=*/false);
  if (!document.is_object()) {
    call.bad_answer = "not a JSON object";
    return;
  }
  auto& facts = conv->out->facts;
  facts[std::string(kIdentityDocumentPath)] = *body;
  auto member = [&](const char* key) -> std::string {
    const auto it = document.find(key);
    return it != document.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const std::pair<const char*, const char*> kept[] = {
      {"instanceId", "meta-data/instance-id"},
      {"availabilityZone", "meta-data/placement/availability-zone"},
      {"privateIp", "meta-data/local-ipv4"},
      {"accountId", "account-id"},
  };
  for (const auto& [key, fact] : kept)
    if (const std::string value = member(key); plain_value(value)) facts[fact] = value;
  const std::string region = member("region");
  if (is_valid_region_name(region))
    facts["meta-data/placement/region"] = region;
  else
    call.bad_answer = region.empty()
                          ? "no region in it"
                          : "its region " + quote_value(region) + " is not a region name";
}

void on_interface_fact(const ConversationPtr& conv, const netcheck::HttpResponse& response,
                       ImdsCall& call) {
  if (const std::string* body = usable_body(response, call))
    conv->out->facts[call.path.substr(std::string_view("/latest/").size())] = *body;
}

void on_mac(const ConversationPtr& conv, const netcheck::HttpResponse& response, ImdsCall& call) {
  const std::string* mac = usable_body(response, call);
  if (!mac) return;
  if (!plain_value(*mac) || mac->find('/') != std::string::npos) {
    call.bad_answer = "not a MAC address";
    return;
  }
  conv->out->facts[std::string(kMacPath)] = *mac;
  for (const auto& leaf : imds_interface_paths()) {
    Request request;
    request.need = Need::interface;
    request.path = std::string(kInterfacesPath) + *mac + "/" + leaf;
    request.on_answer = on_interface_fact;
    enqueue(conv, std::move(request));
  }
}

Request credential_request(std::string path, AnswerHandler on_answer) {
  Request request;
  request.need = Need::credentials;
  request.path = std::move(path);
  request.on_answer = std::move(on_answer);
  request.credential = true;
  return request;
}

// A credentials-chain answer kept in `slot` (secrets in memory only); a 200
// that `problem` finds unusable is recorded as a bad answer.
AnswerHandler keep_answer(std::optional<netcheck::HttpResponse> CredentialAnswers::*slot,
                          std::string (*problem)(std::string_view)) {
  return [slot, problem](const ConversationPtr& conv, const netcheck::HttpResponse& response,
                         ImdsCall& call) {
    conv->credential_answers.*slot = response;
    if (const std::string* body = usable_body(response, call)) call.bad_answer = problem(*body);
  };
}

// The role list names the role whose credentials come next; without a role
// the agent turns to Default Host Management's instance identity, and
// iam/info tells a missing profile from a profile without a role.
void on_role_list(const ConversationPtr& conv, const netcheck::HttpResponse& response,
                  ImdsCall& call) {
  conv->credential_answers.role_list = response;
  if (!call.bad_answer.empty()) return;
  if (lists_no_role(response)) {
    enqueue(conv, credential_request(std::string(kIamInfoPath),
                                     keep_answer(&CredentialAnswers::iam_info, iam_info_problem)));
    if (conv->credentials_out)
      enqueue(conv, credential_request(std::string(kIdentityCredentialsPath),
                                       keep_answer(&CredentialAnswers::identity_credentials,
                                                   credentials_answer_problem)));
    return;
  }
  if (!answered_200(response)) return;
  std::string listing_error;
  const std::string role = role_from_listing(response.body, &listing_error);
  if (role.empty()) {
    call.bad_answer = listing_error;
    return;
  }
  if (conv->credentials_out)  // nowhere to keep a secret: not asked for
    enqueue(conv, credential_request(std::string(kRoleListPath) + role,
                                     keep_answer(&CredentialAnswers::role_credentials,
                                                 credentials_answer_problem)));
}

void start_gets(const ConversationPtr& conv) {
  conv->gets_started = true;
  conv->out->v1_used = conv->token.empty();
  Request identity;
  identity.need = Need::identity;
  identity.path = std::string(kIdentityDocumentPath);
  identity.on_answer = on_identity_document;
  enqueue(conv, std::move(identity));
  enqueue(conv, credential_request(std::string(kRoleListPath), on_role_list));
  Request mac;
  mac.need = Need::mac;
  mac.path = std::string(kMacPath);
  mac.on_answer = on_mac;
  enqueue(conv, std::move(mac));
}

void on_token(const ConversationPtr& conv, const netcheck::HttpResponse& response, ImdsCall& call) {
  if (const std::string* body = usable_body(response, call); body && !body->empty()) {
    conv->token = *body;
    conv->out->token_ok = true;
  }
  start_gets(conv);
}

// IMDS at an IP literal over http (the default 169.254.169.254, or
// [fd00:ec2::254]): its address and port; nullopt for a name or https.
std::optional<std::pair<netcheck::IpAddress, std::uint16_t>> literal_endpoint(
    std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() < kScheme.size() ||
      !std::equal(kScheme.begin(), kScheme.end(), url.begin(),
                  [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); }))
    return std::nullopt;
  url.remove_prefix(kScheme.size());
  const auto host_port = netcheck::parse_host_port(url.substr(0, url.find('/')), 80);
  if (!host_port) return std::nullopt;
  const auto ip = netcheck::parse_ip(host_port->host);
  if (!ip) return std::nullopt;
  return std::make_pair(*ip, host_port->port);
}

// The second connection, made at once beside the token's: the requests the
// token lets through (the identity document and the role list) then go out
// together the moment it arrives, and the credentials one round trip later.
// Without it the role list would wait for a connect. A connection that is
// never used is closed with the client.
void preconnect_second(netcheck::EventLoop& loop, const ConversationPtr& conv) {
  static_assert(kImdsMaxConnections >= 2);
  const auto endpoint = literal_endpoint(conv->settings.endpoint);
  if (!endpoint) return;
  std::weak_ptr<netcheck::HttpClient> client = conv->client;
  loop.add(netcheck::make_tcp_task(
      endpoint->first, endpoint->second, conv->settings.timeout,
      [client](const netcheck::TcpResult& result, netcheck::UniqueFd socket) {
        auto alive = client.lock();
        if (alive && result.outcome == netcheck::TcpOutcome::ok)
          netcheck::add_connected_socket(*alive, std::move(socket));
      }));
}

}  // namespace

ImdsSettings imds_settings(const ImdsFlags& flags, const GetEnv& env, const AgentEnv& agent_env) {
  ImdsSettings settings;
  if (flags.no_imds) {
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
  auto endpoint = choose_imds_endpoint(flags.imds_endpoint, env, agent_env);
  settings.endpoint = std::move(endpoint.endpoint);
  settings.endpoint_source = std::move(endpoint.source);
  settings.endpoint_note = std::move(endpoint.note);
  settings.timeout = std::min(settings.timeout, netcheck::seconds(flags.timeout_s));
  return settings;
}

netcheck::Duration imds_region_bound(const ImdsSettings& settings) {
  // The token (a first contact is not retried), then the identity
  // document's attempts and their backoffs, and a margin for the loop.
  netcheck::Duration backoffs{};
  for (int attempt = 1; attempt < kImdsMaxAttempts; ++attempt)
    backoffs += kImdsFirstBackoff * (1 << (attempt - 1));
  return settings.timeout * (1 + kImdsMaxAttempts) + backoffs + std::chrono::milliseconds(200);
}

bool imds_region_settled(const ImdsEvidence& imds) {
  if (!imds.attempted) return true;
  const std::string path = "/latest/" + std::string(kIdentityDocumentPath);
  return std::any_of(imds.calls.begin(), imds.calls.end(),
                     [&](const ImdsCall& call) { return call.path == path; });
}

std::optional<std::string> account_id_from_identity_document(std::string_view document_text) {
  if (json_nested_too_deeply(document_text)) return std::nullopt;
  auto document = Json::parse(document_text.begin(), document_text.end(), nullptr,
                              /*allow_exceptions=*/false);
  if (document.is_object() && document.contains("accountId") && document["accountId"].is_string())
    return document["accountId"].get<std::string>();
  return std::nullopt;
}

const std::vector<std::string>& imds_interface_paths() {
  static const std::vector<std::string> leaves = {
      "vpc-ipv4-cidr-block",  // the primary CIDR: its base + 2 is the VPC resolver
      "vpc-ipv4-cidr-blocks", "vpc-id", "subnet-id", "security-group-ids", "vpc-ipv6-cidr-blocks",
  };
  return leaves;
}

void start_imds(netcheck::EventLoop& loop, const ImdsSettings& settings, ImdsEvidence* out,
                AwsCredentials* credentials_out, ImdsCallbacks callbacks) {
  // The evidence (and every report) names it without USER:PASSWORD@.
  out->endpoint = netcheck::redact_url_credentials(settings.endpoint);
  out->endpoint_source = settings.endpoint_source;
  out->endpoint_note = settings.endpoint_note;
  out->skipped_by = settings.skipped_by;
  if (!settings.enabled) {
    if (callbacks.on_credentials) callbacks.on_credentials();
    if (callbacks.on_done) callbacks.on_done();
    return;
  }
  out->attempted = true;
  auto conv = std::make_shared<Conversation>();
  conv->loop = &loop;
  conv->settings = settings;
  conv->out = out;
  conv->credentials_out = credentials_out;
  conv->callbacks = std::move(callbacks);
  conv->client = settings.client ? settings.client : netcheck::make_http_client();

  Request token;
  token.need = Need::token;
  token.method = "PUT";
  token.path = std::string(kTokenPath);
  token.on_answer = on_token;
  enqueue(conv, std::move(token));
  // After the token's own connect: the first connection carries the token.
  preconnect_second(loop, conv);
}

}  // namespace ssmreach
