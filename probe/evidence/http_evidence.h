// An HTTP answer from an endpoint, reduced to what the diagnosis reads.
#pragma once

#include <ctime>
#include <optional>

#include "netcheck/http.h"
#include "probe/evidence/evidence.h"

namespace ssmreach {

// `local_now` is this instance's clock when the answer arrived: the Date
// header is compared with it (clock_offset_s = Date - local_now).
HttpEvidence to_http_evidence(const netcheck::HttpResponse& response, std::time_t local_now);

// An HTTP exchange got an answer, whatever its status: HttpEvidence, ImdsCall
// or netcheck::HttpResponse; an absent one did not.
template <typename Exchange>
bool answered(const Exchange& exchange) {
  return exchange.outcome == netcheck::HttpOutcome::ok;
}
template <typename Exchange>
bool answered(const std::optional<Exchange>& exchange) {
  return exchange && answered(*exchange);
}

// IMDS answered any of its requests: this is EC2 (or its lab).
bool any_answered(const ImdsEvidence& imds);

// Where a request through a proxy stopped: "proxy-connect", "connect",
// "tls", "http", or "" when an HTTP answer arrived.
std::string proxy_failed_stage(const netcheck::HttpResponse& response);

}  // namespace ssmreach
