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
#include "probe/util/environment.h"

namespace ssmreach {

enum class OutputFormat { text, json, prometheus };

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
  // "-" is stdout (util/output_file.h says what may be replaced).
  std::optional<std::string> save_evidence;
  // --force: replace a --save-evidence or --boot-json file that is not an
  // earlier ssm-reach report (never a device, FIFO or link).
  bool force = false;
  // --boot: the systemd unit's mode (ssm-reach-boot.service): wait up to
  // boot_wait_s for the network and IMDS, then check; a short summary on
  // stdout (the console), the JSON report on stderr and in boot_json.
  bool boot = false;
  double boot_wait_s = 60.0;
  std::string boot_json = "/var/log/ssm-reach/boot.json";
  // `ssm-reach explain FILE`: diagnose a saved evidence file; contact nothing.
  std::optional<std::string> explain_file;
  // Monitoring (README "Monitoring a fleet"). --textfile PATH: also write the
  // verdict as Prometheus metrics to PATH, atomically, for node_exporter's
  // textfile collector.
  std::optional<std::string> textfile;
  // --watch S: run again every S seconds, print what changed, and a summary
  // when stopped (Ctrl-C, SIGTERM).
  std::optional<double> watch_s;
  // `ssm-reach fleet FILE...`: the boot checks' verdicts from the console
  // output of many instances ("-" is stdin); contacts nothing.
  std::vector<std::string> fleet_files;
  bool fleet = false;
};

// What main should do after parsing.
struct ParsedCommandLine {
  Options options;
  // Set when the program must exit right away: 0 after --help/--version
  // (text on stdout), 3 on bad usage (one line on stderr).
  std::optional<int> exit_code;
  std::string message;
};

// Declares the options (CLI11), then validates what was given; see
// options.cc. Messages echo values without passwords or control characters.
ParsedCommandLine parse_command_line(int argc, const char* const* argv);

// The command line stops here: each stage gets only its own settings.
PlanRequest plan_request(const Options& options);
ImdsFlags imds_flags(const Options& options);
ProxyFlags proxy_flags(const Options& options);

inline constexpr const char* kImdsEndpointVariable = "AWS_EC2_METADATA_SERVICE_ENDPOINT";

// The environment's settings that are validated like their flags, before
// the run: AWS_EC2_METADATA_SERVICE_ENDPOINT when IMDS would use it. One
// line for stderr ("ssm-reach: AWS_EC2_METADATA_SERVICE_ENDPOINT: ...",
// exit 3) when one is not usable.
std::optional<std::string> check_environment(const Options& options, const GetEnv& env);

}  // namespace ssmreach
