#include "probe/live_run.h"

#include <algorithm>
#include <ctime>
#include <future>
#include <memory>

#include "netcheck/event_loop.h"
#include "netcheck/http.h"
#include "netcheck/tls.h"
#include "probe/evidence/http_evidence.h"
#include "probe/evidence/instance_facts.h"
#include "probe/gather/boot_wait.h"
#include "probe/gather/gather.h"
#include "probe/gather/imds.h"
#include "probe/gather/signed_call.h"
#include "probe/gather/tls_setup.h"
#include "probe/host/agent_context.h"
#include "probe/host/agent_service_env.h"
#include "probe/host/proxy_settings.h"
#include "probe/plan/endpoint_names.h"
#include "probe/plan/plan.h"
#include "probe/plan/region.h"
#include "probe/report/report_boot.h"
#include "probe/util/printable.h"
#include "probe/util/run_deadline.h"
#include "probe/util/standard_streams.h"
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

// One live run: each step a member, in the order gather() calls them.
class LiveRun {
 public:
  LiveRun(const Options& options, const GetEnv& env, netcheck::TimePoint started)
      : options_(options),
        env_(env),
        started_(started),
        step_(netcheck::seconds(options.timeout_s)) {}

  Evidence gather() {
    read_host();
    wait_for_boot_if_asked();
    read_proxy_settings();
    // IMDS first: its first packets leave before the rest is read, which
    // then overlaps with their round trip.
    start_imds_conversation();
    prepare_network();
    wait_for_region();
    if (context().region.empty())
      say_no_region();
    else
      probe_targets();
    return finish();
  }

 private:
  RunContext& context() { return evidence_.context; }

  // What the agent on this host would use: its files (the version in the
  // background, as it may take a short exec), and whether IMDS is asked.
  void read_host() {
    context().tool_version = SSM_REACH_VERSION;
    context().started_at = utc_now_iso8601();
    context().timeout_s = options_.timeout_s;
    context().deadline_s = options_.deadline_s;
    // Up to two binaries are tried: together they take at most half the
    // deadline, so the report never waits for them.
    AgentPaths agent_files =
        agent_paths(env_("SSM_REACH_AGENT_ROOT").value_or(""), options_.agent_config.value_or(""));
    agent_files.version.exec_timeout_s =
        std::min(agent_files.version.exec_timeout_s, options_.deadline_s / 4);
    agent_version_ = std::async(std::launch::async, detect_agent_version, agent_files.version);
    context().agent = read_agent_files(agent_files);
    agent_env_ = read_agent_service_environment(env_("SSM_REACH_AGENT_ROOT").value_or(""));

    imds_ = imds_settings(imds_flags(options_), env_, agent_variables());
    // A hybrid (on-premises) registration takes its identity from SSM, not
    // IMDS: there is no IMDS to require.
    if (imds_.enabled && context().agent.registration.hybrid()) {
      imds_.enabled = false;
      imds_.skipped_by =
          "hybrid registration " + context().agent.registration.managed_instance_id->value;
    }
  }

  // Early in boot the network, its resolv.conf and IMDS may not be there
  // yet: wait for them (bounded), then check whatever the state is. The
  // deadline counts from the start; with --boot from the end of the wait,
  // which has its own bound (--boot-wait).
  void wait_for_boot_if_asked() {
    if (options_.boot) {
      const auto bound = std::chrono::duration_cast<netcheck::Duration>(
          std::chrono::duration<double>(options_.boot_wait_s));
      const std::string waited = describe(wait_for_boot(imds_, bound), options_.boot_wait_s);
      write_stdout(boot_start_line(SSM_REACH_VERSION, utc_now_iso8601(), waited));
    }
    deadline_.emplace((options_.boot ? netcheck::Clock::now() : started_) +
                      netcheck::seconds(options_.deadline_s));
  }

  // The proxy the agent runs with (the signed call takes it).
  void read_proxy_settings() {
    proxy_ = resolve_proxy_settings(proxy_flags(options_), env_, agent_env_);
    context().proxy = proxy_.evidence;
  }

  // The region as far as it is known without IMDS and the resolvers; the
  // trust store on another thread (nothing needs it before DNS has
  // answered).
  void prepare_network() {
    tls_setup_ = std::async(std::launch::async, set_up_tls, options_.ca_file);
    context().region = region_from_flag_or_env(options_.region, env_, &region_warning_);
    if (context().region.empty()) context().region = agent_region(context().agent);
    resolve_resolvers(options_, context());
  }

  // The trust store, once: from here on TLS checks can start. A store that
  // cannot be used is evidence (tls.trust-store): the TLS checks, the HTTPS
  // requests and the signed call are not made, everything else is.
  void take_tls_setup() {
    if (!tls_setup_.valid()) return;
    TlsSetup setup = tls_setup_.get();
    context().trust_store = std::move(setup.trust_store);
    anchors_ = std::move(setup.anchors);
    tls_state_->trust = anchors_;
    signed_call_->set_trust(anchors_);
    if (!anchors_)
      signed_call_->set_skip_reason("the trust store cannot be used (" +
                                    context().trust_store.error + ")");
  }

  // The agent's own environment variables, with the file that sets each.
  AgentEnv agent_variables() const {
    return [this](const char* name) -> std::optional<AgentVariable> {
      const auto it = agent_env_.vars.find(name);
      if (it == agent_env_.vars.end()) return std::nullopt;
      const auto source = agent_env_.var_source.find(name);
      return AgentVariable{it->second, source == agent_env_.var_source.end() ? agent_env_.unit_file
                                                                             : source->second};
    };
  }

  SignedCallSettings signed_call_settings() const {
    SignedCallSettings settings;
    settings.skip_reason = options_.no_auth ? "--no-auth"
                           : imds_.enabled  ? ""
                                            : "IMDS is not used (" + imds_.skipped_by + ")";
    settings.timeout = step_;
    settings.client = client_;
    settings.user_agent = user_agent_;
    if (proxy_.https) {
      settings.proxy_curl_url = proxy_.https->for_curl();
      settings.proxy_redacted = proxy_.https->redacted();
    }
    return settings;
  }

  // IMDS, beside everything else: the signed call waits for its credentials
  // (not for the interface facts it tells last), the resolver comparison
  // for its facts.
  void start_imds_conversation() {
    signed_call_.emplace(loop_, signed_call_settings(), &evidence_.signed_call);
    ImdsCallbacks callbacks;
    callbacks.on_credentials = [this] {
      signed_call_->credentials_settled(context().imds, credentials_);
      credentials_ = AwsCredentials{};
    };
    callbacks.on_done = [this] {
      imds_done_ = true;
      compare_resolvers();
    };
    imds_.client = client_;
    start_imds(loop_, imds_, &context().imds, &credentials_, std::move(callbacks));
  }

  // Without a region there is nothing to plan: IMDS must answer first. Its
  // own timeouts and retries bound this. Only the identity document is
  // waited for: the rest of IMDS goes on beside DNS and the endpoints.
  void wait_for_region() {
    if (!context().region.empty()) return;
    if (!imds_done_)
      deadline_->run(loop_, netcheck::Clock::now() + imds_region_bound(imds_),
                     [this] { return imds_region_settled(context().imds); });
    auto it = context().imds.facts.find("meta-data/placement/region");
    if (it != context().imds.facts.end() && is_valid_region_name(it->second))
      context().region = {it->second, "imds"};
  }

  GatherSettings gather_settings() {
    GatherSettings gather;
    gather.step_timeout = step_;
    gather.resolvers = context().resolvers;
    gather.tls = tls_state_;
    gather.client = client_;
    gather.user_agent = user_agent_;
    gather.on_answer = [this](const TargetEvidence& target, const AddressEvidence* address) {
      signed_call_->path_answered(target, address);
    };
    // A direct address is good enough for the signed call once its TLS
    // verified: the call need not wait for that address's GET /.
    gather.on_verified = [this](const TargetEvidence& target, const AddressEvidence& address) {
      signed_call_->path_answered(target, &address);
    };
    // The signed call is the ssm endpoint's one HTTPS exchange.
    gather.claim = [this](const TargetEvidence& target, std::size_t index,
                          AddressExchange exchange) {
      signed_call_->claim(target, index, std::move(exchange));
    };
    return gather;
  }

  // Every target's path (and the proxy's), until all checks end or the
  // deadline stops them.
  void probe_targets() {
    const auto& domain = context().agent.config.service_domain;
    context().partition_suffix = domain ? domain->value : partition_suffix(context().region.value);
    const PlanRequest request = plan_request(options_);
    context().naming = choose_endpoint_naming(request.naming, context().agent.config, env_);
    targets_ =
        plan_targets(request, context().region.value, context().agent.config, context().naming);
    const GatherSettings gather = gather_settings();
    signed_call_->set_region(context().region.value);
    // DNS first (its queries leave now); the trust store is needed only
    // once a TCP connect completes, in the loop.
    start_targets(loop_, targets_, gather, &evidence_.targets);
    take_tls_setup();
    // Through the proxy the path ends in TLS and HTTPS: not without trust.
    if (proxy_.https && anchors_) {
      ProxyRoute route{proxy_.https->for_curl(), proxy_.https->redacted(), proxy_.no_proxy};
      start_proxy_paths(loop_, route, gather, &evidence_.targets);
    }
    targets_started_ = true;
    compare_resolvers();
    // DNS, TCP, TLS, HTTP and the signed call each get a step; the backstop
    // only catches a task that would overrun its own limit. The deadline
    // cuts both: with the defaults (3 s steps, 16 s backstop, 20 s
    // deadline) only a longer --timeout or a shorter --deadline lets it bite.
    deadline_->run(loop_, netcheck::Clock::now() + 5 * step_ + std::chrono::seconds(1));
  }

  // On EC2 (IMDS answered) and with resolvers other than the VPC's own, the
  // VPC resolver is asked too: its answer tells a bypass from a missing
  // endpoint. That needs both the IMDS facts and the targets' names.
  void compare_resolvers() {
    if (!imds_done_ || !targets_started_ || !any_answered(context().imds)) return;
    const InstanceFacts facts = instance_facts(context().imds);
    auto vpc = amazon_resolvers(facts.primary_cidr);
    const auto& configured = context().resolvers;
    // fd00:ec2::253 (IPv6-only subnets) is the Amazon-provided resolver too.
    const bool all_vpc = std::all_of(configured.begin(), configured.end(), [&](auto& r) {
      return r.port == 53 && is_amazon_resolver(r, facts);
    });
    if (all_vpc && !configured.empty()) return;
    context().vpc_resolvers = std::move(vpc);
    start_vpc_dns(loop_, context().vpc_resolvers, step_, &evidence_.targets);
  }

  void say_no_region() {
    write_stderr("ssm-reach: no region: pass --region REGION or set AWS_REGION" +
                 printable_line(context().imds.attempted
                                    ? " (IMDS did not tell it)"
                                    : " (IMDS is disabled: " + context().imds.skipped_by + ")") +
                 "\n");
    if (!region_warning_.empty())
      write_stderr("ssm-reach: " + printable_line(region_warning_) + "\n");
  }

  Evidence finish() {
    take_tls_setup();  // a run without a region still reports its trust store
    context().deadline_reached = deadline_->reached();
    signed_call_->finish();
    context().agent.version = agent_version_.get();
    evidence_.elapsed_ms = netcheck::ms_between(started_, netcheck::Clock::now());
    return std::move(evidence_);
  }

  const Options& options_;
  const GetEnv& env_;
  const netcheck::TimePoint started_;
  const netcheck::Duration step_;
  const std::string user_agent_ = std::string("ssm-reach/") + SSM_REACH_VERSION;

  Evidence evidence_;
  std::future<AgentVersion> agent_version_;
  ImdsSettings imds_;
  std::optional<RunDeadline> deadline_;
  std::string region_warning_;
  // One libcurl multi handle for every request of the run: IMDS, GET /, the
  // signed call, the proxy path (connection cache, easy handles reused).
  const std::shared_ptr<netcheck::HttpClient> client_ = netcheck::make_http_client();
  std::future<TlsSetup> tls_setup_;
  // Null until the setup is taken, and when the trust store is unusable.
  std::shared_ptr<const netcheck::TrustAnchors> anchors_;
  // anchors_ for the checks, filled once the setup is taken.
  const std::shared_ptr<TlsState> tls_state_ = std::make_shared<TlsState>();
  ProxySettings proxy_;
  AgentServiceEnvironment agent_env_;
  std::vector<Target> targets_;

  netcheck::EventLoop loop_;
  std::optional<SignedCallStarter> signed_call_;
  AwsCredentials credentials_;  // secret: for the signed call only, never in the evidence
  bool imds_done_ = false;
  bool targets_started_ = false;
};

}  // namespace

Evidence gather_live_evidence(const Options& options, const GetEnv& env,
                              netcheck::TimePoint started) {
  return LiveRun(options, env, started).gather();
}

}  // namespace ssmreach
