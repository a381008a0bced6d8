#include "probe/gather/imds_endpoint.h"

#include <doctest/doctest.h>

#include <map>
#include <string>

using namespace ssmreach;

namespace {

GetEnv env_of(std::map<std::string, std::string> vars) {
  return [vars](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

AgentEnv agent_of(std::map<std::string, std::string> vars) {
  return [vars](const char* name) -> std::optional<AgentVariable> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return AgentVariable{it->second, "/etc/systemd/system/amazon-ssm-agent.service.d/v6.conf"};
  };
}

constexpr const char* kMode = "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE";

}  // namespace

TEST_CASE("IMDS endpoint: default, mode IPv6, mode IPv4, any case") {
  auto c = choose_imds_endpoint(std::nullopt, env_of({}), {});
  CHECK(c.endpoint == "http://169.254.169.254");
  CHECK(c.source.empty());
  c = choose_imds_endpoint(std::nullopt, env_of({{kMode, "ipv6"}}), {});
  CHECK(c.endpoint == "http://[fd00:ec2::254]");
  CHECK(c.source == kMode);
  c = choose_imds_endpoint(std::nullopt, env_of({{kMode, " IPv4"}}), {});
  CHECK(c.endpoint == "http://169.254.169.254");
  CHECK(c.source == kMode);
}

TEST_CASE("IMDS endpoint: flag, this shell, then the agent's unit") {
  const auto agent = agent_of({{kMode, "IPv6"}});
  auto c =
      choose_imds_endpoint(std::string("http://127.0.0.1:9/"), env_of({{kMode, "IPv6"}}), agent);
  CHECK(c.endpoint == "http://127.0.0.1:9");
  CHECK(c.source == "--imds-endpoint");
  c = choose_imds_endpoint(
      std::nullopt,
      env_of({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://[::1]:8080/"}, {kMode, "IPv6"}}),
      agent);
  CHECK(c.endpoint == "http://[::1]:8080");
  CHECK(c.source == "AWS_EC2_METADATA_SERVICE_ENDPOINT");
  // Nothing in this shell: the agent's own environment.
  c = choose_imds_endpoint(std::nullopt, env_of({}), agent);
  CHECK(c.endpoint == "http://[fd00:ec2::254]");
  CHECK(c.source ==
        "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE "
        "(/etc/systemd/system/amazon-ssm-agent.service.d/v6.conf)");
  c = choose_imds_endpoint(std::nullopt, env_of({}),
                           agent_of({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://10.9.9.9"}}));
  CHECK(c.endpoint == "http://10.9.9.9");
}

TEST_CASE("IMDS endpoint: a mode the SDKs refuse is a note, not a choice") {
  auto c = choose_imds_endpoint(std::nullopt, env_of({{kMode, "IPv7"}}), {});
  CHECK(c.endpoint == "http://169.254.169.254");
  CHECK(c.source.empty());
  CHECK(c.note.find("'IPv7' (this shell) is neither IPv4 nor IPv6") != std::string::npos);
  // The agent's bad value is named with its file.
  c = choose_imds_endpoint(std::nullopt, env_of({}), agent_of({{kMode, "v6"}}));
  CHECK(c.endpoint == "http://169.254.169.254");
  CHECK(c.note.find("v6.conf") != std::string::npos);
}
