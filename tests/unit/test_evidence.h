// Builders of hand-made Evidence for the diagnosis and report unit tests.
#pragma once

#include <openssl/x509_vfy.h>

#include <optional>
#include <string>
#include <vector>

#include "probe/diagnose/cause.h"
#include "probe/evidence/evidence.h"

namespace ssmreach::test {

// The id of a cause as the JSON writes it ("tcp.timeout"), "" for none.
inline std::string cause_id(const std::optional<Cause>& cause) {
  return cause ? to_string(*cause) : "";
}

// The failed layer as the JSON writes it ("tcp"), "" for none.
inline std::string layer_id(const std::optional<Layer>& layer) {
  return layer ? to_string(*layer) : "";
}

inline netcheck::IpAddress ip(const std::string& text) {
  return {text.find(':') != std::string::npos ? netcheck::Family::v6 : netcheck::Family::v4, text};
}

inline netcheck::DnsServer server(const std::string& address, std::uint16_t port = 53) {
  return {ip(address), port};
}

inline netcheck::TcpResult tcp(netcheck::TcpOutcome outcome, const std::string& errno_name = "",
                               double ms = 0.8) {
  netcheck::TcpResult r;
  r.outcome = outcome;
  r.errno_name = errno_name;
  r.ms = ms;
  r.port = 443;
  return r;
}

inline netcheck::TlsResult tls_ok(const std::string& host) {
  netcheck::TlsResult r;
  r.server_name = host;
  r.outcome = netcheck::TlsOutcome::ok;
  r.version = "TLSv1.3";
  r.cipher = "TLS_AES_128_GCM_SHA256";
  r.subject = "CN=" + host;
  r.issuer = "CN=Amazon RSA 2048 M02,O=Amazon,C=US";
  r.issuer_cn = "Amazon RSA 2048 M02";
  r.sans = {host, "*." + host};
  r.not_before = "2024-01-01T00:00:00Z";
  r.not_after = "2025-01-31T23:59:59Z";
  r.ms = 2.5;
  return r;
}

inline netcheck::TlsResult tls_failed(const std::string& host, netcheck::TlsOutcome outcome,
                                      const std::string& error = "", double ms = 3000) {
  netcheck::TlsResult r;
  r.server_name = host;
  r.outcome = outcome;
  r.error = error;
  r.ms = ms;
  return r;
}

inline netcheck::TlsResult tls_verify_errors(const std::string& host, std::vector<int> codes) {
  auto r = tls_ok(host);
  for (int code : codes) {
    r.verify_errors.push_back({code, 0, "verify error " + std::to_string(code)});
  }
  return r;
}

inline AddressEvidence usable(const std::string& address, const std::string& host,
                              const std::string& source = "dns") {
  AddressEvidence a;
  a.ip = ip(address);
  a.source = source;
  a.tcp = tcp(netcheck::TcpOutcome::ok);
  a.tls = tls_ok(host);
  return a;
}

inline AddressEvidence tcp_failed(const std::string& address, netcheck::TcpOutcome outcome,
                                  const std::string& errno_name = "", double ms = 3000,
                                  const std::string& source = "dns") {
  AddressEvidence a;
  a.ip = ip(address);
  a.source = source;
  a.tcp = tcp(outcome, errno_name, ms);
  return a;
}

inline AddressEvidence with_tls(const std::string& address, netcheck::TlsResult tls,
                                const std::string& source = "dns") {
  AddressEvidence a;
  a.ip = ip(address);
  a.source = source;
  a.tcp = tcp(netcheck::TcpOutcome::ok);
  a.tls = std::move(tls);
  return a;
}

inline netcheck::DnsResult dns_ok(const std::string& name,
                                  const std::vector<std::string>& addresses,
                                  const std::string& by = "10.40.5.53") {
  netcheck::DnsResult r;
  r.name = name;
  r.outcome = netcheck::DnsOutcome::ok;
  for (const auto& a : addresses) r.addresses.push_back(ip(a));
  r.answered_by = server(by);
  netcheck::ServerAnswer answer;
  answer.server = server(by);
  answer.outcome = answer.outcome_a = netcheck::DnsOutcome::ok;
  answer.outcome_aaaa = netcheck::DnsOutcome::no_address;
  answer.addresses = r.addresses;
  answer.ms = 1.2;
  r.servers.push_back(answer);
  r.ms = 1.2;
  return r;
}

inline netcheck::DnsResult dns_failed(const std::string& name, netcheck::DnsOutcome outcome,
                                      const std::string& by = "10.40.5.53") {
  netcheck::DnsResult r;
  r.name = name;
  r.outcome = outcome;
  netcheck::ServerAnswer answer;
  answer.server = server(by);
  answer.outcome = answer.outcome_a = answer.outcome_aaaa = outcome;
  answer.error = outcome == netcheck::DnsOutcome::error ? "malformed reply" : "";
  answer.ms = outcome == netcheck::DnsOutcome::timeout ? 3000 : 1.0;
  r.servers.push_back(answer);
  if (outcome == netcheck::DnsOutcome::nxdomain || outcome == netcheck::DnsOutcome::no_address) {
    r.answered_by = server(by);
  }
  r.ms = answer.ms;
  return r;
}

inline std::string host_of(const std::string& service, const std::string& region = "eu-west-1") {
  return service + "." + region + ".amazonaws.com";
}

// A target whose name resolved to `addresses` (evidence for each given).
inline TargetEvidence resolved(const std::string& service, std::vector<AddressEvidence> addresses,
                               bool required = true) {
  TargetEvidence t;
  t.target.service = service;
  t.target.host = host_of(service);
  t.target.required = required;
  std::vector<std::string> ips;
  for (const auto& a : addresses) ips.push_back(a.ip.text);
  t.dns = dns_ok(t.target.host, ips);
  t.addresses = std::move(addresses);
  return t;
}

inline TargetEvidence healthy(const std::string& service, const std::string& address) {
  return resolved(service, {usable(address, host_of(service))});
}

inline TargetEvidence dns_failure(const std::string& service, netcheck::DnsOutcome outcome) {
  TargetEvidence t;
  t.target.service = service;
  t.target.host = host_of(service);
  t.dns = dns_failed(t.target.host, outcome);
  return t;
}

inline Evidence base_evidence() {
  Evidence e;
  e.context.tool_version = "0.1.0";
  e.context.started_at = "2024-06-01T12:00:00Z";
  e.context.timeout_s = 3;
  e.context.region = {"eu-west-1", "--region"};
  e.context.partition_suffix = "amazonaws.com";
  e.context.resolvers = {server("10.40.5.53")};
  e.context.resolvers_source = "/etc/resolv.conf";
  e.context.trust_store = {"/etc/ssl/certs/ca-certificates.crt", "system", ""};
  e.context.imds.attempted = true;
  e.context.imds.endpoint = "http://169.254.169.254";
  e.context.imds.token_ok = true;
  e.context.imds.calls = {
      {"PUT", "/latest/api/token", false, netcheck::HttpOutcome::ok, 200, "", 0.4},
      {"GET", "/latest/meta-data/placement/region", true, netcheck::HttpOutcome::ok, 200, "", 0.3}};
  e.context.imds.facts["meta-data/placement/region"] = "eu-west-1";
  e.context.imds.facts["meta-data/network/interfaces/macs/0a:1b:2c:3d:4e:5f/vpc-ipv4-cidr-blocks"] =
      "10.40.0.0/16\n100.64.0.0/16";
  e.context.imds.facts["meta-data/network/interfaces/macs/0a:1b:2c:3d:4e:5f/vpc-ipv6-cidr-blocks"] =
      "2600:1f14:abc::/56";
  e.elapsed_ms = 41.3;
  return e;
}

inline Evidence evidence_with(std::vector<TargetEvidence> targets) {
  Evidence e = base_evidence();
  e.targets = std::move(targets);
  return e;
}

}  // namespace ssmreach::test
