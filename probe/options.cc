#include "probe/options.h"

#include <curl/curl.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>

#include "netcheck/proxy_url.h"
#include "probe/plan/region.h"
#include "probe/plan/services.h"
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

// A decimal number of seconds from `low` to `high`.
double parse_seconds(const char* flag, const std::string& text, double low, double high) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !std::isfinite(value) || value < low || value > high) {
    std::ostringstream range;
    range << low << " to " << high;
    throw UsageError{std::string(flag) + ": '" + text + "' is not a number of seconds from " +
                     range.str()};
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
void check_url(const char* flag, const std::string& url, const std::vector<std::string>& schemes) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> handle(curl_url(), &curl_url_cleanup);
  char* scheme = nullptr;
  bool ok = handle && curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
            curl_url_get(handle.get(), CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK;
  std::string scheme_text = scheme ? scheme : "";
  curl_free(scheme);
  if (ok) ok = std::find(schemes.begin(), schemes.end(), scheme_text) != schemes.end();
  if (!ok)
    throw UsageError{std::string(flag) + ": '" + netcheck::redact_url_credentials(url) +
                     "' is not a URL (expected " + join(schemes, " or ") + "://HOST[:PORT])"};
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
  if (eq == std::string::npos || !is_known_service(service))
    throw UsageError{"--endpoint: '" + text + "' is not SVC=HOST[:PORT] with SVC one of " +
                     join(known_services(), ",")};
  std::string error;
  auto endpoint = netcheck::parse_host_port(text.substr(eq + 1), 443, &error);
  if (!endpoint) throw UsageError{"--endpoint: '" + text + "': " + error};
  return {service, *endpoint};
}

netcheck::DnsServer parse_dns_server(const std::string& text) {
  std::string error;
  auto host_port = netcheck::parse_host_port(text, 53, &error);
  auto ip = host_port ? netcheck::parse_ip(host_port->host) : std::nullopt;
  if (!ip)
    throw UsageError{"--dns-server: '" + text +
                     "' is not ADDR[:PORT] with a numeric IPv4 or IPv6 address" +
                     (error.empty() ? "" : " (" + error + ")")};
  return {*ip, host_port->port};
}

constexpr const char* kDescription =
    "Checks, from this instance, every layer of the path the AWS Systems\n"
    "Manager agent needs (IMDS, DNS, TCP 443, TLS, HTTP, its proxy, its\n"
    "credentials) to the ssm, ssmmessages and ec2messages endpoints, up to\n"
    "one signed read-only call (ssm:ListInstanceAssociations; --no-auth\n"
    "skips it), and names the first broken layer, its root cause and the fix.\n\n"
    "Exit status: 0 ok, 1 warning, 2 critical, 3 unknown (bad usage, no region,\n"
    "an unreadable evidence file).\n\n"
    "To diagnose elsewhere: ssm-reach --save-evidence run.json, copy the file,\n"
    "then ssm-reach explain run.json.";

}  // namespace

ParsedCommandLine parse_command_line(int argc, const char* const* argv) {
  ParsedCommandLine result;
  Options& o = result.options;

  CLI::App app(kDescription, "ssm-reach");
  app.set_version_flag("--version", std::string("ssm-reach ") + SSM_REACH_VERSION);
  app.get_formatter()->column_width(30);

  std::string region, output = "text", ca_file, timeout, deadline, services, imds, proxy,
                      agent_config;
  std::vector<std::string> endpoints, dns_servers;
  // Descriptions are wrapped here (CLI11 indents after '\n'): --help must
  // fit an 80-column serial console like the reports do.
  constexpr std::size_t kDescriptionWidth = 80 - 31;
  auto describe = [&](const std::string& text) { return wrap_words(text, kDescriptionWidth); };
  app.add_option("--region", region,
                 describe("Region to check (default: AWS_REGION, AWS_DEFAULT_REGION, the agent "
                          "config's Agent.Region, then IMDS)"))
      ->type_name("REGION");
  app.add_option("--output", output, describe("Report format: text or json (default text)"))
      ->type_name("FORMAT");
  app.add_option("--ca-file", ca_file,
                 describe("PEM trust store (default: AWS_CA_BUNDLE, SSL_CERT_FILE, then the "
                          "system bundle)"))
      ->type_name("PATH");
  app.add_option("--timeout", timeout,
                 describe("Limit for each network step, in seconds (default 3)"))
      ->type_name("S");
  app.add_option("--deadline", deadline,
                 describe("Limit for the whole run, in seconds (default 20, or 6 x --timeout + 1 "
                          "if longer; with --boot, "
                          "counted after the boot wait): checks still running then are "
                          "reported as timed out"))
      ->type_name("S");
  app.add_option("--services", services,
                 describe("Comma list (default ssm,ssmmessages,ec2messages; extras: "
                          "s3,kms,logs,monitoring,sts,ec2)"))
      ->type_name("LIST");
  app.add_option("--endpoint", endpoints, describe("Override one service's endpoint (repeatable)"))
      ->type_name("SVC=HOST[:PORT]");
  // Endpoint names (plan/endpoint_names.h): a flag, or --FLAG=false.
  bool dualstack = false, fips = false;
  app.add_flag(
      "--dualstack", dualstack,
      describe("Check the dual-stack endpoint names (SVC.REGION.api.aws; default: the "
               "agent config's Agent.UseDualStackEndpoint, then "
               "AWS_USE_DUALSTACK_ENDPOINT); --dualstack=false checks the IPv4-only ones"));
  app.add_flag("--fips", fips,
               describe("Check the FIPS endpoint names (SVC-fips.REGION.amazonaws.com, where "
                        "they exist; default: AWS_USE_FIPS_ENDPOINT)"));
  app.add_option("--dns-server", dns_servers,
                 describe("Ask this resolver instead of /etc/resolv.conf (repeatable)"))
      ->type_name("ADDR[:PORT]");
  app.add_option("--imds-endpoint", imds,
                 describe("Instance metadata URL (default AWS_EC2_METADATA_SERVICE_ENDPOINT, "
                          "then AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6 for "
                          "http://[fd00:ec2::254], the same in the agent's systemd unit, then "
                          "http://169.254.169.254)"))
      ->type_name("URL");
  app.add_flag("--no-imds", o.no_imds,
               describe("Do not contact IMDS (also AWS_EC2_METADATA_DISABLED=true)"));
  app.add_option("--agent-config", agent_config,
                 describe("SSM agent config to read (default "
                          "/etc/amazon/ssm/amazon-ssm-agent.json)"))
      ->type_name("PATH");
  auto* proxy_opt =
      app.add_option("--proxy", proxy,
                     describe("Check the path through this proxy (default: the SSM agent's "
                              "https_proxy, then this shell's)"))
          ->type_name("URL");
  auto* no_proxy_opt = app.add_flag(
      "--no-proxy", o.no_proxy, describe("Check only direct paths, whatever proxy is configured"));
  proxy_opt->excludes(no_proxy_opt);
  app.add_flag("--no-auth", o.no_auth,
               describe("Skip the signed read-only call (ssm:ListInstanceAssociations) "
                        "that checks credentials, IAM and the endpoint policy"));
  std::string save_evidence;
  app.add_option("--save-evidence", save_evidence,
                 describe("Also write everything observed to FILE (JSON, no secrets) for "
                          "'ssm-reach explain FILE'"))
      ->type_name("FILE");

  app.add_flag("--boot", o.boot,
               describe("Boot check, for ssm-reach-boot.service: wait for the "
                        "network and IMDS (see --boot-wait), then print one "
                        "'ssm-reach:' line per target for the serial console and "
                        "write the JSON report to stderr and --boot-json"));
  std::string boot_wait, boot_json;
  app.add_option("--boot-wait", boot_wait,
                 describe("--boot: longest wait for the network and IMDS, in seconds "
                          "(default 60)"))
      ->type_name("S");
  app.add_option("--boot-json", boot_json,
                 describe("--boot: where the JSON report goes (default "
                          "/var/log/ssm-reach/boot.json)"))
      ->type_name("PATH");

  // `explain` replays a file: of the options above only --output applies.
  std::string explain_file, explain_output;
  auto* explain = app.add_subcommand(
      "explain", describe("Diagnose an evidence file saved with --save-evidence, offline "
                          "(contacts nothing); same report and exit status as the run that "
                          "saved it"));
  explain->add_option("FILE", explain_file, describe("Evidence file written by --save-evidence"));
  explain
      ->add_option("--output", explain_output,
                   describe("Report format: text or json (default text)"))
      ->type_name("FORMAT");
  // Live-run flags after FILE reach the check below, which names them.
  explain->fallthrough();
  app.require_subcommand(0, 1);

  try {
    app.parse(argc, argv);
    if (explain->parsed()) {
      for (const CLI::Option* option : app.get_options()) {
        const std::string name = option->get_name();
        if (option->count() > 0 && name != "--output" && name != "--help")
          throw UsageError{"explain: " + name +
                           " does not apply (explain replays FILE and contacts nothing; only "
                           "--output does)"};
      }
      if (explain_file.empty())
        throw UsageError{"explain: needs FILE, an evidence file written with --save-evidence"};
      o.explain_file = explain_file;
      if (explain->count("--output")) output = explain_output;
    }
    if (app.count("--region")) {
      if (!is_valid_region_name(region))
        throw UsageError{"--region: '" + region +
                         "' is not a region name (like us-east-1 or eu-central-2)"};
      o.region = region;
    }
    if (output == "json")
      o.output = OutputFormat::json;
    else if (output != "text")
      throw UsageError{"--output: '" + output + "' is not one of: text, json"};
    if (app.count("--ca-file")) {
      if (ca_file.empty()) throw UsageError{"--ca-file: needs a path to a PEM file"};
      o.ca_file = ca_file;
    }
    if (app.count("--timeout")) o.timeout_s = parse_timeout(timeout);
    if (app.count("--deadline")) {
      o.deadline_s = parse_deadline(deadline);
    } else {
      // The contract takes any --timeout: the default deadline grows to fit
      // a run of long steps (the region wait and five steps, plus a second).
      o.deadline_s = std::max(o.deadline_s, 6 * o.timeout_s + 1);
    }
    // One step longer than the whole run, given both, could never finish.
    if (o.timeout_s > o.deadline_s) {
      std::ostringstream why;
      why << "--timeout: " << o.timeout_s
          << " s per step is longer than the whole run's --deadline (" << o.deadline_s
          << " s); raise --deadline too";
      throw UsageError{why.str()};
    }
    if (app.count("--agent-config")) {
      if (agent_config.empty()) throw UsageError{"--agent-config: needs a path to a JSON file"};
      o.agent_config = agent_config;
    }
    if (app.count("--services")) o.services = parse_services(services);
    for (const auto& e : endpoints) o.endpoints.push_back(parse_endpoint(e));
    if (app.count("--dualstack")) o.naming.dualstack = dualstack;
    if (app.count("--fips")) o.naming.fips = fips;
    for (const auto& d : dns_servers) o.dns_servers.push_back(parse_dns_server(d));
    if (app.count("--imds-endpoint")) {
      check_url("--imds-endpoint", imds, {"http", "https"});
      o.imds_endpoint = imds;
    }
    if (app.count("--save-evidence")) {
      if (save_evidence.empty()) throw UsageError{"--save-evidence: needs a file name"};
      o.save_evidence = save_evidence;
    }
    for (const char* flag : {"--boot-wait", "--boot-json"})
      if (!o.boot && app.count(flag))
        throw UsageError{std::string(flag) + ": applies only with --boot"};
    if (o.boot && app.count("--output"))
      throw UsageError{
          "--boot: prints its own summary and writes JSON to --boot-json; "
          "--output does not apply"};
    if (app.count("--boot-wait")) o.boot_wait_s = parse_seconds("--boot-wait", boot_wait, 0, 600);
    if (app.count("--boot-json")) {
      if (boot_json.empty()) throw UsageError{"--boot-json: needs a file name"};
      o.boot_json = boot_json;
    }
    if (app.count("--proxy")) {
      // The same rules as the agent's https_proxy (a missing scheme is http).
      std::string error;
      if (!netcheck::parse_proxy_url(proxy, &error))
        throw UsageError{"--proxy: '" + netcheck::redact_url_credentials(proxy) + "': " + error +
                         " (expected [http://|https://][USER:PASSWORD@]HOST[:PORT])"};
      o.proxy = proxy;
    }
  } catch (const CLI::CallForHelp&) {
    result.exit_code = 0;
    result.message = app.help();
    return result;
  } catch (const CLI::CallForVersion&) {
    result.exit_code = 0;
    result.message = std::string("ssm-reach ") + SSM_REACH_VERSION + "\n";
    return result;
  } catch (const CLI::ExtrasError& e) {
    result.exit_code = 3;
    result.message = std::string("ssm-reach: unexpected argument: ") + e.what() +
                     "; run 'ssm-reach --help' for the options";
    return result;
  } catch (const CLI::ConversionError& e) {  // --dualstack=maybe
    result.exit_code = 3;
    result.message = std::string("ssm-reach: ") + e.what() +
                     " (a flag's value is true or false); run 'ssm-reach --help'";
    return result;
  } catch (const CLI::ParseError& e) {
    result.exit_code = 3;
    result.message = std::string("ssm-reach: ") + e.what() + "; run 'ssm-reach --help'";
    return result;
  } catch (const UsageError& e) {
    result.exit_code = 3;
    result.message = "ssm-reach: " + e.message;
    return result;
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
