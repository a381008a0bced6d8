#include "probe/plan/endpoint_names.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "probe/plan/region.h"

namespace ssmreach {
namespace {

// The SDKs read these as booleans: "true" or "false", in any case.
std::optional<bool> parse_bool(std::string_view text) {
  std::string value(text);
  std::transform(value.begin(), value.end(), value.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (value == "true") return true;
  if (value == "false") return false;
  return std::nullopt;
}

// This shell's boolean variable; a value that is not one is a note.
std::optional<bool> env_bool(const GetEnv& env, const char* name, std::vector<std::string>& notes) {
  const auto value = env(name);
  if (!value) return std::nullopt;
  const auto parsed = parse_bool(*value);
  if (!parsed) {
    std::string shown = value->substr(0, 40);
    for (char& c : shown)
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
    notes.push_back(std::string(name) + "='" + shown +
                    "' (this shell) is not true or false; ignored, as the AWS SDKs refuse it");
  }
  return parsed;
}

const char* on_off(bool on) { return on ? "true" : "false"; }

struct SuffixRow {
  const char* prefix;
  const char* dualstack;
};
// partitions.json's dualStackDnsSuffix by region prefix; the longer
// prefixes first ("us-isob-" before "us-iso-").
constexpr std::array<SuffixRow, 6> kDualStackSuffixes{{
    {"cn-", "api.amazonwebservices.com.cn"},
    {"eusc-", "api.amazonwebservices.eu"},
    {"us-isob-", "api.aws.scloud"},
    {"us-isof-", "api.aws.hci.ic.gov"},
    {"us-iso-", "api.aws.ic.gov"},
    {"eu-isoe-", "api.cloud-aws.adc-e.uk"},
}};
constexpr std::string_view kDefaultDualStackSuffix = "api.aws";  // aws and aws-us-gov

constexpr std::array<std::string_view, 6> kFipsRegions{"us-east-1", "us-east-2",    "us-west-1",
                                                       "us-west-2", "ca-central-1", "ca-west-1"};

}  // namespace

EndpointNaming choose_endpoint_naming(const NamingFlags& flags, const AgentConfig& agent,
                                      const GetEnv& env) {
  EndpointNaming naming;
  const auto env_dualstack = env_bool(env, "AWS_USE_DUALSTACK_ENDPOINT", naming.notes);
  const auto& agent_dualstack = agent.use_dualstack;
  if (flags.dualstack) {
    naming.dualstack = {*flags.dualstack, "--dualstack"};
  } else if (agent_dualstack) {
    naming.dualstack = {agent_dualstack->value == "true", agent_dualstack->source()};
    // The agent follows its own config: a variable that says otherwise is
    // not what it uses.
    if (env_dualstack && *env_dualstack != naming.dualstack.on)
      naming.notes.push_back(std::string("AWS_USE_DUALSTACK_ENDPOINT=") + on_off(*env_dualstack) +
                             " (this shell) is not used: the agent's config sets "
                             "Agent.UseDualStackEndpoint " +
                             on_off(naming.dualstack.on) +
                             ", which is what the agent follows (--dualstack" +
                             (*env_dualstack ? "" : "=false") + " checks the other names)");
  } else if (env_dualstack) {
    naming.dualstack = {*env_dualstack, "AWS_USE_DUALSTACK_ENDPOINT"};
  }

  const auto env_fips = env_bool(env, "AWS_USE_FIPS_ENDPOINT", naming.notes);
  if (flags.fips) {
    naming.fips = {*flags.fips, "--fips"};
  } else if (env_fips) {
    naming.fips = {*env_fips, "AWS_USE_FIPS_ENDPOINT"};
  }
  return naming;
}

std::string dualstack_suffix(std::string_view region) {
  for (const auto& row : kDualStackSuffixes)
    if (region.starts_with(row.prefix)) return row.dualstack;
  return std::string(kDefaultDualStackSuffix);
}

FipsEndpoints fips_endpoints(std::string_view region) {
  if (std::find(kFipsRegions.begin(), kFipsRegions.end(), region) != kFipsRegions.end())
    return FipsEndpoints::own_name;
  if (region.starts_with("us-gov-")) return FipsEndpoints::standard;
  return FipsEndpoints::none;
}

std::string fips_regions_text() {
  std::string text;
  for (std::size_t i = 0; i < kFipsRegions.size(); ++i) {
    if (i > 0) text += i + 1 == kFipsRegions.size() ? " and " : ", ";
    text += kFipsRegions[i];
  }
  return text;
}

std::string endpoint_name(std::string_view service, std::string_view region,
                          const EndpointNaming& naming, const AgentConfig& config) {
  const bool dualstack = naming.dualstack.on;
  const bool fips = naming.fips.on && fips_endpoints(region) == FipsEndpoints::own_name;
  std::string name(service);
  if (fips) name += "-fips";
  if (config.service_domain)
    return name + "." + std::string(region) + "." + config.service_domain->value;
  // S3 had dual-stack names long before api.aws: s3.dualstack.REGION.amazonaws.com.
  if (dualstack && service == "s3")
    return name + ".dualstack." + std::string(region) + "." + partition_suffix(region);
  return name + "." + std::string(region) + "." +
         (dualstack ? dualstack_suffix(region) : partition_suffix(region));
}

std::string endpoint_name_pattern(std::string_view region, const EndpointNaming& naming,
                                  const AgentConfig& config) {
  return endpoint_name("SVC", region, naming, config);
}

bool is_fips_name(std::string_view host) {
  return host.substr(0, host.find('.')).ends_with("-fips");
}

bool is_dualstack_name(std::string_view host) {
  if (host.find(".dualstack.") != std::string_view::npos) return true;
  if (host.ends_with("." + std::string(kDefaultDualStackSuffix))) return true;
  return std::any_of(kDualStackSuffixes.begin(), kDualStackSuffixes.end(), [&](const auto& row) {
    return host.ends_with("." + std::string(row.dualstack));
  });
}

}  // namespace ssmreach
