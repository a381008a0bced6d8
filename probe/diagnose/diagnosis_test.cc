#include "probe/diagnose/diagnosis.h"

#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "tests/unit/test_evidence.h"

using namespace ssmreach;
using namespace ssmreach::test;
using netcheck::DnsOutcome;
using netcheck::TcpOutcome;
using netcheck::TlsOutcome;

namespace {

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

bool any_note_has(const Verdict& v, const std::string& needle) {
  for (const auto& n : v.notes) {
    if (has(n, needle)) return true;
  }
  return false;
}

bool is_ascii(const std::string& text) {
  for (char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x7f || (b < 0x20 && b != '\n')) return false;
  }
  return true;
}

// One row of the cause table: evidence for a single target and what the
// diagnosis of that target must say.
struct CauseCase {
  const char* name;
  std::function<Evidence()> evidence;
  Status status;
  const char* layer;  // nullptr: none
  const char* cause;  // nullptr: none
  std::vector<std::string> in_explanation;
  std::vector<std::string> in_remedy = {};
  std::vector<std::string> in_headline = {};
};

Evidence one(TargetEvidence target) { return evidence_with({std::move(target)}); }

Evidence tls_case(netcheck::TlsResult tls, const std::string& address = "10.40.1.11") {
  return one(resolved("ssm", {with_tls(address, std::move(tls))}));
}

netcheck::TlsResult untrusted_by(const std::string& issuer_cn, std::vector<int> codes) {
  auto tls = tls_verify_errors(host_of("ssm"), std::move(codes));
  tls.issuer_cn = issuer_cn;
  tls.issuer = "CN=" + issuer_cn + ",O=Example Corp";
  return tls;
}

std::vector<CauseCase> cause_cases() {
  const std::string ssm = host_of("ssm");
  return {
      {"healthy",
       [] { return one(healthy("ssm", "10.40.1.10")); },
       Status::ok,
       nullptr,
       nullptr,
       {}},
      {"dns nxdomain",
       [] { return one(dns_failure("ssm", DnsOutcome::nxdomain)); },
       Status::critical,
       "dns",
       "dns.nxdomain",
       {"The resolver 10.40.5.53 says " + ssm + " does not exist.", "eu-west-1", "--region"},
       {"nslookup " + ssm + " 10.40.5.53", "private hosted zone"},
       {"NXDOMAIN"}},
      {"dns servfail",
       [] { return one(dns_failure("ssm", DnsOutcome::servfail)); },
       Status::critical,
       "dns",
       "dns.servfail",
       {"SERVFAIL", "10.40.5.53"},
       {"forward"}},
      {"dns refused is servfail",
       [] { return one(dns_failure("ssm", DnsOutcome::refused)); },
       Status::critical,
       "dns",
       "dns.servfail",
       {"REFUSED"}},
      {"dns timeout",
       [] { return one(dns_failure("ssm", DnsOutcome::timeout)); },
       Status::critical,
       "dns",
       "dns.timeout",
       {"No answer from 10.40.5.53 within 3.0 s."},
       {"UDP and TCP 53", "169.254.169.253"}},
      {"dns timeout of the Amazon resolver",
       [] {
         auto t = dns_failure("ssm", DnsOutcome::timeout);
         t.dns = dns_failed(t.target.host, DnsOutcome::timeout, "169.254.169.253");
         return one(t);
       },
       Status::critical,
       "dns",
       "dns.timeout",
       {"Amazon-provided", "enableDnsSupport"},
       {"describe-vpc-attribute"}},
      {"dns at VPC base+2 counts as Amazon-provided",
       [] {
         auto t = dns_failure("ssm", DnsOutcome::timeout);
         t.dns = dns_failed(t.target.host, DnsOutcome::timeout, "10.40.0.2");
         return one(t);
       },
       Status::critical,
       "dns",
       "dns.timeout",
       {"10.40.0.2 (Amazon-provided)"}},
      {"dns no address",
       [] { return one(dns_failure("ssm", DnsOutcome::no_address)); },
       Status::critical,
       "dns",
       "dns.no-address",
       {"no A or AAAA record"},
       {"list-hosted-zones-by-vpc"}},
      {"dns unreachable",
       [] { return one(dns_failure("ssm", DnsOutcome::unreachable)); },
       Status::critical,
       "dns",
       "dns.unreachable",
       {"port 53 is closed"}},
      {"dns unreachable systemd-resolved stub",
       [] {
         auto t = dns_failure("ssm", DnsOutcome::unreachable);
         t.dns = dns_failed(t.target.host, DnsOutcome::unreachable, "127.0.0.53");
         return one(t);
       },
       Status::critical,
       "dns",
       "dns.unreachable",
       {"systemd-resolved"},
       {"systemctl status systemd-resolved"}},
      {"dns error",
       [] { return one(dns_failure("ssm", DnsOutcome::error)); },
       Status::critical,
       "dns",
       "dns.error",
       {"malformed reply"}},
      {"dns absent",
       [] {
         auto t = dns_failure("ssm", DnsOutcome::error);
         t.dns.reset();
         return one(t);
       },
       Status::critical,
       "dns",
       "dns.error",
       {"no answer was recorded"}},
      {"no resolver configured",
       [] {
         auto t = dns_failure("ssm", DnsOutcome::error);
         t.dns.reset();
         auto e = one(t);
         e.context.resolvers.clear();
         e.context.resolvers_error = "/etc/resolv.conf names no nameserver";
         return e;
       },
       Status::critical,
       "dns",
       "dns.no-resolver",
       {"/etc/resolv.conf names no nameserver"},
       {"nameserver 169.254.169.253"}},
      {"tcp timeout to a VPC address",
       [] { return one(resolved("ssmmessages", {tcp_failed("10.40.1.11", TcpOutcome::timeout)})); },
       Status::critical,
       "tcp",
       "tcp.timeout",
       {"TCP 443 to 10.40.1.11 got no answer in 3.0 s", "security group", "interface endpoint"},
       {"describe-vpc-endpoints --region eu-west-1", "Values=com.amazonaws.eu-west-1.ssmmessages",
        "authorize-security-group-ingress", "--port 443", "<endpoint-sg-id>"},
       {"TCP 443 to VPC address 10.40.1.11 timed out (3.0 s)."}},
      {"tcp timeout to a public address: no endpoint, no path (dns.public-answer)",
       [] { return one(resolved("ssm", {tcp_failed("52.94.1.1", TcpOutcome::timeout)})); },
       Status::critical,
       "dns",
       "dns.public-answer",
       {"public address 52.94.1.1", "no interface endpoint with Private DNS", "NAT"},
       {"create-vpc-endpoint", "--private-dns-enabled", "describe-vpc-endpoints",
        "enable-dns-hostnames"},
       {"resolves to public addresses"}},
      {"public answer that the VPC resolver shares stays dns.public-answer",
       [] {
         auto t = resolved("ssm", {tcp_failed("52.94.1.1", TcpOutcome::timeout)});
         t.vpc_dns = dns_ok(t.target.host, {"52.94.1.1"}, "10.40.0.2");
         return one(t);
       },
       Status::critical,
       "dns",
       "dns.public-answer",
       {},
       {},
       {}},
      {"custom resolver answers public, VPC resolver the ENI: bypass",
       [] {
         auto t = resolved("ssm", {tcp_failed("52.94.1.1", TcpOutcome::timeout)});
         t.vpc_dns = dns_ok(t.target.host, {"10.40.1.10", "10.40.2.10"}, "10.40.0.2");
         return one(t);
       },
       Status::critical,
       "dns",
       "dns.custom-resolver-bypass",
       {"10.40.5.53", "10.40.1.10 and 10.40.2.10", "10.40.0.2 (Amazon-provided)",
        "does not forward"},
       {"nslookup ssm.eu-west-1.amazonaws.com 10.40.5.53",
        "nslookup ssm.eu-west-1.amazonaws.com 10.40.0.2", "DhcpOptionsId"},
       {"bypasses"}},
      {"custom resolver says NXDOMAIN, VPC resolver the ENI: bypass",
       [] {
         auto t = dns_failure("ssm", DnsOutcome::nxdomain);
         t.vpc_dns = dns_ok(t.target.host, {"10.40.1.10"}, "10.40.0.2");
         return one(t);
       },
       Status::critical,
       "dns",
       "dns.custom-resolver-bypass",
       {"answers NXDOMAIN", "10.40.1.10"},
       {},
       {}},
      {"custom resolver silent, VPC resolver answers: down, not a bypass",
       [] {
         auto t = dns_failure("ssm", DnsOutcome::timeout);
         t.vpc_dns = dns_ok(t.target.host, {"10.40.1.10"}, "10.40.0.2");
         return one(t);
       },
       Status::critical,
       "dns",
       "dns.timeout",
       {"10.40.5.53", "using it would work"},
       {},
       {}},
      {"resolv.conf without nameserver: the fallback is named",
       [] {
         auto e = one(dns_failure("ssm", DnsOutcome::unreachable));
         e.context.resolvers_error =
             "/etc/resolv.conf names no nameserver, so resolvers fall back to 127.0.0.1";
         return e;
       },
       Status::critical,
       "dns",
       "dns.unreachable",
       {"names no nameserver"},
       {},
       {}},
      {"private address without VPC facts: no claim where it is",
       [] {
         auto e = one(resolved("ssm", {tcp_failed("10.40.1.11", TcpOutcome::timeout)}));
         e.context.imds = {};
         return e;
       },
       Status::critical,
       "tcp",
       "tcp.timeout",
       {"may be an endpoint in this VPC or in another one"},
       {"ip route get 10.40.1.11"},
       {}},
      {"custom resolver works: the VPC resolver's other answer is no failure",
       [] {
         auto t = healthy("ssm", "52.94.1.1");
         t.vpc_dns = dns_ok(t.target.host, {"10.40.1.10"}, "10.40.0.2");
         return one(t);
       },
       Status::ok,
       nullptr,
       nullptr,
       {},
       {},
       {}},
      {"same answer from both resolvers: the address's own failure",
       [] {
         auto t = resolved("ssm", {tcp_failed("10.40.1.10", TcpOutcome::timeout)});
         t.vpc_dns = dns_ok(t.target.host, {"10.40.1.10"}, "10.40.0.2");
         return one(t);
       },
       Status::critical,
       "tcp",
       "tcp.timeout",
       {},
       {},
       {}},
      {"tcp timeout to a private address outside the VPC",
       [] { return one(resolved("ssm", {tcp_failed("172.20.1.1", TcpOutcome::timeout)})); },
       Status::critical,
       "tcp",
       "tcp.timeout",
       {"outside this VPC", "Transit Gateway"}},
      {"tcp refused",
       [] {
         return one(
             resolved("ssm", {tcp_failed("10.40.1.11", TcpOutcome::refused, "ECONNREFUSED", 0.4)}));
       },
       Status::critical,
       "tcp",
       "tcp.refused",
       {"with a reset: nothing listens there", "REJECT"},
       {"getent hosts"}},
      {"tcp unreachable (ICMP)",
       [] {
         return one(
             resolved("ssm", {tcp_failed("10.40.1.11", TcpOutcome::unreachable, "EHOSTUNREACH")}));
       },
       Status::critical,
       "tcp",
       "tcp.unreachable",
       {"EHOSTUNREACH", "ICMP unreachable"},
       {"ip route get 10.40.1.11"}},
      {"tcp unreachable (local firewall)",
       [] {
         return one(resolved("ssm", {tcp_failed("10.40.1.11", TcpOutcome::unreachable, "EPERM")}));
       },
       Status::critical,
       "tcp",
       "tcp.unreachable",
       {"EPERM", "OUTPUT rule"},
       {"iptables -S OUTPUT", "nft list ruleset"}},
      {"tcp unreachable (no IPv4 route)",
       [] {
         return one(
             resolved("ssm", {tcp_failed("10.40.1.11", TcpOutcome::unreachable, "ENETUNREACH")}));
       },
       Status::critical,
       "tcp",
       "tcp.unreachable",
       {"no route to 10.40.1.11"}},
      {"tcp error",
       [] { return one(resolved("ssm", {tcp_failed("10.40.1.11", TcpOutcome::error, "EMFILE")})); },
       Status::critical,
       "tcp",
       "tcp.error",
       {"EMFILE"}},
      {"tcp not probed",
       [] {
         AddressEvidence a;
         a.ip = ip("10.40.1.11");
         a.source = "dns";
         return one(resolved("ssm", {a}));
       },
       Status::critical,
       "tcp",
       "tcp.not-probed",
       {"run ended"}},
      {"tls not probed",
       [] {
         auto a = usable("10.40.1.11", host_of("ssm"));
         a.tls.reset();
         return one(resolved("ssm", {a}));
       },
       Status::critical,
       "tls",
       "tls.not-probed",
       {"run ended"}},
      {"tls timeout",
       [] { return tls_case(tls_failed(host_of("ssm"), TlsOutcome::timeout)); },
       Status::critical,
       "tls",
       "tls.timeout",
       {"connected, but the TLS handshake did not finish in 3.0 s", "MTU"},
       {"tracepath -n 10.40.1.11", "openssl s_client -connect 10.40.1.11:443"}},
      {"tls protocol (plain HTTP)",
       [] {
         return tls_case(tls_failed(host_of("ssm"), TlsOutcome::protocol,
                                    "error:0A00010B:SSL routines::wrong version number", 1));
       },
       Status::critical,
       "tls",
       "tls.protocol",
       {"wrong version number", "plain HTTP"},
       {"curl -v http://10.40.1.11:443/"},
       {"does not speak TLS"}},
      {"tls protocol (old version)",
       [] {
         return tls_case(tls_failed(host_of("ssm"), TlsOutcome::protocol,
                                    "error:0A000102:SSL routines::unsupported protocol", 1));
       },
       Status::critical,
       "tls",
       "tls.protocol",
       {"old TLS version"}},
      {"tls closed (SNI filter)",
       [] {
         return tls_case(
             tls_failed(host_of("ssm"), TlsOutcome::closed, "unexpected eof while reading", 1));
       },
       Status::critical,
       "tls",
       "tls.closed",
       {"closed the connection during the TLS handshake", "SNI", "AWS Network Firewall"},
       {"TLS_SNI", "describe-rule-group"}},
      {"tls local error",
       [] { return tls_case(tls_failed(host_of("ssm"), TlsOutcome::error, "out of memory", 1)); },
       Status::critical,
       "tls",
       "tls.error",
       {"out of memory"}},
      {"tls untrusted names the issuer",
       [] {
         return tls_case(untrusted_by("Corp SSL Inspection CA",
                                      {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY}));
       },
       Status::critical,
       "tls",
       "tls.untrusted",
       {"issued by \"Corp SSL Inspection CA\"", "TLS-inspecting proxy or firewall"},
       {"/etc/ssl/certs/ca-certificates.crt (system)", "*.amazonaws.com"},
       {"Corp SSL Inspection CA"}},
      {"tls untrusted, every untrusted code",
       [] { return tls_case(untrusted_by("Inspector", {X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN})); },
       Status::critical,
       "tls",
       "tls.untrusted",
       {"\"Inspector\""}},
      {"tls untrusted: self-signed leaf",
       [] {
         return tls_case(untrusted_by("appliance.local", {X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT}));
       },
       Status::critical,
       "tls",
       "tls.untrusted",
       {"self-signed", "appliance.local"}},
      {"tls untrusted: genuine Amazon chain, stale bundle",
       [] {
         auto tls =
             tls_verify_errors(host_of("ssm"), {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY});
         return tls_case(tls);
       },
       Status::critical,
       "tls",
       "tls.untrusted",
       {"Amazon RSA 2048 M02", "an Amazon CA"},
       {"update-ca-trust"}},
      {"tls untrusted without any trust store",
       [] {
         auto e = tls_case(untrusted_by("Corp CA", {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY}));
         e.context.trust_store = {"", "", "no CA bundle in the usual places"};
         return e;
       },
       Status::critical,
       "tls",
       "tls.untrusted",
       {"Corp CA", "no CA bundle in the usual places"},
       {"--ca-file"}},
      {"tls hostname mismatch names the SANs",
       [] {
         auto tls = tls_verify_errors(host_of("ssm"), {X509_V_ERR_HOSTNAME_MISMATCH});
         tls.sans = {"s3.eu-west-1.amazonaws.com", "*.s3.eu-west-1.amazonaws.com"};
         return tls_case(tls);
       },
       Status::critical,
       "tls",
       "tls.hostname-mismatch",
       {"covers s3.eu-west-1.amazonaws.com and *.s3.eu-west-1.amazonaws.com, not " + ssm,
        "another service"},
       {"getent hosts " + ssm}},
      {"tls IP address mismatch is a hostname mismatch",
       [] { return tls_case(tls_verify_errors(host_of("ssm"), {X509_V_ERR_IP_ADDRESS_MISMATCH})); },
       Status::critical,
       "tls",
       "tls.hostname-mismatch",
       {"not " + ssm}},
      {"tls expired on one host: no clock blame",
       [] {
         auto tls = tls_verify_errors(host_of("ssm"), {X509_V_ERR_CERT_HAS_EXPIRED});
         tls.not_after = "2024-05-01T00:00:00Z";
         return tls_case(tls);
       },
       Status::critical,
       "tls",
       "tls.expired",
       {"expired on 2024-05-01T00:00:00Z", "(2024-06-01T12:00:00Z, 31 days later)", "runs ahead"},
       {"timedatectl"}},
      {"tls not yet valid blames the clock",
       [] {
         auto tls = tls_verify_errors(host_of("ssm"), {X509_V_ERR_CERT_NOT_YET_VALID});
         tls.not_before = "2024-07-01T00:00:00Z";
         return tls_case(tls);
       },
       Status::critical,
       "tls",
       "tls.not-yet-valid",
       {"valid only from 2024-07-01T00:00:00Z", "2024-06-01T12:00:00Z, 29 days earlier",
        "clock is behind"},
       {"169.254.169.123", "chronyc tracking", "timedatectl"}},
      {"tls other verify error",
       [] { return tls_case(tls_verify_errors(host_of("ssm"), {X509_V_ERR_INVALID_PURPOSE})); },
       Status::critical,
       "tls",
       "tls.verify-failed",
       {"verify error 26"}},
      {"priority: untrusted before hostname and dates",
       [] {
         return tls_case(
             untrusted_by("Corp CA", {X509_V_ERR_CERT_HAS_EXPIRED, X509_V_ERR_HOSTNAME_MISMATCH,
                                      X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT}));
       },
       Status::critical,
       "tls",
       "tls.untrusted",
       {"Corp CA"}},
      {"priority: hostname before expired",
       [] {
         return tls_case(tls_verify_errors(
             host_of("ssm"), {X509_V_ERR_CERT_HAS_EXPIRED, X509_V_ERR_HOSTNAME_MISMATCH}));
       },
       Status::critical,
       "tls",
       "tls.hostname-mismatch",
       {}},
      {"priority: expired before not-yet-valid before other",
       [] {
         return tls_case(tls_verify_errors(
             host_of("ssm"), {X509_V_ERR_INVALID_PURPOSE, X509_V_ERR_CERT_NOT_YET_VALID,
                              X509_V_ERR_CERT_HAS_EXPIRED}));
       },
       Status::critical,
       "tls",
       "tls.expired",
       {}},
      {"priority: not-yet-valid before other",
       [] {
         return tls_case(tls_verify_errors(
             host_of("ssm"), {X509_V_ERR_INVALID_PURPOSE, X509_V_ERR_CERT_NOT_YET_VALID}));
       },
       Status::critical,
       "tls",
       "tls.not-yet-valid",
       {}},
      {"hosts override: pinned address fails, DNS differs",
       [] {
         auto t = resolved("ssm", {tcp_failed("10.1.2.3", TcpOutcome::timeout, "", 3000, "hosts")});
         t.hosts = {ip("10.1.2.3")};
         t.dns = dns_ok(t.target.host, {"10.40.1.10"});
         return one(t);
       },
       Status::critical,
       "dns",
       "dns.hosts-override",
       {"/etc/hosts pins " + ssm + " to 10.1.2.3", "TCP 443 timed out after 3.0 s",
        "DNS would return 10.40.1.10"},
       {"/etc/hosts", "grep -n " + ssm + " /etc/hosts", "restart amazon-ssm-agent"},
       {"/etc/hosts pins"}},
      {"hosts override: DNS fails too",
       [] {
         auto t = resolved(
             "ssm", {tcp_failed("10.1.2.3", TcpOutcome::refused, "ECONNREFUSED", 1, "hosts")});
         t.hosts = {ip("10.1.2.3")};
         t.dns = dns_failed(t.target.host, DnsOutcome::nxdomain);
         return one(t);
       },
       Status::critical,
       "dns",
       "dns.hosts-override",
       {"10.1.2.3", "refused", "NXDOMAIN"}},
      {"hosts override with TLS failure",
       [] {
         auto t = resolved(
             "ssm", {with_tls("10.1.2.3",
                              tls_verify_errors(host_of("ssm"), {X509_V_ERR_HOSTNAME_MISMATCH}),
                              "hosts")});
         t.hosts = {ip("10.1.2.3")};
         t.dns = dns_ok(t.target.host, {"10.40.1.10"});
         return one(t);
       },
       Status::critical,
       "dns",
       "dns.hosts-override",
       {"certificate does not cover " + ssm}},
      {"hosts pin equal to DNS answer is not the cause",
       [] {
         auto t =
             resolved("ssm", {tcp_failed("10.40.1.10", TcpOutcome::timeout, "", 3000, "hosts")});
         t.hosts = {ip("10.40.1.10")};
         t.dns = dns_ok(t.target.host, {"10.40.1.10"});
         return one(t);
       },
       Status::critical,
       "tcp",
       "tcp.timeout",
       {"the pin is not the cause"}},
      {"hosts pin that works: ok",
       [] {
         auto t = resolved("ssm", {usable("10.1.2.3", host_of("ssm"), "hosts")});
         t.hosts = {ip("10.1.2.3")};
         t.dns = dns_failed(t.target.host, DnsOutcome::nxdomain);
         return one(t);
       },
       Status::ok,
       nullptr,
       nullptr,
       {}},
      {"literal host: no DNS layer",
       [] {
         TargetEvidence t;
         t.target = {"ssm", "10.40.1.10", 443, true, "--endpoint"};
         t.host_is_literal = true;
         t.addresses = {usable("10.40.1.10", "10.40.1.10", "literal")};
         return one(t);
       },
       Status::ok,
       nullptr,
       nullptr,
       {}},
      {"literal host that fails is a TCP failure",
       [] {
         TargetEvidence t;
         t.target = {"ssm", "10.40.1.10", 443, true, "--endpoint"};
         t.host_is_literal = true;
         t.addresses = {
             tcp_failed("10.40.1.10", TcpOutcome::refused, "ECONNREFUSED", 1, "literal")};
         return one(t);
       },
       Status::critical,
       "tcp",
       "tcp.refused",
       {"given literally"}},
      {"one of two addresses fails: warning",
       [] {
         return one(resolved("ssmmessages", {usable("10.40.1.11", host_of("ssmmessages")),
                                             tcp_failed("10.40.1.12", TcpOutcome::timeout)}));
       },
       Status::warning,
       "tcp",
       "tcp.timeout",
       {"1 of 2 addresses fails: 10.40.1.12 (TCP 443 timed out after 3.0 s)", "stall"},
       {"network ACL", "describe-network-acls", "Values=10.40.1.12"},
       {"TCP 443 to VPC address 10.40.1.12 timed out (3.0 s); 1 of 2 works."}},
      {"one of two addresses fails TLS: warning",
       [] {
         return one(resolved(
             "ssm",
             {usable("10.40.1.11", host_of("ssm")),
              with_tls("10.40.2.11", untrusted_by("Corp CA", {X509_V_ERR_CERT_UNTRUSTED}))}));
       },
       Status::warning,
       "tls",
       "tls.untrusted",
       {"10.40.2.11", "Corp CA", "fail"}},
      {"none of several addresses works: most common cause",
       [] {
         return one(resolved("ssm", {tcp_failed("10.40.1.11", TcpOutcome::refused, "ECONNREFUSED"),
                                     tcp_failed("10.40.2.11", TcpOutcome::timeout),
                                     tcp_failed("10.40.3.11", TcpOutcome::timeout)}));
       },
       Status::critical,
       "tcp",
       "tcp.timeout",
       {"None of the 3 addresses works", "10.40.1.11 (TCP 443 refused (ECONNREFUSED))",
        "10.40.3.11"},
       {},
       {"2 of 3 addresses"}},
      {"none works, tie: first address's cause",
       [] {
         return one(resolved(
             "ssm", {with_tls("10.40.1.11", tls_failed(host_of("ssm"), TlsOutcome::closed)),
                     tcp_failed("10.40.2.11", TcpOutcome::timeout)}));
       },
       Status::critical,
       "tls",
       "tls.closed",
       {"None of the 2 addresses works"}},
      {"all addresses same cause",
       [] {
         return one(resolved("ssm", {tcp_failed("10.40.1.11", TcpOutcome::timeout),
                                     tcp_failed("10.40.2.11", TcpOutcome::timeout)}));
       },
       Status::critical,
       "tcp",
       "tcp.timeout",
       {},
       {},
       {"all 2 addresses timed out"}},
      {"IPv6 without a route while IPv4 works: ok",
       [] {
         return one(resolved("ssm", {usable("10.40.1.11", host_of("ssm")),
                                     tcp_failed("2600:1f14:abc:1::11", TcpOutcome::unreachable,
                                                "ENETUNREACH", 0.1)}));
       },
       Status::ok,
       nullptr,
       nullptr,
       {}},
      {"IPv6 EADDRNOTAVAIL while IPv4 works: ok",
       [] {
         return one(resolved("ssm", {tcp_failed("2600:1f14:abc:1::11", TcpOutcome::unreachable,
                                                "EADDRNOTAVAIL", 0.1),
                                     usable("10.40.1.11", host_of("ssm"))}));
       },
       Status::ok,
       nullptr,
       nullptr,
       {}},
      {"IPv6 host unreachable is not the no-route rule: warning",
       [] {
         return one(resolved("ssm", {usable("10.40.1.11", host_of("ssm")),
                                     tcp_failed("2600:1f14:abc:1::11", TcpOutcome::unreachable,
                                                "EHOSTUNREACH", 0.1)}));
       },
       Status::warning,
       "tcp",
       "tcp.unreachable",
       {"2600:1f14:abc:1::11"}},
      {"IPv6-only name without IPv6 route: critical",
       [] {
         return one(resolved("ssm", {tcp_failed("2600:1f14:abc:1::11", TcpOutcome::unreachable,
                                                "ENETUNREACH", 0.1)}));
       },
       Status::critical,
       "tcp",
       "tcp.unreachable",
       {"no IPv6 route"}},
      {"IPv6 no route does not hide an IPv4 failure",
       [] {
         return one(resolved(
             "ssm",
             {usable("10.40.1.11", host_of("ssm")), tcp_failed("10.40.2.11", TcpOutcome::timeout),
              tcp_failed("2600:1f14:abc:1::11", TcpOutcome::unreachable, "ENETUNREACH", 0.1)}));
       },
       Status::warning,
       "tcp",
       "tcp.timeout",
       {"1 of 2 addresses fails: 10.40.2.11"}},
      {"optional target failing is a warning",
       [] { return one(resolved("kms", {tcp_failed("10.40.1.20", TcpOutcome::timeout)}, false)); },
       Status::warning,
       "tcp",
       "tcp.timeout",
       {"10.40.1.20"}},
      {"optional target with DNS failure is a warning",
       [] {
         auto t = dns_failure("logs", DnsOutcome::nxdomain);
         t.target.required = false;
         return one(t);
       },
       Status::warning,
       "dns",
       "dns.nxdomain",
       {}},
      {"refused on a non-443 override port",
       [] {
         auto t = resolved("ssm", {tcp_failed("10.40.1.11", TcpOutcome::refused, "ECONNREFUSED")});
         t.target.port = 8443;
         t.target.host_source = "--endpoint";
         return one(t);
       },
       Status::critical,
       "tcp",
       "tcp.refused",
       {"TCP 8443", "port 443 only"}},
  };
}

}  // namespace

TEST_CASE("diagnosis: one rule per cause") {
  for (const auto& c : cause_cases()) {
    const std::string name = c.name;
    CAPTURE(name);
    const Evidence evidence = c.evidence();
    const Verdict verdict = diagnose(evidence);
    REQUIRE(verdict.targets.size() == 1);
    const TargetVerdict& t = verdict.targets.front();
    CAPTURE(t.explanation);
    CAPTURE(t.remedy);
    CAPTURE(t.headline);
    CHECK(t.status == c.status);
    CHECK(verdict.status == c.status);
    if (c.layer) {
      CHECK(layer_id(t.failed_layer()) == c.layer);
    } else {
      CHECK_FALSE(t.failed_layer().has_value());
    }
    if (c.cause) {
      CHECK(cause_id(t.cause) == c.cause);
      CHECK_FALSE(t.explanation.empty());
      CHECK_FALSE(t.remedy.empty());
      CHECK_FALSE(t.impact.empty());
      CHECK_FALSE(t.headline.empty());
    } else {
      CHECK_FALSE(t.cause.has_value());
      CHECK(t.impact.empty());
    }
    for (const auto& needle : c.in_explanation) {
      CAPTURE(needle);
      CHECK(has(t.explanation, needle));
    }
    for (const auto& needle : c.in_remedy) {
      CAPTURE(needle);
      CHECK(has(t.remedy, needle));
    }
    for (const auto& needle : c.in_headline) {
      CAPTURE(needle);
      CHECK(has(t.headline, needle));
    }
    // Plain ASCII, and explanations end like sentences.
    CHECK(is_ascii(t.explanation + t.remedy + t.headline + t.impact));
    for (const auto& n : verdict.notes) CHECK(is_ascii(n));
    if (!t.explanation.empty()) CHECK(t.explanation.back() == '.');
    // A pure function: the same evidence gives the same verdict.
    const Verdict again = diagnose(evidence);
    CHECK(again.targets.front().explanation == t.explanation);
    CHECK(again.targets.front().remedy == t.remedy);
  }
}

TEST_CASE("diagnosis: address verdicts carry class, cause and detail") {
  const auto v = diagnose(one(resolved(
      "ssm", {usable("10.40.1.11", host_of("ssm")), tcp_failed("52.94.1.1", TcpOutcome::timeout),
              tcp_failed("2600:1f14:abc:1::11", TcpOutcome::unreachable, "ENETUNREACH")})));
  const auto& a = v.targets.front().addresses;
  REQUIRE(a.size() == 3);
  CHECK(a[0].ip == "10.40.1.11");
  CHECK(a[0].address_class == "vpc");
  CHECK(a[0].usable);
  CHECK_FALSE(a[0].cause.has_value());
  CHECK(a[1].address_class == "public");
  CHECK_FALSE(a[1].usable);
  CHECK(a[1].failed_layer() == Layer::tcp);
  CHECK(a[1].cause == Cause::tcp_timeout);
  CHECK(a[1].detail == "TCP 443 timed out after 3.0 s");
  CHECK(a[2].address_class == "vpc");
  CHECK(a[2].cause == Cause::tcp_unreachable);
  CHECK(has(a[2].detail, "no IPv6 route on this instance"));
}

TEST_CASE("diagnosis: the IPv6 no-route rule leaves a note, not a warning") {
  const auto v = diagnose(one(resolved(
      "ssm", {usable("10.40.1.11", host_of("ssm")),
              tcp_failed("2600:1f14:abc:1::11", TcpOutcome::unreachable, "ENETUNREACH", 0.1)})));
  CHECK(v.status == Status::ok);
  CHECK(any_note_has(v, "2600:1f14:abc:1::11"));
  CHECK(any_note_has(v, "no IPv6 route on this instance"));
}

TEST_CASE("diagnosis: a name with more addresses than are probed leaves a note") {
  auto target = healthy("ssm", "10.40.1.11");
  std::vector<std::string> many;
  for (int i = 0; i < 300; ++i)
    many.push_back("10.40." + std::to_string(i / 250 + 1) + "." + std::to_string(i % 250 + 1));
  target.dns = dns_ok(target.target.host, many);
  const auto v = diagnose(one(target));
  CHECK(v.status == Status::ok);
  CHECK(any_note_has(v, "has 300 addresses; only the first 1 were probed"));
  // All probed: no note.
  CHECK_FALSE(any_note_has(diagnose(one(healthy("ssm", "10.40.1.11"))), "were probed"));
}

TEST_CASE("diagnosis: a run stopped by its deadline says so") {
  auto evidence = one(resolved("ssmmessages", {tcp_failed("10.40.1.11", TcpOutcome::timeout)}));
  evidence.context.deadline_s = 3;
  CHECK_FALSE(any_note_has(diagnose(evidence), "Deadline"));
  evidence.context.deadline_reached = true;
  const auto v = diagnose(evidence);
  CHECK(any_note_has(v, "Deadline: the run's limit of 3.0 s (--deadline) was reached"));
  CHECK(v.status == Status::critical);
}

TEST_CASE("diagnosis: overall status and exit code") {
  SUBCASE("worst over targets") {
    const auto v = diagnose(
        evidence_with({healthy("ssm", "10.40.1.10"),
                       resolved("ssmmessages", {tcp_failed("10.40.1.11", TcpOutcome::timeout)}),
                       resolved("kms", {tcp_failed("10.40.1.20", TcpOutcome::timeout)}, false)}));
    CHECK(v.targets[0].status == Status::ok);
    CHECK(v.targets[1].status == Status::critical);
    CHECK(v.targets[2].status == Status::warning);
    CHECK(v.status == Status::critical);
    CHECK(exit_code(v.status) == 2);
  }
  SUBCASE("only optional failures: warning, exit 1") {
    const auto v = diagnose(
        evidence_with({healthy("ssm", "10.40.1.10"), healthy("ssmmessages", "10.40.1.11"),
                       healthy("ec2messages", "10.40.1.12"),
                       resolved("s3", {tcp_failed("52.94.1.1", TcpOutcome::timeout)}, false)}));
    CHECK(v.status == Status::warning);
    CHECK(exit_code(v.status) == 1);
  }
  SUBCASE("all healthy: ok, exit 0") {
    const auto v =
        diagnose(evidence_with({healthy("ssm", "10.40.1.10"), healthy("ssmmessages", "10.40.1.11"),
                                healthy("ec2messages", "10.40.1.12")}));
    CHECK(v.status == Status::ok);
    CHECK(exit_code(v.status) == 0);
    CHECK(v.notes.empty());
  }
  SUBCASE("no targets: unknown") {
    const auto v = diagnose(evidence_with({}));
    CHECK(v.status == Status::unknown);
    CHECK(exit_code(v.status) == 3);
  }
  SUBCASE("no region: unknown with a note that says how to pass one") {
    auto e = evidence_with({healthy("ssm", "10.40.1.10")});
    e.context.region = {};
    const auto v = diagnose(e);
    CHECK(v.status == Status::unknown);
    CHECK(any_note_has(v, "--region"));
  }
}

TEST_CASE("diagnosis: impact per service") {
  struct Row {
    const char* service;
    const char* needle;
  };
  const Row rows[] = {
      {"ssm", "Connection lost"},
      {"ssmmessages", "TargetNotConnected"},
      {"ec2messages", "older than 3.3.40.0"},
      {"s3", "S3"},
      {"kms", "KMS"},
      {"logs", "CloudWatch Logs"},
      {"monitoring", "metrics"},
      {"sts", "STS"},
      {"ec2", "EC2 API"},
      {"custom", "custom"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.service);
    const auto v = diagnose(one(dns_failure(row.service, DnsOutcome::nxdomain)));
    CHECK(has(v.targets.front().impact, row.needle));
  }
  const auto partial =
      diagnose(one(resolved("ssmmessages", {usable("10.40.1.11", host_of("ssmmessages")),
                                            tcp_failed("10.40.1.12", TcpOutcome::timeout)})));
  CHECK(has(partial.targets.front().impact, "Intermittent"));
}

TEST_CASE("diagnosis: the clock rule") {
  auto expired_target = [](const std::string& service) {
    auto tls = tls_verify_errors(host_of(service), {X509_V_ERR_CERT_HAS_EXPIRED});
    tls.not_after = "2024-05-01T00:00:00Z";
    return resolved(service, {with_tls("10.40.1.11", tls)});
  };
  SUBCASE("expired certificates on two hosts blame the clock") {
    const auto v = diagnose(evidence_with({expired_target("ssm"), expired_target("ssmmessages")}));
    for (const auto& t : v.targets) {
      CHECK(t.cause == Cause::tls_expired);
      CHECK(has(t.explanation, "this instance's clock is the likely culprit"));
      CHECK(has(t.remedy, "169.254.169.123"));
      CHECK(has(t.remedy, "chronyc tracking"));
    }
    CHECK(any_note_has(v, "Clock suspect"));
  }
  SUBCASE("one expired certificate does not") {
    const auto v =
        diagnose(evidence_with({expired_target("ssm"), healthy("ssmmessages", "10.40.1.12")}));
    CHECK_FALSE(has(v.targets[0].explanation, "likely culprit"));
    CHECK_FALSE(any_note_has(v, "Clock suspect"));
  }
  SUBCASE("a trusted leaf that is not yet valid does") {
    auto tls = tls_verify_errors(host_of("ssm"), {X509_V_ERR_CERT_NOT_YET_VALID});
    const auto v = diagnose(evidence_with({resolved("ssm", {with_tls("10.40.1.11", tls)})}));
    CHECK(any_note_has(v, "Clock suspect"));
  }
  SUBCASE("expired certificates on untrusted chains (an inspecting proxy) do not") {
    auto stale = [](const std::string& service) {
      return with_tls(
          "10.40.1.1" + std::to_string(service.size()),
          tls_verify_errors(host_of(service), {X509_V_ERR_CERT_HAS_EXPIRED,
                                               X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY}));
    };
    const auto v = diagnose(evidence_with(
        {resolved("ssm", {stale("ssm")}), resolved("ssmmessages", {stale("ssmmessages")})}));
    CHECK(v.targets[0].cause == Cause::tls_untrusted);
    CHECK_FALSE(any_note_has(v, "Clock suspect"));
  }
  SUBCASE("an untrusted chain that is not yet valid does not") {
    auto tls = tls_verify_errors(host_of("ssm"), {X509_V_ERR_CERT_NOT_YET_VALID,
                                                  X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY});
    const auto v = diagnose(evidence_with({resolved("ssm", {with_tls("10.40.1.11", tls)})}));
    CHECK(v.targets[0].cause == Cause::tls_untrusted);
    CHECK_FALSE(any_note_has(v, "Clock suspect"));
  }
}

TEST_CASE("diagnosis: IMDS is a target, trust store notes") {
  SUBCASE("IMDSv2 answers: imds ok") {
    const auto v = diagnose(evidence_with({healthy("ssm", "10.40.1.10")}));
    REQUIRE(v.imds);
    CHECK(v.imds->status == Status::ok);
    CHECK(v.imds->host == "169.254.169.254");
    CHECK(v.imds->port == 80);
    CHECK(v.status == Status::ok);
  }
  SUBCASE("token PUT fails while GETs answer") {
    auto e = evidence_with({healthy("ssm", "10.40.1.10")});
    e.context.imds.token_ok = false;
    e.context.imds.calls = {
        {"PUT", "/latest/api/token", false, netcheck::HttpOutcome::timeout, 0, "timeout", 1000},
        {"GET", "/latest/meta-data/placement/region", false, netcheck::HttpOutcome::ok, 200, "",
         0.3}};
    const auto v = diagnose(e);
    REQUIRE(v.imds);
    CHECK(v.imds->cause == Cause::imds_token_failed);
    CHECK(v.imds->failed_layer() == Layer::imds);
    CHECK(has(v.imds->remedy, "--http-put-response-hop-limit 2"));
    CHECK(has(v.imds->explanation, "falls back to IMDSv1"));
    // IMDSv1 still works: degraded, not broken, and the impact says so.
    CHECK(v.imds->status == Status::warning);
    CHECK(v.status == Status::warning);
    CHECK(has(v.imds->impact, "falls back to IMDSv1"));
    CHECK(!has(v.imds->impact, "cannot start"));
  }
  SUBCASE("a PUT answered and no GET at all (a hand-made file): no crash") {
    auto e = evidence_with({healthy("ssm", "10.40.1.10")});
    e.context.imds.token_ok = false;
    e.context.imds.calls = {
        {"PUT", "/latest/api/token", false, netcheck::HttpOutcome::ok, 403, "", 0.4}};
    const auto v = diagnose(e);
    REQUIRE(v.imds);
    CHECK(v.imds->cause == Cause::imds_token_failed);
    CHECK(v.imds->status == Status::critical);
  }
  SUBCASE("token PUT fails and IMDSv2 is required: critical") {
    auto e = evidence_with({healthy("ssm", "10.40.1.10")});
    e.context.imds.token_ok = false;
    e.context.imds.calls = {
        {"PUT", "/latest/api/token", false, netcheck::HttpOutcome::timeout, 0, "timeout", 1000},
        {"GET", "/latest/meta-data/placement/region", false, netcheck::HttpOutcome::ok, 401, "",
         0.3}};
    const auto v = diagnose(e);
    REQUIRE(v.imds);
    CHECK(v.imds->cause == Cause::imds_token_failed);
    CHECK(v.imds->status == Status::critical);
    CHECK(has(v.imds->explanation, "HTTP 401"));
    CHECK(has(v.imds->impact, "cannot start"));
  }
  SUBCASE("a token, then no GET answers (a hostile or failing IMDS): critical") {
    auto e = evidence_with({healthy("ssm", "10.40.1.10")});
    e.context.imds.token_ok = true;
    e.context.imds.calls = {
        {"PUT", "/latest/api/token", false, netcheck::HttpOutcome::ok, 200, "", 0.4},
        {"GET", "/latest/meta-data/placement/region", true, netcheck::HttpOutcome::timeout, 0,
         "timeout", 1000},
        {"GET", "/latest/meta-data/instance-id", true, netcheck::HttpOutcome::timeout, 0, "timeout",
         1000}};
    const auto v = diagnose(e);
    REQUIRE(v.imds);
    CHECK(v.imds->cause == Cause::imds_timeout);
    CHECK(v.imds->status == Status::critical);
    CHECK(has(v.imds->explanation, "none of the 2 metadata GETs did"));
    CHECK(v.status == Status::critical);
  }
  SUBCASE("nothing answers") {
    auto e = evidence_with({healthy("ssm", "10.40.1.10")});
    e.context.imds.token_ok = false;
    e.context.imds.calls = {
        {"PUT", "/latest/api/token", false, netcheck::HttpOutcome::timeout, 0, "timeout", 1000}};
    const auto v = diagnose(e);
    REQUIRE(v.imds);
    CHECK(v.imds->cause == Cause::imds_unreachable);
    CHECK(v.imds->status == Status::critical);
    CHECK(has(v.imds->headline, "1.0 s"));
    CHECK(has(v.imds->remedy, "--http-endpoint enabled"));
    CHECK(v.status == Status::critical);
  }
  SUBCASE("skipped IMDS says nothing") {
    auto e = evidence_with({healthy("ssm", "10.40.1.10")});
    e.context.imds = {};
    e.context.imds.skipped_by = "--no-imds";
    CHECK(diagnose(e).notes.empty());
    CHECK_FALSE(diagnose(e).imds);
  }
  SUBCASE("no trust store") {
    auto e = evidence_with({healthy("ssm", "10.40.1.10")});
    e.context.trust_store = {"", "", "SSL_CERT_FILE=/nope: no such file"};
    CHECK(any_note_has(diagnose(e), "SSL_CERT_FILE=/nope"));
  }
}

TEST_CASE("diagnosis: a trust store that cannot be used: TLS not judged, the run unknown") {
  AddressEvidence tcp_only = tcp_failed("10.40.1.10", netcheck::TcpOutcome::ok);
  auto e = evidence_with(
      {resolved("ssm", {tcp_only}),
       resolved("ssmmessages", {tcp_failed("10.40.1.11", netcheck::TcpOutcome::timeout)}),
       dns_failure("ec2messages", netcheck::DnsOutcome::nxdomain)});
  e.context.trust_store = {"/tmp/empty.pem", "--ca-file",
                           "--ca-file /tmp/empty.pem cannot be used: it is empty"};
  SignedCallEvidence call;
  call.skipped =
      "the trust store cannot be used (--ca-file /tmp/empty.pem cannot be used: it "
      "is empty)";
  call.credentials_source = "instance-profile";
  e.signed_call = call;
  const Verdict v = diagnose(e);
  REQUIRE(v.targets.size() == 3);
  // TCP worked: TLS and what follows were skipped, never passed, never
  // blamed on the endpoint.
  CHECK(v.targets[0].status == Status::skipped);
  CHECK(v.targets[0].cause == Cause::tls_trust_store);
  CHECK(v.targets[0].failed_layer() == Layer::tls);
  CHECK(has(v.targets[0].explanation, "--ca-file /tmp/empty.pem cannot be used: it is empty"));
  CHECK(has(v.targets[0].explanation, "TCP 443 works"));
  CHECK_FALSE(v.targets[0].remedy.empty());
  REQUIRE(v.targets[0].addresses.size() == 1);
  CHECK(v.targets[0].addresses[0].cause == Cause::tls_trust_store);
  // What was checked keeps its finding.
  CHECK(v.targets[1].cause == Cause::tcp_timeout);
  CHECK(v.targets[1].status == Status::critical);
  CHECK(v.targets[2].cause == Cause::dns_nxdomain);
  // Whether the path works is unknown: exit 3, whatever else is found.
  CHECK(v.status == Status::unknown);
  CHECK(any_note_has(v, "tls.trust-store"));

  SUBCASE("alone, the run is unknown, not ok") {
    auto alone = evidence_with({resolved("ssm", {tcp_only})});
    alone.context.trust_store = e.context.trust_store;
    alone.signed_call = call;
    const Verdict only = diagnose(alone);
    CHECK(only.targets[0].status == Status::skipped);
    CHECK(only.status == Status::unknown);
  }
}

TEST_CASE("diagnosis: real IDs from IMDS replace placeholders") {
  auto e = one(resolved("ssmmessages", {tcp_failed("10.40.1.11", TcpOutcome::timeout)}));
  const std::string mac = "meta-data/network/interfaces/macs/0a:1b:2c:3d:4e:5f/";
  e.context.imds.facts[mac + "vpc-id"] = "vpc-0abc1234";
  e.context.imds.facts[mac + "subnet-id"] = "subnet-0def5678";
  e.context.imds.facts[mac + "security-group-ids"] = "sg-0aaa1111\nsg-0bbb2222";
  e.context.imds.facts["meta-data/local-ipv4"] = "10.40.3.7";
  const auto v = diagnose(e);
  // The explanation names who is dropped: this instance's address and groups.
  CHECK(has(v.targets.front().explanation, "this instance (10.40.3.7, sg-0aaa1111, sg-0bbb2222)"));
  const auto& remedy = v.targets.front().remedy;
  CHECK(has(remedy, "Values=vpc-0abc1234"));
  CHECK(has(remedy, "--source-group sg-0aaa1111"));
  CHECK_FALSE(has(remedy, "<vpc-id>"));
  // Without the facts, placeholders stand in.
  const auto plain =
      diagnose(one(resolved("ssmmessages", {tcp_failed("10.40.1.11", TcpOutcome::timeout)})));
  CHECK(has(plain.targets.front().remedy, "<vpc-id>"));
  CHECK(has(plain.targets.front().remedy, "<instance-sg-id>"));
}

TEST_CASE("diagnosis: ec2messages is required by the agent's version") {
  auto run = [](const char* version, bool ssmmessages_ok) {
    auto e = evidence_with(
        {healthy("ssm", "10.40.1.10"),
         ssmmessages_ok ? healthy("ssmmessages", "10.40.1.11")
                        : resolved("ssmmessages", {tcp_failed("10.40.1.11", TcpOutcome::timeout)}),
         resolved("ec2messages", {tcp_failed("10.40.1.12", TcpOutcome::timeout)})});
    if (*version) {
      e.context.agent.version.version = version;
      e.context.agent.version.source = "dpkg";
      e.context.agent.version.components = *parse_version(version);
    }
    return diagnose(e);
  };
  SUBCASE("unknown version: required, critical") {
    const auto v = run("", true);
    CHECK(v.targets[2].status == Status::critical);
    CHECK(v.targets[2].required);
    CHECK(v.status == Status::critical);
  }
  SUBCASE("old agent: required, and the explanation says why") {
    const auto v = run("3.2.582.0", true);
    CHECK(v.targets[2].status == Status::critical);
    CHECK(has(v.targets[2].explanation, "older than 3.3.40.0"));
  }
  SUBCASE("recent agent with working ssmmessages: a warning only") {
    const auto v = run("3.3.40.0", true);
    CHECK(v.targets[2].status == Status::warning);
    CHECK_FALSE(v.targets[2].required);
    CHECK(v.targets[2].cause == Cause::tcp_timeout);
    CHECK(has(v.targets[2].explanation, "does not need ec2messages"));
    CHECK(has(v.targets[2].impact, "fallback"));
    CHECK(v.status == Status::warning);
  }
  SUBCASE("recent agent whose ssmmessages is only degraded: still a warning") {
    auto e =
        evidence_with({healthy("ssm", "10.40.1.10"),
                       resolved("ssmmessages", {usable("10.40.1.11", host_of("ssmmessages")),
                                                tcp_failed("10.40.2.11", TcpOutcome::timeout)}),
                       resolved("ec2messages", {tcp_failed("10.40.1.12", TcpOutcome::timeout)})});
    e.context.agent.version = {"3.3.40.0", "log", "", {3, 3, 40, 0}, {}};
    const auto v = diagnose(e);
    CHECK(v.targets[1].status == Status::warning);
    CHECK(v.targets[2].status == Status::warning);
    CHECK(v.status == Status::warning);
  }
  SUBCASE("recent agent whose ssmmessages fails needs ec2messages") {
    const auto v = run("3.3.1142.0", false);
    CHECK(v.targets[2].status == Status::critical);
    CHECK(v.targets[2].required);
  }
}

TEST_CASE("diagnosis: an agent config the agent cannot load makes the run a warning") {
  auto e = evidence_with({healthy("ssm", "10.40.1.10")});
  e.context.agent.config.file = "/etc/amazon/ssm/amazon-ssm-agent.json";
  e.context.agent.config.warnings = {"/etc/amazon/ssm/amazon-ssm-agent.json: invalid JSON"};
  const auto v = diagnose(e);
  CHECK(v.status == Status::warning);
  CHECK(any_note_has(v, "SSM agent config: /etc/amazon/ssm/amazon-ssm-agent.json: invalid JSON"));
  // Without the warning the same run is ok.
  e.context.agent.config.warnings.clear();
  CHECK(diagnose(e).status == Status::ok);
}
