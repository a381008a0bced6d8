// An AWS error answer (the signed call's, or a proxy's page in its place),
// read as far as it can be: plain data for the evidence and the diagnosis.
#pragma once

#include <string>

namespace ssmreach {

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

}  // namespace ssmreach
