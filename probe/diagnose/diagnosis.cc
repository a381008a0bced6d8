// Evidence -> verdict: which layer fails first, why, and what to do about it.
//
// Everything here is a pure function of the Evidence: no I/O, no clock, no
// environment. "Now" is evidence.context.started_at when a text needs it.
//
// Per target the order is: DNS (unless the host is an IP literal or pinned
// by /etc/hosts), then every address on its own (TCP, then TLS). The target
// is ok when every address works, warning when some do, critical when none
// do. Texts are built per cause from a small set of facts (host, region,
// address, its class and the evidence of the failing layer).
//
// This file holds the rules; the pieces they use live beside it:
// cause_text (the words of every cause), instance_facts (VPC, subnet and
// security group IDs from IMDS, the Amazon-provided resolver), cert_problem
// (X509 verify codes), imds_diagnosis (IMDS as a target) and text_util.
#include "probe/diagnose/diagnosis.h"

#include <openssl/x509_vfy.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "probe/diagnose/auth_diagnosis.h"
#include "probe/diagnose/cause_text.h"
#include "probe/diagnose/cert_problem.h"
#include "probe/diagnose/imds_diagnosis.h"
#include "probe/diagnose/imds_summary.h"
#include "probe/diagnose/ip_family.h"
#include "probe/diagnose/naming_diagnosis.h"
#include "probe/diagnose/problem_groups.h"
#include "probe/diagnose/proxy_diagnosis.h"
#include "probe/diagnose/table_cells.h"
#include "probe/evidence/address_class.h"
#include "probe/evidence/http_evidence.h"
#include "probe/evidence/instance_facts.h"
#include "probe/util/text_util.h"

namespace ssmreach {
namespace {

using namespace diagnosis_detail;

using netcheck::DnsOutcome;
using netcheck::Family;
using netcheck::TcpOutcome;
using netcheck::TlsOutcome;

// ---------------------------------------------------------------- per address

// The TCP layer of an address; false when it connected.
bool tcp_failed(const AddressEvidence& address, std::uint16_t port, Finding& f) {
  const std::string tcp_port = "TCP " + std::to_string(port);
  if (!address.tcp) {
    f.cause = Cause::tcp_not_probed;
    f.detail = "not probed before the run ended";
    return true;
  }
  const auto& tcp = *address.tcp;
  const std::string err = tcp.errno_name.empty() ? "" : " (" + tcp.errno_name + ")";
  switch (tcp.outcome) {
    case TcpOutcome::ok:
      return false;
    case TcpOutcome::timeout:
      f.cause = Cause::tcp_timeout;
      f.detail = tcp_port + " timed out after " + seconds_text(tcp.ms);
      return true;
    case TcpOutcome::refused:
      f.cause = Cause::tcp_refused;
      f.detail = tcp_port + " refused" + err;
      return true;
    case TcpOutcome::unreachable: {
      f.cause = Cause::tcp_unreachable;
      const bool no_route = tcp.errno_name == "ENETUNREACH" || tcp.errno_name == "EADDRNOTAVAIL" ||
                            tcp.errno_name == "EAFNOSUPPORT";
      f.ipv6_no_route = address.ip.family == Family::v6 && no_route;
      f.ipv4_no_route = address.ip.family == Family::v4 && no_route;
      f.detail = f.ipv6_no_route ? "no IPv6 route on this instance" + err
                                 : tcp_port + " unreachable" + err;
      return true;
    }
    case TcpOutcome::error:
      f.cause = Cause::tcp_error;
      f.detail = tcp_port + " failed" + (err.empty() ? std::string() : err);
      return true;
  }
  return false;
}

// The TLS handshake of an address; false when it completed.
bool handshake_failed(const AddressEvidence& address, std::uint16_t port, bool trust_usable,
                      Finding& f) {
  if (!address.tls && !trust_usable) {
    f.cause = Cause::tls_trust_store;
    f.detail = "TLS not checked: the trust store cannot be used";
    return true;
  }
  if (!address.tls) {
    f.cause = Cause::tls_not_probed;
    f.detail = "TLS not probed before the run ended";
    return true;
  }
  const auto& tls = *address.tls;
  const std::string reason = openssl_reason(tls.error);
  const std::string why = reason.empty() ? "" : " (" + reason + ")";
  switch (tls.outcome) {
    case TlsOutcome::ok:
      return false;
    case TlsOutcome::timeout:
      f.cause = Cause::tls_timeout;
      f.detail = "TLS handshake timed out after " + seconds_text(tls.ms);
      return true;
    case TlsOutcome::protocol:
      f.cause = Cause::tls_protocol;
      f.detail = "no TLS 1.2+ on port " + std::to_string(port) + why;
      return true;
    case TlsOutcome::closed:
      f.cause = Cause::tls_closed;
      f.detail = "connection closed during the TLS handshake";
      return true;
    case TlsOutcome::error:
      f.cause = Cause::tls_error;
      f.detail = "TLS failed on this instance" + why;
      return true;
  }
  return false;
}

// The certificate of a completed handshake; false when it verified.
bool certificate_failed(const netcheck::TlsResult& tls, const std::string& host, Finding& f) {
  const auto* error = main_verify_error(tls);
  if (!error) return false;
  const CertProblem problem = classify_verify_code(error->code);
  f.cause = cause_of(problem);
  switch (problem) {
    case CertProblem::untrusted:
      f.detail = "certificate from untrusted issuer \"" + issuer_name(tls) + "\"";
      break;
    case CertProblem::hostname:
      f.detail = "certificate does not cover " + host;
      break;
    case CertProblem::expired:
      f.detail = "certificate expired " + tls.not_after;
      break;
    case CertProblem::not_yet_valid:
      f.detail = "certificate not valid before " + tls.not_before;
      break;
    case CertProblem::other:
      f.detail = "certificate rejected: " + error->text;
      break;
  }
  return true;
}

// The HTTPS request after a verified handshake: usable, or its failure.
void judge_request(const AddressEvidence& address, Finding& f) {
  const auto& tls = *address.tls;
  const std::string verified = tls.version.empty() ? "TLS verified" : tls.version + " verified";
  // Evidence from before the HTTP layer existed ends at TLS.
  if (!address.http) {
    f.usable = true;
    f.detail = verified;
    return;
  }
  const auto& http = *address.http;
  switch (http.outcome) {
    case netcheck::HttpOutcome::ok:
      break;
    case netcheck::HttpOutcome::timeout:
      f.cause = Cause::http_timeout;
      f.detail = "no HTTP answer within " + seconds_text(http.ms) + " after TLS";
      return;
    default:
      f.cause = Cause::http_error;
      f.detail = "HTTPS request failed" + (http.error.empty() ? "" : ": " + http.error);
      return;
  }
  f.usable = true;
  f.detail = verified + ", HTTP " + std::to_string(http.status);
}

// One address, layer by layer: the first failure decides.
Finding examine_address(const AddressEvidence& address, std::uint16_t port, const std::string& host,
                        const InstanceFacts& facts, bool trust_usable) {
  Finding f;
  f.evidence = &address;
  f.address_class = classify_address(address.ip, facts.vpc_cidrs);
  if (tcp_failed(address, port, f) || handshake_failed(address, port, trust_usable, f) ||
      certificate_failed(*address.tls, host, f))
    return f;
  judge_request(address, f);
  return f;
}

// The addresses' verdicts, in the order of the evidence.
std::vector<AddressVerdict> address_verdicts(const std::vector<Finding>& findings) {
  std::vector<AddressVerdict> out;
  for (const auto& f : findings) {
    AddressVerdict av;
    av.ip = f.evidence->ip.text;
    av.address_class = f.address_class;
    av.usable = f.usable;
    if (!f.usable) av.cause = f.cause;
    av.detail = f.detail;
    out.push_back(std::move(av));
  }
  return out;
}

std::string address_list(const std::vector<const Finding*>& findings) {
  std::vector<std::string> parts;
  for (const auto* f : findings) parts.push_back(f->evidence->ip.text + " (" + f->detail + ")");
  return join(parts, "; ");
}

// ---------------------------------------------------------------- resolver comparison

// The Amazon-provided resolver's answer, when it was asked and gave addresses.
const netcheck::DnsResult* vpc_answer(const TargetEvidence& te) {
  if (!te.vpc_dns || te.vpc_dns->outcome != DnsOutcome::ok) return nullptr;
  return &*te.vpc_dns;
}

// Private DNS of an interface endpoint answers with its ENIs: addresses in
// this VPC, or private ones (a shared-services VPC, or CIDRs IMDS did not give).
bool points_to_endpoint(const netcheck::DnsResult& answer, const InstanceFacts& facts) {
  return std::any_of(answer.addresses.begin(), answer.addresses.end(), [&](const auto& ip) {
    const std::string cls = classify_address(ip, facts.vpc_cidrs);
    return cls == "vpc" || cls == "private";
  });
}

bool same_addresses(const std::vector<netcheck::IpAddress>& a,
                    const std::vector<netcheck::IpAddress>& b) {
  auto sorted = [](std::vector<netcheck::IpAddress> v) {
    std::sort(v.begin(), v.end(), [](const auto& x, const auto& y) { return x.text < y.text; });
    return v;
  };
  return sorted(a) == sorted(b);
}

// ---------------------------------------------------------------- DNS step

Cause dns_cause(DnsOutcome outcome) {
  switch (outcome) {
    case DnsOutcome::nxdomain:
      return Cause::dns_nxdomain;
    case DnsOutcome::servfail:
    case DnsOutcome::refused:
      return Cause::dns_servfail;
    case DnsOutcome::timeout:
      return Cause::dns_timeout;
    case DnsOutcome::no_address:
      return Cause::dns_no_address;
    case DnsOutcome::unreachable:
      return Cause::dns_unreachable;
    case DnsOutcome::ok:
    case DnsOutcome::skipped:
    case DnsOutcome::error:
      break;
  }
  return Cause::dns_error;
}

// The cause of a failed lookup, or nullopt when DNS gave addresses.
std::optional<Cause> lookup_cause(const TargetEvidence& te, const RunContext& context) {
  const bool dns_ok = te.dns && te.dns->outcome == DnsOutcome::ok;
  const bool no_server_asked = !te.dns || te.dns->servers.empty();
  if (!dns_ok && no_server_asked && context.resolvers.empty() && !context.resolvers_error.empty()) {
    return Cause::dns_no_resolver;
  }
  if (!te.dns) return Cause::dns_error;
  if (!dns_ok) return dns_cause(te.dns->outcome);
  return std::nullopt;
}

// DNS, the first layer (for names that are neither literals nor pinned by
// /etc/hosts). Returns whether a failed lookup explains the target.
bool diagnose_lookup(const TargetContext& ctx, TargetVerdict& tv) {
  const TargetEvidence& te = ctx.target;
  const RunContext& context = ctx.evidence.context;
  const std::optional<Cause> cause = lookup_cause(te, context);
  if (!cause) return false;
  tv.status = Status::critical;

  // A resolver that answers wrongly (NXDOMAIN, no record, SERVFAIL from a
  // forwarder) while the VPC's own resolver gives the endpoint bypasses it;
  // one that does not answer at all is down, whatever the VPC would say.
  const auto* vpc = vpc_answer(te);
  const bool answered_wrongly =
      te.dns &&
      (te.dns->outcome == DnsOutcome::nxdomain || te.dns->outcome == DnsOutcome::no_address ||
       te.dns->outcome == DnsOutcome::servfail || te.dns->outcome == DnsOutcome::refused);
  const bool vpc_has_endpoint = vpc && points_to_endpoint(*vpc, ctx.facts);
  if (answered_wrongly && vpc_has_endpoint) {
    fill_failure(tv, Cause::dns_custom_resolver_bypass,
                 bypass_text(ctx, dns_outcome_words(te.dns->outcome)));
    return true;
  }
  CauseText text = dns_text(*cause, ctx);
  // resolv.conf that names no server: the fallback is what was asked.
  const std::string& note = context.resolvers_error;
  if (!note.empty() && !context.resolvers.empty()) text.why = capitalized(note) + ". " + text.why;
  if (vpc_has_endpoint)
    text.why += " The VPC's own resolver " + vpc_resolver_text(te, ctx.facts) + " answers " +
                list_and(ip_texts(vpc->addresses)) + " (the endpoint), so using it would work.";
  fill_failure(tv, *cause, text);
  return true;
}

// ---------------------------------------------------------------- address step

// The findings of a target's addresses, by what they mean for it.
struct AddressGroups {
  std::vector<const Finding*> usable;
  std::vector<const Finding*> failing;
  // No IPv6 route on this instance while IPv4 works: harmless, not failing.
  std::vector<const Finding*> ignored_v6;
  // No IPv4 route (an IPv6-only subnet) while IPv6 works: harmless too.
  std::vector<const Finding*> ignored_v4;
};

AddressGroups group_findings(const std::vector<Finding>& findings) {
  AddressGroups groups;
  auto any_usable = [&](Family family) {
    return std::any_of(findings.begin(), findings.end(),
                       [&](const auto& f) { return f.usable && f.evidence->ip.family == family; });
  };
  const bool any_v4_usable = any_usable(Family::v4);
  const bool any_v6_usable = any_usable(Family::v6);
  for (const auto& f : findings) {
    if (f.usable) {
      groups.usable.push_back(&f);
    } else if (f.ipv6_no_route && any_v4_usable) {
      groups.ignored_v6.push_back(&f);
    } else if (f.ipv4_no_route && any_v6_usable) {
      groups.ignored_v4.push_back(&f);
    } else {
      groups.failing.push_back(&f);
    }
  }
  return groups;
}

// Marks addresses of a family this instance has no route for as ignored,
// while the other family works, and explains them in a note.
void ignore_unrouted(const std::vector<const Finding*>& ignored, bool v6,
                     const std::string& service, TargetVerdict& tv,
                     std::vector<std::string>& notes) {
  for (const auto* f : ignored) {
    for (auto& av : tv.addresses) {
      if (av.ip == f->evidence->ip.text) av.ignored = true;
    }
  }
  if (ignored.empty()) return;
  std::vector<std::string> ips;
  for (const auto* f : ignored) ips.push_back(f->evidence->ip.text);
  const std::string family = v6 ? "IPv6" : "IPv4";
  notes.push_back(service + ": " + family + " " + (ips.size() == 1 ? "address " : "addresses ") +
                  list_and(ips) + " not reachable: no " + family + " route on this instance" +
                  (v6 ? "" : " (an IPv6-only subnet)") + "; " + (v6 ? "IPv4" : "IPv6") +
                  " works, so this is harmless.");
}

// The failing address whose cause is the most common; ties go to the first.
const Finding& most_common_failure(const std::vector<const Finding*>& failing) {
  std::map<std::optional<Cause>, std::size_t> counts;
  for (const auto* f : failing) ++counts[f->cause];
  const Finding* representative = failing.front();
  for (const auto* f : failing) {
    if (counts[f->cause] > counts[representative->cause]) representative = f;
  }
  return *representative;
}

std::size_t count_cause(const std::vector<const Finding*>& findings,
                        const std::optional<Cause>& cause) {
  return static_cast<std::size_t>(std::count_if(
      findings.begin(), findings.end(), [&](const Finding* f) { return f->cause == cause; }));
}

// Some addresses work: a warning that names the failing ones.
void some_addresses_fail(const TargetContext& ctx, const AddressGroups& groups,
                         const Finding& representative, std::size_t total, CauseText text,
                         TargetVerdict& tv) {
  const auto& usable = groups.usable;
  const auto& failing = groups.failing;
  tv.status = Status::warning;
  const std::string fails = std::to_string(failing.size()) + " of " + std::to_string(total) +
                            " addresses " + (failing.size() == 1 ? "fails" : "fail");
  std::string headline = text.headline;
  if (!headline.empty() && headline.back() == '.') headline.pop_back();
  text.headline = headline + "; " + std::to_string(usable.size()) + " of " + std::to_string(total) +
                  (usable.size() == 1 ? " works." : " work.");
  text.what = fails + ": " + address_list(failing) + "; " +
              partial_consequence(*representative.cause, failing.size()) + ".";
  if (representative.cause == Cause::tcp_timeout && representative.address_class == "vpc") {
    // One ENI answers, another does not: they share the endpoint's
    // security groups, so the difference is the subnet.
    const std::string& bad = representative.evidence->ip.text;
    const std::string region = ctx.region();
    text.why =
        "An endpoint's network interfaces share its security groups, so when one "
        "answers and another does not, the network ACL of the failing interface's "
        "subnet (or a route to that subnet) is the likely culprit.";
    text.remedy = "Check the network ACL of the subnet that holds " + bad + ": inbound TCP " +
                  std::to_string(ctx.port()) +
                  " from this instance, and outbound ephemeral ports (1024-65535) back "
                  "to it:\n"
                  "$ aws ec2 describe-network-interfaces --region " +
                  region + " --filters Name=addresses.private-ip-address,Values=" + bad +
                  " --query 'NetworkInterfaces[].[SubnetId,Groups]'\n"
                  "$ aws ec2 describe-network-acls --region " +
                  region + " --filters Name=association.subnet-id,Values=<endpoint-subnet-id>";
  }
  fill_failure(tv, *representative.cause, text);
}

// What a critical target is blamed on: the failing address's own layer and
// cause, unless the evidence proves a higher root cause.
struct Conclusion {
  Cause cause = Cause::tcp_timeout;  // always given
  CauseText text;
};

// The symptom is on an address; the root cause may be the answer: the VPC's
// own resolver gives the endpoint (bypass), or only public addresses and no
// path to them (no endpoint with Private DNS). Not for names /etc/hosts pins.
void blame_the_answer(const TargetContext& ctx, const std::vector<const Finding*>& failing,
                      const Finding& representative, Conclusion& conclusion) {
  const TargetEvidence& te = ctx.target;
  const auto* vpc = vpc_answer(te);
  // NAT64 addresses (DNS64 answers) are public ones in disguise.
  auto all = [&](auto&& predicate) {
    return std::all_of(failing.begin(), failing.end(), predicate);
  };
  const bool all_public = all(
      [](const Finding* f) { return f->address_class == "public" || f->address_class == "nat64"; });
  const bool any_nat64 = std::any_of(failing.begin(), failing.end(),
                                     [](const Finding* f) { return f->address_class == "nat64"; });
  const bool no_path = all([](const Finding* f) {
    return f->cause == Cause::tcp_timeout || f->cause == Cause::tcp_unreachable;
  });
  // Only IPv4 addresses, none routed, while IPv6 works: an IPv6-only subnet
  // given IPv4-only names.
  const bool ipv4_only_answer = all([](const Finding* f) { return f->ipv4_no_route; });
  if (te.dns && vpc && points_to_endpoint(*vpc, ctx.facts) &&
      !same_addresses(te.dns->addresses, vpc->addresses)) {
    conclusion.cause = Cause::dns_custom_resolver_bypass;
    conclusion.text = bypass_text(
        ctx, list_and(ip_texts(te.dns->addresses)) + ", where " + representative.detail);
  } else if (ipv4_only_answer && ctx.ipv6_works) {
    conclusion.cause = Cause::dns_ipv4_only_answer;
    conclusion.text = ipv4_only_answer_text(ctx, representative.detail);
  } else if (all_public && no_path) {
    conclusion.cause = Cause::dns_public_answer;
    conclusion.text = any_nat64 ? nat64_answer_text(ctx, representative.detail)
                                : public_answer_text(ctx, representative.detail);
  }
}

// /etc/hosts decides the addresses. The pin is the root cause unless DNS
// would have returned the very same addresses.
void weigh_hosts_pin(const TargetContext& ctx, const std::vector<const Finding*>& failing,
                     const Finding& representative, Conclusion& conclusion) {
  const TargetEvidence& te = ctx.target;
  CauseText& text = conclusion.text;
  const bool dns_ok = te.dns && te.dns->outcome == DnsOutcome::ok;
  const bool same_as_dns =
      dns_ok && std::all_of(te.hosts.begin(), te.hosts.end(), [&](const auto& ip) {
        return std::find(te.dns->addresses.begin(), te.dns->addresses.end(), ip) !=
               te.dns->addresses.end();
      });
  if (same_as_dns) {
    text.why +=
        " /etc/hosts pins the same address DNS returns, so the pin is not the "
        "cause.";
    return;
  }
  conclusion.cause = Cause::dns_hosts_override;
  const std::string pins = list_and(ip_texts(te.hosts));
  text.headline = "/etc/hosts pins " + te.target.host + " to " + te.hosts.front().text +
                  (te.hosts.size() > 1 ? " and more" : "") + "; " + representative.detail + ".";
  text.what =
      "/etc/hosts pins " + te.target.host + " to " + pins + ", where " +
      (failing.size() == 1 ? representative.detail : "none works: " + address_list(failing)) + ".";
  if (dns_ok) {
    const std::string server =
        te.dns->answered_by ? " (from " + te.dns->answered_by->address.text + ")" : "";
    text.why =
        "Without the pin, DNS would return " + list_and(ip_texts(te.dns->addresses)) + server + ".";
    text.remedy = "Remove or correct the " + te.target.host +
                  " line in /etc/hosts, then restart the agent (snap installs: snap "
                  "restart amazon-ssm-agent):\n"
                  "$ grep -n " +
                  te.target.host +
                  " /etc/hosts\n"
                  "$ sudo systemctl restart amazon-ssm-agent";
  } else {
    text.why = te.dns ? "DNS gives no usable answer for it either (" +
                            dns_outcome_words(te.dns->outcome) +
                            "), so the pin must name a working endpoint address."
                      : "The pinned address is not a working " + te.target.service + " endpoint.";
    text.remedy = "Correct the " + te.target.host +
                  " line in /etc/hosts to the endpoint's address (or fix DNS and "
                  "remove it), then restart the agent:\n"
                  "$ grep -n " +
                  te.target.host +
                  " /etc/hosts\n"
                  "$ sudo systemctl restart amazon-ssm-agent";
  }
}

// No address works: critical, blamed on the root cause the evidence proves.
void all_addresses_fail(const TargetContext& ctx, const std::vector<const Finding*>& failing,
                        const Finding& representative, CauseText text, TargetVerdict& tv) {
  tv.status = Status::critical;
  if (failing.size() > 1) {
    text.what = "None of the " + std::to_string(failing.size()) +
                " addresses works: " + address_list(failing) + ".";
  }
  Conclusion conclusion{*representative.cause, std::move(text)};
  const bool pinned = !ctx.target.hosts.empty();
  if (pinned) {
    weigh_hosts_pin(ctx, failing, representative, conclusion);
  } else {
    blame_the_answer(ctx, failing, representative, conclusion);
  }
  fill_failure(tv, conclusion.cause, conclusion.text);
}

bool first_address_answered(const std::vector<const Finding*>& usable) {
  return !usable.empty() && usable.front()->evidence->http.has_value();
}

// TCP, TLS and HTTP on every address: ok when all work, warning when some do,
// critical when none do.
void diagnose_addresses(const TargetContext& ctx, const std::vector<Finding>& findings,
                        TargetVerdict& tv, std::vector<std::string>& notes) {
  const AddressGroups groups = group_findings(findings);
  ignore_unrouted(groups.ignored_v6, true, ctx.service(), tv, notes);
  ignore_unrouted(groups.ignored_v4, false, ctx.service(), tv, notes);

  if (groups.failing.empty()) {
    tv.status = Status::ok;
    const auto* first = groups.usable.front();
    const bool http = first_address_answered(groups.usable);
    tv.headline = "Reachable: DNS, TCP " + std::to_string(ctx.port()) +
                  (http ? ", TLS verified and HTTP answered on " : " and TLS verified on ") +
                  count_of(groups.usable.size(), "address", "addresses") + " (" +
                  first->evidence->ip.text + ").";
    return;
  }

  const Finding& representative = most_common_failure(groups.failing);
  const std::size_t same = count_cause(groups.failing, representative.cause);
  // Ignored IPv6 addresses are left out: they are explained in a note.
  const std::size_t total = groups.usable.size() + groups.failing.size();
  std::string subject = class_subject(representative);
  if (same > 1) {
    subject = same == total ? "all " + std::to_string(total) + " addresses"
                            : std::to_string(same) + " of " + std::to_string(total) + " addresses";
  }
  CauseText text = address_text(representative, subject, ctx);

  if (!groups.usable.empty()) {
    some_addresses_fail(ctx, groups, representative, total, std::move(text), tv);
  } else {
    all_addresses_fail(ctx, groups.failing, representative, std::move(text), tv);
  }
}

// ---------------------------------------------------------------- clock rule

struct RunFacts {
  bool clock_suspect = false;
  std::size_t clock_hosts = 0;
  bool ipv6_works = false;
};

// The clock rule: time errors on two or more hosts, or a trusted chain whose
// leaf is not valid yet, point at this instance's clock rather than the peer.
RunFacts run_facts(const Evidence& evidence) {
  RunFacts run;
  std::set<std::string> hosts;
  bool trusted_not_yet_valid = false;
  for (const auto& te : evidence.targets) {
    for (const auto& address : te.addresses) {
      if (!address.tls || address.tls->outcome != TlsOutcome::ok) continue;
      const auto& tls = *address.tls;
      // An untrusted chain (an inspecting proxy's) says nothing of our clock.
      if (has_problem(tls, CertProblem::untrusted)) continue;
      const bool expired = has_problem(tls, CertProblem::expired);
      const bool not_yet = has_problem(tls, CertProblem::not_yet_valid);
      if (expired || not_yet) hosts.insert(te.target.host);
      {
        for (const auto& e : tls.verify_errors) {
          if (e.code == X509_V_ERR_CERT_NOT_YET_VALID && e.depth == 0) {
            trusted_not_yet_valid = true;
          }
        }
      }
    }
  }
  run.clock_hosts = hosts.size();
  run.clock_suspect = hosts.size() >= 2 || trusted_not_yet_valid;
  run.ipv6_works = ipv6_answered(evidence);
  return run;
}

// ---------------------------------------------------------------- per target

// The name resolved, but the run ended before any address was tried.
void no_address_probed(TargetVerdict& tv) {
  tv.status = Status::critical;
  CauseText t;
  t.headline = "No address of " + tv.host + " was probed before the run ended.";
  t.what = "The name resolved, but the run ended before any address was tried.";
  t.remedy = "Run ssm-reach again, with a larger --timeout if the network is slow.";
  fill_failure(tv, Cause::tcp_not_probed, t);
}

// The trust store cannot be used, so TLS was not run: a target whose path
// got past TCP (or goes through the proxy, which needs TLS to judge) is
// skipped from TLS on (and the run unknown), never ok and never blamed on
// the endpoint. One whose lookup or TCP failed keeps that finding. Returns
// whether it decided the target.
bool trust_store_decides(const TargetContext& ctx, const std::vector<Finding>& findings,
                         TargetVerdict& tv) {
  const RunContext& context = ctx.evidence.context;
  if (context.trust_store.usable()) return false;
  const bool proxied = !context.proxy.https_proxy.empty() && ctx.target.no_proxy_match.empty();
  const bool tcp_works = std::any_of(findings.begin(), findings.end(), [](const Finding& f) {
    return f.cause == Cause::tls_trust_store;
  });
  if (!tcp_works && !proxied) return false;
  tv.status = Status::skipped;
  fill_failure(tv, Cause::tls_trust_store, trust_store_text(ctx, tcp_works));
  tv.impact = "Unknown: whether the agent can use this path past TCP was not checked.";
  return true;
}

// Optional services are at most a warning; a target that is not ok says
// what breaks for the user.
void weigh_impact(TargetVerdict& tv, bool proxied) {
  if (!tv.required && tv.status == Status::critical) tv.status = Status::warning;
  if (tv.status == Status::ok || tv.cause == Cause::tls_trust_store) return;
  // Through a proxy there is one path: it works or it does not.
  const bool partial =
      !proxied && tv.failed_layer() != Layer::auth &&
      std::any_of(tv.addresses.begin(), tv.addresses.end(), [](const auto& a) { return a.usable; });
  tv.impact = partial ? "Intermittent: connections that land on the failing address stall or "
                        "fail, so " +
                            service_feature(tv.service) + " works slowly or only some of the time."
                      : service_impact(tv.service);
  if (!tv.required) tv.impact += " (Optional service, so at most a warning.)";
}

TargetVerdict diagnose_target(const Evidence& evidence, const TargetEvidence& te,
                              const InstanceFacts& facts, const RunFacts& run,
                              std::vector<std::string>& notes) {
  TargetVerdict tv;
  tv.service = te.target.service;
  tv.host = te.target.host;
  tv.port = te.target.port;
  tv.required = te.target.required;

  const TargetContext ctx{evidence, te, facts, run.clock_suspect, run.clock_hosts, run.ipv6_works};

  std::vector<Finding> findings;
  for (const auto& address : te.addresses) {
    findings.push_back(examine_address(address, te.target.port, te.target.host, facts,
                                       evidence.context.trust_store.usable()));
  }
  tv.addresses = address_verdicts(findings);

  // DNS: the first layer, unless the host is a literal or pinned by /etc/hosts.
  const bool pinned = !te.hosts.empty();
  const bool lookup_failed = !te.host_is_literal && !pinned && diagnose_lookup(ctx, tv);
  if (!lookup_failed && !trust_store_decides(ctx, findings, tv)) {
    if (findings.empty()) {
      no_address_probed(tv);
    } else {
      diagnose_addresses(ctx, findings, tv, notes);
    }
  }

  weigh_proxy_path(ctx, tv);
  weigh_impact(tv, te.proxy_path.has_value());
  return tv;
}

// ---------------------------------------------------------------- agent version

// From SSM Agent 3.3.40.0 the agent receives commands through ssmmessages
// whenever it can reach it; ec2messages is then only its fallback. Older or
// unknown agents need ec2messages, as do all agents when ssmmessages fails.
void weigh_ec2messages(const AgentVersion& version, std::vector<TargetVerdict>& targets) {
  auto find = [&](const char* service) -> TargetVerdict* {
    for (auto& tv : targets)
      if (tv.service == service) return &tv;
    return nullptr;
  };
  TargetVerdict* ec2 = find("ec2messages");
  const TargetVerdict* messages = find("ssmmessages");
  if (!ec2 || ec2->status != Status::critical || !version.known()) return;
  const std::string agent = "This agent (" + version.version + ", from " + version.source + ")";
  if (!at_least(version, kAgentMessagesFallbackVersion)) {
    ec2->explanation += " " + agent + " is older than " +
                        std::string(kAgentMessagesFallbackVersion) +
                        " and receives commands only through ec2messages.";
    return;
  }
  // Degraded (one ENI of several fails) still carries the commands.
  if (!messages || (messages->status != Status::ok && messages->status != Status::warning)) return;
  ec2->status = Status::warning;
  ec2->required = false;
  ec2->explanation += " " + agent + " receives commands through ssmmessages, which works, so " +
                      "it does not need ec2messages; it matters only if ssmmessages fails.";
  ec2->impact = "None while ssmmessages works: agents from " +
                std::string(kAgentMessagesFallbackVersion) + " use ec2messages only as a fallback.";
}

// Run-wide limits that left something unchecked: the deadline, and names
// with more addresses than one run probes.
void note_limits(const Evidence& evidence, const std::optional<ImdsSummary>& imds,
                 std::vector<std::string>& notes) {
  const RunContext& context = evidence.context;
  // IMDS answered, but not with the VPC's CIDR blocks: "private" then means
  // "not known to be in the VPC", which the reader must be told.
  if (imds && imds->answered && vpc_cidrs_from_facts(context.imds.facts).empty() &&
      !evidence.targets.empty())
    notes.push_back(
        "IMDS did not tell the VPC's CIDR blocks: addresses in private ranges are shown as "
        "private, whether or not they are in this VPC.");
  if (context.deadline_reached)
    notes.push_back("Deadline: the run's limit of " + seconds_text(context.deadline_s * 1000) +
                    " (--deadline) was reached; checks still running were stopped and are "
                    "reported as timed out. A longer --deadline may tell more.");
  for (const auto& te : evidence.targets) {
    const std::size_t answered =
        te.hosts.empty() && te.dns ? te.dns->addresses.size() : te.hosts.size();
    if (answered <= te.addresses.size() || te.addresses.empty()) continue;
    notes.push_back(te.target.service + ": " + te.target.host + " has " + std::to_string(answered) +
                    " addresses; only the first " + std::to_string(te.addresses.size()) +
                    " were probed (ssm-reach's limit per name).");
  }
}

// What the renderers show, decided here so that they only format: the
// table's cells, the findings by root cause, the one-line summary.
void present(const Evidence& evidence, Verdict& verdict) {
  fill_table_cells(evidence, verdict);
  assign_problem_keys(verdict.targets);
  verdict.problems = group_problems(verdict);
  verdict.summary = summary_line(verdict);
}

}  // namespace

Verdict diagnose(const Evidence& evidence) {
  Verdict verdict;
  const InstanceFacts facts = instance_facts(evidence.context.imds);
  const RunFacts run = run_facts(evidence);

  for (const auto& te : evidence.targets) {
    verdict.targets.push_back(diagnose_target(evidence, te, facts, run, verdict.notes));
  }

  verdict.clock_offset_s = service_clock_offset(evidence);
  weigh_clock(evidence, verdict.targets);
  // IMDS first: whether it explains a signed call that was not made.
  const ImdsEvidence& imds = evidence.context.imds;
  if (imds.attempted) verdict.imds_summary = summarize_imds(imds, facts.vpc_cidrs);
  if (verdict.imds_summary)
    verdict.imds = diagnose_imds(imds, *verdict.imds_summary, evidence.context.region.value,
                                 run.ipv6_works && !ipv4_answered(evidence));
  if (verdict.imds) {
    weigh_imds_proxy(evidence.context, *verdict.imds);
    weigh_credentials(evidence, *verdict.imds);
  }
  weigh_signed_call(evidence, verdict.imds, verdict.targets, verdict.notes);
  for (std::size_t i = 0; i < verdict.targets.size(); ++i) {
    auto& tv = verdict.targets[i];
    if (tv.failed_layer() == Layer::auth)
      weigh_impact(tv, evidence.targets[i].proxy_path.has_value());
  }
  weigh_ec2messages(evidence.context.agent.version, verdict.targets);
  note_limits(evidence, verdict.imds_summary, verdict.notes);
  // Names that may not be the agent's, FIPS where there is none.
  bool naming_risky = weigh_naming(evidence, verdict.notes);
  // An endpoint mode the SDKs refuse: the agent cannot reach IMDS with it.
  if (const auto& note = evidence.context.imds.endpoint_note; !note.empty()) {
    verdict.notes.push_back("IMDS: " + note + ".");
    naming_risky = true;
  }
  for (const auto& note : evidence.context.proxy.notes) verdict.notes.push_back("Proxy: " + note);
  // A config or registration the agent cannot use changes what it does.
  for (const auto& w : evidence.context.agent.config.warnings)
    verdict.notes.push_back("SSM agent config: " + w);
  for (const auto& w : evidence.context.agent.registration.warnings)
    verdict.notes.push_back("SSM agent registration: " + w);
  // The agent cannot use such a file either: a risky setting, so a warning.
  const bool agent_files_bad = !evidence.context.agent.config.warnings.empty() ||
                               !evidence.context.agent.registration.warnings.empty();

  verdict.status = verdict.targets.empty() ? Status::unknown : Status::ok;
  for (const auto& tv : verdict.targets) {
    verdict.status = worst(verdict.status, tv.status);
    // TLS not checked: whether the target works is unknown, never a pass.
    if (tv.cause == Cause::tls_trust_store) verdict.status = Status::unknown;
  }
  if (agent_files_bad || naming_risky) verdict.status = worst(verdict.status, Status::warning);

  if (evidence.context.region.empty()) {
    verdict.status = Status::unknown;
    verdict.notes.push_back(
        "No region could be determined: pass --region (or set AWS_REGION), or let ssm-reach "
        "read it from IMDS.");
  } else if (verdict.targets.empty()) {
    verdict.notes.push_back("No targets were checked.");
  }

  if (run.clock_suspect) {
    std::string when =
        evidence.context.started_at.empty() ? "" : " (" + evidence.context.started_at + ")";
    verdict.notes.push_back(
        "Clock suspect: certificates are outside their validity at this instance's time" + when +
        ". Check time sync with chronyc tracking and timedatectl; use the Amazon Time Sync "
        "Service (169.254.169.123).");
  }

  const auto& trust = evidence.context.trust_store;
  if (trust.embedded) {
    verdict.notes.push_back(
        "No CA bundle on this system: using ssm-reach's embedded Amazon Trust Services roots; "
        "a TLS-inspecting proxy's CA cannot be trusted this way. Install ca-certificates.");
  } else if (!trust.usable()) {
    verdict.notes.push_back(
        "Trust store: " + (trust.error.empty() ? std::string("no CA bundle") : trust.error) +
        ". TLS, HTTPS and the signed call were not checked (tls.trust-store); "
        "IMDS, DNS and TCP were. Pass --ca-file with a PEM bundle.");
  }
  if (verdict.imds) verdict.status = worst(verdict.status, verdict.imds->status);
  present(evidence, verdict);
  return verdict;
}

}  // namespace ssmreach
