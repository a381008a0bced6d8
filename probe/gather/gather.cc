#include "probe/gather/gather.h"

#include <ctime>
#include <memory>
#include <optional>

#include "netcheck/timer.h"
#include "probe/evidence/http_evidence.h"

namespace ssmreach {

// One handshake per address: TCP is ssm-reach's own connect (the TCP
// evidence), then the socket is handed to libcurl, whose handshake for the
// address's HTTPS exchange is observed (the TLS evidence) and whose answer
// is the HTTP evidence. A second handshake of ssm-reach's own would cost a
// TCP connect, an SSL_CTX and a full handshake per address on both sides
// and tell nothing more.
struct AddressCheck {
  netcheck::EventLoop* loop;
  GatherSettings settings;
  TargetEvidence* target;
  std::size_t index;
  enum class Stage { connecting, exchanging, failed, done } stage = Stage::connecting;
  // The claimer's request: sent before TCP connected, the exchange's; sent
  // during the exchange, the one that follows it on its connection.
  std::optional<netcheck::HttpRequest> claimed_request;
  std::function<void(const netcheck::HttpResponse&)> on_claimed_answer;

  AddressEvidence& address() { return target->addresses[index]; }

  void record_http(HttpEvidence http) {
    address().http = std::move(http);
    if (address().http->outcome == netcheck::HttpOutcome::ok && settings.on_answer)
      settings.on_answer(*target, &address());
  }
};

namespace {

constexpr const char* kTcpFailed = "the address was not reached (TCP failed)";

// Pinned to the address, with the run's timeout, trust and client.
netcheck::HttpRequest pinned(const AddressCheck& check, netcheck::HttpRequest request) {
  request.pin_address = check.target->addresses[check.index].ip;
  request.timeout = check.settings.step_timeout;
  request.trust = check.settings.tls ? check.settings.tls->trust : nullptr;
  request.client = check.settings.client;
  request.user_agent = check.settings.user_agent;
  return request;
}

// Told on the loop's next turn, never from inside the call that asked: the
// claimer may be in the middle of starting it.
void tell_not_reached(const std::shared_ptr<AddressCheck>& check,
                      std::function<void(const netcheck::HttpResponse&)> on_answer,
                      const char* why) {
  if (!on_answer) return;
  check->loop->add(netcheck::make_timer_task(netcheck::Clock::now(),
                                             [on_answer = std::move(on_answer), why](bool) {
                                               netcheck::HttpResponse response;
                                               response.outcome = netcheck::HttpOutcome::error;
                                               response.error = why;
                                               on_answer(response);
                                             }));
}

// The claimer's request that came during the exchange: on the exchange's
// connection, now idle (the server keeps it alive), rather than on a new one
// beside it. Where the exchange did not verify, it is not sent: the
// claimer hears the exchange's answer (not delivered) and looks elsewhere.
void send_follow_up(const std::shared_ptr<AddressCheck>& check, bool verified,
                    const netcheck::HttpResponse& exchange_answer) {
  if (!check->claimed_request) return;
  netcheck::HttpRequest request = std::move(*check->claimed_request);
  check->claimed_request.reset();
  auto on_answer = std::move(check->on_claimed_answer);
  check->on_claimed_answer = nullptr;
  if (!verified) {
    if (on_answer) on_answer(exchange_answer);
    return;
  }
  check->loop->add(netcheck::make_http_task(
      pinned(*check, std::move(request)),
      [on_answer = std::move(on_answer)](const netcheck::HttpResponse& response) {
        if (on_answer) on_answer(response);
      }));
}

// The connected socket goes to libcurl for the exchange (the claimer's
// request, else GET /), on a connection of its own so that its handshake is
// this address's.
void start_exchange(const std::shared_ptr<AddressCheck>& check, netcheck::UniqueFd socket) {
  check->stage = AddressCheck::Stage::exchanging;
  netcheck::add_connected_socket(*check->settings.client, std::move(socket));
  netcheck::HttpRequest request = check->claimed_request
                                      ? std::move(*check->claimed_request)
                                      : endpoint_request(check->target->target, check->settings);
  check->claimed_request.reset();
  request = pinned(*check, std::move(request));
  request.tls_evidence = true;
  auto on_claimed_answer = std::move(check->on_claimed_answer);
  check->on_claimed_answer = nullptr;
  check->loop->add(netcheck::make_http_task(
      std::move(request), [check, on_claimed_answer](const netcheck::HttpResponse& response) {
        check->stage = AddressCheck::Stage::done;
        netcheck::TlsResult tls;
        if (response.tls) {
          tls = *response.tls;
        } else {
          // Only when libcurl could not even start the exchange.
          tls.server_name = check->target->target.host;
          tls.outcome = netcheck::TlsOutcome::error;
          tls.error = response.error.empty() ? "no TLS handshake was made" : response.error;
        }
        const bool verified = tls.verified();
        check->address().tls = std::move(tls);
        if (verified) {
          if (check->settings.on_verified)
            check->settings.on_verified(*check->target, check->address());
          check->record_http(to_http_evidence(response, std::time(nullptr)));
        }
        if (on_claimed_answer) on_claimed_answer(response);
        send_follow_up(check, verified, response);
      }));
}

// TCP to one address, then (on its socket) the HTTPS exchange that also
// shows TLS: GET /, or what the address's claimer sends.
void start_address(netcheck::EventLoop& loop, const GatherSettings& settings,
                   TargetEvidence* target, std::size_t index) {
  auto check = std::make_shared<AddressCheck>(
      AddressCheck{&loop, settings, target, index, AddressCheck::Stage::connecting, {}, {}});
  if (!check->settings.client) check->settings.client = netcheck::make_http_client();
  if (settings.tls && settings.tls->trust && settings.claim)
    settings.claim(*target, index, AddressExchange(check));
  loop.add(netcheck::make_tcp_task(
      check->address().ip, target->target.port, settings.step_timeout,
      [check](netcheck::TcpResult result, netcheck::UniqueFd socket) {
        const bool connected = result.outcome == netcheck::TcpOutcome::ok && socket.valid();
        check->address().tcp = std::move(result);
        // Read now, not at the start: the trust store may have come since.
        const bool tls_checked = check->settings.tls && check->settings.tls->trust;
        if (connected && tls_checked) return start_exchange(check, std::move(socket));
        check->stage = AddressCheck::Stage::failed;
        tell_not_reached(check, std::move(check->on_claimed_answer), kTcpFailed);
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
  switch (check_->stage) {
    case AddressCheck::Stage::failed:
      tell_not_reached(check_, std::move(on_answer), kTcpFailed);
      return;
    case AddressCheck::Stage::connecting:
    case AddressCheck::Stage::exchanging:
      // Before TCP connected: the exchange itself. During the exchange (it
      // went as GET /): the request that follows it on its connection.
      check_->claimed_request = std::move(request);
      check_->on_claimed_answer = std::move(on_answer);
      return;
    case AddressCheck::Stage::done:
      // Not again where TLS did not verify (a handshake that timed out
      // would cost another timeout): the claimer looks elsewhere.
      if (!check_->address().tls || !check_->address().tls->verified()) {
        tell_not_reached(check_, std::move(on_answer), "the address did not pass TLS");
        return;
      }
      // A request of its own to the address, on the exchange's connection
      // when the server kept it alive.
      check_->loop->add(netcheck::make_http_task(
          pinned(*check_, std::move(request)),
          [on_answer = std::move(on_answer)](const netcheck::HttpResponse& response) {
            if (on_answer) on_answer(response);
          }));
      return;
  }
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
