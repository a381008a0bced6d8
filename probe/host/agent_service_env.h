// The environment systemd gives the SSM agent's service, read from its unit
// files: the agent takes its proxy (HTTPS_PROXY, NO_PROXY...) from there,
// not from the shell of whoever runs ssm-reach. Reading only.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace ssmreach {

struct AgentServiceEnvironment {
  // The service's variables (DefaultEnvironment= of system.conf, then
  // Environment=, then EnvironmentFile= files, less UnsetEnvironment=).
  // Values can be secrets (proxy passwords, even AWS keys): never print them.
  std::map<std::string, std::string> vars;
  // var -> the file that set it: "/etc/systemd/system/amazon-ssm-agent.service.d/proxy.conf",
  // "/etc/environment (EnvironmentFile= of snap.amazon-ssm-agent.amazon-ssm-agent.service)",
  // "/etc/systemd/system.conf (DefaultEnvironment=)".
  std::map<std::string, std::string> var_source;
  std::vector<std::string> files_read;
  // Malformed lines, settings systemd ignores, files it cannot load; never a
  // value.
  std::vector<std::string> warnings;
  // "amazon-ssm-agent.service" or "snap.amazon-ssm-agent.amazon-ssm-agent.service";
  // empty when neither unit file exists (no systemd, agent not installed).
  std::string unit;
  std::string unit_file;  // the unit file read, below `root`
};

// Reads the agent's unit the way systemd loads it (systemd.unit(5),
// systemd.exec(5)): the unit file (the first found in /etc/systemd/system,
// /run/systemd/system, /usr/local/lib/systemd/system, /usr/lib/systemd/system,
// /lib/systemd/system; a link to /dev/null or an empty file masks it), then
// its drop-ins "*.conf" in "<unit>.d/", the dash-prefix directories
// ("amazon-ssm-.service.d/", "amazon-.service.d/") and "service.d/" of
// those folders (a name in a higher folder hides the same name below; all
// applied in lexical order of file name), [Service] section only. The
// classic unit is preferred to the snap's when both exist. Every path is
// taken below `root` ("" for this host; SSM_REACH_AGENT_ROOT otherwise).
// Files are bounded (64 KiB each, a few dozen in all); never throws.
AgentServiceEnvironment read_agent_service_environment(const std::string& root);

}  // namespace ssmreach
