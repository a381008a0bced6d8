// The answers of the endpoints and of proxies in between: AWS error bodies
// (JSON, XML, an HTML page from a firewall), the cause the signed call's
// answer gives, and the headers the HTTP evidence reads (Date for the clock
// offset, x-amzn-RequestId).
//
// Input: BODY @@@@ STATUS @@@@ DATE @@@@ REQUEST-ID (kPartSeparator lines).
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string>

#include "netcheck/http.h"
#include "probe/diagnose/signed_call_cause.h"
#include "probe/evidence/aws_error.h"
#include "probe/evidence/http_evidence.h"
#include "probe/gather/ssm_api.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ssmreach;
  const auto parts = fuzz::split_parts(fuzz::as_text(data, size), 4);
  const AwsError error = parse_aws_error(parts[0]);
  fuzz::require(error.message.size() <= 400, "AwsError::message is at most 400 bytes");

  long status = 0;
  for (char c : parts[1]) {
    if (c < '0' || c > '9' || status > 99999) break;
    status = status * 10 + (c - '0');
  }
  (void)signed_call_cause(status, error);
  (void)signed_call_cause(403, error);
  (void)signed_call_cause(400, error);

  netcheck::HttpResponse response;
  response.outcome = netcheck::HttpOutcome::ok;
  response.status = status;
  response.body = parts[0];
  response.headers["date"] = parts[2];
  response.headers["x-amzn-requestid"] = parts[3];
  (void)to_http_evidence(response, std::time_t{1764201600});
  (void)to_http_evidence(response, std::time_t{0});
  response.outcome = netcheck::HttpOutcome::error;
  response.connected = !parts[3].empty();
  response.proxy_connect_status = status;
  (void)proxy_failed_stage(response);
  return 0;
}
