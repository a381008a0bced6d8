// The command line (docs/contract.md), parsed and validated.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "netcheck/dns.h"
#include "netcheck/endpoint.h"
#include "probe/gather/imds.h"
#include "probe/host/proxy_settings.h"
#include "probe/plan/plan.h"

namespace ssmreach {

enum class OutputFormat { text, json };

struct Options {
  std::optional<std::string> region;
  OutputFormat output = OutputFormat::text;
  std::optional<std::string> ca_file;
  double timeout_s = 3.0;
  // --deadline: the whole run's limit, from start (or, with --boot, from the
  // end of the boot wait) to the report; unfinished checks are then reported
  // as timed out.
  double deadline_s = 20.0;
  std::vector<std::string> services;  // empty: the defaults
  std::vector<EndpointOverride> endpoints;
  NamingFlags naming{};  // --dualstack[=BOOL], --fips[=BOOL]
  std::vector<netcheck::DnsServer> dns_servers;
  std::optional<std::string> imds_endpoint;
  bool no_imds = false;
  std::optional<std::string> agent_config;  // the agent's config file to read
  std::optional<std::string> proxy;
  bool no_proxy = false;
  bool no_auth = false;  // skip the signed call
  // --save-evidence FILE: write what the run observed (evidence_file.h).
  std::optional<std::string> save_evidence;
  // --boot: the systemd unit's mode (ssm-reach-boot.service): wait up to
  // boot_wait_s for the network and IMDS, then check; a short summary on
  // stdout (the console), the JSON report on stderr and in boot_json.
  bool boot = false;
  double boot_wait_s = 60.0;
  std::string boot_json = "/var/log/ssm-reach/boot.json";
  // `ssm-reach explain FILE`: diagnose a saved evidence file; contact nothing.
  std::optional<std::string> explain_file;
};

// What main should do after parsing.
struct ParsedCommandLine {
  Options options;
  // Set when the program must exit right away: 0 after --help/--version
  // (text on stdout), 3 on bad usage (one line on stderr).
  std::optional<int> exit_code;
  std::string message;
};

ParsedCommandLine parse_command_line(int argc, const char* const* argv);

// The command line stops here: each stage gets only its own settings.
PlanRequest plan_request(const Options& options);
ImdsFlags imds_flags(const Options& options);
ProxyFlags proxy_flags(const Options& options);

}  // namespace ssmreach
