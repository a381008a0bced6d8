// Texts of several targets that say the same thing, up to each one's service
// name and addresses, told once: prose names every member where they differ
// ("{ssm,ssmmessages}.eu-west-1.amazonaws.com", "10.40.1.{11,12}"), and a
// command that differs only by service runs for each in one shell loop
// ("for s in ssm ssmmessages; do nslookup $s.eu-west-1.amazonaws.com; done").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ssmreach {

// `text` with each occurrence of `service` as a name of its own (not inside
// a longer word such as "amazon-ssm-agent") replaced by "\x01".
std::string service_template(std::string_view text, std::string_view service);

// `text` with every IPv4 and IPv6 address literal replaced by "\x02".
std::string address_template(std::string_view text);

// Whether two targets' texts (`a` of service `a_service`, `b` of
// `b_service`) say the same, line for line and word for word, up to the
// service's own name where it stands (ssm.region.amazonaws.com,
// com.amazonaws.region.ssm) and address literals. Words both say alike
// count as alike, whatever they contain ("/etc/amazon/ssm/...").
bool same_up_to_names(std::string_view a, std::string_view a_service, std::string_view b,
                      std::string_view b_service);

// How merged prose names the services' host names.
enum class HostNames {
  listed,  // "{ssm,ssmmessages}.eu-west-1.amazonaws.com": exact
  each,    // "each endpoint name": short, where the services are named beside it
};

// One text for all members (`texts[i]` is of `services[i]`): words all
// agree on stay, a word that differs names each member's version, in their
// order. nullopt when the texts do not line up word for word.
std::optional<std::string> merge_prose(const std::vector<std::string>& texts,
                                       const std::vector<std::string>& services,
                                       HostNames host_names = HostNames::listed);

// One remedy for all (prose lines and "$ " command lines, as
// TargetVerdict::remedy): a command all agree on appears once, one that
// differs only by service becomes a `for s in ...` loop, any other appears
// once per member. nullopt when the remedies do not line up line for line.
std::optional<std::string> merge_remedy(const std::vector<std::string>& remedies,
                                        const std::vector<std::string>& services);

}  // namespace ssmreach
