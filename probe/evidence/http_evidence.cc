#include "probe/evidence/http_evidence.h"

#include <curl/curl.h>

#include <algorithm>

namespace ssmreach {

namespace {

std::string header(const netcheck::HttpResponse& response, const char* name) {
  auto it = response.headers.find(name);
  return it == response.headers.end() ? std::string() : it->second;
}

}  // namespace

bool any_answered(const ImdsEvidence& imds) {
  return std::any_of(imds.calls.begin(), imds.calls.end(),
                     [](const ImdsCall& call) { return answered(call); });
}

HttpEvidence to_http_evidence(const netcheck::HttpResponse& response, std::time_t local_now) {
  HttpEvidence out;
  out.outcome = response.outcome;
  out.status = response.status;
  out.request_id = header(response, "x-amzn-requestid");
  out.date = header(response, "date");
  out.error = response.error;
  out.ms = response.ms;
  if (!out.date.empty()) {
    // libcurl's own parser of HTTP dates (RFC 7231 and the older forms).
    const std::time_t date = curl_getdate(out.date.c_str(), nullptr);
    if (date > 0) out.clock_offset_s = static_cast<double>(date - local_now);
  }
  return out;
}

std::string proxy_failed_stage(const netcheck::HttpResponse& response) {
  if (response.outcome == netcheck::HttpOutcome::ok) return "";
  if (!response.connected) return "proxy-connect";
  const long connect = response.proxy_connect_status;
  if (connect < 200 || connect > 299) return "connect";
  if (!response.tls_done) return "tls";
  return "http";
}

}  // namespace ssmreach
