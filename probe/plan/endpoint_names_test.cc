#include "probe/plan/endpoint_names.h"

#include <doctest/doctest.h>

#include <map>
#include <string>

#include "probe/plan/plan.h"

using namespace ssmreach;

namespace {

GetEnv env_of(std::map<std::string, std::string> vars) {
  return [vars](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

AgentConfig config_with_dualstack(const char* value) {
  AgentConfig config;
  config.file = "/etc/amazon/ssm/amazon-ssm-agent.json";
  config.use_dualstack = AgentSetting{value, "Agent.UseDualStackEndpoint", config.file};
  return config;
}

EndpointNaming naming(bool dualstack, bool fips) { return {{dualstack, "x"}, {fips, "y"}, {}}; }

bool has_note(const EndpointNaming& n, const std::string& needle) {
  for (const auto& note : n.notes)
    if (note.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("endpoint names: the partitions' dual-stack suffixes") {
  CHECK(dualstack_suffix("eu-west-1") == "api.aws");
  CHECK(dualstack_suffix("us-gov-west-1") == "api.aws");
  CHECK(dualstack_suffix("cn-north-1") == "api.amazonwebservices.com.cn");
  CHECK(dualstack_suffix("eusc-de-east-1") == "api.amazonwebservices.eu");
  CHECK(dualstack_suffix("us-iso-east-1") == "api.aws.ic.gov");
  CHECK(dualstack_suffix("us-isob-east-1") == "api.aws.scloud");
  CHECK(dualstack_suffix("us-isof-south-1") == "api.aws.hci.ic.gov");
  CHECK(dualstack_suffix("eu-isoe-west-1") == "api.cloud-aws.adc-e.uk");
}

TEST_CASE("endpoint names: standard, dual-stack, FIPS, both") {
  const AgentConfig plain;
  CHECK(endpoint_name("ssm", "eu-west-1", {}, plain) == "ssm.eu-west-1.amazonaws.com");
  CHECK(endpoint_name("ssm", "eu-west-1", naming(true, false), plain) == "ssm.eu-west-1.api.aws");
  CHECK(endpoint_name("ssmmessages", "cn-north-1", naming(true, false), plain) ==
        "ssmmessages.cn-north-1.api.amazonwebservices.com.cn");
  CHECK(endpoint_name("ssm", "eusc-de-east-1", {}, plain) == "ssm.eusc-de-east-1.amazonaws.eu");
  CHECK(endpoint_name("ec2messages", "us-east-1", naming(false, true), plain) ==
        "ec2messages-fips.us-east-1.amazonaws.com");
  CHECK(endpoint_name("ssm", "ca-west-1", naming(true, true), plain) ==
        "ssm-fips.ca-west-1.api.aws");
  // GovCloud's standard names are FIPS; elsewhere there are none.
  CHECK(endpoint_name("ssm", "us-gov-west-1", naming(false, true), plain) ==
        "ssm.us-gov-west-1.amazonaws.com");
  CHECK(endpoint_name("ssm", "eu-central-1", naming(false, true), plain) ==
        "ssm.eu-central-1.amazonaws.com");
  // S3 keeps its own dual-stack form.
  CHECK(endpoint_name("s3", "eu-west-1", naming(true, false), plain) ==
        "s3.dualstack.eu-west-1.amazonaws.com");
  CHECK(endpoint_name("s3", "us-west-2", naming(true, true), plain) ==
        "s3-fips.dualstack.us-west-2.amazonaws.com");
  // The agent's ServiceDomain is used as written.
  AgentConfig domain;
  domain.service_domain = AgentSetting{"example.internal", "Agent.ServiceDomain", "f"};
  CHECK(endpoint_name("ssm", "eu-west-1", naming(true, false), domain) ==
        "ssm.eu-west-1.example.internal");
  CHECK(endpoint_name_pattern("eu-west-1", naming(true, false), plain) == "SVC.eu-west-1.api.aws");
}

TEST_CASE("endpoint names: where FIPS endpoints exist") {
  CHECK(fips_endpoints("us-east-1") == FipsEndpoints::own_name);
  CHECK(fips_endpoints("ca-central-1") == FipsEndpoints::own_name);
  CHECK(fips_endpoints("us-gov-east-1") == FipsEndpoints::standard);
  CHECK(fips_endpoints("eu-west-1") == FipsEndpoints::none);
  CHECK(fips_endpoints("cn-north-1") == FipsEndpoints::none);
  CHECK(fips_regions_text() ==
        "us-east-1, us-east-2, us-west-1, us-west-2, ca-central-1 and ca-west-1");
  CHECK(is_fips_name("ssm-fips.us-east-1.amazonaws.com"));
  CHECK_FALSE(is_fips_name("ssm.us-east-1.amazonaws.com"));
  CHECK_FALSE(is_fips_name("fips.example.com-fips"));
  CHECK(is_dualstack_name("ssm.eu-west-1.api.aws"));
  CHECK(is_dualstack_name("ssm.cn-north-1.api.amazonwebservices.com.cn"));
  CHECK(is_dualstack_name("s3.dualstack.eu-west-1.amazonaws.com"));
  CHECK_FALSE(is_dualstack_name("ssm.eu-west-1.amazonaws.com"));
  CHECK_FALSE(is_dualstack_name("notapi.aws"));
}

TEST_CASE("endpoint names: the plan uses them unless an override wins") {
  AgentConfig config = config_with_dualstack("true");
  config.endpoints["ssmmessages"] = {
      "ssmmessages", {"vpce.example", "Mgs.Endpoint", config.file}, {"vpce.example", 443}};
  PlanRequest request;
  request.endpoints = {{"ec2messages", {"10.1.2.3", 443}}};
  const auto targets =
      plan_targets(request, "eu-west-1", config, choose_endpoint_naming({}, config, env_of({})));
  REQUIRE(targets.size() == 3);
  CHECK(targets[0].host == "ssm.eu-west-1.api.aws");
  CHECK(targets[0].host_source == "default");
  CHECK(targets[1].host == "vpce.example");
  CHECK(targets[2].host == "10.1.2.3");
}

TEST_CASE("endpoint names: flag, then the agent's key, then this shell") {
  const AgentConfig plain;
  // Nothing set: the agent's defaults, no source.
  auto n = choose_endpoint_naming({}, plain, env_of({}));
  CHECK_FALSE(n.dualstack.on);
  CHECK(n.dualstack.source.empty());
  CHECK_FALSE(n.fips.on);
  CHECK(n.notes.empty());
  // The SDK variables, any case.
  n = choose_endpoint_naming(
      {}, plain,
      env_of({{"AWS_USE_DUALSTACK_ENDPOINT", "TRUE"}, {"AWS_USE_FIPS_ENDPOINT", "true"}}));
  CHECK(n.dualstack.on);
  CHECK(n.dualstack.source == "AWS_USE_DUALSTACK_ENDPOINT");
  CHECK(n.fips.on);
  CHECK(n.fips.source == "AWS_USE_FIPS_ENDPOINT");
  // The agent's own key beats this shell, with a note.
  n = choose_endpoint_naming({}, config_with_dualstack("false"),
                             env_of({{"AWS_USE_DUALSTACK_ENDPOINT", "true"}}));
  CHECK_FALSE(n.dualstack.on);
  CHECK(n.dualstack.source == "/etc/amazon/ssm/amazon-ssm-agent.json (Agent.UseDualStackEndpoint)");
  CHECK(has_note(n, "AWS_USE_DUALSTACK_ENDPOINT=true (this shell) is not used"));
  // The flags beat both.
  NamingFlags flags;
  flags.dualstack = false;
  flags.fips = true;
  n = choose_endpoint_naming(flags, config_with_dualstack("true"),
                             env_of({{"AWS_USE_FIPS_ENDPOINT", "false"}}));
  CHECK_FALSE(n.dualstack.on);
  CHECK(n.dualstack.source == "--dualstack");
  CHECK(n.fips.on);
  CHECK(n.fips.source == "--fips");
  // A value that is not a boolean is ignored, with a note.
  n = choose_endpoint_naming({}, plain, env_of({{"AWS_USE_FIPS_ENDPOINT", "yes\x01"}}));
  CHECK_FALSE(n.fips.on);
  CHECK(n.fips.source.empty());
  CHECK(has_note(n, "AWS_USE_FIPS_ENDPOINT='yes?' (this shell) is not true or false"));
}
