#include "probe/evidence/http_evidence.h"

#include <doctest/doctest.h>

namespace ssmreach {
namespace {

netcheck::HttpResponse answer(long status, const std::string& date) {
  netcheck::HttpResponse r;
  r.outcome = netcheck::HttpOutcome::ok;
  r.status = status;
  r.connected = r.tls_done = true;
  if (!date.empty()) r.headers["date"] = date;
  r.headers["x-amzn-requestid"] = "0f6a1b4e-1111-2222-3333-444455556666";
  return r;
}

TEST_CASE("HTTP evidence: status, request id and the clock offset from Date") {
  // 2026-11-26T17:00:00Z
  constexpr std::time_t kDate = 1795712400;
  auto e = to_http_evidence(answer(404, "Thu, 26 Nov 2026 17:00:00 GMT"), kDate - 420);
  CHECK(e.status == 404);
  CHECK(e.request_id == "0f6a1b4e-1111-2222-3333-444455556666");
  REQUIRE(e.clock_offset_s);
  CHECK(*e.clock_offset_s == doctest::Approx(420));  // this clock is 7 minutes behind

  CHECK_FALSE(to_http_evidence(answer(404, ""), kDate).clock_offset_s);
  CHECK_FALSE(to_http_evidence(answer(404, "not a date"), kDate).clock_offset_s);
}

TEST_CASE("HTTP evidence: where a proxied request stopped") {
  netcheck::HttpResponse r;
  r.outcome = netcheck::HttpOutcome::refused;
  CHECK(proxy_failed_stage(r) == "proxy-connect");
  r.outcome = netcheck::HttpOutcome::error;
  r.connected = true;
  r.proxy_connect_status = 403;
  CHECK(proxy_failed_stage(r) == "connect");
  r.proxy_connect_status = 0;  // no answer to CONNECT
  CHECK(proxy_failed_stage(r) == "connect");
  r.proxy_connect_status = 200;
  CHECK(proxy_failed_stage(r) == "tls");
  r.tls_done = true;
  r.outcome = netcheck::HttpOutcome::timeout;
  CHECK(proxy_failed_stage(r) == "http");
  CHECK(proxy_failed_stage(answer(200, "")) == "");
}

}  // namespace
}  // namespace ssmreach
