// Runs the plan's DNS -> TCP -> TLS chains on the event loop, filling evidence.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "netcheck/clock.h"
#include "netcheck/dns.h"
#include "netcheck/event_loop.h"
#include "netcheck/no_proxy.h"
#include "netcheck/tls.h"
#include "probe/evidence/evidence.h"

namespace ssmreach {

// Called on the loop when an endpoint answered HTTP: on a direct path
// (`address` set) or through the proxy (`address` null).
using AnswerCallback = std::function<void(const TargetEvidence&, const AddressEvidence* address)>;
// Called on the loop when one address of an endpoint completed TCP and a
// verified TLS handshake (its HTTPS request may still be running).
using VerifiedCallback = std::function<void(const TargetEvidence&, const AddressEvidence&)>;

struct GatherSettings {
  netcheck::Duration step_timeout{};           // each of DNS, TCP, TLS, HTTP
  std::vector<netcheck::DnsServer> resolvers;  // empty: no DNS possible
  const netcheck::TlsClientContext* tls = nullptr;
  // A name that answers with hundreds of addresses must not open hundreds of
  // sockets; the rest are listed in the evidence, not probed.
  std::size_t max_addresses_per_target = 16;
  std::string ca_file;       // for the HTTPS requests (libcurl)
  bool ca_embedded = false;  // trust the embedded Amazon roots instead
  std::string user_agent;
  AnswerCallback on_answer;
  VerifiedCallback on_verified;
};

// The proxy the agent sends HTTPS through, and what it exempts.
struct ProxyRoute {
  std::string curl_url;  // with credentials, for libcurl only
  std::string redacted;  // for the evidence
  netcheck::NoProxy no_proxy;
};

// Adds every target's first task to `loop`. `out` is resized to one entry per
// target and must outlive the loop's run; follow-up tasks (TCP per address,
// TLS per connected socket) are added as answers arrive.
void start_targets(netcheck::EventLoop& loop, const std::vector<Target>& targets,
                   const GatherSettings& settings, std::vector<TargetEvidence>* out);

// For every target that `route` does not exempt, the path through the proxy
// (CONNECT, TLS in the tunnel, the HTTPS request) into
// TargetEvidence::proxy_path; exempt ones get no_proxy_match. Call after
// start_targets; `out` as there.
void start_proxy_paths(netcheck::EventLoop& loop, const ProxyRoute& route,
                       const GatherSettings& settings, std::vector<TargetEvidence>* out);

// The HTTPS request each endpoint gets: GET / (any answer proves the path).
netcheck::HttpRequest endpoint_request(const Target& target, const GatherSettings& settings);

// Asks `vpc_resolvers` for every target name that was looked up in DNS, into
// TargetEvidence::vpc_dns. Call after start_targets; `out` as there.
void start_vpc_dns(netcheck::EventLoop& loop, const std::vector<netcheck::DnsServer>& vpc_resolvers,
                   netcheck::Duration timeout, std::vector<TargetEvidence>* out);

}  // namespace ssmreach
