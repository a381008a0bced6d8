// The one signed call ssm-reach makes, ssm:ListInstanceAssociations (read
// only, and a call the agent itself makes), and how to read its answer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "netcheck/clock.h"
#include "netcheck/http.h"
#include "probe/cause.h"
#include "probe/sigv4.h"

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

// An AWS error answer, as far as it can be read.
struct AwsError {
  std::string type;     // "AccessDeniedException" (any "namespace#" prefix dropped)
  std::string message;  // at most 400 bytes
};

// Reads {"__type": "...#Type", "message"|"Message": "..."} (the JSON
// protocols); for XML answers (query protocol, S3-like proxies) the first
// <Code> and <Message>; for anything else (an HTML page from a proxy or a
// firewall) its <title>, or the start of the text. Never throws.
AwsError parse_aws_error(const std::string& body);

// The cause of the signed call's answer: nullopt for 2xx, else one of
// auth.endpoint-policy-deny, auth.access-denied, auth.clock-skew,
// auth.expired-credentials, auth.invalid-credentials, auth.throttled,
// auth.service-error (5xx) and auth.unexpected-answer.
std::optional<Cause> signed_call_cause(long http_status, const AwsError& error);

}  // namespace ssmreach
