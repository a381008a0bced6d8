// Read access to environment variables, injectable so tests need no setenv.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace ssmreach {

// Returns the variable's value, or nullopt when unset or empty (an empty
// AWS_REGION means "not set" to every AWS SDK, and so it does here).
using GetEnv = std::function<std::optional<std::string>(const char* name)>;

GetEnv process_environment();

}  // namespace ssmreach
