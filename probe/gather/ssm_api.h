// The one signed call ssm-reach makes, ssm:ListInstanceAssociations (read
// only, and a call the agent itself makes), and how to read its answer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "netcheck/clock.h"
#include "netcheck/http.h"
#include "probe/gather/sigv4.h"

namespace ssmreach {

// The Host header libcurl sends for https://host[:port]/: the port only
// when it is not 443, an IPv6 literal in brackets. What is signed must be
// exactly this.
std::string https_host_header(const std::string& host, std::uint16_t port);

// POST https://host[:port]/ with the AWS JSON 1.1 protocol, body
// {"InstanceId":...,"MaxResults":1}, signed for service "ssm" in `region` at
// `unix_now`. The Host header is left to libcurl (it derives the same value
// from the URL). The request holds the signature and, with temporary
// credentials, the session token: never log its headers.
netcheck::HttpRequest list_instance_associations_request(
    const std::string& host, std::uint16_t port, const std::string& region,
    const std::string& instance_id, const AwsCredentials& credentials, long long unix_now,
    netcheck::Duration timeout);

}  // namespace ssmreach
