// ssm-reach: which layer of the path to AWS Systems Manager is broken, and why.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <future>
#include <iostream>

#include "netcheck/event_loop.h"
#include "netcheck/init.h"
#include "probe/agent_context.h"
#include "probe/boot_json_file.h"
#include "probe/boot_wait.h"
#include "probe/diagnosis.h"
#include "probe/environment.h"
#include "probe/evidence_file.h"
#include "probe/gather.h"
#include "probe/http_evidence.h"
#include "probe/imds.h"
#include "probe/instance_facts.h"
#include "probe/options.h"
#include "probe/plan.h"
#include "probe/proxy_settings.h"
#include "probe/region.h"
#include "probe/report.h"
#include "probe/report_boot.h"
#include "probe/run_deadline.h"
#include "probe/signed_call.h"
#include "probe/version.h"

namespace ssmreach {
namespace {

std::string utc_now_iso8601() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

bool want_color(const GetEnv& env) {
  return ::isatty(STDOUT_FILENO) == 1 && !env("NO_COLOR") && env("TERM") != "dumb";
}

void resolve_resolvers(const Options& options, RunContext& context) {
  if (!options.dns_servers.empty()) {
    context.resolvers = options.dns_servers;
    context.resolvers_source = "--dns-server";
    return;
  }
  auto system = netcheck::read_system_resolvers();
  context.resolvers = std::move(system.servers);
  context.resolvers_source = "/etc/resolv.conf";
  context.resolvers_error =
      system.error.empty() ? std::move(system.fallback_note) : std::move(system.error);
}

// --boot: the JSON report to stderr (the unit's journal) and to
// --boot-json, then the short summary on stdout (the serial console). The
// console's last line says where the details are.
void report_boot(const Evidence& evidence, const Verdict& verdict, const Options& options) {
  const std::string json = render_json(evidence, verdict);
  std::cerr << json;
  std::cerr.flush();
  std::string error;
  std::string details = options.boot_json;
  if (!write_boot_json(options.boot_json, json, &error)) {
    std::cout << boot_line("warning: report not saved: " + error);
    details = "journalctl -u ssm-reach-boot";
  }
  std::cout << render_boot_summary(verdict, details);
}

// Diagnoses, prints the report, and returns the exit status.
int report(const Evidence& evidence, const Options& options, TextStyle style,
           const std::string& replay_of = "") {
  const Verdict verdict = diagnose(evidence);
  if (options.boot)
    report_boot(evidence, verdict, options);
  else if (options.output == OutputFormat::json)
    std::cout << render_json(evidence, verdict);
  else
    std::cout << render_text(evidence, verdict, style, replay_of);
  std::cout.flush();
  return exit_code(verdict.status);
}

// IMDS as the options and the environment set it; a hybrid (on-premises)
// registration takes its identity from SSM, not IMDS: there is no IMDS to
// require.
ImdsSettings imds_for_this_host(const Options& options, const GetEnv& env,
                                const RunContext& context) {
  ImdsSettings imds = imds_settings(options, env);
  if (imds.enabled && context.agent.registration.hybrid()) {
    imds.enabled = false;
    imds.skipped_by =
        "hybrid registration " + context.agent.registration.managed_instance_id->value;
  }
  return imds;
}

// --boot: early in boot the network, its resolv.conf and IMDS may not be
// there yet: wait for them (bounded), then check whatever the state is.
void wait_for_boot_if_asked(const Options& options, const ImdsSettings& imds) {
  if (!options.boot) return;
  const auto bound = std::chrono::duration_cast<netcheck::Duration>(
      std::chrono::duration<double>(options.boot_wait_s));
  std::cout << boot_line("boot " + std::string(SSM_REACH_VERSION) + ": " +
                         describe(wait_for_boot(imds, bound), options.boot_wait_s));
  std::cout.flush();
}

SignedCallSettings signed_call_settings(const Options& options, const ImdsSettings& imds,
                                        const RunContext& context, const ProxySettings& proxy,
                                        netcheck::Duration step, const std::string& user_agent) {
  SignedCallSettings signed_settings;
  signed_settings.skip_reason = options.no_auth ? "--no-auth"
                                : imds.enabled  ? ""
                                                : "IMDS is not used (" + imds.skipped_by + ")";
  signed_settings.timeout = step;
  signed_settings.ca_file = context.trust_store.path;
  signed_settings.ca_embedded = context.trust_store.embedded;
  signed_settings.user_agent = user_agent;
  if (proxy.https) {
    signed_settings.proxy_curl_url = proxy.https->for_curl();
    signed_settings.proxy_redacted = proxy.https->redacted();
  }
  return signed_settings;
}

// On EC2 (IMDS answered) and with resolvers other than the VPC's own, the
// VPC resolver is asked too: its answer tells a bypass from a missing
// endpoint. Needs both the IMDS facts and the targets' names.
void compare_with_vpc_resolver(netcheck::EventLoop& loop, Evidence& evidence,
                               netcheck::Duration step) {
  RunContext& context = evidence.context;
  if (!any_answered(context.imds)) return;
  auto vpc = amazon_resolvers(instance_facts(context.imds).primary_cidr);
  bool all_vpc = std::all_of(context.resolvers.begin(), context.resolvers.end(), [&](auto& r) {
    return std::find(vpc.begin(), vpc.end(), r) != vpc.end();
  });
  if (all_vpc && !context.resolvers.empty()) return;
  context.vpc_resolvers = std::move(vpc);
  start_vpc_dns(loop, context.vpc_resolvers, step, &evidence.targets);
}

GatherSettings gather_settings(const RunContext& context, const netcheck::TlsClientContext* tls,
                               netcheck::Duration step, const std::string& user_agent,
                               SignedCallStarter& signed_call) {
  GatherSettings gather;
  gather.step_timeout = step;
  gather.resolvers = context.resolvers;
  gather.tls = tls;
  gather.ca_file = context.trust_store.path;
  gather.ca_embedded = context.trust_store.embedded;
  gather.user_agent = user_agent;
  gather.on_answer = [&signed_call](const TargetEvidence& target, const AddressEvidence* address) {
    signed_call.path_answered(target, address);
  };
  // A direct address is good enough for the signed call once its TLS
  // verified: the call need not wait for that address's GET /.
  gather.on_verified = [&signed_call](const TargetEvidence& target,
                                      const AddressEvidence& address) {
    signed_call.path_answered(target, &address);
  };
  return gather;
}

void say_no_region(const RunContext& context, const std::string& region_warning) {
  std::cerr << "ssm-reach: no region: pass --region REGION or set AWS_REGION"
            << (context.imds.attempted ? " (IMDS did not tell it)"
                                       : " (IMDS is disabled: " + context.imds.skipped_by + ")")
            << "\n";
  if (!region_warning.empty()) std::cerr << "ssm-reach: " << region_warning << "\n";
}

// The run's own facts, the agent's files, and its version, which may take
// a short exec of its binary: found in the background while the network is
// probed. Up to two binaries are tried: together they take at most half the
// deadline, so the report never waits for them.
std::future<AgentVersion> start_context(const Options& options, const GetEnv& env,
                                        RunContext& context) {
  context.tool_version = SSM_REACH_VERSION;
  context.started_at = utc_now_iso8601();
  context.timeout_s = options.timeout_s;
  context.deadline_s = options.deadline_s;
  AgentPaths agent_files =
      agent_paths(env("SSM_REACH_AGENT_ROOT").value_or(""), options.agent_config.value_or(""));
  agent_files.version.exec_timeout_s =
      std::min(agent_files.version.exec_timeout_s, options.deadline_s / 4);
  auto agent_version = std::async(std::launch::async, detect_agent_version, agent_files.version);
  context.agent = read_agent_files(agent_files);
  return agent_version;
}

// The region (flag, environment, agent), the resolvers and the trust store;
// returns a warning about the region's environment, or "".
std::string settle_local_context(const Options& options, const GetEnv& env, RunContext& context) {
  std::string region_warning;
  context.region = region_from_flag_or_env(options.region, env, &region_warning);
  if (context.region.empty()) context.region = agent_region(context.agent);
  resolve_resolvers(options, context);
  context.trust_store = netcheck::find_trust_store(options.ca_file);
  return region_warning;
}

// No region from the flag, the environment or the agent: IMDS's, if valid.
void take_region_from_imds(RunContext& context) {
  if (!context.region.empty()) return;
  auto it = context.imds.facts.find("meta-data/placement/region");
  if (it != context.imds.facts.end() && is_valid_region_name(it->second))
    context.region = {it->second, "imds"};
}

// --save-evidence: a file that cannot be written does not change what the
// run found: the exit status stays the diagnosis's (monitoring relies on
// it), and stderr says why the file is missing.
void save_evidence_if_asked(const Options& options, const Evidence& evidence) {
  std::string save_error;
  if (options.save_evidence && !save_evidence_file(*options.save_evidence, evidence, &save_error))
    std::cerr << "ssm-reach: warning: evidence not saved: " << save_error << "\n";
}

int run(const Options& options) {
  const GetEnv env = process_environment();
  const auto started = netcheck::Clock::now();
  const auto step = netcheck::seconds(options.timeout_s);

  Evidence evidence;
  RunContext& context = evidence.context;
  auto agent_version = start_context(options, env, context);

  const ImdsSettings imds = imds_for_this_host(options, env, context);
  wait_for_boot_if_asked(options, imds);
  // Everything up to the report ends by the deadline, counted from the
  // start; with --boot from the end of the wait, which has its own bound
  // (--boot-wait).
  RunDeadline deadline((options.boot ? netcheck::Clock::now() : started) +
                       netcheck::seconds(options.deadline_s));

  const std::string region_warning = settle_local_context(options, env, context);

  std::string tls_error;
  auto tls = netcheck::TlsClientContext::create(context.trust_store, &tls_error);
  if (!tls) {
    std::cerr << "ssm-reach: cannot set up TLS: " << tls_error << "\n";
    return 3;
  }

  const ProxySettings proxy = resolve_proxy_settings(
      options, env, read_agent_service_environment(env("SSM_REACH_AGENT_ROOT").value_or("")));
  context.proxy = proxy.evidence;
  const std::string user_agent = std::string("ssm-reach/") + SSM_REACH_VERSION;

  netcheck::EventLoop loop;
  SignedCallStarter signed_call(
      loop, signed_call_settings(options, imds, context, proxy, step, user_agent),
      &evidence.signed_call);
  // Secret: for the signed call only, never in the evidence.
  AwsCredentials credentials;
  bool imds_done = false;
  bool targets_started = false;
  // The VPC resolver's comparison needs both the IMDS facts and the targets.
  auto compare_resolvers = [&] {
    if (imds_done && targets_started) compare_with_vpc_resolver(loop, evidence, step);
  };
  ImdsCallbacks imds_callbacks;
  // The signed call needs the credentials and the instance id, not the
  // interface facts that IMDS tells last.
  imds_callbacks.on_credentials = [&] {
    signed_call.credentials_settled(context.imds, credentials);
    credentials = AwsCredentials{};
  };
  imds_callbacks.on_done = [&] {
    imds_done = true;
    compare_resolvers();
  };
  start_imds(loop, imds, &context.imds, &credentials, std::move(imds_callbacks));

  // Without a region there is nothing to plan: IMDS must answer first. Its
  // own timeouts and retries bound this. Only the identity document is
  // waited for: the rest of IMDS (the credentials, the interface facts)
  // goes on beside DNS and the endpoints.
  if (context.region.empty() && !imds_done) {
    deadline.run(loop, netcheck::Clock::now() + imds_region_bound(imds),
                 [&] { return imds_region_settled(context.imds); });
  }
  take_region_from_imds(context);

  std::vector<Target> targets;
  if (!context.region.empty()) {
    const auto& domain = context.agent.config.service_domain;
    context.partition_suffix = domain ? domain->value : partition_suffix(context.region.value);
    targets = plan_targets(options, context.region.value, context.agent.config);
    const GatherSettings gather =
        gather_settings(context, tls.get(), step, user_agent, signed_call);
    signed_call.set_region(context.region.value);
    start_targets(loop, targets, gather, &evidence.targets);
    if (proxy.https) {
      ProxyRoute route{proxy.https->for_curl(), proxy.https->redacted(), proxy.no_proxy};
      start_proxy_paths(loop, route, gather, &evidence.targets);
    }
    targets_started = true;
    compare_resolvers();
    // DNS, TCP, TLS, HTTP and the signed call each get `step`; the backstop
    // only catches a task that would overrun its own limit. The deadline
    // cuts both: with the defaults (3 s steps, 16 s backstop, 20 s deadline)
    // only a longer --timeout or a shorter --deadline lets it bite.
    deadline.run(loop, netcheck::Clock::now() + 5 * step + std::chrono::seconds(1));
  } else {
    say_no_region(context, region_warning);
  }

  context.deadline_reached = deadline.reached();
  signed_call.finish();
  context.agent.version = agent_version.get();
  evidence.elapsed_ms = netcheck::ms_between(started, netcheck::Clock::now());
  const int code = report(evidence, options, TextStyle{want_color(env), 80});
  save_evidence_if_asked(options, evidence);
  return code;
}

// `ssm-reach explain FILE`: the same diagnosis and report on recorded
// evidence; nothing is contacted. An unusable file is exit 3 (unknown).
int explain(const Options& options) {
  std::string error;
  auto evidence = load_evidence_file(*options.explain_file, &error);
  if (!evidence) {
    std::cerr << "ssm-reach: explain: " << error << "\n";
    return 3;
  }
  return report(*evidence, options, TextStyle{want_color(process_environment()), 80},
                *options.explain_file);
}

}  // namespace
}  // namespace ssmreach

int main(int argc, char** argv) {
  // A peer that resets the connection must not kill us with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  std::string error;
  if (!netcheck::global_init(&error)) {
    std::cerr << "ssm-reach: " << error << "\n";
    return 3;
  }
  auto parsed = ssmreach::parse_command_line(argc, argv);
  if (parsed.exit_code) {
    (*parsed.exit_code == 0 ? std::cout : std::cerr)
        << parsed.message << (parsed.message.ends_with('\n') ? "" : "\n");
    return *parsed.exit_code;
  }
  try {
    if (parsed.options.explain_file) return ssmreach::explain(parsed.options);
    return ssmreach::run(parsed.options);
  } catch (const std::exception& e) {
    std::cerr << "ssm-reach: internal error: " << e.what() << "\n";
    return 3;
  }
}
