// An environment for tests: only the variables given, empty ones unset.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "probe/util/environment.h"

namespace testing {

inline ssmreach::GetEnv fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
}

}  // namespace testing
