#include "probe/evidence/instance_facts.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <sstream>
#include <string_view>

#include "probe/evidence/address_class.h"
#include "probe/util/text_util.h"

namespace ssmreach {
namespace {

// First value of "meta-data/network/interfaces/macs/<mac>/<leaf>" for any mac.
std::string mac_fact(const std::map<std::string, std::string>& facts, std::string_view leaf) {
  static constexpr std::string_view kPrefix = "meta-data/network/interfaces/macs/";
  for (const auto& [key, value] : facts) {
    const std::string_view path = key;
    if (path.starts_with(kPrefix) && path.ends_with(std::string("/") + std::string(leaf))) {
      const auto newline = value.find('\n');
      std::string first = value.substr(0, newline);
      while (!first.empty() && std::isspace(static_cast<unsigned char>(first.back()))) {
        first.pop_back();
      }
      if (!first.empty()) return first;
    }
  }
  return {};
}

}  // namespace

std::string InstanceFacts::this_instance() const {
  std::vector<std::string> ids;
  if (!local_ipv4.empty()) ids.push_back(local_ipv4);
  ids.insert(ids.end(), security_groups.begin(), security_groups.end());
  const std::string out = "this instance";
  return ids.empty() ? out : out + " (" + join(ids, ", ") + ")";
}

InstanceFacts instance_facts(const ImdsEvidence& imds) {
  InstanceFacts facts;
  facts.vpc_cidrs = vpc_cidrs_from_facts(imds.facts);
  // The primary CIDR; files from before it was read: the first block listed.
  facts.primary_cidr = mac_fact(imds.facts, "vpc-ipv4-cidr-block");
  if (facts.primary_cidr.empty()) facts.primary_cidr = mac_fact(imds.facts, "vpc-ipv4-cidr-blocks");
  if (auto v = mac_fact(imds.facts, "vpc-id"); !v.empty()) facts.vpc_id = v;
  if (auto v = mac_fact(imds.facts, "subnet-id"); !v.empty()) facts.subnet_id = v;
  if (auto v = mac_fact(imds.facts, "security-group-ids"); !v.empty()) {
    facts.security_group_id = v;
  }
  for (const auto& [key, value] : imds.facts) {
    if (!key.ends_with("/security-group-ids")) continue;
    std::istringstream lines(value);
    for (std::string line; std::getline(lines, line);)
      if (!line.empty()) facts.security_groups.push_back(line);
  }
  if (auto it = imds.facts.find("meta-data/local-ipv4"); it != imds.facts.end())
    facts.local_ipv4 = it->second;
  return facts;
}

std::vector<netcheck::DnsServer> amazon_resolvers(const std::string& primary_cidr) {
  std::vector<netcheck::DnsServer> servers;
  auto slash = primary_cidr.find('/');
  if (auto base = netcheck::parse_ip(primary_cidr.substr(0, slash));
      base && base->family == netcheck::Family::v4 && slash != std::string::npos) {
    in_addr raw{};
    ::inet_pton(AF_INET, base->text.c_str(), &raw);
    raw.s_addr = htonl(ntohl(raw.s_addr) + 2);
    char text[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &raw, text, sizeof text);
    servers.push_back({{netcheck::Family::v4, text}, 53});
  }
  servers.push_back({{netcheck::Family::v4, "169.254.169.253"}, 53});
  return servers;
}

bool is_amazon_resolver(const netcheck::DnsServer& server, const InstanceFacts& facts) {
  if (server.address.text == "fd00:ec2::253") return true;
  const auto vpc = amazon_resolvers(facts.primary_cidr);
  return std::any_of(vpc.begin(), vpc.end(),
                     [&](const auto& r) { return r.address == server.address; });
}

std::string resolver_label(const netcheck::DnsServer& server, const InstanceFacts& facts) {
  std::string label =
      server.port == 53 ? server.address.text : ip_port(server.address, server.port);
  if (is_amazon_resolver(server, facts)) label += " (Amazon-provided)";
  return label;
}

}  // namespace ssmreach
