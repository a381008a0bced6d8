// Runs the plan's DNS -> TCP -> TLS chains on the event loop, filling evidence.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "netcheck/clock.h"
#include "netcheck/dns.h"
#include "netcheck/event_loop.h"
#include "netcheck/http.h"
#include "netcheck/no_proxy.h"
#include "netcheck/tls.h"
#include "netcheck/trust_anchors.h"
#include "probe/evidence/evidence.h"

namespace ssmreach {

// Called on the loop when an endpoint answered HTTP: on a direct path
// (`address` set) or through the proxy (`address` null).
using AnswerCallback = std::function<void(const TargetEvidence&, const AddressEvidence* address)>;
// Called on the loop when one address of an endpoint completed TCP and a
// verified TLS handshake, as its HTTPS exchange ended (answered or not).
using VerifiedCallback = std::function<void(const TargetEvidence&, const AddressEvidence&)>;

struct AddressCheck;

// What TLS uses, known once the trust store was read (on another thread,
// while DNS already runs): the HTTPS exchanges' trust anchors. Null: TLS is
// not checked (tls.trust-store).
struct TlsState {
  std::shared_ptr<const netcheck::TrustAnchors> trust;
};

// The one HTTPS exchange of an address, made on its TCP check's socket once
// that connected, whose handshake is the address's TLS evidence.
class AddressExchange {
 public:
  explicit AddressExchange(std::shared_ptr<AddressCheck> check) : check_(std::move(check)) {}
  const netcheck::IpAddress& address() const;
  // Sends `request` to this address (pinned, with the run's timeout, trust
  // and client), and its answer to `on_answer`. Before TCP connected, it is
  // the exchange: its answer is then the address's HTTP evidence (once TLS
  // verified). After, the exchange went as GET / and this follows it, on
  // that connection when the server kept it alive (should the exchange not
  // verify, `on_answer` gets the exchange's failed answer instead). Should
  // TCP or TLS have failed, `on_answer` hears so (not delivered) on the
  // loop's next turn, and nothing is sent.
  void send(netcheck::HttpRequest request,
            std::function<void(const netcheck::HttpResponse&)> on_answer);

 private:
  std::shared_ptr<AddressCheck> check_;
};

// Called as an address's checks start (when TLS is checked): whoever wants
// the address's exchange keeps `exchange` and sends through it; an exchange
// with nothing sent by the time TCP connects is GET /.
using ExchangeClaim =
    std::function<void(const TargetEvidence&, std::size_t index, AddressExchange exchange)>;

struct GatherSettings {
  netcheck::Duration step_timeout{};           // each of DNS, TCP, TLS, HTTP
  std::vector<netcheck::DnsServer> resolvers;  // empty: no DNS possible
  // Read when an address's checks start and when its TCP connects, always
  // from the loop: the caller may fill it after start_targets, before the
  // loop runs. Null: no TLS (nor HTTPS).
  std::shared_ptr<const TlsState> tls;
  // A name that answers with hundreds of addresses must not open hundreds of
  // sockets; the rest are listed in the evidence, not probed.
  std::size_t max_addresses_per_target = 16;
  // The run's HTTP client (one connection cache).
  std::shared_ptr<netcheck::HttpClient> client;
  std::string user_agent;
  AnswerCallback on_answer;
  VerifiedCallback on_verified;
  ExchangeClaim claim;  // empty: every address gets GET /
};

// The proxy the agent sends HTTPS through, and what it exempts.
struct ProxyRoute {
  std::string curl_url;  // with credentials, for libcurl only
  std::string redacted;  // for the evidence
  netcheck::NoProxy no_proxy;
};

// Adds every target's first task to `loop`: its DNS queries leave at once;
// the addresses known without DNS (IP literals, /etc/hosts pins) start from
// the loop, like every other. `out` is resized to one entry per target and
// must outlive the loop's run; follow-up tasks (TCP per address, the HTTPS
// exchange per connected socket) are added as answers arrive.
void start_targets(netcheck::EventLoop& loop, const std::vector<Target>& targets,
                   const GatherSettings& settings, std::vector<TargetEvidence>* out);

// For every target that `route` does not exempt, the path through the proxy
// (CONNECT, TLS in the tunnel, the HTTPS request) into
// TargetEvidence::proxy_path; exempt ones get no_proxy_match. Call after
// start_targets; `out` as there.
void start_proxy_paths(netcheck::EventLoop& loop, const ProxyRoute& route,
                       const GatherSettings& settings, std::vector<TargetEvidence>* out);

// The HTTPS request each endpoint gets: GET / (any answer proves the path),
// unless its exchange was claimed (the signed call).
netcheck::HttpRequest endpoint_request(const Target& target, const GatherSettings& settings);

// Asks `vpc_resolvers` for every target name that was looked up in DNS, into
// TargetEvidence::vpc_dns. Call after start_targets; `out` as there.
void start_vpc_dns(netcheck::EventLoop& loop, const std::vector<netcheck::DnsServer>& vpc_resolvers,
                   netcheck::Duration timeout, std::vector<TargetEvidence>* out);

}  // namespace ssmreach
