// Evidence -> verdict: which layer fails first, why, and what to do about it.
//
// Everything here is a pure function of the Evidence: no I/O, no clock, no
// environment. "Now" is evidence.context.started_at when a text needs it.
//
// Per target the order is: DNS (unless the host is an IP literal or pinned
// by /etc/hosts), then every address on its own (TCP, then TLS). The target
// is ok when every address works, warning when some do, critical when none
// do. Texts are built per cause from a small set of facts (host, region,
// address, its class and the evidence of the failing layer).
#include "probe/diagnosis.h"

#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "probe/address_class.h"

namespace ssmreach {
namespace {

using netcheck::DnsOutcome;
using netcheck::Family;
using netcheck::HttpOutcome;
using netcheck::TcpOutcome;
using netcheck::TlsOutcome;

// ---------------------------------------------------------------- text helpers

std::string format(const char* pattern, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, pattern, value);
  return buffer;
}

// "3.0 s" from milliseconds.
std::string seconds_text(double ms) { return format("%.1f s", ms / 1000.0); }

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += separator;
    out += items[i];
  }
  return out;
}

// "a", "a and b", "a, b and c".
std::string list_and(const std::vector<std::string>& items) {
  if (items.size() <= 1) return join(items, "");
  std::vector<std::string> head(items.begin(), items.end() - 1);
  return join(head, ", ") + " and " + items.back();
}

std::string count_of(std::size_t n, const char* singular, const char* plural) {
  return std::to_string(n) + " " + (n == 1 ? singular : plural);
}

std::string capitalized(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  return text;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// OpenSSL 3 errors read "error:0A00010B:SSL routines::wrong version number";
// the reason after the last "::" is the part a person can use.
std::string openssl_reason(const std::string& error) {
  const auto pos = error.rfind("::");
  if (pos != std::string::npos && pos + 2 < error.size()) return error.substr(pos + 2);
  return error;
}

// "10.0.0.1:443", "[fd00::1]:443".
std::string ip_port(const netcheck::IpAddress& ip, std::uint16_t port) {
  if (ip.family == Family::v6) return "[" + ip.text + "]:" + std::to_string(port);
  return ip.text + ":" + std::to_string(port);
}

// Seconds since the epoch of "YYYY-MM-DDTHH:MM:SS..." (UTC), without the
// process clock or time zone: pure calendar arithmetic.
std::optional<long long> parse_utc(const std::string& text) {
  int year = 0;
  unsigned month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (std::sscanf(text.c_str(), "%d-%u-%uT%u:%u:%u", &year, &month, &day, &hour, &minute,
                  &second) != 6) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{month},
                                         std::chrono::day{day}};
  if (!date.ok()) return std::nullopt;
  const auto days = std::chrono::sys_days{date}.time_since_epoch().count();
  return static_cast<long long>(days) * 86400 + hour * 3600LL + minute * 60LL + second;
}

// "29 days", "5 hours", "12 minutes": the gap between two instants.
std::string gap_text(long long seconds) {
  if (seconds < 0) seconds = -seconds;
  if (seconds >= 2 * 86400) return std::to_string(seconds / 86400) + " days";
  if (seconds >= 2 * 3600) return std::to_string(seconds / 3600) + " hours";
  return std::to_string(std::max(1LL, seconds / 60)) + " minutes";
}

// " (29 days apart)" when both instants parse, else "".
std::string gap_note(const std::string& a, const std::string& b, const char* words) {
  const auto first = parse_utc(a);
  const auto second = parse_utc(b);
  if (!first || !second) return "";
  return ", " + gap_text(*first - *second) + " " + words;
}

// ---------------------------------------------------------------- instance facts

// What IMDS told us about this instance, or placeholders the operator fills in.
struct InstanceFacts {
  std::vector<std::string> vpc_cidrs;
  std::string vpc_id = "<vpc-id>";
  std::string subnet_id = "<subnet-id>";
  std::string security_group_id = "<instance-sg-id>";  // the first, for --source-group
  std::vector<std::string> security_groups;            // all of them, for explanations
  std::string local_ipv4;

  // "this instance (10.40.3.7, sg-0abc)", or just "this instance".
  std::string this_instance() const {
    std::vector<std::string> ids;
    if (!local_ipv4.empty()) ids.push_back(local_ipv4);
    ids.insert(ids.end(), security_groups.begin(), security_groups.end());
    std::string out = "this instance";
    for (std::size_t i = 0; i < ids.size(); ++i) out += (i == 0 ? " (" : ", ") + ids[i];
    return ids.empty() ? out : out + ")";
  }
};

// First value of "meta-data/network/interfaces/macs/<mac>/<leaf>" for any mac.
std::string mac_fact(const std::map<std::string, std::string>& facts, std::string_view leaf) {
  static constexpr std::string_view kPrefix = "meta-data/network/interfaces/macs/";
  for (const auto& [key, value] : facts) {
    const std::string_view path = key;
    if (path.starts_with(kPrefix) && path.ends_with(std::string("/") + std::string(leaf))) {
      const auto newline = value.find('\n');
      std::string first = value.substr(0, newline);
      while (!first.empty() && std::isspace(static_cast<unsigned char>(first.back()))) {
        first.pop_back();
      }
      if (!first.empty()) return first;
    }
  }
  return {};
}

InstanceFacts instance_facts(const ImdsEvidence& imds) {
  InstanceFacts facts;
  facts.vpc_cidrs = vpc_cidrs_from_facts(imds.facts);
  if (auto v = mac_fact(imds.facts, "vpc-id"); !v.empty()) facts.vpc_id = v;
  if (auto v = mac_fact(imds.facts, "subnet-id"); !v.empty()) facts.subnet_id = v;
  if (auto v = mac_fact(imds.facts, "security-group-ids"); !v.empty()) {
    facts.security_group_id = v;
  }
  for (const auto& [key, value] : imds.facts) {
    if (!key.ends_with("/security-group-ids")) continue;
    std::istringstream lines(value);
    for (std::string line; std::getline(lines, line);)
      if (!line.empty()) facts.security_groups.push_back(line);
  }
  if (auto it = imds.facts.find("meta-data/local-ipv4"); it != imds.facts.end())
    facts.local_ipv4 = it->second;
  return facts;
}

// The Amazon-provided resolver: 169.254.169.253, fd00:ec2::253, or the VPC
// IPv4 base address + 2 (only known when IMDS gave the VPC CIDRs).
bool is_amazon_resolver(const netcheck::DnsServer& server, const InstanceFacts& facts) {
  const std::string& ip = server.address.text;
  if (ip == "169.254.169.253" || ip == "fd00:ec2::253") return true;
  for (const auto& cidr : facts.vpc_cidrs) {
    const auto slash = cidr.find('/');
    const std::string base = cidr.substr(0, slash);
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (std::sscanf(base.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d) == 4) {
      const std::string plus_two = std::to_string(a) + "." + std::to_string(b) + "." +
                                   std::to_string(c) + "." + std::to_string(d + 2);
      if (ip == plus_two) return true;
    }
  }
  return false;
}

std::string resolver_label(const netcheck::DnsServer& server, const InstanceFacts& facts) {
  std::string label =
      server.port == 53 ? server.address.text : ip_port(server.address, server.port);
  if (is_amazon_resolver(server, facts)) label += " (Amazon-provided)";
  return label;
}

// ---------------------------------------------------------------- certificates

// The kinds of certificate failure, in the order a report should name them:
// a chain nobody trusts explains everything after it.
enum class CertProblem { untrusted, hostname, expired, not_yet_valid, other };

CertProblem classify_verify_code(int code) {
  switch (code) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
    case X509_V_ERR_NO_ISSUER_PUBLIC_KEY:
    case X509_V_ERR_CERT_CHAIN_TOO_LONG:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_PATH_LOOP:
      return CertProblem::untrusted;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return CertProblem::hostname;
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return CertProblem::expired;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return CertProblem::not_yet_valid;
    default:
      return CertProblem::other;
  }
}

const char* cause_of(CertProblem problem) {
  switch (problem) {
    case CertProblem::untrusted:
      return "tls.untrusted";
    case CertProblem::hostname:
      return "tls.hostname-mismatch";
    case CertProblem::expired:
      return "tls.expired";
    case CertProblem::not_yet_valid:
      return "tls.not-yet-valid";
    case CertProblem::other:
      return "tls.verify-failed";
  }
  return "tls.verify-failed";
}

// The most important verify error of a handshake (see CertProblem order).
const netcheck::VerifyError* main_verify_error(const netcheck::TlsResult& tls) {
  const netcheck::VerifyError* best = nullptr;
  for (const auto& error : tls.verify_errors) {
    if (!best || classify_verify_code(error.code) < classify_verify_code(best->code)) {
      best = &error;
    }
  }
  return best;
}

bool has_problem(const netcheck::TlsResult& tls, CertProblem problem) {
  return std::any_of(tls.verify_errors.begin(), tls.verify_errors.end(),
                     [&](const auto& e) { return classify_verify_code(e.code) == problem; });
}

std::string issuer_name(const netcheck::TlsResult& tls) {
  if (!tls.issuer_cn.empty()) return tls.issuer_cn;
  if (!tls.issuer.empty()) return tls.issuer;
  return "an unknown issuer";
}

// ---------------------------------------------------------------- per address

struct Finding {
  const AddressEvidence* evidence = nullptr;
  std::string address_class;
  bool usable = false;
  std::string layer;   // "tcp", "tls"; empty when usable
  std::string cause;   // "tcp.timeout"; empty when usable
  std::string detail;  // "TCP 443 timed out after 3.0 s"
  // IPv6 address this instance has no route for: harmless while IPv4 works.
  bool ipv6_no_route = false;
};

Finding examine_address(const AddressEvidence& address, std::uint16_t port, const std::string& host,
                        const InstanceFacts& facts) {
  Finding f;
  f.evidence = &address;
  f.address_class = classify_address(address.ip, facts.vpc_cidrs);
  const std::string tcp_port = "TCP " + std::to_string(port);

  if (!address.tcp) {
    f.layer = "tcp";
    f.cause = "tcp.not-probed";
    f.detail = "not probed before the run ended";
    return f;
  }
  const auto& tcp = *address.tcp;
  const std::string err = tcp.errno_name.empty() ? "" : " (" + tcp.errno_name + ")";
  switch (tcp.outcome) {
    case TcpOutcome::ok:
      break;
    case TcpOutcome::timeout:
      f.layer = "tcp";
      f.cause = "tcp.timeout";
      f.detail = tcp_port + " timed out after " + seconds_text(tcp.ms);
      return f;
    case TcpOutcome::refused:
      f.layer = "tcp";
      f.cause = "tcp.refused";
      f.detail = tcp_port + " refused" + err;
      return f;
    case TcpOutcome::unreachable:
      f.layer = "tcp";
      f.cause = "tcp.unreachable";
      f.ipv6_no_route = address.ip.family == Family::v6 &&
                        (tcp.errno_name == "ENETUNREACH" || tcp.errno_name == "EADDRNOTAVAIL" ||
                         tcp.errno_name == "EAFNOSUPPORT");
      f.detail = f.ipv6_no_route ? "no IPv6 route on this instance" + err
                                 : tcp_port + " unreachable" + err;
      return f;
    case TcpOutcome::error:
      f.layer = "tcp";
      f.cause = "tcp.error";
      f.detail = tcp_port + " failed" + (err.empty() ? std::string() : err);
      return f;
  }

  if (!address.tls) {
    f.layer = "tls";
    f.cause = "tls.not-probed";
    f.detail = "TLS not probed before the run ended";
    return f;
  }
  const auto& tls = *address.tls;
  const std::string reason = openssl_reason(tls.error);
  const std::string why = reason.empty() ? "" : " (" + reason + ")";
  switch (tls.outcome) {
    case TlsOutcome::ok:
      break;
    case TlsOutcome::timeout:
      f.layer = "tls";
      f.cause = "tls.timeout";
      f.detail = "TLS handshake timed out after " + seconds_text(tls.ms);
      return f;
    case TlsOutcome::protocol:
      f.layer = "tls";
      f.cause = "tls.protocol";
      f.detail = "no TLS 1.2+ on port " + std::to_string(port) + why;
      return f;
    case TlsOutcome::closed:
      f.layer = "tls";
      f.cause = "tls.closed";
      f.detail = "connection closed during the TLS handshake";
      return f;
    case TlsOutcome::error:
      f.layer = "tls";
      f.cause = "tls.error";
      f.detail = "TLS failed on this instance" + why;
      return f;
  }

  if (const auto* error = main_verify_error(tls)) {
    const CertProblem problem = classify_verify_code(error->code);
    f.layer = "tls";
    f.cause = cause_of(problem);
    switch (problem) {
      case CertProblem::untrusted:
        f.detail = "certificate from untrusted issuer \"" + issuer_name(tls) + "\"";
        break;
      case CertProblem::hostname:
        f.detail = "certificate does not cover " + host;
        break;
      case CertProblem::expired:
        f.detail = "certificate expired " + tls.not_after;
        break;
      case CertProblem::not_yet_valid:
        f.detail = "certificate not valid before " + tls.not_before;
        break;
      case CertProblem::other:
        f.detail = "certificate rejected: " + error->text;
        break;
    }
    return f;
  }

  f.usable = true;
  f.detail = tls.version.empty() ? "ok" : tls.version + " verified";
  return f;
}

// ---------------------------------------------------------------- cause texts

struct CauseText {
  std::string headline;
  std::string what;  // the first sentence: what was seen
  std::string why;   // the second: why it happens
  std::string remedy;
};

struct TargetContext {
  const Evidence& evidence;
  const TargetEvidence& target;
  const InstanceFacts& facts;
  bool clock_suspect = false;
  std::size_t clock_hosts = 0;

  const std::string& host() const { return target.target.host; }
  const std::string& service() const { return target.target.service; }
  std::uint16_t port() const { return target.target.port; }
  std::string region() const {
    return evidence.context.region.empty() ? "<region>" : evidence.context.region.value;
  }
  std::string endpoint_service() const { return "com.amazonaws." + region() + "." + service(); }
  std::string timeout_text() const { return seconds_text(evidence.context.timeout_s * 1000.0); }
  std::string now_text() const {
    return evidence.context.started_at.empty() ? "its current time" : evidence.context.started_at;
  }
};

std::string time_sync_remedy() {
  return "Fix time sync: point chrony at the Amazon Time Sync Service (\"server "
         "169.254.169.123 prefer iburst\" in /etc/chrony.conf), restart it (the service is "
         "chrony on Debian and Ubuntu) and check the offset:\n"
         "$ sudo systemctl restart chronyd\n"
         "$ chronyc tracking\n"
         "$ timedatectl";
}

std::string s_client(const TargetContext& ctx, const netcheck::IpAddress& ip,
                     bool show_certs = false) {
  return "$ openssl s_client -connect " + ip_port(ip, ctx.port()) + " -servername " + ctx.host() +
         (show_certs ? " -showcerts" : "") + " </dev/null";
}

// ---- DNS

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

CauseText dns_text(const std::string& cause, const TargetContext& ctx) {
  CauseText t;
  const std::string& host = ctx.host();
  const std::string region = ctx.region();
  const auto& context = ctx.evidence.context;

  if (cause == "dns.no-resolver") {
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

  if (cause == "dns.nxdomain") {
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
    return t;
  }

  if (cause == "dns.servfail") {
    const bool refused = ctx.target.dns && ctx.target.dns->outcome == DnsOutcome::refused;
    const auto servers = dns_servers_with(ctx, {DnsOutcome::servfail, DnsOutcome::refused});
    const std::string server_ip = first_server_ip(ctx, {DnsOutcome::servfail, DnsOutcome::refused});
    const std::string code = refused ? "REFUSED" : "SERVFAIL";
    t.headline = "DNS: " + servers.front() + " answered " + code + " for " + host + ".";
    if (refused) {
      t.what =
          "The resolver " + list_and(servers) + " refuses to answer for " + host + " (REFUSED).";
      t.why =
          "It is not set up to serve this client or this name (an access list, or a "
          "forwarding-only server without a rule for amazonaws.com).";
    } else {
      t.what =
          "The resolver " + list_and(servers) + " could not answer for " + host + " (SERVFAIL).";
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

  if (cause == "dns.timeout") {
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

  if (cause == "dns.no-address") {
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

  if (cause == "dns.unreachable") {
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

// ---- addresses

std::string class_subject(const Finding& f) {
  const std::string& ip = f.evidence->ip.text;
  if (f.address_class == "vpc") return "VPC address " + ip;
  if (f.address_class == "private") return "private address " + ip;
  if (f.address_class == "public") return "public address " + ip;
  if (f.address_class == "loopback") return "loopback address " + ip;
  if (f.address_class == "link-local") return "link-local address " + ip;
  return ip;
}

std::string source_phrase(const Finding& f) {
  if (f.evidence->source == "hosts") return "The address comes from /etc/hosts";
  if (f.evidence->source == "literal") return "The address is given literally (--endpoint)";
  return "";
}

CauseText address_text(const Finding& f, const std::string& subject, const TargetContext& ctx) {
  CauseText t;
  const auto& ip = f.evidence->ip;
  const std::string port = std::to_string(ctx.port());
  const std::string tcp_port = "TCP " + port;
  const std::string region = ctx.region();
  const std::string& host = ctx.host();
  const std::string& cause = f.cause;
  const std::string& cls = f.address_class;

  if (cause == "tcp.not-probed" || cause == "tls.not-probed") {
    const bool tls = cause == "tls.not-probed";
    t.headline = capitalized(subject) + " was not probed before the run ended.";
    t.what = "The run ended before " +
             std::string(tls ? "the TLS handshake with " : "TCP " + port + " to ") + ip.text +
             " was tried.";
    t.why = "Its result is unknown, not proven bad.";
    t.remedy = "Run ssm-reach again, with a larger --timeout if the network is slow.";
    return t;
  }

  if (cause == "tcp.timeout") {
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
      t.remedy = "Check the routes between the VPCs (both directions) and allow inbound " +
                 tcp_port +
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
    } else {
      t.why = "A firewall or route on the way drops it.";
      t.remedy = "Check this instance's firewall and what should answer at " + ip.text + ":\n" +
                 "$ sudo iptables -S OUTPUT\n$ sudo nft list ruleset";
    }
    return t;
  }

  if (cause == "tcp.refused") {
    t.headline = capitalized(subject) + " refused " + tcp_port + " (nothing listens).";
    t.what = ip.text + " answered " + tcp_port + " with a reset: nothing listens there.";
    std::string intro = source_phrase(f);
    if (ctx.port() != 443) {
      t.why = "AWS endpoints listen on port 443 only, and the endpoint override names port " +
              port + ".";
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

  if (cause == "tcp.unreachable") {
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
      t.why = "The name offers only IPv6 addresses here, or every IPv4 address fails as well.";
      t.remedy =
          "Give the instance an IPv6 address (its subnet needs an IPv6 CIDR block), or "
          "make the name resolve to IPv4 addresses.\n$ ip -6 route";
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

  if (cause == "tcp.error") {
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

  const netcheck::TlsResult empty_tls;
  const netcheck::TlsResult& tls = f.evidence->tls ? *f.evidence->tls : empty_tls;
  const std::string reason = openssl_reason(tls.error);

  if (cause == "tls.timeout") {
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

  if (cause == "tls.protocol") {
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

  if (cause == "tls.closed") {
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

  if (cause == "tls.error") {
    t.headline = "TLS with " + subject + " failed on this instance.";
    t.what = "The TLS handshake with " + ip.text + " failed on this instance" +
             (reason.empty() ? "" : ": " + reason) + ".";
    t.why = "This is a local TLS error, not a verdict on the network path.";
    t.remedy = "Try the handshake by hand:\n" + s_client(ctx, ip);
    return t;
  }

  const std::string issuer = issuer_name(tls);
  const auto& trust = ctx.evidence.context.trust_store;
  const std::string bundle =
      trust.path.empty() ? ""
                         : trust.path + (trust.source.empty() ? "" : " (" + trust.source + ")");

  if (cause == "tls.untrusted") {
    t.headline = "Certificate issued by untrusted \"" + issuer + "\".";
    const bool amazon_issuer = tls.issuer_cn.empty() ? contains(tls.issuer, "O=Amazon")
                                                     : tls.issuer_cn.starts_with("Amazon");
    const bool self_signed =
        has_problem(tls, CertProblem::untrusted) &&
        std::any_of(tls.verify_errors.begin(), tls.verify_errors.end(),
                    [](const auto& e) { return e.code == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT; });
    if (trust.path.empty()) {
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

  if (cause == "tls.hostname-mismatch") {
    t.headline = "Certificate at " + ip.text + " does not cover " + host + ".";
    std::string covered;
    if (!tls.sans.empty()) {
      std::vector<std::string> shown(
          tls.sans.begin(), tls.sans.begin() + static_cast<std::ptrdiff_t>(
                                                   std::min<std::size_t>(3, tls.sans.size())));
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

  const std::string clock_why =
      "Certificates of " + count_of(ctx.clock_hosts, "host", "hosts") +
      " are outside their validity at this instance's time, so this instance's clock is the "
      "likely culprit.";

  if (cause == "tls.expired") {
    t.headline =
        "Certificate expired " + tls.not_after + (ctx.clock_suspect ? " (check the clock)." : ".");
    t.what = "The certificate served for " + host + " expired on " + tls.not_after +
             ", by this instance's clock (" + ctx.now_text() +
             gap_note(ctx.evidence.context.started_at, tls.not_after, "later") + ").";
    if (ctx.clock_suspect) {
      t.why = clock_why;
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

  if (cause == "tls.not-yet-valid") {
    t.headline = "Certificate not valid before " + tls.not_before + " (check the clock).";
    t.what = "The certificate for " + host + " is valid only from " + tls.not_before +
             ", but this instance's clock says " + ctx.now_text() +
             gap_note(tls.not_before, ctx.evidence.context.started_at, "earlier") + ".";
    t.why = ctx.clock_suspect && ctx.clock_hosts >= 2
                ? clock_why
                : std::string(
                      "AWS certificates are issued before they are served, so this "
                      "instance's clock is behind: it is the likely culprit.");
    t.remedy = time_sync_remedy();
    return t;
  }

  // tls.verify-failed
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

// The feature a partial failure makes slow or flaky, for warnings.
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

// What a connection that lands on a failing address suffers, for warnings.
std::string partial_consequence(const std::string& cause, std::size_t failing) {
  const std::string it = failing == 1 ? "it" : "one of them";
  if (cause == "tcp.timeout") {
    return "connections that try " + it + " first stall before moving on";
  }
  if (cause.starts_with("tls.")) return "connections that land on " + it + " fail";
  return "connections that try " + it + " first must move on to another address";
}

// ---------------------------------------------------------------- per target

std::string dns_cause(DnsOutcome outcome) {
  switch (outcome) {
    case DnsOutcome::nxdomain:
      return "dns.nxdomain";
    case DnsOutcome::servfail:
    case DnsOutcome::refused:
      return "dns.servfail";
    case DnsOutcome::timeout:
      return "dns.timeout";
    case DnsOutcome::no_address:
      return "dns.no-address";
    case DnsOutcome::unreachable:
      return "dns.unreachable";
    case DnsOutcome::ok:
    case DnsOutcome::skipped:
    case DnsOutcome::error:
      break;
  }
  return "dns.error";
}

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

std::vector<std::string> ip_texts(const std::vector<netcheck::IpAddress>& ips) {
  std::vector<std::string> out;
  for (const auto& ip : ips) out.push_back(ip.text);
  return out;
}

std::string address_list(const std::vector<const Finding*>& findings) {
  std::vector<std::string> parts;
  for (const auto* f : findings) parts.push_back(f->evidence->ip.text + " (" + f->detail + ")");
  return join(parts, "; ");
}

void fill_failure(TargetVerdict& tv, const std::string& layer, const std::string& cause,
                  const CauseText& text) {
  tv.failed_layer = layer;
  tv.cause = cause;
  tv.headline = text.headline;
  tv.explanation = text.what + (text.why.empty() ? "" : " " + text.why);
  tv.remedy = text.remedy;
}

// ---------------------------------------------------------------- resolver comparison

// The Amazon-provided resolver's answer, when it was asked and gave addresses.
const netcheck::DnsResult* vpc_answer(const TargetEvidence& te) {
  if (!te.vpc_dns || te.vpc_dns->outcome != DnsOutcome::ok) return nullptr;
  return &*te.vpc_dns;
}

// Private DNS of an interface endpoint answers with its ENIs: addresses in
// this VPC, or private ones (a shared-services VPC, or CIDRs IMDS did not give).
bool points_to_endpoint(const netcheck::DnsResult& answer, const InstanceFacts& facts) {
  return std::any_of(answer.addresses.begin(), answer.addresses.end(), [&](const auto& ip) {
    const std::string cls = classify_address(ip, facts.vpc_cidrs);
    return cls == "vpc" || cls == "private";
  });
}

bool same_addresses(const std::vector<netcheck::IpAddress>& a,
                    const std::vector<netcheck::IpAddress>& b) {
  auto sorted = [](std::vector<netcheck::IpAddress> v) {
    std::sort(v.begin(), v.end(), [](const auto& x, const auto& y) { return x.text < y.text; });
    return v;
  };
  return sorted(a) == sorted(b);
}

std::string vpc_resolver_text(const TargetEvidence& te, const InstanceFacts& facts) {
  if (te.vpc_dns && te.vpc_dns->answered_by) return resolver_label(*te.vpc_dns->answered_by, facts);
  return "the Amazon-provided resolver";
}

// The configured resolver answers `configured_said`; the VPC's own resolver
// would have given the endpoint's ENIs.
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

// Public addresses and no path to them: no endpoint with Private DNS here.
CauseText public_answer_text(const TargetContext& ctx, const std::string& failure) {
  const std::string region = ctx.region();
  const auto& addresses = ctx.target.dns ? ctx.target.dns->addresses : ctx.target.hosts;
  CauseText t;
  t.headline = "DNS: " + ctx.host() + " resolves to public addresses, and " + failure + ".";
  t.what = ctx.host() + " resolves to the public " +
           (addresses.size() == 1 ? "address " : "addresses ") + list_and(ip_texts(addresses)) +
           ", and " + failure + ".";
  t.why = "This VPC (" + ctx.facts.vpc_id + ") has no interface endpoint with Private DNS for " +
          ctx.service() +
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

struct RunFacts {
  bool clock_suspect = false;
  std::size_t clock_hosts = 0;
};

TargetVerdict diagnose_target(const Evidence& evidence, const TargetEvidence& te,
                              const InstanceFacts& facts, const RunFacts& run,
                              std::vector<std::string>& notes) {
  TargetVerdict tv;
  tv.service = te.target.service;
  tv.host = te.target.host;
  tv.port = te.target.port;
  tv.required = te.target.required;

  const TargetContext ctx{evidence, te, facts, run.clock_suspect, run.clock_hosts};
  const bool pinned = !te.hosts.empty();

  std::vector<Finding> findings;
  for (const auto& address : te.addresses) {
    findings.push_back(examine_address(address, te.target.port, te.target.host, facts));
  }
  for (const auto& f : findings) {
    AddressVerdict av;
    av.ip = f.evidence->ip.text;
    av.address_class = f.address_class;
    av.usable = f.usable;
    if (!f.usable) {
      av.failed_layer = f.layer;
      av.cause = f.cause;
    }
    av.detail = f.detail;
    tv.addresses.push_back(std::move(av));
  }

  // DNS: the first layer, unless the host is a literal or pinned by /etc/hosts.
  if (!te.host_is_literal && !pinned) {
    const bool dns_ok = te.dns && te.dns->outcome == DnsOutcome::ok;
    std::string cause;
    const bool no_server_asked = !te.dns || te.dns->servers.empty();
    if (!dns_ok && no_server_asked && evidence.context.resolvers.empty() &&
        !evidence.context.resolvers_error.empty()) {
      cause = "dns.no-resolver";
    } else if (!te.dns) {
      cause = "dns.error";
    } else if (!dns_ok) {
      cause = dns_cause(te.dns->outcome);
    }
    // A resolver that answers wrongly (NXDOMAIN, no record, SERVFAIL from a
    // forwarder) while the VPC's own resolver gives the endpoint bypasses it;
    // one that does not answer at all is down, whatever the VPC would say.
    const auto* vpc = vpc_answer(te);
    const bool answered_wrongly =
        te.dns &&
        (te.dns->outcome == DnsOutcome::nxdomain || te.dns->outcome == DnsOutcome::no_address ||
         te.dns->outcome == DnsOutcome::servfail || te.dns->outcome == DnsOutcome::refused);
    const bool vpc_has_endpoint = vpc && points_to_endpoint(*vpc, facts);
    if (!cause.empty() && answered_wrongly && vpc_has_endpoint) {
      tv.status = Status::critical;
      fill_failure(tv, "dns", "dns.custom-resolver-bypass",
                   bypass_text(ctx, dns_outcome_words(te.dns->outcome)));
    } else if (!cause.empty()) {
      tv.status = Status::critical;
      CauseText text = dns_text(cause, ctx);
      // resolv.conf that names no server: the fallback is what was asked.
      const std::string& note = evidence.context.resolvers_error;
      if (!note.empty() && !evidence.context.resolvers.empty())
        text.why = capitalized(note) + ". " + text.why;
      if (vpc_has_endpoint)
        text.why += " The VPC's own resolver " + vpc_resolver_text(te, facts) + " answers " +
                    list_and(ip_texts(vpc->addresses)) + " (the endpoint), so using it would work.";
      fill_failure(tv, "dns", cause, text);
    }
  }

  if (!tv.cause && findings.empty()) {
    tv.status = Status::critical;
    CauseText t;
    t.headline = "No address of " + te.target.host + " was probed before the run ended.";
    t.what = "The name resolved, but the run ended before any address was tried.";
    t.remedy = "Run ssm-reach again, with a larger --timeout if the network is slow.";
    fill_failure(tv, "tcp", "tcp.not-probed", t);
  }

  if (!tv.cause) {
    std::vector<const Finding*> usable, failing, ignored_v6;
    const bool any_v4_usable = std::any_of(findings.begin(), findings.end(), [](const auto& f) {
      return f.usable && f.evidence->ip.family == Family::v4;
    });
    for (const auto& f : findings) {
      if (f.usable) {
        usable.push_back(&f);
      } else if (f.ipv6_no_route && any_v4_usable) {
        ignored_v6.push_back(&f);
      } else {
        failing.push_back(&f);
      }
    }
    for (const auto* f : ignored_v6) {
      for (auto& av : tv.addresses) {
        if (av.ip == f->evidence->ip.text) av.ignored = true;
      }
    }
    if (!ignored_v6.empty()) {
      std::vector<std::string> ips;
      for (const auto* f : ignored_v6) ips.push_back(f->evidence->ip.text);
      notes.push_back(te.target.service + ": IPv6 " +
                      (ips.size() == 1 ? "address " : "addresses ") + list_and(ips) +
                      " not reachable: no IPv6 route on this instance; IPv4 works, so this is "
                      "harmless.");
    }

    if (failing.empty()) {
      tv.status = Status::ok;
      const auto* first = usable.front();
      tv.headline = "Reachable: DNS, TCP " + std::to_string(te.target.port) +
                    " and TLS verified on " + count_of(usable.size(), "address", "addresses") +
                    " (" + first->evidence->ip.text + ").";
    } else {
      // The most common cause among the failing addresses; ties go to the first.
      std::map<std::string, std::size_t> counts;
      for (const auto* f : failing) ++counts[f->cause];
      const Finding* representative = failing.front();
      for (const auto* f : failing) {
        if (counts[f->cause] > counts[representative->cause]) representative = f;
      }
      const std::size_t same = counts[representative->cause];
      // Ignored IPv6 addresses are left out: they are explained in a note.
      const std::size_t total = usable.size() + failing.size();

      std::string subject = class_subject(*representative);
      if (same > 1) {
        subject = same == total
                      ? "all " + std::to_string(total) + " addresses"
                      : std::to_string(same) + " of " + std::to_string(total) + " addresses";
      }
      CauseText text = address_text(*representative, subject, ctx);

      if (!usable.empty()) {
        tv.status = Status::warning;
        const std::string fails = std::to_string(failing.size()) + " of " + std::to_string(total) +
                                  " addresses " + (failing.size() == 1 ? "fails" : "fail");
        std::string headline = text.headline;
        if (!headline.empty() && headline.back() == '.') headline.pop_back();
        text.headline = headline + "; " + std::to_string(usable.size()) + " of " +
                        std::to_string(total) + (usable.size() == 1 ? " works." : " work.");
        text.what = fails + ": " + address_list(failing) + "; " +
                    partial_consequence(representative->cause, failing.size()) + ".";
        if (representative->cause == "tcp.timeout" && representative->address_class == "vpc") {
          // One ENI answers, another does not: they share the endpoint's
          // security groups, so the difference is the subnet.
          const std::string& bad = representative->evidence->ip.text;
          const std::string region = ctx.region();
          text.why =
              "An endpoint's network interfaces share its security groups, so when one "
              "answers and another does not, the network ACL of the failing interface's "
              "subnet (or a route to that subnet) is the likely culprit.";
          text.remedy = "Check the network ACL of the subnet that holds " + bad + ": inbound TCP " +
                        std::to_string(te.target.port) +
                        " from this instance, and outbound ephemeral ports (1024-65535) back "
                        "to it:\n"
                        "$ aws ec2 describe-network-interfaces --region " +
                        region + " --filters Name=addresses.private-ip-address,Values=" + bad +
                        " --query 'NetworkInterfaces[].[SubnetId,Groups]'\n"
                        "$ aws ec2 describe-network-acls --region " +
                        region +
                        " --filters Name=association.subnet-id,Values=<endpoint-subnet-id>";
        }
        fill_failure(tv, representative->layer, representative->cause, text);
      } else {
        tv.status = Status::critical;
        if (failing.size() > 1) {
          text.what = "None of the " + std::to_string(failing.size()) +
                      " addresses works: " + address_list(failing) + ".";
        }
        std::string layer = representative->layer;
        std::string cause = representative->cause;

        // The symptom is on an address; the root cause may be the answer.
        const auto* vpc = vpc_answer(te);
        const bool all_public = std::all_of(failing.begin(), failing.end(), [](const Finding* f) {
          return f->address_class == "public";
        });
        const bool no_path = std::all_of(failing.begin(), failing.end(), [](const Finding* f) {
          return f->cause == "tcp.timeout" || f->cause == "tcp.unreachable";
        });
        if (!pinned && te.dns && vpc && points_to_endpoint(*vpc, facts) &&
            !same_addresses(te.dns->addresses, vpc->addresses)) {
          layer = "dns";
          cause = "dns.custom-resolver-bypass";
          text = bypass_text(
              ctx, list_and(ip_texts(te.dns->addresses)) + ", where " + representative->detail);
        } else if (!pinned && all_public && no_path) {
          layer = "dns";
          cause = "dns.public-answer";
          text = public_answer_text(ctx, representative->detail);
        }

        if (pinned) {
          // /etc/hosts decides the addresses. The pin is the root cause unless
          // DNS would have returned the very same addresses.
          const bool dns_ok = te.dns && te.dns->outcome == DnsOutcome::ok;
          const bool same_as_dns =
              dns_ok && std::all_of(te.hosts.begin(), te.hosts.end(), [&](const auto& ip) {
                return std::find(te.dns->addresses.begin(), te.dns->addresses.end(), ip) !=
                       te.dns->addresses.end();
              });
          if (same_as_dns) {
            text.why +=
                " /etc/hosts pins the same address DNS returns, so the pin is not the "
                "cause.";
          } else {
            layer = "dns";
            cause = "dns.hosts-override";
            const std::string pins = list_and(ip_texts(te.hosts));
            text.headline = "/etc/hosts pins " + te.target.host + " to " + te.hosts.front().text +
                            (te.hosts.size() > 1 ? " and more" : "") + "; " +
                            representative->detail + ".";
            text.what = "/etc/hosts pins " + te.target.host + " to " + pins + ", where " +
                        (failing.size() == 1 ? representative->detail
                                             : "none works: " + address_list(failing)) +
                        ".";
            if (dns_ok) {
              const std::string server =
                  te.dns->answered_by ? " (from " + te.dns->answered_by->address.text + ")" : "";
              text.why = "Without the pin, DNS would return " +
                         list_and(ip_texts(te.dns->addresses)) + server + ".";
              text.remedy = "Remove or correct the " + te.target.host +
                            " line in /etc/hosts, then restart the agent (snap installs: snap "
                            "restart amazon-ssm-agent):\n"
                            "$ grep -n " +
                            te.target.host +
                            " /etc/hosts\n"
                            "$ sudo systemctl restart amazon-ssm-agent";
            } else {
              text.why = te.dns ? "DNS gives no usable answer for it either (" +
                                      dns_outcome_words(te.dns->outcome) +
                                      "), so the pin must name a working endpoint address."
                                : "The pinned address is not a working " + te.target.service +
                                      " endpoint.";
              text.remedy = "Correct the " + te.target.host +
                            " line in /etc/hosts to the endpoint's address (or fix DNS and "
                            "remove it), then restart the agent:\n"
                            "$ grep -n " +
                            te.target.host +
                            " /etc/hosts\n"
                            "$ sudo systemctl restart amazon-ssm-agent";
            }
          }
        }
        fill_failure(tv, layer, cause, text);
      }
    }
  }

  if (!tv.required && tv.status == Status::critical) tv.status = Status::warning;
  if (tv.status != Status::ok) {
    const bool partial = std::any_of(tv.addresses.begin(), tv.addresses.end(),
                                     [](const auto& a) { return a.usable; });
    tv.impact = partial ? "Intermittent: connections that land on the failing address stall or "
                          "fail, so " +
                              service_feature(te.target.service) +
                              " works slowly or only some of the time."
                        : service_impact(te.target.service);
    if (!tv.required) tv.impact += " (Optional service, so at most a warning.)";
  }
  return tv;
}

// The clock rule: time errors on two or more hosts, or a trusted chain whose
// leaf is not valid yet, point at this instance's clock rather than the peer.
RunFacts run_facts(const Evidence& evidence) {
  RunFacts run;
  std::set<std::string> hosts;
  bool trusted_not_yet_valid = false;
  for (const auto& te : evidence.targets) {
    for (const auto& address : te.addresses) {
      if (!address.tls || address.tls->outcome != TlsOutcome::ok) continue;
      const auto& tls = *address.tls;
      const bool expired = has_problem(tls, CertProblem::expired);
      const bool not_yet = has_problem(tls, CertProblem::not_yet_valid);
      if (expired || not_yet) hosts.insert(te.target.host);
      if (!has_problem(tls, CertProblem::untrusted)) {
        for (const auto& e : tls.verify_errors) {
          if (e.code == X509_V_ERR_CERT_NOT_YET_VALID && e.depth == 0) {
            trusted_not_yet_valid = true;
          }
        }
      }
    }
  }
  run.clock_hosts = hosts.size();
  run.clock_suspect = hosts.size() >= 2 || trusted_not_yet_valid;
  return run;
}

std::string http_failure_words(const ImdsCall& call) {
  switch (call.outcome) {
    case HttpOutcome::timeout:
      return "no answer within " + seconds_text(call.ms);
    case HttpOutcome::refused:
      return "connection refused";
    case HttpOutcome::unreachable:
      return "no route to it";
    case HttpOutcome::ok:
      return "HTTP " + std::to_string(call.status);
    case HttpOutcome::error:
      break;
  }
  return call.error.empty() ? std::string("an error") : call.error;
}

// IMDS as a target: reachable, token or not, and what the agent can do then.
std::optional<TargetVerdict> diagnose_imds(const ImdsEvidence& imds, const std::string& region) {
  if (!imds.attempted) return std::nullopt;
  TargetVerdict tv;
  tv.service = "imds";
  const auto endpoint = url_host_port(imds.endpoint);
  tv.host = endpoint.host;
  tv.port = endpoint.port;
  tv.required = true;
  const auto id = imds.facts.find("meta-data/instance-id");
  const std::string instance_id =
      id != imds.facts.end() && !id->second.empty() ? id->second : "<instance-id>";
  const std::string r = region.empty() ? "<region>" : region;

  const ImdsCall* put = nullptr;
  const ImdsCall* first_get = nullptr;
  bool any_answer = false, get_ok = false;
  for (const auto& call : imds.calls) {
    if (call.method == "PUT" && !put) put = &call;
    if (call.method == "GET" && !first_get) first_get = &call;
    any_answer |= call.outcome == HttpOutcome::ok;
    get_ok |= call.method == "GET" && call.outcome == HttpOutcome::ok && call.status == 200;
  }

  if (!any_answer) {
    const ImdsCall* failed = put ? put : first_get;
    const std::string words = failed ? http_failure_words(*failed) : "no request made";
    tv.status = Status::critical;
    CauseText t;
    t.headline = "IMDS at " + imds.endpoint + " does not answer (" + words + ").";
    t.what = "Nothing answered at " + imds.endpoint + " (" + words +
             "), so the agent cannot read its region or the instance profile's credentials.";
    t.why =
        "The metadata service is disabled for this instance, a local firewall blocks "
        "169.254.169.254, or this is not an EC2 instance (on premises, pass --no-imds).";
    t.remedy =
        "Enable the metadata service, and check this host's firewall for rules on "
        "169.254.169.254:\n"
        "$ aws ec2 describe-instances --region " +
        r + " --instance-ids " + instance_id +
        " --query 'Reservations[].Instances[].MetadataOptions'\n"
        "$ aws ec2 modify-instance-metadata-options --region " +
        r + " --instance-id " + instance_id +
        " --http-endpoint enabled\n"
        "$ sudo iptables -S OUTPUT; sudo nft list ruleset | grep 169.254.169.254";
    fill_failure(tv, "imds", "imds.unreachable", t);
  } else if (put && !imds.token_ok) {
    const std::string put_words = http_failure_words(*put);
    tv.status = get_ok ? Status::warning : Status::critical;
    CauseText t;
    t.headline = "IMDSv2 token request failed (" + put_words + "); GETs " +
                 (get_ok ? "answer without a token." : "are refused without one.");
    t.what = "The token PUT to " + imds.endpoint + "/latest/api/token failed (" + put_words +
             ") while plain GETs answer" +
             (get_ok ? ": the agent falls back to IMDSv1 after a delay, and stops working "
                       "once IMDSv2 is required."
                     : " with " + http_failure_words(*first_get) +
                           " (IMDSv2 is required), so the agent gets no credentials.");
    t.why =
        "A hop limit of 1 drops the PUT's answer for requests from a container or network "
        "namespace, or a proxy or firewall blocks PUT requests to 169.254.169.254.";
    t.remedy =
        "Raise the hop limit to 2 (and keep IMDSv2 required); make sure no proxy handles "
        "169.254.169.254 (no_proxy):\n"
        "$ aws ec2 modify-instance-metadata-options --region " +
        r + " --instance-id " + instance_id +
        " --http-put-response-hop-limit 2 --http-tokens required";
    fill_failure(tv, "imds", "imds.token-failed", t);
  } else {
    tv.status = Status::ok;
    tv.headline = imds.token_ok ? "IMDSv2 answers." : "IMDS answers.";
  }
  if (tv.status != Status::ok)
    tv.impact =
        "The agent cannot start without its region and the instance profile's "
        "credentials: the instance stays offline in Fleet Manager.";
  return tv;
}

// From SSM Agent 3.3.40.0 the agent receives commands through ssmmessages
// whenever it can reach it; ec2messages is then only its fallback. Older or
// unknown agents need ec2messages, as do all agents when ssmmessages fails.
void weigh_ec2messages(const AgentVersion& version, std::vector<TargetVerdict>& targets) {
  auto find = [&](const char* service) -> TargetVerdict* {
    for (auto& tv : targets)
      if (tv.service == service) return &tv;
    return nullptr;
  };
  TargetVerdict* ec2 = find("ec2messages");
  const TargetVerdict* messages = find("ssmmessages");
  if (!ec2 || ec2->status != Status::critical || !version.known()) return;
  const std::string agent = "This agent (" + version.version + ", from " + version.source + ")";
  if (!at_least(version, kAgentMessagesFallbackVersion)) {
    ec2->explanation += " " + agent + " is older than " +
                        std::string(kAgentMessagesFallbackVersion) +
                        " and receives commands only through ec2messages.";
    return;
  }
  // Degraded (one ENI of several fails) still carries the commands.
  if (!messages || (messages->status != Status::ok && messages->status != Status::warning)) return;
  ec2->status = Status::warning;
  ec2->required = false;
  ec2->explanation += " " + agent + " receives commands through ssmmessages, which works, so " +
                      "it does not need ec2messages; it matters only if ssmmessages fails.";
  ec2->impact = "None while ssmmessages works: agents from " +
                std::string(kAgentMessagesFallbackVersion) + " use ec2messages only as a fallback.";
}

}  // namespace

Verdict diagnose(const Evidence& evidence) {
  Verdict verdict;
  const InstanceFacts facts = instance_facts(evidence.context.imds);
  const RunFacts run = run_facts(evidence);

  for (const auto& te : evidence.targets) {
    verdict.targets.push_back(diagnose_target(evidence, te, facts, run, verdict.notes));
  }

  weigh_ec2messages(evidence.context.agent.version, verdict.targets);
  // A config or registration the agent cannot use changes what it does.
  for (const auto& w : evidence.context.agent.config.warnings)
    verdict.notes.push_back("SSM agent config: " + w);
  for (const auto& w : evidence.context.agent.registration.warnings)
    verdict.notes.push_back("SSM agent registration: " + w);
  // The agent cannot use such a file either: a risky setting, so a warning.
  const bool agent_files_bad = !evidence.context.agent.config.warnings.empty() ||
                               !evidence.context.agent.registration.warnings.empty();

  verdict.status = verdict.targets.empty() ? Status::unknown : Status::ok;
  for (const auto& tv : verdict.targets) verdict.status = worst(verdict.status, tv.status);
  if (agent_files_bad) verdict.status = worst(verdict.status, Status::warning);

  if (evidence.context.region.empty()) {
    verdict.status = Status::unknown;
    verdict.notes.push_back(
        "No region could be determined: pass --region (or set AWS_REGION), or let ssm-reach "
        "read it from IMDS.");
  } else if (verdict.targets.empty()) {
    verdict.notes.push_back("No targets were checked.");
  }

  if (run.clock_suspect) {
    std::string when =
        evidence.context.started_at.empty() ? "" : " (" + evidence.context.started_at + ")";
    verdict.notes.push_back(
        "Clock suspect: certificates are outside their validity at this instance's time" + when +
        ". Check time sync with chronyc tracking and timedatectl; use the Amazon Time Sync "
        "Service (169.254.169.123).");
  }

  const auto& trust = evidence.context.trust_store;
  if (trust.path.empty()) {
    verdict.notes.push_back("No CA bundle found" +
                            (trust.error.empty() ? std::string() : " (" + trust.error + ")") +
                            ": no certificate can be verified. Pass --ca-file.");
  }
  verdict.imds = diagnose_imds(evidence.context.imds, evidence.context.region.value);
  if (verdict.imds) verdict.status = worst(verdict.status, verdict.imds->status);
  return verdict;
}

}  // namespace ssmreach
