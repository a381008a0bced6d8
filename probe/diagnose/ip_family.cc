#include "probe/diagnose/ip_family.h"

#include <algorithm>
#include <vector>

#include "probe/evidence/address_class.h"
#include "probe/plan/endpoint_names.h"
#include "probe/util/text_util.h"

namespace ssmreach::diagnosis_detail {
namespace {

using netcheck::Family;

std::string agent_config_file(const TargetContext& ctx) {
  const auto& file = ctx.evidence.context.agent.config.file;
  return file.empty() ? "/etc/amazon/ssm/amazon-ssm-agent.json" : file;
}

std::string vpc_filter(const TargetContext& ctx) {
  return "--filters Name=vpc-id,Values=" + ctx.facts.vpc_id +
         " Name=service-name,Values=" + ctx.endpoint_service();
}

// An interface endpoint whose IP address type is IPv4: its ENIs have no
// IPv6 address, so its Private DNS has no AAAA record.
void endpoint_without_ipv6(const TargetContext& ctx, CauseText& t) {
  const std::string r = ctx.region();
  t.why =
      "The addresses are an interface endpoint's, and its IP address type is IPv4: it has no "
      "IPv6 address for this instance to use.";
  t.remedy =
      "Make the endpoint dual-stack (its subnets need IPv6 CIDR blocks), with AAAA records in "
      "its Private DNS:\n"
      "$ aws ec2 describe-vpc-endpoints --region " +
      r + " " + vpc_filter(ctx) +
      " --query 'VpcEndpoints[].[VpcEndpointId,IpAddressType,DnsOptions]'\n"
      "$ aws ec2 modify-vpc-endpoint --region " +
      r +
      " --vpc-endpoint-id <vpce-id> --ip-address-type dualstack --dns-options "
      "DnsRecordIpType=dualstack";
}

// The agent's own IPv4-only default name.
void agent_ipv4_names(const TargetContext& ctx, CauseText& t) {
  const auto& context = ctx.evidence.context;
  EndpointNaming dualstack = context.naming;
  dualstack.dualstack.on = true;
  const std::string dual_name =
      endpoint_name(ctx.service(), ctx.region(), dualstack, context.agent.config);
  const std::string file = agent_config_file(ctx);
  t.why =
      "The agent builds IPv4-only names like this one unless its config sets "
      "Agent.UseDualStackEndpoint (SSM Agent 3.3.3270.0 and later); the dual-stack name " +
      dual_name + " has IPv6 addresses too.";
  t.remedy = "Set \"Agent\": {\"UseDualStackEndpoint\": true} in " + file +
             " (SSM Agent 3.3.3270.0 or later), restart the agent and check the dual-stack "
             "names. Otherwise create an interface endpoint for " +
             ctx.service() +
             " with IP address type dualstack or ipv6 and Private DNS, or turn on DNS64 for the "
             "subnet with a route for 64:ff9b::/96 to a NAT gateway.\n"
             "$ sudo grep -n UseDualStackEndpoint " +
             file +
             "\n"
             "$ sudo systemctl restart amazon-ssm-agent\n"
             "$ ssm-reach --dualstack";
}

// A target's DNS answer or TCP connection over `family`.
bool target_answered(const Evidence& evidence, Family family) {
  for (const auto& te : evidence.targets) {
    if (te.dns && te.dns->answered_by && te.dns->answered_by->address.family == family) return true;
    for (const auto& a : te.addresses)
      if (a.ip.family == family && a.tcp && a.tcp->outcome == netcheck::TcpOutcome::ok) return true;
  }
  return false;
}

}  // namespace

bool ipv4_answered(const Evidence& evidence) { return target_answered(evidence, Family::v4); }

bool ipv6_answered(const Evidence& evidence) {
  if (target_answered(evidence, Family::v6)) return true;
  const auto& imds = evidence.context.imds;
  const bool imds_v6 = url_host_port(imds.endpoint).host.find(':') != std::string::npos;
  return imds_v6 && std::any_of(imds.calls.begin(), imds.calls.end(), [](const ImdsCall& call) {
           return call.outcome == netcheck::HttpOutcome::ok;
         });
}

CauseText ipv4_only_answer_text(const TargetContext& ctx, const std::string& failure) {
  const TargetEvidence& te = ctx.target;
  const auto& addresses = te.dns ? te.dns->addresses : te.hosts;
  CauseText t;
  t.headline =
      "DNS: " + ctx.host() + " has only IPv4 addresses, and this instance has no IPv4 route.";
  t.what = ctx.host() + " resolves only to IPv4 (" + list_and(ip_texts(addresses)) +
           ", no AAAA record), and connecting fails (" + failure +
           "): this instance reaches AWS over IPv6 only, as in an IPv6-only subnet.";
  const bool endpoint = std::any_of(addresses.begin(), addresses.end(), [&](const auto& ip) {
    const std::string cls = classify_address(ip, ctx.facts.vpc_cidrs);
    return cls == "vpc" || cls == "private";
  });
  const std::string& source = te.target.host_source;
  if (endpoint) {
    endpoint_without_ipv6(ctx, t);
  } else if (source == "--endpoint" || source == "agent-config") {
    t.why = "The name comes from " +
            std::string(source == "--endpoint" ? "--endpoint"
                                               : "the agent config's endpoint "
                                                 "override") +
            ", and it is IPv4-only.";
    t.remedy = "Point the override at a dual-stack name (" +
               endpoint_name(ctx.service(), ctx.region(), {{true, ""}, {}, {}},
                             ctx.evidence.context.agent.config) +
               "), or remove it and set Agent.UseDualStackEndpoint, then restart the agent:\n"
               "$ sudo grep -n Endpoint " +
               agent_config_file(ctx) + "\n$ sudo systemctl restart amazon-ssm-agent";
  } else if (!ctx.evidence.context.naming.dualstack.on) {
    agent_ipv4_names(ctx, t);
  } else {
    t.why =
        "Even the dual-stack name has no IPv6 address here: a resolver that filters AAAA "
        "records (a DNS firewall or a resolver option), or no dual-stack endpoint for " +
        ctx.service() + " in this region.";
    t.remedy =
        "Ask the Amazon-provided resolver for the AAAA record yourself:\n$ dig +short AAAA " +
        ctx.host() + " @fd00:ec2::253";
  }
  return t;
}

CauseText nat64_answer_text(const TargetContext& ctx, const std::string& failure) {
  const auto& addresses = ctx.target.dns ? ctx.target.dns->addresses : ctx.target.hosts;
  std::vector<std::string> nat64;
  for (const auto& ip : addresses)
    if (classify_address(ip, ctx.facts.vpc_cidrs) == "nat64") nat64.push_back(ip.text);
  const std::string r = ctx.region();
  CauseText t;
  t.headline = "DNS64: " + ctx.host() + " resolves to NAT64 addresses, and " + failure + ".";
  t.what = ctx.host() + " has no IPv6 address of its own; DNS64 answered " + list_and(nat64) +
           " (its IPv4 address in 64:ff9b::/96), and " + failure + ".";
  t.why = nat64_why("TCP " + std::to_string(ctx.port())) + " An interface endpoint for " +
          ctx.service() + " with Private DNS avoids DNS64 and NAT64 altogether.";
  t.remedy = nat64_route_remedy(ctx) +
             "\n"
             "$ aws ec2 create-vpc-endpoint --region " +
             r + " --vpc-id " + ctx.facts.vpc_id +
             " --vpc-endpoint-type Interface --service-name " + ctx.endpoint_service() +
             " --subnet-ids " + ctx.facts.subnet_id +
             " --security-group-ids <endpoint-sg-id> --ip-address-type ipv6 --dns-options "
             "DnsRecordIpType=ipv6 --private-dns-enabled";
  return t;
}

std::string nat64_why(const std::string& tcp_port) {
  return "A NAT64 address works only through a NAT gateway: the subnet's route table needs a "
         "route for 64:ff9b::/96 to a NAT gateway that reaches the internet, and none answers " +
         tcp_port + " here (no such route, a NAT gateway without a way out, or a network ACL).";
}

std::string nat64_route_remedy(const TargetContext& ctx) {
  const std::string r = ctx.region();
  return "Route 64:ff9b::/96 to a NAT gateway in a public subnet (or create the interface "
         "endpoint):\n"
         "$ aws ec2 describe-route-tables --region " +
         r + " --filters Name=association.subnet-id,Values=" + ctx.facts.subnet_id +
         " --query 'RouteTables[].Routes'\n"
         "$ aws ec2 create-route --region " +
         r +
         " --route-table-id <rtb-id> --destination-ipv6-cidr-block 64:ff9b::/96 "
         "--nat-gateway-id <nat-gateway-id>";
}

}  // namespace ssmreach::diagnosis_detail
