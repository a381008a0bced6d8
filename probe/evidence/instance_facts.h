// What IMDS says about this instance that explanations and commands need
// (VPC, subnet, security groups, address), and which resolvers are the
// VPC's own. Missing facts become placeholders the operator fills in.
#pragma once

#include <string>
#include <vector>

#include "netcheck/dns.h"
#include "probe/evidence/evidence.h"

namespace ssmreach {

struct InstanceFacts {
  std::vector<std::string> vpc_cidrs;
  std::string primary_cidr;  // the VPC's primary IPv4 CIDR: its base + 2 resolves
  std::string vpc_id = "<vpc-id>";
  std::string subnet_id = "<subnet-id>";
  std::string security_group_id = "<instance-sg-id>";  // the first, for --source-group
  std::vector<std::string> security_groups;            // all of them, for explanations
  std::string local_ipv4;

  // "this instance (10.40.3.7, sg-0abc)", or just "this instance".
  std::string this_instance() const;
};

InstanceFacts instance_facts(const ImdsEvidence& imds);

// The Amazon-provided resolver's addresses for this VPC: the primary IPv4
// CIDR's base + 2 (when `primary_cidr` is given, "10.40.0.0/16") and
// 169.254.169.253, which every Nitro instance reaches.
std::vector<netcheck::DnsServer> amazon_resolvers(const std::string& primary_cidr);

// The Amazon-provided resolver: one of amazon_resolvers(), or its IPv6
// address fd00:ec2::253. Only the primary CIDR's base + 2 counts: AWS runs
// no resolver at a secondary block's.
bool is_amazon_resolver(const netcheck::DnsServer& server, const InstanceFacts& facts);

// "10.40.0.2 (Amazon-provided)", "10.0.0.53", "10.0.0.53:5353".
std::string resolver_label(const netcheck::DnsServer& server, const InstanceFacts& facts);

}  // namespace ssmreach
