// Everything a run observed, as plain data: the only input of the diagnosis.
//
// Gathering fills this in (gather.cc); diagnosis (diagnosis.cc) reads it and
// never touches the network, so a recorded Evidence replays offline.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "netcheck/dns.h"
#include "netcheck/http.h"
#include "netcheck/tcp.h"
#include "netcheck/tls.h"
#include "netcheck/trust_store.h"
#include "probe/agent_config.h"
#include "probe/agent_version.h"
#include "probe/target.h"

namespace ssmreach {

// A setting and where it came from ("--region", "AWS_REGION", "imds", ...).
struct Sourced {
  std::string value;
  std::string source;
  bool empty() const { return value.empty(); }
};

// One request to the instance metadata service.
struct ImdsCall {
  std::string method;  // "PUT", "GET"
  std::string path;    // "/latest/api/token"
  bool with_token = false;
  netcheck::HttpOutcome outcome = netcheck::HttpOutcome::error;
  long status = 0;
  std::string error;
  double ms = 0;
};

struct ImdsEvidence {
  bool attempted = false;
  std::string endpoint;    // base URL, "http://169.254.169.254"
  std::string skipped_by;  // "--no-imds", "AWS_EC2_METADATA_DISABLED"
  bool token_ok = false;   // IMDSv2 token obtained
  bool v1_used = false;    // GETs were made without a token
  std::vector<ImdsCall> calls;
  // Facts read, keyed by metadata path below /latest/ ("meta-data/placement/region").
  std::map<std::string, std::string> facts;
};

// What the SSM agent on this host will use: its config file, a hybrid
// (on-premises) registration, its installed version.
struct AgentEvidence {
  AgentConfig config;
  AgentRegistration registration;
  AgentVersion version;
};

struct RunContext {
  std::string tool_version;
  std::string started_at;  // wall clock, ISO 8601 UTC
  double timeout_s = 3;
  Sourced region;
  std::string partition_suffix;  // "amazonaws.com"
  std::vector<netcheck::DnsServer> resolvers;
  std::string resolvers_source;  // "--dns-server", "/etc/resolv.conf"
  std::string resolvers_error;
  // The Amazon-provided resolver as this VPC offers it (VPC base + 2 when
  // IMDS gave the CIDR, and 169.254.169.253); empty when not compared.
  std::vector<netcheck::DnsServer> vpc_resolvers;
  netcheck::TrustStore trust_store;
  ImdsEvidence imds;
  AgentEvidence agent;
};

// One address of a target and what each layer saw on it.
struct AddressEvidence {
  netcheck::IpAddress ip;
  std::string source;  // "dns", "hosts", "literal"
  std::optional<netcheck::TcpResult> tcp;
  std::optional<netcheck::TlsResult> tls;  // only after TCP ok
};

struct TargetEvidence {
  Target target;
  bool host_is_literal = false;            // an IP: no DNS step
  std::vector<netcheck::IpAddress> hosts;  // pinned by /etc/hosts
  std::optional<netcheck::DnsResult> dns;  // absent for literals
  // The same name asked of the Amazon-provided resolver, when the configured
  // resolvers are others (custom DNS): what the VPC itself would answer.
  std::optional<netcheck::DnsResult> vpc_dns;
  std::vector<AddressEvidence> addresses;
};

struct Evidence {
  RunContext context;
  std::vector<TargetEvidence> targets;
  double elapsed_ms = 0;
};

}  // namespace ssmreach
