#include "probe/evidence/instance_facts.h"

#include <doctest/doctest.h>

#include "tests/unit/test_evidence.h"

using namespace ssmreach;
using ssmreach::test::server;

namespace {

const std::string kMac = "meta-data/network/interfaces/macs/0a:1b:2c:3d:4e:5f/";

}  // namespace

TEST_CASE("instance facts: placeholders without IMDS") {
  const InstanceFacts facts = instance_facts(ImdsEvidence{});
  CHECK(facts.vpc_id == "<vpc-id>");
  CHECK(facts.subnet_id == "<subnet-id>");
  CHECK(facts.security_group_id == "<instance-sg-id>");
  CHECK(facts.vpc_cidrs.empty());
  CHECK(facts.this_instance() == "this instance");
}

TEST_CASE("instance facts: real IDs from the interface's metadata") {
  ImdsEvidence imds;
  imds.facts[kMac + "vpc-id"] = "vpc-0abc";
  imds.facts[kMac + "subnet-id"] = "subnet-0def\n";
  imds.facts[kMac + "security-group-ids"] = "sg-01\nsg-02";
  imds.facts[kMac + "vpc-ipv4-cidr-blocks"] = "10.40.0.0/16";
  imds.facts["meta-data/local-ipv4"] = "10.40.3.7";
  const InstanceFacts facts = instance_facts(imds);
  CHECK(facts.vpc_id == "vpc-0abc");
  CHECK(facts.subnet_id == "subnet-0def");
  CHECK(facts.security_group_id == "sg-01");  // the first, for --source-group
  CHECK(facts.security_groups == std::vector<std::string>{"sg-01", "sg-02"});
  CHECK(facts.vpc_cidrs == std::vector<std::string>{"10.40.0.0/16"});
  CHECK(facts.this_instance() == "this instance (10.40.3.7, sg-01, sg-02)");
}

TEST_CASE("instance facts: the primary CIDR, from its own key or the first block") {
  ImdsEvidence imds;
  const std::string mac = "meta-data/network/interfaces/macs/0a:1b:2c:3d:4e:5f/";
  imds.facts[mac + "vpc-ipv4-cidr-blocks"] = "10.40.0.0/16\n100.64.0.0/16";
  CHECK(instance_facts(imds).primary_cidr == "10.40.0.0/16");
  imds.facts[mac + "vpc-ipv4-cidr-block"] = "10.41.0.0/16";
  CHECK(instance_facts(imds).primary_cidr == "10.41.0.0/16");
  CHECK(amazon_resolvers("10.41.0.0/16").front().address.text == "10.41.0.2");
  CHECK(amazon_resolvers("").size() == 1);  // 169.254.169.253 only
}

TEST_CASE("instance facts: the Amazon-provided resolver") {
  InstanceFacts facts;
  CHECK(is_amazon_resolver(server("169.254.169.253"), facts));
  CHECK(is_amazon_resolver(server("fd00:ec2::253"), facts));
  CHECK_FALSE(is_amazon_resolver(server("10.40.0.2"), facts));  // no CIDRs known
  facts.vpc_cidrs = {"10.40.0.0/16", "100.64.0.0/16"};
  facts.primary_cidr = "10.40.0.0/16";
  CHECK(is_amazon_resolver(server("10.40.0.2"), facts));
  CHECK_FALSE(is_amazon_resolver(server("10.40.5.53"), facts));
  // No resolver at a secondary block's base + 2.
  CHECK_FALSE(is_amazon_resolver(server("100.64.0.2"), facts));

  CHECK(resolver_label(server("10.40.0.2"), facts) == "10.40.0.2 (Amazon-provided)");
  CHECK(resolver_label(server("10.40.5.53"), facts) == "10.40.5.53");
  CHECK(resolver_label(server("10.40.5.53", 5353), facts) == "10.40.5.53:5353");
  CHECK(resolver_label(server("fd00::53", 5353), facts) == "[fd00::53]:5353");
}
