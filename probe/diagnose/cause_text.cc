// The texts of each cause: headline, what was seen, why it happens and the
// remedy, with this instance's real IDs filled into the AWS CLI commands.
#include "probe/diagnose/cause_text.h"

#include <openssl/x509_vfy.h>

#include <algorithm>
#include <string>
#include <vector>

#include "probe/diagnose/cert_problem.h"
#include "probe/diagnose/ip_family.h"
#include "probe/plan/endpoint_names.h"
#include "probe/util/text_util.h"

namespace ssmreach::diagnosis_detail {

std::string time_sync_remedy() {
  return "Fix time sync: point chrony at the Amazon Time Sync Service (\"server "
         "169.254.169.123 prefer iburst\" in /etc/chrony.conf), restart it (the service is "
         "chrony on Debian and Ubuntu) and check the offset:\n"
         "$ sudo systemctl restart chronyd\n"
         "$ chronyc tracking\n"
         "$ timedatectl";
}

namespace {

using netcheck::DnsOutcome;

std::string s_client(const TargetContext& ctx, const netcheck::IpAddress& ip,
                     bool show_certs = false) {
  return "$ openssl s_client -connect " + ip_port(ip, ctx.port()) + " -servername " + ctx.host() +
         (show_certs ? " -showcerts" : "") + " </dev/null";
}

// The servers a DNS result names with a given outcome (or all asked ones).
std::vector<std::string> dns_servers_with(const TargetContext& ctx,
                                          const std::vector<DnsOutcome>& outcomes) {
  std::vector<std::string> out;
  if (ctx.target.dns) {
    for (const auto& answer : ctx.target.dns->servers) {
      if (outcomes.empty()
              ? answer.outcome != DnsOutcome::skipped
              : std::find(outcomes.begin(), outcomes.end(), answer.outcome) != outcomes.end()) {
        out.push_back(resolver_label(answer.server, ctx.facts));
      }
    }
  }
  if (out.empty() && ctx.target.dns && ctx.target.dns->answered_by) {
    out.push_back(resolver_label(*ctx.target.dns->answered_by, ctx.facts));
  }
  if (out.empty()) {
    for (const auto& server : ctx.evidence.context.resolvers) {
      out.push_back(resolver_label(server, ctx.facts));
    }
  }
  if (out.empty()) out.push_back("the resolver");
  return out;
}

bool any_amazon_resolver(const TargetContext& ctx) {
  if (ctx.target.dns) {
    for (const auto& answer : ctx.target.dns->servers) {
      if (is_amazon_resolver(answer.server, ctx.facts)) return true;
    }
  }
  for (const auto& server : ctx.evidence.context.resolvers) {
    if (is_amazon_resolver(server, ctx.facts)) return true;
  }
  return false;
}

// The first resolver text of `servers` without its label, for commands.
std::string first_server_ip(const TargetContext& ctx, const std::vector<DnsOutcome>& outcomes) {
  if (ctx.target.dns) {
    for (const auto& answer : ctx.target.dns->servers) {
      if (std::find(outcomes.begin(), outcomes.end(), answer.outcome) != outcomes.end()) {
        return answer.server.address.text;
      }
    }
    if (ctx.target.dns->answered_by) return ctx.target.dns->answered_by->address.text;
  }
  if (!ctx.evidence.context.resolvers.empty()) {
    return ctx.evidence.context.resolvers.front().address.text;
  }
  return "169.254.169.253";
}

std::string source_phrase(const Finding& f) {
  if (f.evidence->source == "hosts") return "The address comes from /etc/hosts";
  if (f.evidence->source == "literal") return "The address is given literally (--endpoint)";
  return "";
}

}  // namespace

// ---------------------------------------------------------------- DNS

std::string dns_outcome_words(DnsOutcome outcome) {
  switch (outcome) {
    case DnsOutcome::ok:
      return "it resolves";
    case DnsOutcome::nxdomain:
      return "NXDOMAIN";
    case DnsOutcome::no_address:
      return "no address record";
    case DnsOutcome::servfail:
      return "SERVFAIL";
    case DnsOutcome::refused:
      return "REFUSED";
    case DnsOutcome::timeout:
      return "no answer";
    case DnsOutcome::unreachable:
      return "resolver unreachable";
    case DnsOutcome::skipped:
      return "not asked";
    case DnsOutcome::error:
      break;
  }
  return "an error";
}

namespace {

// The texts of the configured resolver's failures, one per cause.
struct DnsTexts {
  const TargetContext& ctx;
  const std::string& host;
  const std::string region;
  const RunContext& context;

  explicit DnsTexts(const TargetContext& target)
      : ctx(target),
        host(target.host()),
        region(target.region()),
        context(target.evidence.context) {}

  CauseText no_resolver() const;
  CauseText nxdomain() const;
  void name_kind_nxdomain(CauseText& t) const;
  CauseText servfail() const;
  CauseText timeout() const;
  CauseText no_address() const;
  CauseText unreachable() const;
  CauseText error() const;
};

CauseText DnsTexts::no_resolver() const {
  CauseText t;
  t.headline = "DNS: no resolver is configured on this instance.";
  t.what =
      "No DNS server is configured" +
      (context.resolvers_error.empty() ? std::string(".") : ": " + context.resolvers_error + ".");
  t.why = "Nothing on this instance can resolve names, so no AWS endpoint can be found.";
  t.remedy =
      "Add the Amazon-provided resolver to /etc/resolv.conf (\"nameserver 169.254.169.253\"), "
      "or fix what writes that file (DHCP options set, NetworkManager, systemd-resolved). "
      "To test another resolver, pass --dns-server.";
  return t;
}

CauseText DnsTexts::nxdomain() const {
  CauseText t;
  const auto servers = dns_servers_with(ctx, {DnsOutcome::nxdomain});
  const std::string server_ip = first_server_ip(ctx, {DnsOutcome::nxdomain});
  t.headline = "DNS: " + host + " does not exist (NXDOMAIN).";
  t.what = "The resolver " + servers.front() + " says " + host + " does not exist.";
  if (context.region.source == "imds" && ctx.target.target.host_source != "--endpoint") {
    t.why =
        "The region comes from IMDS, so the name is right: a private hosted zone for "
        "amazonaws.com (or for this name) hides the public record unless it holds this "
        "one, or the resolver forwards to a DNS server that does not know it.";
  } else if (ctx.target.target.host_source == "--endpoint") {
    t.why =
        "The name comes from --endpoint: check its spelling, or a private hosted zone "
        "that covers it lacks the record.";
  } else {
    t.why = "The name is built from the region " + region +
            (context.region.source.empty() ? "" : " (from " + context.region.source + ")") +
            ": a mistyped region gives a name that does not exist, and a private hosted zone "
            "for amazonaws.com hides the public record unless it holds this one.";
  }
  t.remedy = "Check the region (" + region +
             ") and any endpoint override (--endpoint, or the agent's "
             "/etc/amazon/ssm/amazon-ssm-agent.json). If the VPC uses a private hosted zone "
             "for amazonaws.com, it must contain this record.\n"
             "$ nslookup " +
             host + " " + server_ip;
  name_kind_nxdomain(t);
  return t;
}

// FIPS and dual-stack names exist only where AWS offers them.
void DnsTexts::name_kind_nxdomain(CauseText& t) const {
  const std::string standard = ctx.service() + "." + region + "." + context.partition_suffix;
  if (is_fips_name(host) && fips_endpoints(region) != FipsEndpoints::own_name) {
    const auto& endpoints = context.agent.config.endpoints;
    const auto override_it = endpoints.find(ctx.service());
    const bool from_config =
        ctx.target.target.host_source == "agent-config" && override_it != endpoints.end();
    t.why = "It is a FIPS name, and Systems Manager has FIPS endpoints only in " +
            fips_regions_text() + " (in AWS GovCloud (US) the standard names are FIPS), not in " +
            region + ".";
    t.remedy =
        "Use the standard name " + standard + ": " +
        (from_config ? "correct " + override_it->second.setting.source()
                     : std::string("drop the FIPS request (--fips, AWS_USE_FIPS_ENDPOINT)")) +
        ", then restart the agent.\n"
        "$ sudo grep -n fips " +
        (context.agent.config.file.empty() ? std::string("/etc/amazon/ssm/amazon-ssm-agent.json")
                                           : context.agent.config.file) +
        "\n$ sudo systemctl restart amazon-ssm-agent";
  } else if (is_dualstack_name(host)) {
    t.why += " It is a dual-stack name: if this region has no dual-stack endpoint for " +
             ctx.service() + ", the agent needs the standard name " + standard +
             " (Agent.UseDualStackEndpoint false).";
  }
}

CauseText DnsTexts::servfail() const {
  CauseText t;
  const bool refused = ctx.target.dns && ctx.target.dns->outcome == DnsOutcome::refused;
  const auto servers = dns_servers_with(ctx, {DnsOutcome::servfail, DnsOutcome::refused});
  const std::string server_ip = first_server_ip(ctx, {DnsOutcome::servfail, DnsOutcome::refused});
  const std::string code = refused ? "REFUSED" : "SERVFAIL";
  t.headline = "DNS: " + servers.front() + " answered " + code + " for " + host + ".";
  if (refused) {
    t.what = "The resolver " + list_and(servers) + " refuses to answer for " + host + " (REFUSED).";
    t.why =
        "It is not set up to serve this client or this name (an access list, or a "
        "forwarding-only server without a rule for amazonaws.com).";
  } else {
    t.what = "The resolver " + list_and(servers) + " could not answer for " + host + " (SERVFAIL).";
    t.why =
        "It failed to get an answer upstream: a broken forwarder or Route 53 Resolver "
        "rule for amazonaws.com, or a DNSSEC validation failure.";
  }
  t.remedy =
      "Make the resolver forward amazonaws.com to the Amazon-provided resolver "
      "(169.254.169.253 or the VPC base address plus 2) and check its logs and forwarding "
      "rules.\n"
      "$ nslookup " +
      host + " " + server_ip;
  return t;
}

CauseText DnsTexts::timeout() const {
  CauseText t;
  const auto servers = dns_servers_with(ctx, {DnsOutcome::timeout});
  t.headline = "DNS: no answer for " + host + " within " + ctx.timeout_text() + ".";
  t.what = "No answer from " + list_and(servers) + " within " + ctx.timeout_text() + ".";
  if (any_amazon_resolver(ctx)) {
    t.why =
        "The Amazon-provided resolver answers every instance in a VPC, so silence means "
        "DNS support is turned off for the VPC (enableDnsSupport) or a local firewall "
        "drops DNS.";
    t.remedy =
        "Check the VPC's DNS support and this instance's firewall (UDP and TCP 53):\n"
        "$ aws ec2 describe-vpc-attribute --region " +
        region + " --vpc-id " + ctx.facts.vpc_id +
        " --attribute enableDnsSupport\n"
        "$ nslookup " +
        host + " 169.254.169.253";
  } else {
    t.why =
        "The resolver is down, or a security group, network ACL or local firewall drops "
        "DNS (UDP and TCP 53) between this instance and it.";
    t.remedy =
        "Check that the resolver is up and reachable on UDP and TCP 53 (security group "
        "and network ACL of a custom DNS server), and that /etc/resolv.conf names the "
        "right one. The Amazon-provided resolver is 169.254.169.253.\n"
        "$ nslookup " +
        host + " 169.254.169.253";
  }
  return t;
}

CauseText DnsTexts::no_address() const {
  CauseText t;
  const auto servers = dns_servers_with(ctx, {DnsOutcome::no_address});
  const std::string server_ip = first_server_ip(ctx, {DnsOutcome::no_address});
  t.headline = "DNS: " + host + " exists but has no address record.";
  t.what = "The resolver " + servers.front() + " knows " + host +
           " but returns no A or AAAA record for it.";
  t.why =
      "A private hosted zone or a custom DNS server holds the name without an address; "
      "the public AWS record always has one.";
  t.remedy =
      "Find the zone that holds the name (private hosted zones of this VPC, or the "
      "custom resolver's zones) and add an alias to the interface endpoint, or remove "
      "the override.\n"
      "$ aws route53 list-hosted-zones-by-vpc --region " +
      region + " --vpc-id " + ctx.facts.vpc_id + " --vpc-region " + region +
      "\n"
      "$ nslookup " +
      host + " " + server_ip;
  return t;
}

CauseText DnsTexts::unreachable() const {
  CauseText t;
  const auto servers = dns_servers_with(ctx, {DnsOutcome::unreachable});
  const std::string server_ip = first_server_ip(ctx, {DnsOutcome::unreachable});
  t.headline = "DNS: resolver " + servers.front() + " is unreachable.";
  t.what = "Queries to " + list_and(servers) +
           " are rejected: port 53 is closed there, or ICMP says it cannot be reached.";
  if (server_ip == "127.0.0.53") {
    t.why = "127.0.0.53 is the stub of systemd-resolved, which is not running.";
    t.remedy =
        "Start systemd-resolved, or point /etc/resolv.conf at a running resolver "
        "(the Amazon-provided one is 169.254.169.253).\n"
        "$ systemctl status systemd-resolved";
  } else {
    t.why = "No DNS server runs at that address, or a firewall rejects the queries.";
    t.remedy =
        "Point /etc/resolv.conf (or the VPC's DHCP options set) at a running "
        "resolver; the Amazon-provided one is 169.254.169.253.\n"
        "$ nslookup " +
        host + " 169.254.169.253";
  }
  return t;
}

// dns.error and anything unforeseen.
CauseText DnsTexts::error() const {
  CauseText t;
  std::string error;
  if (ctx.target.dns) {
    for (const auto& answer : ctx.target.dns->servers) {
      if (!answer.error.empty()) {
        error = answer.error;
        break;
      }
    }
  }
  t.headline = "DNS: the lookup of " + host + " failed.";
  t.what = "The DNS lookup of " + host + " failed" +
           (error.empty() ? (ctx.target.dns ? std::string(".") : ": no answer was recorded.")
                          : ": " + error + ".");
  t.why = "The resolver's answer could not be used.";
  t.remedy = "Check what the resolver returns:\n$ nslookup " + host;
  return t;
}

}  // namespace

namespace {

// An instance that reaches only IPv6 cannot reach an IPv4 resolver: the
// Amazon-provided one answers it at fd00:ec2::253.
void ipv6_only_resolver(const TargetContext& ctx, CauseText& t) {
  const auto& resolvers = ctx.evidence.context.resolvers;
  const bool all_v4 = !resolvers.empty() &&
                      std::all_of(resolvers.begin(), resolvers.end(),
                                  [](auto& r) { return r.address.family == netcheck::Family::v4; });
  if (!ctx.ipv6_works || !all_v4 || ipv4_answered(ctx.evidence)) return;
  t.why =
      "This instance reaches only IPv6 (an IPv6-only subnet), and every resolver it asks is "
      "an IPv4 address it has no route to: the Amazon-provided resolver answers it at "
      "fd00:ec2::253.";
  t.remedy =
      "Name the Amazon-provided resolver's IPv6 address in /etc/resolv.conf (\"nameserver "
      "fd00:ec2::253\", as DHCPv6 gives it in an IPv6-only subnet):\n$ nslookup " +
      ctx.host() + " fd00:ec2::253";
}

}  // namespace

CauseText dns_text(Cause cause, const TargetContext& ctx) {
  const DnsTexts texts(ctx);
  if (cause == Cause::dns_timeout || cause == Cause::dns_unreachable || cause == Cause::dns_error) {
    CauseText t = cause == Cause::dns_timeout       ? texts.timeout()
                  : cause == Cause::dns_unreachable ? texts.unreachable()
                                                    : texts.error();
    ipv6_only_resolver(ctx, t);
    return t;
  }
  switch (cause) {
    case Cause::dns_no_resolver:
      return texts.no_resolver();
    case Cause::dns_nxdomain:
      return texts.nxdomain();
    case Cause::dns_servfail:
      return texts.servfail();
    case Cause::dns_timeout:
      return texts.timeout();
    case Cause::dns_no_address:
      return texts.no_address();
    case Cause::dns_unreachable:
      return texts.unreachable();
    default:  // dns.error and anything unforeseen
      return texts.error();
  }
}

// ---------------------------------------------------------------- addresses

std::string class_subject(const Finding& f) {
  const std::string& ip = f.evidence->ip.text;
  if (f.address_class == "vpc") return "VPC address " + ip;
  if (f.address_class == "private") return "private address " + ip;
  if (f.address_class == "public") return "public address " + ip;
  if (f.address_class == "loopback") return "loopback address " + ip;
  if (f.address_class == "link-local") return "link-local address " + ip;
  if (f.address_class == "nat64") return "NAT64 address " + ip;
  return ip;
}

namespace {

// The texts of a failing address, one per cause; `subject` names it in the
// headline ("VPC address 10.40.1.11", "all 2 addresses").
struct AddressTexts {
  const Finding& f;
  const std::string& subject;
  const TargetContext& ctx;
  const netcheck::IpAddress& ip;
  const std::string port;      // "443"
  const std::string tcp_port;  // "TCP 443"
  const std::string region;
  const std::string& host;
  const std::string& cls;          // the address class
  const netcheck::TlsResult& tls;  // empty without TLS evidence
  const std::string reason;        // OpenSSL's reason for a failed handshake

  AddressTexts(const Finding& finding, const std::string& name, const TargetContext& target)
      : f(finding),
        subject(name),
        ctx(target),
        ip(finding.evidence->ip),
        port(std::to_string(target.port())),
        tcp_port("TCP " + port),
        region(target.region()),
        host(target.host()),
        cls(finding.address_class),
        tls(finding.evidence->tls ? *finding.evidence->tls : no_tls()),
        reason(openssl_reason(tls.error)) {}

  static const netcheck::TlsResult& no_tls() {
    static const netcheck::TlsResult empty;
    return empty;
  }

  // Why certificates outside their validity point at this instance's clock.
  std::string clock_why() const {
    return "Certificates of " + count_of(ctx.clock_hosts, "host", "hosts") +
           " are outside their validity at this instance's time, so this instance's clock is "
           "the likely culprit.";
  }

  CauseText not_probed(bool tls_layer) const;
  CauseText http_failure(bool timeout) const;
  CauseText tcp_timeout() const;
  CauseText tcp_refused() const;
  CauseText tcp_unreachable() const;
  CauseText tcp_error() const;
  CauseText tls_timeout() const;
  CauseText tls_protocol() const;
  CauseText tls_closed() const;
  CauseText tls_error() const;
  CauseText tls_untrusted() const;
  CauseText tls_hostname_mismatch() const;
  CauseText tls_expired() const;
  CauseText tls_not_yet_valid() const;
  CauseText tls_verify_failed() const;
};

CauseText AddressTexts::not_probed(bool tls_layer) const {
  CauseText t;
  t.headline = capitalized(subject) + " was not probed before the run ended.";
  t.what = "The run ended before " +
           std::string(tls_layer ? "the TLS handshake with " : "TCP " + port + " to ") + ip.text +
           " was tried.";
  t.why = "Its result is unknown, not proven bad.";
  t.remedy = "Run ssm-reach again, with a larger --timeout if the network is slow.";
  return t;
}

CauseText AddressTexts::http_failure(bool timeout) const {
  CauseText t;
  const auto& http = *f.evidence->http;
  t.headline =
      timeout ? "No HTTP answer from " + subject + " after TLS (" + seconds_text(http.ms) + ")."
              : "HTTPS request to " + subject + " failed after TLS.";
  t.what =
      "TCP " + port + " and the TLS handshake with " + ip.text + " succeed, but " +
      (timeout ? "an HTTPS request to " + host + " got no answer in " + seconds_text(http.ms) + "."
               : "the HTTPS request to " + host + " failed (" + http.error + ").");
  t.why =
      "Something that terminates or inspects connections on the way (a firewall with "
      "deep packet inspection, an overloaded endpoint) accepts them but does not pass "
      "requests on.";
  t.remedy = "Retry by hand; if it persists, look for a device between this instance and " +
             ip.text + ":\n$ curl -sv --resolve " + host + ":" + port + ":" +
             (ip.family == netcheck::Family::v6 ? "[" + ip.text + "]" : ip.text) + " https://" +
             host + "/ -o /dev/null";
  return t;
}

CauseText AddressTexts::tcp_timeout() const {
  CauseText t;
  const double ms = f.evidence->tcp ? f.evidence->tcp->ms : ctx.evidence.context.timeout_s * 1e3;
  t.headline = tcp_port + " to " + subject + " timed out (" + seconds_text(ms) + ").";
  t.what = tcp_port + " to " + ip.text + " got no answer in " + seconds_text(ms) +
           ": something on the way silently drops it.";
  const std::string describe = "$ aws ec2 describe-vpc-endpoints --region " + region +
                               " --filters Name=vpc-id,Values=" + ctx.facts.vpc_id +
                               " Name=service-name,Values=" + ctx.endpoint_service() +
                               " --query 'VpcEndpoints[].Groups'";
  // The endpoint's groups' inbound rules: what lets (or does not let) 443 in.
  const std::string rules = "$ aws ec2 describe-security-group-rules --region " + region +
                            " --filters Name=group-id,Values=<endpoint-sg-id>" +
                            " --query 'SecurityGroupRules[?!IsEgress]'";
  const std::string authorize = "$ aws ec2 authorize-security-group-ingress --region " + region +
                                " --group-id <endpoint-sg-id> --protocol tcp --port " + port +
                                " --source-group " + ctx.facts.security_group_id;
  if (cls == "vpc") {
    t.why =
        "The address is in this VPC, so the interface endpoint and its Private DNS exist; "
        "its security group, a subnet's network ACL, or this instance's outbound rules "
        "drop " +
        tcp_port + " from " + ctx.facts.this_instance() + ".";
    t.remedy = "Allow inbound " + tcp_port +
               " from this instance in the endpoint's security group, and check the network "
               "ACLs of both subnets and this instance's outbound rules. Find the endpoint's "
               "groups and their rules, then allow this instance:\n" +
               describe + "\n" + rules + "\n" + authorize;
  } else if (cls == "private" && ctx.facts.vpc_cidrs.empty()) {
    // Without IMDS there are no VPC CIDRs: in this VPC or another, unknown.
    t.why =
        "The address is private; without the VPC's CIDRs (IMDS did not tell them) it may "
        "be an endpoint in this VPC or in another one. An endpoint security group, a "
        "network ACL, a route or this instance's outbound rules drop " +
        tcp_port + ".";
    t.remedy = "Allow inbound " + tcp_port +
               " from this instance in the endpoint's security group, and check the routes "
               "and network ACLs on the way:\n"
               "$ ip route get " +
               ip.text + "\n" + describe + "\n" + authorize;
  } else if (cls == "private") {
    t.why =
        "The address is private but outside this VPC (a peered VPC, Transit Gateway or "
        "on-premises endpoint): a route, security group or network ACL on the way "
        "drops " +
        tcp_port + ".";
    t.remedy = "Check the routes between the VPCs (both directions) and allow inbound " + tcp_port +
               " from this instance in the endpoint's security group (in the VPC that holds "
               "the endpoint):\n"
               "$ ip route get " +
               ip.text + "\n" + authorize;
  } else if (cls == "public") {
    t.why =
        "The name resolves to a public address, so this VPC has no interface endpoint "
        "with Private DNS for " +
        ctx.service() +
        ", and the subnet has no working way out (NAT gateway, internet gateway or "
        "proxy), or a security group or network ACL drops it.";
    t.remedy = "Create an interface endpoint for " + ctx.service() +
               " with Private DNS in this VPC, or give the subnet a route to a NAT gateway:\n"
               "$ aws ec2 create-vpc-endpoint --region " +
               region + " --vpc-id " + ctx.facts.vpc_id +
               " --vpc-endpoint-type Interface --service-name " + ctx.endpoint_service() +
               " --subnet-ids " + ctx.facts.subnet_id +
               " --security-group-ids <endpoint-sg-id> --private-dns-enabled\n"
               "$ aws ec2 describe-route-tables --region " +
               region + " --filters Name=association.subnet-id,Values=" + ctx.facts.subnet_id +
               " --query 'RouteTables[].Routes'";
  } else if (cls == "nat64") {
    t.why = "The address is a DNS64 answer (the name has no IPv6 address of its own). " +
            nat64_why(tcp_port);
    t.remedy = nat64_route_remedy(ctx);
  } else {
    t.why = "A firewall or route on the way drops it.";
    t.remedy = "Check this instance's firewall and what should answer at " + ip.text + ":\n" +
               "$ sudo iptables -S OUTPUT\n$ sudo nft list ruleset";
  }
  return t;
}

CauseText AddressTexts::tcp_refused() const {
  CauseText t;
  t.headline = capitalized(subject) + " refused " + tcp_port + " (nothing listens).";
  t.what = ip.text + " answered " + tcp_port + " with a reset: nothing listens there.";
  std::string intro = source_phrase(f);
  if (ctx.port() != 443) {
    t.why =
        "AWS endpoints listen on port 443 only, and the endpoint override names port " + port + ".";
  } else if (!intro.empty()) {
    t.why = intro +
            "; interface endpoints and AWS endpoints always listen on 443, so it is stale or "
            "wrong, or a firewall rejects the connection.";
  } else {
    t.why = "AWS endpoints always listen on 443, so " + ip.text +
            " is not one (a DNS record for the wrong host), or a firewall rejects the "
            "connection (AWS Network Firewall reject action, iptables REJECT).";
  }
  t.remedy = "Check where " + host +
             " points and any override (--endpoint, /etc/hosts, "
             "/etc/amazon/ssm/amazon-ssm-agent.json), and look for rules that reject:\n"
             "$ getent hosts " +
             host + "\n$ sudo iptables -S OUTPUT";
  return t;
}

CauseText AddressTexts::tcp_unreachable() const {
  CauseText t;
  const std::string err = f.evidence->tcp ? f.evidence->tcp->errno_name : "";
  const std::string err_note = err.empty() ? "" : " (" + err + ")";
  if (err == "EPERM" || err == "EACCES") {
    t.headline = "This instance's firewall blocks " + tcp_port + " to " + ip.text + ".";
    t.what = "connect() to " + ip.text + " was refused by this instance itself" + err_note + ".";
    t.why =
        "A local iptables or nftables OUTPUT rule (or a security module) blocks traffic "
        "to " +
        ip_port(ip, ctx.port()) + ".";
    t.remedy = "Find and remove the rule:\n$ sudo iptables -S OUTPUT\n$ sudo nft list ruleset";
  } else if (f.ipv6_no_route) {
    t.headline = "No IPv6 route on this instance to " + subject + ".";
    t.what = "This instance has no IPv6 route or address, so " + ip.text + " cannot be reached" +
             err_note + ".";
    const auto& answer = ctx.target.dns ? ctx.target.dns->addresses : ctx.target.hosts;
    const bool aaaa_only =
        !answer.empty() && std::all_of(answer.begin(), answer.end(),
                                       [](auto& a) { return a.family == netcheck::Family::v6; });
    if (aaaa_only && (cls == "vpc" || cls == "private")) {
      t.why =
          "The name has only IPv6 addresses (AAAA records): an interface endpoint whose IP "
          "address type is IPv6 (DnsRecordIpType ipv6) serves only IPv6 clients.";
      t.remedy =
          "Give the instance an IPv6 address (its subnet needs an IPv6 CIDR block), or make "
          "the endpoint dual-stack:\n$ ip -6 route\n"
          "$ aws ec2 modify-vpc-endpoint --region " +
          region +
          " --vpc-endpoint-id <vpce-id> --ip-address-type dualstack --dns-options "
          "DnsRecordIpType=dualstack";
    } else {
      t.why = aaaa_only ? "The name has only IPv6 addresses (AAAA records) here."
                        : "The name offers only IPv6 addresses here, or every IPv4 address "
                          "fails as well.";
      t.remedy =
          "Give the instance an IPv6 address (its subnet needs an IPv6 CIDR block), or "
          "make the name resolve to IPv4 addresses.\n$ ip -6 route";
    }
  } else if (err == "ENETUNREACH" || err == "EADDRNOTAVAIL") {
    t.headline = "No route on this instance to " + subject + ".";
    t.what = "This instance has no route to " + ip.text + err_note + ".";
    t.why = "Its routing table has no entry (and no default route) that covers the address.";
    t.remedy = "Check the routing table on the instance:\n$ ip route get " + ip.text;
  } else {
    t.headline = tcp_port + " to " + subject + " is unreachable" + err_note + ".";
    t.what = tcp_port + " to " + ip.text + " failed: host unreachable" + err_note + ".";
    t.why =
        "A router or firewall answered with ICMP unreachable, or the address does not "
        "answer ARP or neighbour discovery.";
    t.remedy = "Check the route to " + ip.text +
               " on the instance and the subnet's route table:\n"
               "$ ip route get " +
               ip.text +
               "\n"
               "$ aws ec2 describe-route-tables --region " +
               region + " --filters Name=association.subnet-id,Values=" + ctx.facts.subnet_id;
  }
  return t;
}

CauseText AddressTexts::tcp_error() const {
  CauseText t;
  const std::string err = f.evidence->tcp ? f.evidence->tcp->errno_name : "";
  t.headline =
      tcp_port + " to " + subject + " failed" + (err.empty() ? "" : " (" + err + ")") + ".";
  t.what = "connect() to " + ip.text + " failed" + (err.empty() ? "" : ": " + err) + ".";
  t.why =
      "This is an error on this instance (resources or network stack), not a verdict on "
      "the path.";
  t.remedy =
      "Check the instance's limits (open files, ephemeral ports) and run ssm-reach "
      "again.";
  return t;
}

CauseText AddressTexts::tls_timeout() const {
  CauseText t;
  t.headline = "TLS handshake with " + subject + " timed out (" + seconds_text(tls.ms) + ").";
  t.what = tcp_port + " to " + ip.text + " connected, but the TLS handshake did not finish in " +
           seconds_text(tls.ms) + ".";
  t.why =
      "A firewall that inspects TLS is stalling it, or large packets are lost on the way "
      "(path MTU: the certificate needs full-size packets, the SYN did not).";
  t.remedy =
      "Check the MTU on the path (1500 or less across VPN and Transit Gateway, with "
      "ICMP \"fragmentation needed\" allowed) and any TLS inspection on the way:\n"
      "$ ip link show\n"
      "$ tracepath -n " +
      ip.text + "\n" + s_client(ctx, ip);
  return t;
}

CauseText AddressTexts::tls_protocol() const {
  CauseText t;
  t.headline = capitalized(subject) + " does not speak TLS on port " + port + ".";
  t.what = ip.text + " accepted " + tcp_port + " but did not complete a TLS 1.2+ handshake" +
           (reason.empty() ? "" : " (" + reason + ")") + ".";
  if (contains(reason, "wrong version number") || contains(reason, "http request")) {
    t.why =
        "\"wrong version number\" means the answer was not TLS at all, usually plain HTTP: "
        "a proxy or web server, not an AWS endpoint.";
  } else if (contains(reason, "protocol version") || contains(reason, "unsupported protocol") ||
             contains(reason, "no protocols available") || contains(reason, "cipher")) {
    t.why =
        "The peer only offers an old TLS version or cipher: an old proxy or inspection "
        "appliance, not an AWS endpoint.";
  } else {
    t.why = "Whatever listens there is not an AWS endpoint speaking TLS 1.2 or newer.";
  }
  t.remedy = "Find out what answers at " + ip_port(ip, ctx.port()) +
             ", then correct the address (/etc/hosts, --endpoint, DNS) or the device on the "
             "path:\n" +
             s_client(ctx, ip) + "\n$ curl -v http://" + ip_port(ip, ctx.port()) + "/";
  return t;
}

CauseText AddressTexts::tls_closed() const {
  CauseText t;
  t.headline = capitalized(subject) + " closed the connection during the TLS handshake.";
  t.what = ip.text + " accepted " + tcp_port +
           " but closed the connection during the TLS handshake" +
           (reason.empty() ? "" : " (" + reason + ")") + ".";
  t.why =
      "This is typical of a firewall that filters on the TLS server name (SNI), such as "
      "AWS Network Firewall with a domain allow-list, or of a proxy or middlebox that does "
      "not pass this traffic.";
  t.remedy = "Allow " + host +
             " (or .amazonaws.com) in the firewall's domain list. For AWS Network Firewall, "
             "check the TLS_SNI targets of its stateful rule groups:\n"
             "$ aws network-firewall describe-rule-group --region " +
             region + " --rule-group-name <rule-group> --type STATEFUL\n" + s_client(ctx, ip);
  return t;
}

CauseText AddressTexts::tls_error() const {
  CauseText t;
  t.headline = "TLS with " + subject + " failed on this instance.";
  t.what = "The TLS handshake with " + ip.text + " failed on this instance" +
           (reason.empty() ? "" : ": " + reason) + ".";
  t.why = "This is a local TLS error, not a verdict on the network path.";
  t.remedy = "Try the handshake by hand:\n" + s_client(ctx, ip);
  return t;
}

CauseText AddressTexts::tls_untrusted() const {
  CauseText t;
  const std::string issuer = issuer_name(tls);
  const auto& trust = ctx.evidence.context.trust_store;
  const std::string bundle =
      trust.embedded       ? trust.source
      : trust.path.empty() ? ""
                           : trust.path + (trust.source.empty() ? "" : " (" + trust.source + ")");

  t.headline = "Certificate issued by untrusted \"" + issuer + "\".";
  const bool amazon_issuer = tls.issuer_cn.empty() ? contains(tls.issuer, "O=Amazon")
                                                   : tls.issuer_cn.starts_with("Amazon");
  const bool self_signed =
      has_problem(tls, CertProblem::untrusted) &&
      std::any_of(tls.verify_errors.begin(), tls.verify_errors.end(),
                  [](const auto& e) { return e.code == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT; });
  if (trust.embedded) {
    t.what = "The certificate for " + host + " is issued by \"" + issuer +
             "\", and this system has no CA bundle: only ssm-reach's embedded Amazon "
             "Trust Services roots were trusted.";
    t.why =
        "Without a CA bundle the agent cannot verify any certificate either; a "
        "TLS-inspecting proxy or firewall (issuer \"" +
        issuer + "\") needs its CA in the system store.";
    t.remedy =
        "Install the ca-certificates package (and the inspecting CA, if this path is "
        "inspected), or pass --ca-file with the bundle the agent uses.";
  } else if (trust.path.empty() && !trust.embedded) {
    t.what = "The certificate for " + host + " is issued by \"" + issuer +
             "\", and no CA bundle was found to check it against" +
             (trust.error.empty() ? "" : " (" + trust.error + ")") + ".";
    t.why =
        "Without a trust store no certificate can be verified; the agent relies on the "
        "system store too.";
    t.remedy =
        "Install the ca-certificates package, or pass --ca-file with the bundle the "
        "agent uses.";
  } else if (amazon_issuer) {
    t.what = "The certificate for " + host + " is issued by \"" + issuer +
             "\", an Amazon CA, but the trust store " + bundle +
             " does not contain the root that signed it.";
    t.why =
        "The bundle is outdated, or a custom bundle without the public roots is in use "
        "(check AWS_CA_BUNDLE and SSL_CERT_FILE).";
    t.remedy =
        "Update the CA bundle (update-ca-trust on Amazon Linux and RHEL, "
        "update-ca-certificates on Debian, Ubuntu and SUSE), or add the Amazon root "
        "CAs from https://www.amazontrust.com/repository/ to " +
        trust.path + ".";
  } else if (self_signed) {
    t.headline = "Self-signed certificate \"" + issuer + "\" from " + ip.text + ".";
    t.what = ip.text + " serves a self-signed certificate (\"" + issuer + "\") for " + host + ".";
    t.why =
        "AWS endpoints never do: the address leads to another device, or a proxy or "
        "firewall answers in its place.";
    t.remedy = "Find out what answers at " + ip_port(ip, ctx.port()) +
               " and correct the address (/etc/hosts, --endpoint, DNS) or the device:\n" +
               s_client(ctx, ip, true);
  } else {
    t.what = "The certificate for " + host + " is issued by \"" + issuer +
             "\", which this instance does not trust.";
    t.why =
        "A TLS-inspecting proxy or firewall is intercepting the connection and re-signing "
        "it with its own CA.";
    t.remedy =
        "Exempt *.amazonaws.com from TLS inspection, or add the inspection CA to the "
        "trust store " +
        bundle +
        " (update-ca-trust on Amazon Linux and RHEL, update-ca-certificates on Debian, "
        "Ubuntu and SUSE).\n" +
        s_client(ctx, ip, true);
  }
  return t;
}

CauseText AddressTexts::tls_hostname_mismatch() const {
  CauseText t;
  t.headline = "Certificate at " + ip.text + " does not cover " + host + ".";
  std::string covered;
  if (!tls.sans.empty()) {
    std::vector<std::string> shown(
        tls.sans.begin(),
        tls.sans.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(3, tls.sans.size())));
    covered = list_and(shown);
    if (tls.sans.size() > 3) {
      covered = join(shown, ", ") + " and " + std::to_string(tls.sans.size() - 3) + " more";
    }
  } else if (!tls.subject.empty()) {
    covered = tls.subject;
  } else {
    covered = "other names";
  }
  t.what = "The certificate served at " + ip.text + " covers " + covered + ", not " + host + ".";
  if (f.evidence->source == "literal") {
    t.why =
        "The endpoint is given as an IP address, which an AWS certificate never covers; "
        "the agent would refuse it too.";
  } else if (f.evidence->source == "hosts") {
    t.why = "The address comes from /etc/hosts and belongs to another service.";
  } else {
    t.why =
        "The name leads to another service: a DNS record (for example in a private "
        "hosted zone) points at another endpoint's address, or --endpoint names the "
        "wrong host.";
  }
  t.remedy = "Make " + host + " lead to the " + ctx.service() +
             " endpoint (check /etc/hosts, private hosted zones and --endpoint):\n"
             "$ getent hosts " +
             host + "\n" + s_client(ctx, ip);
  return t;
}

CauseText AddressTexts::tls_expired() const {
  CauseText t;
  const std::string issuer = issuer_name(tls);
  t.headline =
      "Certificate expired " + tls.not_after + (ctx.clock_suspect ? " (check the clock)." : ".");
  t.what = "The certificate served for " + host + " expired on " + tls.not_after +
           ", by this instance's clock (" + ctx.now_text() +
           gap_note(ctx.evidence.context.started_at, tls.not_after, "later") + ").";
  if (ctx.clock_suspect) {
    t.why = clock_why();
    t.remedy = time_sync_remedy();
  } else {
    t.why =
        "AWS renews its certificates long before they expire, so either this instance's "
        "clock runs ahead, or a proxy or firewall serves an expired certificate of its "
        "own (issuer \"" +
        issuer + "\").";
    t.remedy =
        "Compare the clock with real time; if it is right, find the device that serves "
        "this certificate:\n$ timedatectl\n" +
        s_client(ctx, ip);
  }
  return t;
}

CauseText AddressTexts::tls_not_yet_valid() const {
  CauseText t;
  t.headline = "Certificate not valid before " + tls.not_before + " (check the clock).";
  t.what = "The certificate for " + host + " is valid only from " + tls.not_before +
           ", but this instance's clock says " + ctx.now_text() +
           gap_note(tls.not_before, ctx.evidence.context.started_at, "earlier") + ".";
  t.why = ctx.clock_suspect && ctx.clock_hosts >= 2
              ? clock_why()
              : std::string(
                    "AWS certificates are issued before they are served, so this "
                    "instance's clock is behind: it is the likely culprit.");
  t.remedy = time_sync_remedy();
  return t;
}

CauseText AddressTexts::tls_verify_failed() const {
  CauseText t;
  const auto* error = main_verify_error(tls);
  const std::string text = error ? error->text : "verification failed";
  t.headline = "Certificate rejected: " + text + ".";
  t.what = "The certificate for " + host + " failed verification: " + text +
           (error ? " (X509 error " + std::to_string(error->code) + ")" : std::string()) + ".";
  t.why =
      "The chain was served, but OpenSSL rejects it for a reason other than trust, name or "
      "dates.";
  t.remedy = "Inspect the chain:\n" + s_client(ctx, ip, true);
  return t;
}

}  // namespace

CauseText address_text(const Finding& f, const std::string& subject, const TargetContext& ctx) {
  const AddressTexts texts(f, subject, ctx);
  switch (f.cause.value_or(Cause::tls_verify_failed)) {
    case Cause::tcp_not_probed:
      return texts.not_probed(false);
    case Cause::tls_not_probed:
      return texts.not_probed(true);
    case Cause::tls_trust_store:
      return trust_store_text(ctx, true);
    case Cause::http_timeout:
      return texts.http_failure(true);
    case Cause::http_error:
      return texts.http_failure(false);
    case Cause::tcp_timeout:
      return texts.tcp_timeout();
    case Cause::tcp_refused:
      return texts.tcp_refused();
    case Cause::tcp_unreachable:
      return texts.tcp_unreachable();
    case Cause::tcp_error:
      return texts.tcp_error();
    case Cause::tls_timeout:
      return texts.tls_timeout();
    case Cause::tls_protocol:
      return texts.tls_protocol();
    case Cause::tls_closed:
      return texts.tls_closed();
    case Cause::tls_error:
      return texts.tls_error();
    case Cause::tls_untrusted:
      return texts.tls_untrusted();
    case Cause::tls_hostname_mismatch:
      return texts.tls_hostname_mismatch();
    case Cause::tls_expired:
      return texts.tls_expired();
    case Cause::tls_not_yet_valid:
      return texts.tls_not_yet_valid();
    default:  // tls.verify-failed
      return texts.tls_verify_failed();
  }
}

CauseText trust_store_text(const TargetContext& ctx, bool tcp_works) {
  const auto& trust = ctx.evidence.context.trust_store;
  CauseText t;
  t.headline = "TLS not checked: the trust store cannot be used.";
  t.what =
      (tcp_works ? "TCP " + std::to_string(ctx.port()) + " works, but TLS" : std::string("TLS")) +
      ", HTTPS and the signed call were not checked: " +
      (trust.error.empty() ? "the trust store cannot be used" : trust.error) + ".";
  t.why =
      "Without certificates to verify against, no handshake can be judged: whether this "
      "path works past TCP is unknown.";
  t.remedy =
      "Pass a PEM bundle that holds the CA certificates (--ca-file), or fix the one named; "
      "the system's is /etc/pki/tls/certs/ca-bundle.crt on Amazon Linux and RHEL, "
      "/etc/ssl/certs/ca-certificates.crt on Debian and Ubuntu:\n"
      "$ openssl storeutl -noout -certs " +
      (trust.path.empty() ? std::string("<bundle>") : trust.path);
  return t;
}

// ---------------------------------------------------------------- resolver comparison

std::string vpc_resolver_text(const TargetEvidence& te, const InstanceFacts& facts) {
  if (te.vpc_dns && te.vpc_dns->answered_by) return resolver_label(*te.vpc_dns->answered_by, facts);
  return "the Amazon-provided resolver";
}

CauseText bypass_text(const TargetContext& ctx, const std::string& configured_said) {
  const auto& te = ctx.target;
  const std::string vpc_ips = list_and(ip_texts(te.vpc_dns->addresses));
  const std::string vpc_resolver = vpc_resolver_text(te, ctx.facts);
  const std::string configured = list_and(dns_servers_with(ctx, {}));
  const std::string vpc_ip =
      te.vpc_dns->answered_by ? te.vpc_dns->answered_by->address.text : "169.254.169.253";
  CauseText t;
  t.headline =
      "DNS: the configured resolver bypasses the VPC's endpoint for " + ctx.service() + ".";
  t.what = "The configured resolver " + configured + " answers " + configured_said + " for " +
           ctx.host() + ", while this VPC's resolver " + vpc_resolver + " returns " + vpc_ips +
           ", the interface endpoint's addresses.";
  t.why =
      "The endpoint and its Private DNS exist, but the custom DNS server does not forward "
      "amazonaws.com names to the VPC resolver, so the agent never sees the private "
      "addresses.";
  t.remedy = "Make the custom DNS server forward " + ctx.evidence.context.partition_suffix +
             " (or just " + ctx.host() + ") to the VPC resolver " + vpc_ip +
             " (a Route 53 Resolver inbound endpoint if it runs outside the VPC), or use the "
             "Amazon-provided DNS in the VPC's DHCP options. Compare:\n"
             "$ nslookup " +
             ctx.host() + " " + first_server_ip(ctx, {}) +
             "\n"
             "$ nslookup " +
             ctx.host() + " " + vpc_ip +
             "\n"
             "$ aws ec2 describe-vpcs --region " +
             ctx.region() + " --vpc-ids " + ctx.facts.vpc_id + " --query 'Vpcs[].DhcpOptionsId'";
  return t;
}

CauseText public_answer_text(const TargetContext& ctx, const std::string& failure) {
  const std::string region = ctx.region();
  const auto& addresses = ctx.target.dns ? ctx.target.dns->addresses : ctx.target.hosts;
  CauseText t;
  t.headline = "DNS: " + ctx.host() + " resolves to public addresses, and " + failure + ".";
  t.what = ctx.host() + " resolves to the public " +
           (addresses.size() == 1 ? "address " : "addresses ") + list_and(ip_texts(addresses)) +
           ", and " + failure + ".";
  // Without IMDS facts the VPC is unknown: say "the VPC", not "<vpc-id>".
  const bool vpc_known = !ctx.facts.vpc_id.starts_with("<");
  t.why = (vpc_known ? "This VPC (" + ctx.facts.vpc_id + ")" : std::string("The VPC")) +
          " has no interface endpoint with Private DNS for " + ctx.service() +
          " that this instance's resolver sees, and the subnet has no working "
          "NAT or proxy path to the public endpoint.";
  t.remedy =
      "Create an interface endpoint with Private DNS (or, if one exists, enable its Private DNS; "
      "both VPC attributes enableDnsSupport and enableDnsHostnames must be on):\n"
      "$ aws ec2 describe-vpc-endpoints --region " +
      region + " --filters Name=vpc-id,Values=" + ctx.facts.vpc_id +
      " Name=service-name,Values=" + ctx.endpoint_service() +
      " --query 'VpcEndpoints[].[VpcEndpointId,PrivateDnsEnabled,State]'\n"
      "$ aws ec2 create-vpc-endpoint --region " +
      region + " --vpc-id " + ctx.facts.vpc_id + " --vpc-endpoint-type Interface --service-name " +
      ctx.endpoint_service() + " --subnet-ids " + ctx.facts.subnet_id +
      " --security-group-ids <endpoint-sg-id> --private-dns-enabled\n"
      "$ aws ec2 modify-vpc-endpoint --region " +
      region +
      " --vpc-endpoint-id <vpce-id> --private-dns-enabled\n"
      "$ aws ec2 modify-vpc-attribute --region " +
      region + " --vpc-id " + ctx.facts.vpc_id +
      " --enable-dns-support '{\"Value\":true}'\n"
      "$ aws ec2 modify-vpc-attribute --region " +
      region + " --vpc-id " + ctx.facts.vpc_id + " --enable-dns-hostnames '{\"Value\":true}'";
  return t;
}

// ---------------------------------------------------------------- service impact

std::string service_impact(const std::string& service) {
  if (service == "ssm") {
    return "The instance does not register: it stays offline in Fleet Manager (\"Connection "
           "lost\") and no SSM feature works.";
  }
  if (service == "ssmmessages") {
    return "Session Manager fails with TargetNotConnected; agents from 3.3.40.0 also use it for "
           "Run Command.";
  }
  if (service == "ec2messages") {
    return "Run Command and other documents do not reach agents older than 3.3.40.0 (newer "
           "agents use ssmmessages when it works).";
  }
  if (service == "s3") {
    return "Agent updates, Patch Manager, and command output or session logs sent to S3 fail.";
  }
  if (service == "kms") {
    return "Sessions that use KMS encryption (Session Manager preferences) fail to start.";
  }
  if (service == "logs") {
    return "Session and command output cannot be streamed to CloudWatch Logs.";
  }
  if (service == "monitoring") return "The CloudWatch agent cannot publish metrics.";
  if (service == "sts") {
    return "Tools on this instance that call STS (for example to assume a role) fail.";
  }
  if (service == "ec2") {
    return "Scripts and documents that call the EC2 API from this instance fail.";
  }
  return "Clients on this instance cannot use " + service + ".";
}

std::string service_feature(const std::string& service) {
  if (service == "ssm") return "the agent's connection to SSM";
  if (service == "ssmmessages") return "Session Manager";
  if (service == "ec2messages") return "Run Command on agents older than 3.3.40.0";
  if (service == "s3") return "S3 transfers";
  if (service == "kms") return "KMS-encrypted sessions";
  if (service == "logs") return "log streaming";
  if (service == "monitoring") return "metric publishing";
  if (service == "sts") return "STS calls";
  if (service == "ec2") return "EC2 API calls";
  return service;
}

std::string partial_consequence(Cause cause, std::size_t failing) {
  const std::string it = failing == 1 ? "it" : "one of them";
  if (cause == Cause::tcp_timeout) {
    return "connections that try " + it + " first stall before moving on";
  }
  if (layer_of(cause) == Layer::tls || layer_of(cause) == Layer::http) {
    return "connections that land on " + it + " fail";
  }
  return "connections that try " + it + " first must move on to another address";
}

// ---------------------------------------------------------------- verdict

void fill_failure(TargetVerdict& tv, Cause cause, const CauseText& text) {
  tv.cause = cause;
  tv.headline = text.headline;
  tv.explanation = text.what + (text.why.empty() ? "" : " " + text.why);
  tv.remedy = text.remedy;
}

}  // namespace ssmreach::diagnosis_detail
