// IMDS's text answers (region, instance id, address, the primary
// interface's VPC facts) and the instance identity document, as they flow
// into the run: the region check, the VPC's CIDRs and resolvers, the address
// classes, then the diagnosis and every report over evidence holding them.
//
// Input: parts cut at kPartSeparator lines, in the order of kFactPaths.
#include <cstddef>
#include <cstdint>
#include <string>

#include "probe/diagnose/diagnosis.h"
#include "probe/evidence/address_class.h"
#include "probe/evidence/instance_facts.h"
#include "probe/gather/imds.h"
#include "probe/plan/region.h"
#include "probe/report/report.h"
#include "probe/report/report_boot.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/unit/test_evidence.h"

namespace {

constexpr const char* kMac = "meta-data/network/interfaces/macs/0a:1b:2c:3d:4e:5f/";
const std::string kFactPaths[] = {
    "meta-data/placement/region",
    "meta-data/instance-id",
    "meta-data/local-ipv4",
    "meta-data/mac",
    std::string(kMac) + "vpc-ipv4-cidr-block",
    std::string(kMac) + "vpc-ipv4-cidr-blocks",
    std::string(kMac) + "vpc-ipv6-cidr-blocks",
    std::string(kMac) + "vpc-id",
    std::string(kMac) + "subnet-id",
    std::string(kMac) + "security-group-ids",
    "dynamic/instance-identity/document",
};
constexpr std::size_t kFactCount = sizeof kFactPaths / sizeof kFactPaths[0];

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ssmreach;
  const auto parts = fuzz::split_parts(fuzz::as_text(data, size), kFactCount);

  Evidence evidence = test::evidence_with(
      {test::healthy("ssm", "10.40.1.10"),
       test::resolved("ssmmessages",
                      {test::tcp_failed("10.40.1.11", netcheck::TcpOutcome::timeout)}),
       test::dns_failure("ec2messages", netcheck::DnsOutcome::nxdomain)});
  auto& imds = evidence.context.imds;
  imds.facts.clear();
  for (std::size_t i = 0; i < kFactCount; ++i) {
    if (!parts[i].empty() && !is_secret_fact(kFactPaths[i], parts[i]))
      imds.facts[kFactPaths[i]] = parts[i];
  }
  if (auto account = account_id_from_identity_document(parts[kFactCount - 1]))
    imds.facts["account-id"] = *account;

  // main.cc takes the region from IMDS only when it is a region name.
  const std::string& region = parts[0];
  if (is_valid_region_name(region)) {
    evidence.context.region = {region, "imds"};
    evidence.context.partition_suffix = partition_suffix(region);
    (void)service_host("ssm", region);
  }

  const InstanceFacts facts = instance_facts(imds);
  (void)facts.this_instance();
  for (const auto& server : amazon_resolvers(facts.primary_cidr)) {
    (void)resolver_label(server, facts);
  }
  (void)resolver_label(test::server("10.40.0.2"), facts);
  const auto cidrs = vpc_cidrs_from_facts(imds.facts);
  for (const char* address : {"10.40.1.10", "100.64.3.4", "2600:1f14:abc::10", "52.94.1.1"})
    (void)classify_address(test::ip(address), cidrs);
  (void)classify_address(test::ip(parts[2]), cidrs);

  const Verdict verdict = diagnose(evidence);
  (void)render_text(evidence, verdict, TextStyle{false, 80});
  (void)render_json(evidence, verdict);
  (void)render_boot_summary(verdict, "/var/log/ssm-reach.json");
  return 0;
}
