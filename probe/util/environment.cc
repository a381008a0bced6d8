#include "probe/util/environment.h"

#include <cstdlib>

namespace ssmreach {

GetEnv process_environment() {
  return [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
}

}  // namespace ssmreach
