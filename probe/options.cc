#include "probe/options.h"

#include <curl/curl.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <memory>
#include <sstream>

#include "netcheck/proxy_url.h"
#include "probe/plan/region.h"
#include "probe/plan/services.h"
#include "probe/util/printable.h"
#include "probe/util/text_util.h"
#include "probe/version.h"

namespace ssmreach {

namespace {

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(part);
  if (!text.empty() && text.back() == separator) parts.emplace_back();
  return parts;
}

// Greedy word wrap with '\n' between lines.
std::string wrap_words(const std::string& text, std::size_t width) {
  std::string out, line, word;
  std::istringstream words(text);
  while (words >> word) {
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  return out + line;
}

// A usage problem: one line naming the flag and what it accepts.
struct UsageError {
  std::string message;
};

// Digits with at most one point among them ("2", "0.5", ".5", "2."): what
// strtod alone would also take ("0x10", "1e1", "inf", leading blanks) is not
// a number of seconds anyone types.
bool is_plain_decimal(const std::string& text) {
  const auto digits =
      std::count_if(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  const auto points = std::count(text.begin(), text.end(), '.');
  return digits > 0 && points <= 1 && digits + points == static_cast<std::ptrdiff_t>(text.size());
}

// A decimal number of seconds from `low` to `high`. strtod, not
// std::from_chars: the static release would carry libstdc++'s text-to-float
// tables for this one parse; nothing here sets a locale, so the point is '.'.
double parse_seconds(const char* flag, const std::string& text, double low, double high) {
  const double value = is_plain_decimal(text) ? std::strtod(text.c_str(), nullptr) : -1;
  if (!std::isfinite(value) || value < low || value > high) {
    std::ostringstream range;
    range << low << " to " << high;
    throw UsageError{std::string(flag) + ": '" + text +
                     "' is not a decimal number of seconds from " + range.str()};
  }
  return value;
}

double parse_timeout(const std::string& text) {
  return parse_seconds("--timeout", text, 0.05, 300);
}

// At least one second: below that not even IMDS's token gets its own limit.
double parse_deadline(const std::string& text) {
  return parse_seconds("--deadline", text, 1, 3600);
}

// libcurl's URL parser decides what a URL is; we only insist on a scheme.
// The URL is named without its user and password.
std::optional<std::string> url_problem(const std::string& name, const std::string& url,
                                       const std::vector<std::string>& schemes) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> handle(curl_url(), &curl_url_cleanup);
  char* scheme = nullptr;
  bool ok = handle && curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
            curl_url_get(handle.get(), CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK;
  std::string scheme_text = scheme ? scheme : "";
  curl_free(scheme);
  if (ok) ok = std::find(schemes.begin(), schemes.end(), scheme_text) != schemes.end();
  if (ok) return std::nullopt;
  return name + ": '" + netcheck::redact_url_credentials(url) + "' is not a URL (expected " +
         join(schemes, " or ") + "://HOST[:PORT])";
}

std::vector<std::string> parse_services(const std::string& text) {
  std::vector<std::string> services;
  for (const auto& name : split(text, ',')) {
    if (!is_known_service(name))
      throw UsageError{"--services: '" + name +
                       "' is not a service; accepted: " + join(known_services(), ",")};
    if (std::find(services.begin(), services.end(), name) == services.end())
      services.push_back(name);
  }
  if (services.empty())
    throw UsageError{"--services: empty list; accepted: " + join(known_services(), ",")};
  return services;
}

EndpointOverride parse_endpoint(const std::string& text) {
  auto eq = text.find('=');
  std::string service = text.substr(0, eq);
  // A password in the value is never repeated: not here, not in the
  // parser's words about it.
  const std::string shown =
      eq == std::string::npos
          ? text
          : service + "=" + netcheck::redact_url_credentials(text.substr(eq + 1));
  if (eq == std::string::npos || !is_known_service(service))
    throw UsageError{"--endpoint: '" + shown + "' is not SVC=HOST[:PORT] with SVC one of " +
                     join(known_services(), ",")};
  if (text.find('@', eq) != std::string::npos)
    throw UsageError{"--endpoint: '" + shown +
                     "': user information (USER:PASSWORD@) does not belong in an endpoint"};
  std::string error;
  auto endpoint = netcheck::parse_host_port(text.substr(eq + 1), 443, &error);
  if (!endpoint) throw UsageError{"--endpoint: '" + shown + "': " + error};
  return {service, *endpoint};
}

netcheck::DnsServer parse_dns_server(const std::string& text) {
  std::string error;
  auto host_port = netcheck::parse_host_port(text, 53, &error);
  auto ip = host_port ? netcheck::parse_ip(host_port->host) : std::nullopt;
  if (!ip)
    throw UsageError{
        "--dns-server: '" + netcheck::redact_url_credentials(text) +
        "' is not ADDR[:PORT] with a numeric IPv4 or IPv6 address" +
        (error.empty() || text.find('@') != std::string::npos ? "" : " (" + error + ")")};
  return {*ip, host_port->port};
}

constexpr const char* kDescription =
    "Checks, from this instance, every layer of the path the AWS Systems\n"
    "Manager agent needs (IMDS, DNS, TCP 443, TLS, HTTP, its proxy, its\n"
    "credentials) to the ssm, ssmmessages and ec2messages endpoints, up to\n"
    "one signed read-only call (ssm:ListInstanceAssociations; --no-auth\n"
    "skips it), and names the first broken layer, its root cause and the fix.\n\n"
    "Exit status: 0 ok, 1 warning, 2 critical, 3 unknown (bad usage, no region,\n"
    "an unreadable evidence file), 4 the report could not be written (stdout\n"
    "or stderr failed: a full disk, a closed pipe).\n\n"
    "The text report is 80 columns wide; on a terminal it takes COLUMNS or the\n"
    "terminal's width (60 to 120). NO_COLOR turns its colour off.\n\n"
    "To diagnose elsewhere: ssm-reach --save-evidence run.json, copy the file,\n"
    "then ssm-reach explain run.json.";

// The command line as CLI11 fills it in: each option's text, validated
// afterwards into Options. Flags without a value go straight to Options.
// Monitoring (README "Monitoring a fleet"): --textfile, --watch and the
// `fleet` subcommand, registered and checked here as one block.
struct MonitoringArgs {
  std::string textfile, watch, fleet_output;
  std::vector<std::string> fleet_files;
  CLI::App* fleet = nullptr;
};

void add_monitoring_options(CLI::App& app, MonitoringArgs& args,
                            const std::function<std::string(const std::string&)>& describe) {
  app.add_option("--textfile", args.textfile,
                 describe("Also write the verdict as Prometheus metrics to PATH (*.prom, "
                          "replaced atomically) for node_exporter's textfile collector"))
      ->type_name("PATH");
  app.add_option("--watch", args.watch,
                 describe("Run again every S seconds and print only what changed; Ctrl-C "
                          "or SIGTERM prints failures per address and names flapping ones"))
      ->type_name("S");
  args.fleet = app.add_subcommand(
      "fleet", describe("The boot checks' verdicts of many instances, from the JSON of 'aws "
                        "ec2 get-console-output' (files, or - for stdin); contacts nothing"));
  args.fleet->add_option("FILE", args.fleet_files,
                         describe("get-console-output JSON: one document, an array, or "
                                  "several in a row; - reads stdin"));
  args.fleet
      ->add_option("--output", args.fleet_output,
                   describe("Table format: text or json (default text)"))
      ->type_name("FORMAT");
  args.fleet->fallthrough();
}

// Checks the block's flags against the others; `output` is --output's text.
void check_monitoring_options(const CLI::App& app, const MonitoringArgs& args, std::string& output,
                              Options& o) {
  if (args.fleet->parsed()) {
    for (const CLI::Option* option : app.get_options()) {
      const std::string name = option->get_name();
      if (option->count() > 0 && name != "--help")
        throw UsageError{"fleet: " + name +
                         " does not apply (fleet reads console output and contacts nothing; "
                         "only its own --output does)"};
    }
    if (args.fleet_files.empty())
      throw UsageError{
          "fleet: needs FILE..., the JSON of 'aws ec2 get-console-output' (- for "
          "stdin)"};
    const std::string format = args.fleet_output.empty() ? "text" : args.fleet_output;
    if (format != "text" && format != "json")
      throw UsageError{"fleet: --output: '" + format + "' is not one of: text, json"};
    o.fleet = true;
    o.fleet_files = args.fleet_files;
    output = format;
    return;
  }
  if (app.count("--textfile")) {
    if (!args.textfile.ends_with(".prom") || args.textfile.ends_with("/.prom"))
      throw UsageError{"--textfile: '" + args.textfile +
                       "': node_exporter's textfile collector reads only files named *.prom"};
    o.textfile = args.textfile;
  }
  if (app.count("--watch")) {
    o.watch_s = parse_seconds("--watch", args.watch, 1, 86400);
    if (o.boot) throw UsageError{"--watch: does not apply with --boot (one check per boot)"};
    if (app.count("--save-evidence"))
      throw UsageError{
          "--watch: --save-evidence does not apply (every run would replace it); "
          "save one run without --watch"};
    if (output != "text")
      throw UsageError{"--watch: prints what changed as text; --output " + output +
                       " does not apply (--textfile writes the metrics after every run)"};
  }
}

struct RawOptions {
  std::string region, output = "text", ca_file, timeout, deadline, services, imds, proxy,
                      agent_config, save_evidence, boot_wait, boot_json, explain_file,
                      explain_output;
  std::vector<std::string> endpoints, dns_servers;
  bool dualstack = false, fips = false;
  MonitoringArgs monitoring;
};

// Descriptions are wrapped here (CLI11 indents after '\n'): --help must
// fit an 80-column serial console like the reports do.
std::string describe(const std::string& text) {
  constexpr std::size_t kDescriptionWidth = 80 - 31;
  return wrap_words(text, kDescriptionWidth);
}

// Declaring, part 1: what to check and how.
void declare_check_options(CLI::App& app, RawOptions& raw, Options& o) {
  app.add_option("--region", raw.region,
                 describe("Region to check (default: AWS_REGION, AWS_DEFAULT_REGION, the agent "
                          "config's Agent.Region, then IMDS)"))
      ->type_name("REGION");
  app.add_option("--output", raw.output,
                 describe("Report format: text, json or prometheus (default text)"))
      ->type_name("FORMAT");
  app.add_option("--ca-file", raw.ca_file,
                 describe("PEM trust store (default: AWS_CA_BUNDLE, SSL_CERT_FILE, then the "
                          "system bundle)"))
      ->type_name("PATH");
  app.add_option("--timeout", raw.timeout,
                 describe("Limit for each network step, in seconds (default 3, or --deadline "
                          "if shorter)"))
      ->type_name("S");
  app.add_option("--deadline", raw.deadline,
                 describe("Limit for the whole run, in seconds (default 20, or 6 x --timeout + 1 "
                          "if longer; with --boot, "
                          "counted after the boot wait): checks still running then are "
                          "reported as timed out"))
      ->type_name("S");
  app.add_option("--services", raw.services,
                 describe("Comma list (default ssm,ssmmessages,ec2messages; extras: "
                          "s3,kms,logs,monitoring,sts,ec2)"))
      ->type_name("LIST");
  app.add_option("--endpoint", raw.endpoints,
                 describe("Override one service's endpoint (repeatable)"))
      ->type_name("SVC=HOST[:PORT]");
  // Endpoint names (plan/endpoint_names.h): a flag, or --FLAG=false.
  app.add_flag(
      "--dualstack", raw.dualstack,
      describe("Check the dual-stack endpoint names (SVC.REGION.api.aws; default: the "
               "agent config's Agent.UseDualStackEndpoint, then "
               "AWS_USE_DUALSTACK_ENDPOINT); --dualstack=false checks the IPv4-only ones"));
  app.add_flag("--fips", raw.fips,
               describe("Check the FIPS endpoint names (SVC-fips.REGION.amazonaws.com, where "
                        "they exist; default: AWS_USE_FIPS_ENDPOINT)"));
  app.add_option("--dns-server", raw.dns_servers,
                 describe("Ask this resolver instead of /etc/resolv.conf (repeatable)"))
      ->type_name("ADDR[:PORT]");
  app.add_option("--imds-endpoint", raw.imds,
                 describe("Instance metadata URL (default AWS_EC2_METADATA_SERVICE_ENDPOINT, "
                          "then AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6 for "
                          "http://[fd00:ec2::254], the same in the agent's systemd unit, then "
                          "http://169.254.169.254)"))
      ->type_name("URL");
  app.add_flag("--no-imds", o.no_imds,
               describe("Do not contact IMDS (also AWS_EC2_METADATA_DISABLED=true)"));
  app.add_option("--agent-config", raw.agent_config,
                 describe("SSM agent config to read (default "
                          "/etc/amazon/ssm/amazon-ssm-agent.json)"))
      ->type_name("PATH");
  auto* proxy =
      app.add_option("--proxy", raw.proxy,
                     describe("Check the path through this proxy (default: the SSM agent's "
                              "https_proxy, then this shell's)"))
          ->type_name("URL");
  auto* no_proxy = app.add_flag("--no-proxy", o.no_proxy,
                                describe("Check only direct paths, whatever proxy is configured"));
  proxy->excludes(no_proxy);
  app.add_flag("--no-auth", o.no_auth,
               describe("Skip the signed read-only call (ssm:ListInstanceAssociations) "
                        "that checks credentials, IAM and the endpoint policy"));
}

// Declaring, part 2: where the results go, the boot mode, and `explain`
// (returned: of the options above only --output applies to it).
CLI::App* declare_output_options(CLI::App& app, RawOptions& raw, Options& o) {
  app.add_option("--save-evidence", raw.save_evidence,
                 describe("Also write everything observed to FILE (JSON, no secrets; - for "
                          "stdout) for 'ssm-reach explain FILE'"))
      ->type_name("FILE");
  app.add_flag("--force", o.force,
               describe("Replace an existing --save-evidence or --boot-json file even when it "
                        "is not an earlier ssm-reach report or evidence file"));
  app.add_flag("--boot", o.boot,
               describe("Boot check, for ssm-reach-boot.service: wait for the "
                        "network and IMDS (see --boot-wait), then print one "
                        "'ssm-reach:' line per target for the serial console and "
                        "write the JSON report to stderr and --boot-json"));
  app.add_option("--boot-wait", raw.boot_wait,
                 describe("--boot: longest wait for the network and IMDS, in seconds "
                          "(default 60)"))
      ->type_name("S");
  app.add_option("--boot-json", raw.boot_json,
                 describe("--boot: where the JSON report goes (default "
                          "/var/log/ssm-reach/boot.json)"))
      ->type_name("PATH");

  auto* explain = app.add_subcommand(
      "explain", describe("Diagnose an evidence file saved with --save-evidence, offline "
                          "(contacts nothing); same report and exit status as the run that "
                          "saved it"));
  explain->add_option("FILE", raw.explain_file,
                      describe("Evidence file written by --save-evidence (at most 8 MiB)"));
  explain
      ->add_option("--output", raw.explain_output,
                   describe("Report format: text, json or prometheus (default text)"))
      ->type_name("FORMAT");
  // Live-run flags after FILE reach validate_explain, which names them.
  explain->fallthrough();
  add_monitoring_options(app, raw.monitoring, describe);
  app.require_subcommand(0, 1);
  return explain;
}

// Validating: each part turns RawOptions into Options or throws UsageError.
void validate_explain(const CLI::App& app, const CLI::App& explain, RawOptions& raw, Options& o) {
  if (!explain.parsed()) return;
  for (const CLI::Option* option : app.get_options()) {
    const std::string name = option->get_name();
    if (option->count() > 0 && name != "--output" && name != "--help")
      throw UsageError{"explain: " + name +
                       " does not apply (explain replays FILE and contacts nothing; only "
                       "--output does)"};
  }
  if (raw.explain_file.empty())
    throw UsageError{"explain: needs FILE, an evidence file written with --save-evidence"};
  o.explain_file = raw.explain_file;
  if (explain.count("--output")) raw.output = raw.explain_output;
}

void validate_report(const CLI::App& app, const RawOptions& raw, Options& o) {
  if (app.count("--region")) {
    if (!is_valid_region_name(raw.region))
      throw UsageError{"--region: '" + raw.region +
                       "' is not a region name (like us-east-1 or eu-central-2)"};
    o.region = raw.region;
  }
  if (raw.output == "json")
    o.output = OutputFormat::json;
  else if (raw.output == "prometheus")
    o.output = OutputFormat::prometheus;
  else if (raw.output != "text")
    throw UsageError{"--output: '" + raw.output + "' is not one of: text, json, prometheus"};
  if (app.count("--ca-file")) {
    if (raw.ca_file.empty()) throw UsageError{"--ca-file: needs a path to a PEM file"};
    o.ca_file = raw.ca_file;
  }
}

void validate_timing(const CLI::App& app, const RawOptions& raw, Options& o) {
  if (app.count("--timeout")) o.timeout_s = parse_timeout(raw.timeout);
  if (app.count("--deadline")) {
    o.deadline_s = parse_deadline(raw.deadline);
    // The default step shrinks to fit a short deadline the user gave.
    if (!app.count("--timeout")) o.timeout_s = std::min(o.timeout_s, o.deadline_s);
  } else {
    // The contract takes any --timeout: the default deadline grows to fit
    // a run of long steps (the region wait and five steps, plus a second).
    o.deadline_s = std::max(o.deadline_s, 6 * o.timeout_s + 1);
  }
  // One step longer than the whole run, given both, could never finish.
  if (o.timeout_s > o.deadline_s) {
    std::ostringstream why;
    why << "--timeout: " << o.timeout_s << " s per step is longer than the whole run's --deadline ("
        << o.deadline_s << " s); raise --deadline too";
    throw UsageError{why.str()};
  }
}

void validate_sources(const CLI::App& app, const RawOptions& raw, Options& o) {
  if (app.count("--agent-config")) {
    if (raw.agent_config.empty()) throw UsageError{"--agent-config: needs a path to a JSON file"};
    o.agent_config = raw.agent_config;
  }
  if (app.count("--services")) o.services = parse_services(raw.services);
  for (const auto& e : raw.endpoints) o.endpoints.push_back(parse_endpoint(e));
  if (app.count("--dualstack")) o.naming.dualstack = raw.dualstack;
  if (app.count("--fips")) o.naming.fips = raw.fips;
  for (const auto& d : raw.dns_servers) o.dns_servers.push_back(parse_dns_server(d));
  if (app.count("--imds-endpoint")) {
    if (auto problem = url_problem("--imds-endpoint", raw.imds, {"http", "https"}))
      throw UsageError{*problem};
    o.imds_endpoint = raw.imds;
  }
}

void validate_outputs(const CLI::App& app, const RawOptions& raw, Options& o) {
  if (app.count("--save-evidence")) {
    if (raw.save_evidence.empty()) throw UsageError{"--save-evidence: needs a file name"};
    o.save_evidence = raw.save_evidence;
  }
  for (const char* flag : {"--boot-wait", "--boot-json"})
    if (!o.boot && app.count(flag))
      throw UsageError{std::string(flag) + ": applies only with --boot"};
  if (o.force && !o.boot && !o.save_evidence)
    throw UsageError{"--force: applies only with --save-evidence or --boot"};
  if (o.boot && app.count("--output"))
    throw UsageError{
        "--boot: prints its own summary and writes JSON to --boot-json; "
        "--output does not apply"};
  if (app.count("--boot-wait")) o.boot_wait_s = parse_seconds("--boot-wait", raw.boot_wait, 0, 600);
  if (app.count("--boot-json")) {
    if (raw.boot_json.empty()) throw UsageError{"--boot-json: needs a file name"};
    o.boot_json = raw.boot_json;
  }
}

void validate_proxy(const CLI::App& app, const RawOptions& raw, Options& o) {
  if (!app.count("--proxy")) return;
  // The same rules as the agent's https_proxy (a missing scheme is http).
  std::string error;
  if (!netcheck::parse_proxy_url(raw.proxy, &error))
    throw UsageError{"--proxy: '" + netcheck::redact_url_credentials(raw.proxy) + "': " + error +
                     " (expected [http://|https://][USER:PASSWORD@]HOST[:PORT])"};
  o.proxy = raw.proxy;
}

// Declaring: every option and subcommand, with where CLI11 puts its text.
// Returns the `explain` subcommand.
const CLI::App* declare(CLI::App& app, RawOptions& raw, Options& o) {
  app.set_version_flag("--version", std::string("ssm-reach ") + SSM_REACH_VERSION);
  app.get_formatter()->column_width(30);
  declare_check_options(app, raw, o);
  return declare_output_options(app, raw, o);
}

// Validating: what CLI11 parsed, into Options, in the order the checks are
// named in --help; the first problem is the usage error.
void validate(const CLI::App& app, const CLI::App& explain, RawOptions& raw, Options& o) {
  validate_explain(app, explain, raw, o);
  check_monitoring_options(app, raw.monitoring, raw.output, o);
  validate_report(app, raw, o);
  validate_timing(app, raw, o);
  validate_sources(app, raw, o);
  validate_outputs(app, raw, o);
  validate_proxy(app, raw, o);
}

ParsedCommandLine usage_error(const std::string& message) {
  ParsedCommandLine result;
  result.exit_code = 3;
  // Values from the command line are echoed: no control character of
  // theirs reaches the terminal.
  result.message = printable_line(message);
  return result;
}

}  // namespace

std::optional<std::string> check_environment(const Options& options, const GetEnv& env) {
  // Where the AWS SDKs read it: only when IMDS is asked and no flag names
  // it. An empty value is unset to them; anything else must be a URL, or
  // their configuration fails (and so does the agent's).
  if (options.explain_file || options.no_imds || options.imds_endpoint) return std::nullopt;
  if (auto disabled = env("AWS_EC2_METADATA_DISABLED")) {
    std::transform(disabled->begin(), disabled->end(), disabled->begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (*disabled == "true") return std::nullopt;
  }
  const auto endpoint = env(kImdsEndpointVariable);
  if (!endpoint || endpoint->empty()) return std::nullopt;
  if (auto problem = url_problem(kImdsEndpointVariable, *endpoint, {"http", "https"}))
    return "ssm-reach: " + printable_line(*problem);
  return std::nullopt;
}

ParsedCommandLine parse_command_line(int argc, const char* const* argv) {
  ParsedCommandLine result;
  RawOptions raw;
  CLI::App app(kDescription, "ssm-reach");
  const CLI::App* explain = declare(app, raw, result.options);
  try {
    app.parse(argc, argv);
    validate(app, *explain, raw, result.options);
  } catch (const CLI::CallForHelp&) {
    result.exit_code = 0;
    result.message = app.help();
  } catch (const CLI::CallForVersion&) {
    result.exit_code = 0;
    result.message = std::string("ssm-reach ") + SSM_REACH_VERSION + "\n";
  } catch (const CLI::ExtrasError& e) {
    return usage_error(std::string("ssm-reach: unexpected argument: ") + e.what() +
                       "; run 'ssm-reach --help' for the options");
  } catch (const CLI::ConversionError& e) {  // --dualstack=maybe
    return usage_error(std::string("ssm-reach: ") + e.what() +
                       " (a flag's value is true or false); run 'ssm-reach --help'");
  } catch (const CLI::ParseError& e) {
    return usage_error(std::string("ssm-reach: ") + e.what() + "; run 'ssm-reach --help'");
  } catch (const UsageError& e) {
    return usage_error("ssm-reach: " + e.message);
  }
  return result;
}

PlanRequest plan_request(const Options& options) {
  return PlanRequest{options.services, options.endpoints, options.naming};
}

ImdsFlags imds_flags(const Options& options) {
  return ImdsFlags{options.no_imds, options.imds_endpoint, options.timeout_s};
}

ProxyFlags proxy_flags(const Options& options) {
  return ProxyFlags{options.no_proxy, options.proxy};
}

}  // namespace ssmreach
