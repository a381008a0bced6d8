#include "probe/gather/ssm_api.h"

#include <nlohmann/json.hpp>

namespace ssmreach {

std::string https_host_header(const std::string& host, std::uint16_t port) {
  const std::string name = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return port == 443 ? name : name + ":" + std::to_string(port);
}

netcheck::HttpRequest list_instance_associations_request(
    const std::string& host, std::uint16_t port, const std::string& region,
    const std::string& instance_id, const AwsCredentials& credentials, long long unix_now,
    netcheck::Duration timeout) {
  SignableRequest signable;
  signable.method = "POST";
  signable.path = "/";
  signable.body = nlohmann::ordered_json{{"InstanceId", instance_id}, {"MaxResults", 1}}.dump();
  signable.headers = {
      {"Host", https_host_header(host, port)},
      {"Content-Type", "application/x-amz-json-1.1"},
      {"X-Amz-Target", "AmazonSSM.ListInstanceAssociations"},
  };
  const SigningScope scope{region, "ssm", amz_date_from_unix(unix_now)};

  netcheck::HttpRequest request;
  request.method = signable.method;
  request.url = "https://" + https_host_header(host, port) + "/";
  request.body = signable.body;
  request.timeout = timeout;
  for (const auto& [name, value] : signable.headers) {
    if (name != "Host") request.headers.push_back(name + ": " + value);
  }
  for (const auto& [name, value] : sign_request(signable, scope, credentials)) {
    request.headers.push_back(name + ": " + value);
  }
  return request;
}

}  // namespace ssmreach
