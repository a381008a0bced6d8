#include "probe/evidence/secret_fact.h"

#include <string_view>

namespace ssmreach {

bool is_secret_fact(const std::string& key, const std::string& value) {
  static constexpr std::string_view kSecretPaths[] = {"meta-data/iam/security-credentials",
                                                      "meta-data/identity-credentials", "api/token",
                                                      "user-data"};
  for (auto path : kSecretPaths)
    if (key.find(path) != std::string::npos) return true;
  for (std::string_view marker : {"SecretAccessKey", "\"Token\"", "AccessKeyId"})
    if (value.find(marker) != std::string::npos) return true;
  return false;
}

}  // namespace ssmreach
