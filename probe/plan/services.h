// The AWS services ssm-reach knows, and which of them the agent requires.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ssmreach {

// ssm, ssmmessages, ec2messages: the three the agent needs to come online.
const std::vector<std::string>& default_services();
// Every service --services accepts: the defaults plus optional extras.
const std::vector<std::string>& known_services();
bool is_known_service(std::string_view service);
bool is_default_service(std::string_view service);

}  // namespace ssmreach
