#include "probe/gather/imds_endpoint.h"

#include <algorithm>
#include <cctype>

namespace ssmreach {
namespace {

constexpr const char* kEndpointVar = "AWS_EC2_METADATA_SERVICE_ENDPOINT";
constexpr const char* kModeVar = "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE";

// Trimmed (as the SDKs trim it) and in lower case.
std::string lower(std::string_view raw) {
  const auto first = raw.find_first_not_of(" \t");
  const auto last = raw.find_last_not_of(" \t");
  std::string text(first == std::string_view::npos ? "" : raw.substr(first, last - first + 1));
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text.substr(0, 20)) out += (c >= 0x20 && c <= 0x7e) ? char(c) : '?';
  return out + (text.size() > 20 ? "..." : "");
}

// The endpoint a mode names; nullopt (with a note) for any other word.
std::optional<std::string> mode_endpoint(const std::string& mode, const std::string& where,
                                         std::string& note) {
  const std::string word = lower(mode);
  if (word == "ipv6") return kImdsIpv6Endpoint;
  if (word == "ipv4") return kImdsIpv4Endpoint;
  note = std::string(kModeVar) + "='" + printable(mode) + "' (" + where +
         ") is neither IPv4 nor IPv6: the AWS SDKs refuse it, so a client that reads it "
         "cannot reach IMDS; ignored here";
  return std::nullopt;
}

}  // namespace

ImdsEndpointChoice choose_imds_endpoint(const std::optional<std::string>& flag, const GetEnv& env,
                                        const AgentEnv& agent_env) {
  ImdsEndpointChoice choice;
  auto take = [&choice](std::string endpoint, std::string source) {
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    choice.endpoint = std::move(endpoint);
    choice.source = std::move(source);
    return choice;
  };
  if (flag) return take(*flag, "--imds-endpoint");
  if (auto endpoint = env(kEndpointVar)) return take(*endpoint, kEndpointVar);
  if (auto mode = env(kModeVar))
    if (auto endpoint = mode_endpoint(*mode, "this shell", choice.note))
      return take(*endpoint, kModeVar);
  const auto agent = [&](const char* name) {
    auto variable = agent_env ? agent_env(name) : std::nullopt;
    return variable && !variable->value.empty() ? variable : std::nullopt;
  };
  if (auto endpoint = agent(kEndpointVar))
    return take(endpoint->value, std::string(kEndpointVar) + " (" + endpoint->file + ")");
  if (auto mode = agent(kModeVar))
    if (auto endpoint = mode_endpoint(mode->value, mode->file, choice.note))
      return take(*endpoint, std::string(kModeVar) + " (" + mode->file + ")");
  return choice;
}

}  // namespace ssmreach
