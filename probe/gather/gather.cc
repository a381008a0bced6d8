#include "probe/gather/gather.h"

#include <ctime>
#include <memory>
#include <optional>

#include "netcheck/timer.h"
#include "probe/evidence/http_evidence.h"

namespace ssmreach {

// The HTTPS request to one address runs beside its TCP+TLS check (on a
// connection of its own) instead of after it, which saves the check's two
// round trips on the critical path. Its answer counts only once that
// address's own handshake verified: the evidence keeps its meaning (an HTTP
// result only after TLS ok), so an answer that arrives first waits here, and
// one for an address that failed TCP or TLS is dropped.
struct AddressCheck {
  netcheck::EventLoop* loop;
  GatherSettings settings;
  TargetEvidence* target;
  std::size_t index;
  enum class Tls { pending, verified, failed } tls = Tls::pending;
  std::optional<HttpEvidence> held;

  AddressEvidence& address() { return target->addresses[index]; }

  void record_http(HttpEvidence http) {
    address().http = std::move(http);
    if (address().http->outcome == netcheck::HttpOutcome::ok && settings.on_answer)
      settings.on_answer(*target, &address());
  }

  // TCP or TLS ended: a held answer counts, or is dropped.
  void settle(bool verified) {
    tls = verified ? Tls::verified : Tls::failed;
    if (verified && settings.on_verified) settings.on_verified(*target, address());
    if (verified && held) record_http(std::move(*held));
    held.reset();
  }
};

namespace {

// libcurl on a connection of its own pinned to that address, so each ENI is
// checked on its own.
void start_http(const std::shared_ptr<AddressCheck>& check, netcheck::HttpRequest request,
                std::function<void(const netcheck::HttpResponse&)> on_answer) {
  request.pin_address = check->address().ip;
  request.timeout = check->settings.step_timeout;
  request.trust = check->settings.tls ? check->settings.tls->trust : nullptr;
  request.client = check->settings.client;
  request.user_agent = check->settings.user_agent;
  check->loop->add(netcheck::make_http_task(
      std::move(request),
      [check, on_answer = std::move(on_answer)](const netcheck::HttpResponse& response) {
        HttpEvidence http = to_http_evidence(response, std::time(nullptr));
        if (check->tls == AddressCheck::Tls::verified)
          check->record_http(std::move(http));
        else if (check->tls == AddressCheck::Tls::pending)
          check->held = std::move(http);
        if (on_answer) on_answer(response);
      }));
}

// TCP to one address, then TLS on the connected socket; the HTTPS request
// beside them: GET /, or what the address's claimer sends.
void start_address(netcheck::EventLoop& loop, const GatherSettings& settings,
                   TargetEvidence* target, std::size_t index) {
  auto check = std::make_shared<AddressCheck>(
      AddressCheck{&loop, settings, target, index, AddressCheck::Tls::pending, {}});
  const bool tls_checked = settings.tls && settings.tls->context;
  if (tls_checked && !(settings.claim && settings.claim(*target, index, AddressExchange(check))))
    AddressExchange(check).send_default();
  loop.add(netcheck::make_tcp_task(
      check->address().ip, target->target.port, settings.step_timeout,
      [check](netcheck::TcpResult result, netcheck::UniqueFd socket) {
        bool connected = result.outcome == netcheck::TcpOutcome::ok && socket.valid();
        check->address().tcp = std::move(result);
        const netcheck::TlsClientContext* tls =
            check->settings.tls ? check->settings.tls->context : nullptr;
        if (!connected || tls == nullptr) return check->settle(false);
        check->loop->add(netcheck::make_tls_task(
            *tls, std::move(socket), check->target->target.host, check->settings.step_timeout,
            [check](netcheck::TlsResult tls_result, netcheck::UniqueFd) {
              const bool verified = tls_result.verified();
              check->address().tls = std::move(tls_result);
              check->settle(verified);
            }));
      }));
}

void list_addresses(const GatherSettings& settings, TargetEvidence* target,
                    const std::vector<netcheck::IpAddress>& ips, const char* source) {
  target->addresses.clear();
  for (const auto& ip : ips) {
    if (target->addresses.size() == settings.max_addresses_per_target) break;
    AddressEvidence address;
    address.ip = ip;
    address.source = source;
    target->addresses.push_back(std::move(address));
  }
}

// Only once the vector is complete: callbacks hold indices into it.
void start_listed(netcheck::EventLoop& loop, const GatherSettings& settings,
                  TargetEvidence* target) {
  for (std::size_t i = 0; i < target->addresses.size(); ++i)
    start_address(loop, settings, target, i);
}

void start_addresses(netcheck::EventLoop& loop, const GatherSettings& settings,
                     TargetEvidence* target, const std::vector<netcheck::IpAddress>& ips,
                     const char* source) {
  list_addresses(settings, target, ips, source);
  start_listed(loop, settings, target);
}

// Addresses known before any answer (an IP literal, an /etc/hosts pin):
// listed now, checked from the loop's first turn, when the TLS state the
// caller fills after start_targets is there.
void start_addresses_from_loop(netcheck::EventLoop& loop, const GatherSettings& settings,
                               TargetEvidence* target, const std::vector<netcheck::IpAddress>& ips,
                               const char* source) {
  list_addresses(settings, target, ips, source);
  auto* loop_ptr = &loop;
  loop.add(netcheck::make_timer_task(netcheck::Clock::now(),
                                     [loop_ptr, settings, target](bool abandoned) {
                                       if (!abandoned) start_listed(*loop_ptr, settings, target);
                                     }));
}

}  // namespace

const netcheck::IpAddress& AddressExchange::address() const { return check_->address().ip; }

void AddressExchange::send(netcheck::HttpRequest request,
                           std::function<void(const netcheck::HttpResponse&)> on_answer) {
  start_http(check_, std::move(request), std::move(on_answer));
}

void AddressExchange::send_default() {
  start_http(check_, endpoint_request(check_->target->target, check_->settings), nullptr);
}

void start_targets(netcheck::EventLoop& loop, const std::vector<Target>& targets,
                   const GatherSettings& settings, std::vector<TargetEvidence>* out) {
  out->clear();
  out->resize(targets.size());
  for (std::size_t t = 0; t < targets.size(); ++t) {
    TargetEvidence* target = &(*out)[t];
    target->target = targets[t];
    const std::string& host = target->target.host;

    if (auto literal = netcheck::parse_ip(host)) {
      target->host_is_literal = true;
      start_addresses_from_loop(loop, settings, target, {*literal}, "literal");
      continue;
    }

    // A stub resolver consults /etc/hosts first and DNS only when the name
    // is not there. DNS is still asked for a pinned name: the report shows
    // what the pin overrides.
    target->hosts = netcheck::lookup_hosts_file(host).addresses;
    bool pinned = !target->hosts.empty();
    if (pinned) start_addresses_from_loop(loop, settings, target, target->hosts, "hosts");

    if (settings.resolvers.empty()) {
      netcheck::DnsResult none;
      none.name = host;
      none.outcome = netcheck::DnsOutcome::error;
      target->dns = std::move(none);
      continue;
    }
    auto* loop_ptr = &loop;
    loop.add(netcheck::make_dns_task(
        host, settings.resolvers, settings.step_timeout,
        [loop_ptr, settings, target, pinned](netcheck::DnsResult result) {
          target->dns = std::move(result);
          if (!pinned && target->dns->outcome == netcheck::DnsOutcome::ok)
            start_addresses(*loop_ptr, settings, target, target->dns->addresses, "dns");
        }));
  }
}

netcheck::HttpRequest endpoint_request(const Target& target, const GatherSettings& settings) {
  netcheck::HttpRequest request;
  const bool v6 = target.host.find(':') != std::string::npos;
  request.url = "https://" + (v6 ? "[" + target.host + "]" : target.host) +
                (target.port == 443 ? std::string() : ":" + std::to_string(target.port)) + "/";
  request.timeout = settings.step_timeout;
  request.trust = settings.tls ? settings.tls->trust : nullptr;
  request.client = settings.client;
  request.user_agent = settings.user_agent;
  request.max_body = 4096;  // an error document at most: only status and headers matter
  return request;
}

void start_proxy_paths(netcheck::EventLoop& loop, const ProxyRoute& route,
                       const GatherSettings& settings, std::vector<TargetEvidence>* out) {
  for (auto& target : *out) {
    target.no_proxy_match = route.no_proxy.match(target.target.host, target.target.port);
    if (!target.no_proxy_match.empty()) continue;
    netcheck::HttpRequest request = endpoint_request(target.target, settings);
    request.proxy = route.curl_url;
    // TCP to the proxy, CONNECT, TLS through the tunnel and the request
    // itself all share this one limit, as they do in the agent.
    request.timeout = 2 * settings.step_timeout;
    TargetEvidence* t = &target;
    auto on_answer = settings.on_answer;
    std::string redacted = route.redacted;
    loop.add(netcheck::make_http_task(
        std::move(request), [t, on_answer, redacted](const netcheck::HttpResponse& response) {
          ProxyPathEvidence path;
          path.proxy = redacted;
          path.failed_stage = proxy_failed_stage(response);
          path.connect_status = response.proxy_connect_status;
          path.tls_verify_result = response.tls_verify_result;
          path.http = to_http_evidence(response, std::time(nullptr));
          t->proxy_path = std::move(path);
          if (t->proxy_path->failed_stage.empty() && on_answer) on_answer(*t, nullptr);
        }));
  }
}

void start_vpc_dns(netcheck::EventLoop& loop, const std::vector<netcheck::DnsServer>& vpc_resolvers,
                   netcheck::Duration timeout, std::vector<TargetEvidence>* out) {
  if (vpc_resolvers.empty()) return;
  for (auto& target : *out) {
    if (target.host_is_literal) continue;
    TargetEvidence* t = &target;
    loop.add(netcheck::make_dns_task(
        target.target.host, vpc_resolvers, timeout,
        [t](netcheck::DnsResult result) { t->vpc_dns = std::move(result); }));
  }
}

}  // namespace ssmreach
