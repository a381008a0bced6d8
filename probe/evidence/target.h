// One thing to check: a service endpoint the agent must (or may) reach.
#pragma once

#include <cstdint>
#include <string>

namespace ssmreach {

struct Target {
  std::string service;  // "ssm", "ssmmessages", ...
  std::string host;     // name (or IP literal) the agent connects to
  std::uint16_t port = 443;
  bool required = true;
  std::string host_source = "default";  // "default", "--endpoint"
};

}  // namespace ssmreach
