#include "netcheck/http.h"

#include <doctest/doctest.h>

#include "tests/unit/loopback_http_server.h"

namespace netcheck {
namespace {

HttpResponse fetch(HttpRequest request, Duration loop_limit = std::chrono::seconds(5)) {
  EventLoop loop;
  HttpResponse out;
  bool called = false;
  loop.add(make_http_task(std::move(request), [&](HttpResponse r) {
    out = std::move(r);
    called = true;
  }));
  loop.run(Clock::now() + loop_limit);
  REQUIRE(called);
  return out;
}

TEST_CASE("HTTP: a response is recorded with status, headers and body") {
  testing::LoopbackHttpServer server([](const testing::SeenRequest& r) {
    return testing::http_response(r.method == "PUT" ? 200 : 404, "token-value",
                                  "Date: Thu, 26 Nov 2026 17:00:00 GMT\r\n");
  });
  HttpRequest request;
  request.method = "PUT";
  request.url = server.url() + "/latest/api/token";
  request.headers = {"X-Test: 1"};
  request.timeout = std::chrono::seconds(2);
  auto r = fetch(request);
  CHECK(r.outcome == HttpOutcome::ok);
  CHECK(r.status == 200);
  CHECK(r.body == "token-value");
  CHECK(r.headers["date"] == "Thu, 26 Nov 2026 17:00:00 GMT");
  CHECK(r.ms > 0);
}

TEST_CASE("HTTP: a silent server costs one timeout, reported as timeout") {
  testing::LoopbackHttpServer server([](const testing::SeenRequest&) { return std::nullopt; });
  HttpRequest request;
  request.url = server.url() + "/";
  request.timeout = std::chrono::milliseconds(300);
  auto r = fetch(request);
  CHECK(r.outcome == HttpOutcome::timeout);
  CHECK(r.ms < 2000);  // structural: one timeout, not a hang
}

TEST_CASE("HTTP: a closed port is refused") {
  int port = 0;
  {
    testing::LoopbackHttpServer server([](const testing::SeenRequest&) { return std::nullopt; });
    port = server.port();
  }  // closed again: nothing listens there now
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  request.timeout = std::chrono::seconds(2);
  CHECK(fetch(request).outcome == HttpOutcome::refused);
}

TEST_CASE("HTTP: a body larger than max_body is cut, the status kept") {
  testing::LoopbackHttpServer server([](const testing::SeenRequest&) {
    return testing::http_response(200, std::string(100000, 'x'));
  });
  HttpRequest request;
  request.url = server.url() + "/big";
  request.timeout = std::chrono::seconds(2);
  request.max_body = 1000;
  auto r = fetch(request);
  CHECK(r.outcome == HttpOutcome::ok);
  CHECK(r.status == 200);
  CHECK(r.body.size() == 1000);
  CHECK(r.body_truncated);
}

TEST_CASE("HTTP: the loop's deadline abandons a request as a timeout") {
  testing::LoopbackHttpServer server([](const testing::SeenRequest&) { return std::nullopt; });
  HttpRequest request;
  request.url = server.url() + "/";
  request.timeout = std::chrono::seconds(10);
  auto r = fetch(request, std::chrono::milliseconds(200));
  CHECK(r.outcome == HttpOutcome::timeout);
}

}  // namespace
}  // namespace netcheck
