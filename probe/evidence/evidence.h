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
#include "probe/evidence/agent_facts.h"
#include "probe/evidence/endpoint_naming.h"
#include "probe/evidence/target.h"

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
  // How many times it was sent: IMDS is asked again, as the AWS SDKs do,
  // after a 429, a 5xx, or a transport failure once IMDS has answered.
  int attempts = 1;
  std::string earlier{};  // how the earlier attempts ended: "429, no answer in time"
  // Why an answer (HTTP 200) is of no use, in plain words without any
  // secret: "cut at 16 KiB", "region \"x\" is not a region name". Empty when
  // the answer is usable or there was none.
  std::string bad_answer{};
};

// The AWS credentials IMDS serves, described without a secret: the access
// key id, secret key and session token are never part of the evidence (they
// live in AwsCredentials, in memory only, for the signed call).
struct CredentialEvidence {
  // "instance-profile", "default-host-management" (the EC2 instance identity
  // of Default Host Management Configuration), or "" when IMDS serves none.
  std::string source;
  std::string role;                  // instance profile role name
  std::string instance_profile_arn;  // from meta-data/iam/info
  std::string code;                  // IMDS's "Code": "Success" or an error code
  std::string last_updated;          // ISO 8601, as IMDS says
  std::string expiration;            // ISO 8601, as IMDS says
  std::string error;                 // why none could be read, in plain words
};

struct ImdsEvidence {
  bool attempted = false;
  std::string endpoint;  // base URL, "http://169.254.169.254"
  // Who chose it: "--imds-endpoint", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
  // "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE" (this shell, or the file of the
  // agent's unit that sets it); empty for the default.
  std::string endpoint_source{};
  // An IMDS setting that could not be used, in plain words: an
  // AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE that is neither IPv4 nor IPv6.
  std::string endpoint_note{};
  std::string skipped_by;  // "--no-imds", "AWS_EC2_METADATA_DISABLED"
  bool token_ok = false;   // IMDSv2 token obtained
  bool v1_used = false;    // GETs were made without a token
  std::vector<ImdsCall> calls;
  // Facts read, keyed by metadata path below /latest/ ("meta-data/placement/region").
  std::map<std::string, std::string> facts;
  // Only when IMDS answered: what the agent would authenticate with.
  std::optional<CredentialEvidence> credentials;
};

// What the SSM agent on this host will use: its config file, a hybrid
// (on-premises) registration, its installed version.
struct AgentEvidence {
  AgentConfig config;
  AgentRegistration registration;
  AgentVersion version;
};

// The proxy settings the SSM agent runs with (proxy_settings.h), with any
// user:password in the URLs removed.
struct ProxyEvidence {
  std::string https_proxy;  // "http://proxy.corp:3128", "" for none
  std::string http_proxy;   // used for http:// URLs: IMDS
  std::string no_proxy;     // as written
  bool https_proxy_has_credentials = false;
  bool http_proxy_has_credentials = false;
  // Where the settings came from: "--proxy", "--no-proxy", "environment",
  // or the agent's unit file or drop-in that sets them.
  std::string source;
  std::vector<std::string> notes;  // e.g. the shell has a proxy the agent lacks
};

struct RunContext {
  std::string tool_version;
  std::string started_at;  // wall clock, ISO 8601 UTC
  double timeout_s = 3;
  double deadline_s = 20;         // --deadline
  bool deadline_reached = false;  // the deadline stopped checks still running
  Sourced region;
  std::string partition_suffix;  // "amazonaws.com"
  // How the default endpoint names were built (dual-stack, FIPS) and why.
  EndpointNaming naming{};
  std::vector<netcheck::DnsServer> resolvers;
  std::string resolvers_source;  // "--dns-server", "/etc/resolv.conf"
  std::string resolvers_error;
  // The Amazon-provided resolver as this VPC offers it (VPC base + 2 when
  // IMDS gave the CIDR, and 169.254.169.253); empty when not compared.
  std::vector<netcheck::DnsServer> vpc_resolvers;
  netcheck::TrustStore trust_store;
  ImdsEvidence imds;
  AgentEvidence agent;
  ProxyEvidence proxy;
};

// An HTTPS request to an endpoint and the answer: any HTTP response from the
// service proves the path end to end.
struct HttpEvidence {
  netcheck::HttpOutcome outcome = netcheck::HttpOutcome::error;
  long status = 0;
  std::string request_id;  // x-amzn-RequestId
  std::string date;        // the Date header, as sent
  // Date minus the local clock when the answer arrived, in seconds (Date has
  // one-second resolution); absent without a parseable Date.
  std::optional<double> clock_offset_s;
  std::string error;
  double ms = 0;
};

// The path through a proxy: TCP to the proxy, CONNECT host:443, TLS through
// the tunnel, then the same HTTPS request as on the direct path.
struct ProxyPathEvidence {
  std::string proxy;  // URL without credentials
  // Where it stopped: "proxy-connect" (TCP to the proxy), "connect" (the
  // CONNECT answer was not 2xx), "tls" (handshake through the tunnel),
  // "http", or "" when an HTTP answer arrived.
  std::string failed_stage;
  long connect_status = 0;     // the proxy's answer to CONNECT (200, 403, 407)
  long tls_verify_result = 0;  // X509_V_OK (0) or OpenSSL's verify error
  HttpEvidence http;
};

// One address of a target and what each layer saw on it.
struct AddressEvidence {
  netcheck::IpAddress ip;
  std::string source;  // "dns", "hosts", "literal"
  std::optional<netcheck::TcpResult> tcp;
  std::optional<netcheck::TlsResult> tls;  // only after TCP ok
  std::optional<HttpEvidence> http;        // only after TLS ok
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
  // The agent reaches this target through a proxy: that path, checked.
  std::optional<ProxyPathEvidence> proxy_path;
  // The no_proxy entry that sends this target direct despite a proxy.
  std::string no_proxy_match;
};

// ssm:ListInstanceAssociations for this instance, signed with the instance's
// credentials and sent the way the agent would send it: 200 proves that
// credentials, IAM and the endpoint policy all let the agent in.
struct SignedCallEvidence {
  std::string skipped;             // why not made: "--no-auth", "no credentials", ...
  std::string via;                 // "10.0.1.10" (direct, pinned) or the proxy URL
  std::string credentials_source;  // as CredentialEvidence::source
  HttpEvidence http;
  std::string error_type;  // the AWS error's __type, "AccessDeniedException"
  std::string error_message;
};

struct Evidence {
  RunContext context;
  std::vector<TargetEvidence> targets;
  std::optional<SignedCallEvidence> signed_call;
  double elapsed_ms = 0;
};

}  // namespace ssmreach
