// The words of the diagnosis: per cause a headline, what was seen, why it
// happens and the remedy, built from a few facts about the target and the
// failing address. Internal to diagnose() (see diagnosis.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "probe/diagnose/cause.h"
#include "probe/diagnose/verdict.h"
#include "probe/evidence/evidence.h"
#include "probe/evidence/instance_facts.h"
#include "probe/util/text_util.h"

namespace ssmreach::diagnosis_detail {

struct CauseText {
  std::string headline;
  std::string what;  // the first sentence: what was seen
  std::string why;   // the second: why it happens
  std::string remedy;
};

// What the diagnosis found on one address of a target.
struct Finding {
  const AddressEvidence* evidence = nullptr;
  std::string address_class;
  bool usable = false;
  std::optional<Cause> cause;  // tcp.timeout; none when usable
  std::string detail;          // "TCP 443 timed out after 3.0 s"
  // IPv6 address this instance has no route for: harmless while IPv4 works.
  bool ipv6_no_route = false;
  // IPv4 address this instance has no route for (an IPv6-only subnet):
  // harmless while IPv6 works.
  bool ipv4_no_route = false;
};

// The facts every text of one target may read.
struct TargetContext {
  const Evidence& evidence;
  const TargetEvidence& target;
  const InstanceFacts& facts;
  bool clock_suspect = false;   // the clock rule blames this instance's clock
  std::size_t clock_hosts = 0;  // hosts whose certificates are outside their validity
  // Something reached over IPv6 answered (an address, IMDS, a resolver):
  // this instance has working IPv6.
  bool ipv6_works = false;

  const std::string& host() const { return target.target.host; }
  const std::string& service() const { return target.target.service; }
  std::uint16_t port() const { return target.target.port; }
  std::string region() const {
    return evidence.context.region.empty() ? "<region>" : evidence.context.region.value;
  }
  std::string endpoint_service() const { return "com.amazonaws." + region() + "." + service(); }
  std::string timeout_text() const { return seconds_text(evidence.context.timeout_s * 1000.0); }
  std::string now_text() const {
    return evidence.context.started_at.empty() ? "its current time" : evidence.context.started_at;
  }
};

// How to fix this instance's clock (chrony and the Amazon Time Sync Service).
std::string time_sync_remedy();

// ---- DNS

// "NXDOMAIN", "no answer", "it resolves": what a resolver said, in a sentence.
std::string dns_outcome_words(netcheck::DnsOutcome outcome);

// The text of a dns.* cause of the configured resolver's answer.
CauseText dns_text(Cause cause, const TargetContext& ctx);

// ---- addresses

// "VPC address 10.40.1.11", "public address 52.94.1.1".
std::string class_subject(const Finding& f);

// The text of a failing address (its tcp.*, tls.* or http.* cause); `subject`
// names it in the headline ("VPC address 10.40.1.11", "all 2 addresses").
CauseText address_text(const Finding& f, const std::string& subject, const TargetContext& ctx);

// tls.trust-store: the trust store cannot be used, so TLS (and what comes
// after it) was not checked on `target`; `tcp_works` says whether TCP
// reached one of its addresses.
CauseText trust_store_text(const TargetContext& ctx, bool tcp_works);

// ---- resolver comparison

// "169.254.169.253 (Amazon-provided)", or "the Amazon-provided resolver".
std::string vpc_resolver_text(const TargetEvidence& te, const InstanceFacts& facts);

// dns.custom-resolver-bypass: the configured resolver answers
// `configured_said`; the VPC's own resolver would have given the endpoint's
// ENIs. Needs target.vpc_dns.
CauseText bypass_text(const TargetContext& ctx, const std::string& configured_said);

// dns.public-answer: public addresses and no path to them (`failure`), so
// no endpoint with Private DNS here.
CauseText public_answer_text(const TargetContext& ctx, const std::string& failure);

// ---- service impact

// What breaks for the user when `service` cannot be used.
std::string service_impact(const std::string& service);

// The feature a partial failure makes slow or flaky, for warnings.
std::string service_feature(const std::string& service);

// What a connection that lands on a failing address suffers, for warnings.
std::string partial_consequence(Cause cause, std::size_t failing);

// ---- verdict

// Sets the cause (and so the failed layer) and texts of a target verdict.
void fill_failure(TargetVerdict& tv, Cause cause, const CauseText& text);

}  // namespace ssmreach::diagnosis_detail
