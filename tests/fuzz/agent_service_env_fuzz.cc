// The agent service's environment as read from a root folder: its unit file,
// a drop-in, an EnvironmentFile= file and system.conf, then the proxy
// settings the run derives from it (which the agent's HTTP stack would use).
//
// Input: UNIT @@@@ DROP-IN @@@@ /etc/agent.env @@@@ system.conf
// (kPartSeparator lines). A unit or drop-in reaches the env file as
// "EnvironmentFile=/etc/agent.env" (in the dictionary and the seeds).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "probe/host/agent_service_env.h"
#include "probe/host/proxy_settings.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ssmreach;
  const auto parts = fuzz::split_parts(fuzz::as_text(data, size), 4);
  const auto& root = fuzz::ScratchDir::get();
  root.clear();
  root.write("etc/systemd/system/amazon-ssm-agent.service", parts[0]);
  root.write("etc/systemd/system/amazon-ssm-agent.service.d/50-proxy.conf", parts[1]);
  root.write("etc/agent.env", parts[2]);
  root.write("etc/systemd/system.conf", parts[3]);

  const AgentServiceEnvironment environment = read_agent_service_environment(root.path());
  for (const auto& [name, value] : environment.vars) {
    fuzz::require(environment.var_source.contains(name), "every variable says where it was set");
    (void)value;
  }
  const GetEnv no_environment = [](const char*) -> std::optional<std::string> {
    return std::nullopt;
  };
  const ProxySettings proxy = resolve_proxy_settings(ProxyFlags{}, no_environment, environment);
  if (proxy.https) (void)proxy.https->for_curl();
  (void)proxy.no_proxy.match("ssm.eu-west-1.amazonaws.com", 443);
  return 0;
}
