#include "probe/host/agent_context.h"

#include <doctest/doctest.h>

#include "probe/plan/plan.h"

namespace ssmreach {
namespace {

AgentSetting setting(const std::string& value, const std::string& key) {
  return {value, key, "/etc/amazon/ssm/amazon-ssm-agent.json"};
}

TEST_CASE("agent paths: defaults, or every file below a root") {
  auto plain = agent_paths("", "");
  CHECK(plain.config == "/etc/amazon/ssm/amazon-ssm-agent.json");
  CHECK(plain.registration == "/var/lib/amazon/ssm/registration");
  auto rooted = agent_paths("/mnt/vol", "");
  CHECK(rooted.config == "/mnt/vol/etc/amazon/ssm/amazon-ssm-agent.json");
  CHECK(rooted.registration == "/mnt/vol/var/lib/amazon/ssm/registration");
  CHECK(rooted.version.dpkg_status == "/mnt/vol/var/lib/dpkg/status");
  CHECK(rooted.version.agent_binaries.front().starts_with("/mnt/vol/"));
  // An explicit config file is taken as given.
  CHECK(agent_paths("/mnt/vol", "/tmp/a.json").config == "/tmp/a.json");
}

TEST_CASE("agent region: Agent.Region, then a hybrid registration's region") {
  AgentEvidence agent;
  CHECK(agent_region(agent).empty());
  agent.registration.present = true;
  agent.registration.managed_instance_id = setting("mi-0123456789abcdef0", "ManagedInstanceID");
  agent.registration.region = setting("eu-west-3", "Region");
  CHECK(agent_region(agent).value == "eu-west-3");
  CHECK(agent_region(agent).source == "agent-registration");
  agent.config.region = setting("ap-south-1", "Agent.Region");
  CHECK(agent_region(agent).value == "ap-south-1");
  CHECK(agent_region(agent).source == "agent-config");
}

TEST_CASE("plan: agent config endpoints and ServiceDomain, below --endpoint") {
  AgentConfig agent;
  agent.service_domain = setting("amazonaws.com.cn", "Agent.ServiceDomain");
  agent.endpoints["ssmmessages"] = {"ssmmessages",
                                    setting("https://vpce-1.example:8443", "Mgs.Endpoint"),
                                    {"vpce-1.example", 8443}};
  agent.endpoints["ssm"] = {"ssm", setting("ssm.example", "Ssm.Endpoint"), {"ssm.example", 443}};
  PlanRequest options;
  options.endpoints.push_back({"ssm", {"10.1.2.3", 443}});
  auto targets = plan_targets(options, "cn-north-1", agent);
  REQUIRE(targets.size() == 3);
  CHECK(targets[0].host == "10.1.2.3");  // the flag wins
  CHECK(targets[0].host_source == "--endpoint");
  CHECK(targets[1].host == "vpce-1.example");
  CHECK(targets[1].port == 8443);
  CHECK(targets[1].host_source == "agent-config");
  CHECK(targets[2].host == "ec2messages.cn-north-1.amazonaws.com.cn");
  CHECK(targets[2].host_source == "default");
}

}  // namespace
}  // namespace ssmreach
