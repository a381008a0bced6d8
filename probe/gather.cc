#include "probe/gather.h"

namespace ssmreach {

namespace {

// TCP to one address, then TLS on the connected socket.
void start_address(netcheck::EventLoop& loop, const GatherSettings& settings,
                   TargetEvidence* target, std::size_t index) {
  const AddressEvidence& address = target->addresses[index];
  auto* loop_ptr = &loop;
  auto tls = settings.tls;
  auto timeout = settings.step_timeout;
  loop.add(netcheck::make_tcp_task(
      address.ip, target->target.port, timeout,
      [loop_ptr, tls, timeout, target, index](netcheck::TcpResult result,
                                              netcheck::UniqueFd socket) {
        bool connected = result.outcome == netcheck::TcpOutcome::ok && socket.valid();
        target->addresses[index].tcp = std::move(result);
        if (!connected || tls == nullptr) return;
        loop_ptr->add(netcheck::make_tls_task(
            *tls, std::move(socket), target->target.host, timeout,
            [target, index](netcheck::TlsResult tls_result, netcheck::UniqueFd) {
              target->addresses[index].tls = std::move(tls_result);
            }));
      }));
}

void start_addresses(netcheck::EventLoop& loop, const GatherSettings& settings,
                     TargetEvidence* target, const std::vector<netcheck::IpAddress>& ips,
                     const char* source) {
  target->addresses.clear();
  for (const auto& ip : ips) {
    if (target->addresses.size() == settings.max_addresses_per_target) break;
    target->addresses.push_back(
        AddressEvidence{ip, source, std::nullopt, std::nullopt, std::nullopt});
  }
  // Only after the vector is complete: callbacks hold indices into it.
  for (std::size_t i = 0; i < target->addresses.size(); ++i)
    start_address(loop, settings, target, i);
}

}  // namespace

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
      start_addresses(loop, settings, target, {*literal}, "literal");
      continue;
    }

    // A stub resolver consults /etc/hosts first and DNS only when the name
    // is not there. DNS is still asked for a pinned name: the report shows
    // what the pin overrides.
    target->hosts = netcheck::lookup_hosts_file(host).addresses;
    bool pinned = !target->hosts.empty();
    if (pinned) start_addresses(loop, settings, target, target->hosts, "hosts");

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
