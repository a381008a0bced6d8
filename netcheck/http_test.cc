#include "netcheck/http.h"

#include <doctest/doctest.h>

#include <memory>
#include <vector>

#include "netcheck/tcp.h"
#include "tests/unit/keepalive_http_server.h"
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

TEST_CASE("HTTP: requests on a connection share each answer, also after the server closed") {
  testing::LoopbackHttpServer server(
      [](const testing::SeenRequest& r) { return testing::http_response(200, r.path); });
  HttpRequest request;
  request.timeout = std::chrono::seconds(2);
  request.client = make_http_client();
  // One after another (the second on the loop once the first ended), as
  // the IMDS conversation does: the server's Connection: close must not
  // leave the second with a dead connection from the cache.
  EventLoop loop;
  std::vector<HttpResponse> answers;
  request.url = server.url() + "/first";
  loop.add(make_http_task(request, [&](HttpResponse r) {
    answers.push_back(std::move(r));
    HttpRequest second = request;
    second.url = server.url() + "/second";
    loop.add(make_http_task(second, [&](HttpResponse r2) { answers.push_back(std::move(r2)); }));
  }));
  loop.run(Clock::now() + std::chrono::seconds(5));
  REQUIRE(answers.size() == 2);
  CHECK(answers[0].body == "/first");
  CHECK(answers[1].outcome == HttpOutcome::ok);
  CHECK(answers[1].body == "/second");
}

TEST_CASE("HTTP: a silent server costs one timeout, reported as timeout") {
  testing::LoopbackHttpServer server([](const testing::SeenRequest&) { return std::nullopt; });
  HttpRequest request;
  request.url = server.url() + "/";
  request.timeout = std::chrono::milliseconds(300);
  auto r = fetch(request);
  CHECK(r.outcome == HttpOutcome::timeout);
  CHECK(r.ms < 4500);  // structural: one timeout, not the fetch loop's 5 s
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

TEST_CASE("HTTP: a hostile peer's headers are bounded") {
  SUBCASE("one header line of 2 MiB: refused, named for what it is") {
    testing::LoopbackHttpServer server([](const testing::SeenRequest&) {
      return "HTTP/1.1 200 OK\r\nX-Huge: " + std::string(2 << 20, 'a') + "\r\n\r\n";
    });
    HttpRequest request;
    request.url = server.url() + "/";
    request.timeout = std::chrono::seconds(10);
    auto r = fetch(request, std::chrono::seconds(20));
    CHECK(r.outcome == HttpOutcome::error);
    CHECK(r.error.find("response header too large") != std::string::npos);
    CHECK(r.ms < 5000);  // refused at once, not the 10 s timeout
  }
  SUBCASE("thousands of header lines: ended early, only the first 32 KiB kept") {
    std::string head = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; i < 8000; ++i)
      head += "X-Filler-" + std::to_string(i) + ": " + std::string(80, 'h') + "\r\n";
    testing::LoopbackHttpServer server(
        [head](const testing::SeenRequest&) { return head + "Content-Length: 0\r\n\r\n"; });
    HttpRequest request;
    request.url = server.url() + "/";
    request.timeout = std::chrono::seconds(3);
    auto r = fetch(request);
    // libcurl (Debian's, CVE-2023-38039) stops at 300 KB of headers; an
    // older one reads them all. Either way we keep at most 32 KiB of them.
    CHECK(r.outcome != HttpOutcome::timeout);
    CHECK(r.headers.size() < 400);
  }
}

TEST_CASE("HTTP: a 20 MB body costs max_body of memory, not 20 MB") {
  testing::LoopbackHttpServer server([](const testing::SeenRequest&) {
    return "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + std::string(20 << 20, 'b');
  });
  HttpRequest request;
  request.url = server.url() + "/";
  request.timeout = std::chrono::seconds(3);
  request.max_body = 4096;
  auto r = fetch(request);
  CHECK(r.outcome == HttpOutcome::ok);
  CHECK(r.body.size() == 4096);
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

TEST_CASE("HTTP: a pinned address is used for the URL's name") {
  testing::LoopbackHttpServer server([](const testing::SeenRequest& r) {
    return testing::http_response(
        r.head.find("Host: endpoint.example.invalid") != std::string::npos ? 204 : 500, "");
  });
  HttpRequest request;
  // .invalid never resolves: only the pin can take this request anywhere.
  request.url = "http://endpoint.example.invalid:" + std::to_string(server.port()) + "/";
  request.pin_address = parse_ip("127.0.0.1");
  request.timeout = std::chrono::seconds(2);
  auto r = fetch(request);
  CHECK(r.outcome == HttpOutcome::ok);
  CHECK(r.status == 204);
  CHECK(r.connected);
}

// Requests one after another on `loop` (each once the one before ended),
// with `client`; their answers.
std::vector<HttpResponse> one_after_another(EventLoop& loop, std::vector<HttpRequest> requests) {
  std::vector<HttpResponse> answers;
  std::function<void(std::size_t)> next = [&](std::size_t i) {
    if (i == requests.size()) return;
    loop.add(make_http_task(requests[i], [&, i](HttpResponse r) {
      answers.push_back(std::move(r));
      next(i + 1);
    }));
  };
  next(0);
  loop.run(Clock::now() + std::chrono::seconds(5));
  return answers;
}

TEST_CASE("HTTP: the requests of one client share its connections (keep-alive)") {
  for (const bool shared : {true, false}) {
    CAPTURE(shared);
    testing::KeepAliveHttpServer server(
        [](const testing::SeenRequest& r) { return testing::keepalive_response(200, r.path); });
    HttpRequest request;
    request.url = server.url() + "/a";
    request.timeout = std::chrono::seconds(2);
    if (shared) request.client = make_http_client();
    HttpRequest second = request;
    second.url = server.url() + "/b";
    EventLoop loop;
    auto answers = one_after_another(loop, {request, second});
    REQUIRE(answers.size() == 2);
    CHECK(answers[1].body == "/b");
    // Without a client of their own, each request opens a connection.
    CHECK(server.accepted() == (shared ? 1 : 2));
  }
}

TEST_CASE("HTTP: idle connections stay for later requests as the others end") {
  // libcurl's default cache (4 per easy handle in the multi) closed the
  // oldest idle connection once the handles of finished requests left:
  // five requests at once, then a second to the first server, opened a new
  // connection at random.
  std::vector<std::unique_ptr<testing::KeepAliveHttpServer>> servers;
  for (int i = 0; i < 5; ++i)
    servers.push_back(std::make_unique<testing::KeepAliveHttpServer>(
        [](const testing::SeenRequest& r) { return testing::keepalive_response(200, r.path); }));
  auto client = make_http_client();
  EventLoop loop;
  int answered = 0;
  for (auto& server : servers) {
    HttpRequest request;
    request.url = server->url() + "/first";
    request.timeout = std::chrono::seconds(2);
    request.client = client;
    loop.add(make_http_task(
        request, [&](const HttpResponse& r) { answered += r.outcome == HttpOutcome::ok ? 1 : 0; }));
  }
  loop.run(Clock::now() + std::chrono::seconds(5));
  REQUIRE(answered == 5);
  for (auto& server : servers) {
    HttpRequest again;
    again.url = server->url() + "/again";
    again.timeout = std::chrono::seconds(2);
    again.client = client;
    auto answers = one_after_another(loop, {again});
    REQUIRE(answers.size() == 1);
    CHECK(answers[0].body == "/again");
    CHECK(server->accepted() == 1);
  }
}

TEST_CASE("HTTP: a connection made beforehand carries the client's next request") {
  testing::KeepAliveHttpServer server(
      [](const testing::SeenRequest& r) { return testing::keepalive_response(200, r.path); });
  auto client = make_http_client();
  EventLoop loop;
  bool handed = false;
  loop.add(make_tcp_task(*parse_ip("127.0.0.1"), static_cast<std::uint16_t>(server.port()),
                         std::chrono::seconds(2), [&](TcpResult result, UniqueFd socket) {
                           REQUIRE(result.outcome == TcpOutcome::ok);
                           add_connected_socket(*client, std::move(socket));
                           handed = true;
                         }));
  loop.run(Clock::now() + std::chrono::seconds(2));
  REQUIRE(handed);
  // The server's thread accepts it in its own time.
  for (int i = 0; i < 200 && server.accepted() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(server.accepted() == 1);
  HttpRequest request;
  request.url = server.url() + "/over-it";
  request.timeout = std::chrono::seconds(2);
  request.client = client;
  auto answers = one_after_another(loop, {request});
  REQUIRE(answers.size() == 1);
  CHECK(answers[0].body == "/over-it");
  CHECK(server.accepted() == 1);  // no connect of its own
}

TEST_CASE("HTTP: a request that fails as it starts is told from the loop, not at its timeout") {
  // libcurl refuses the scheme while the request is being started: the end
  // must still reach the task on the loop's next turn. Told only at the
  // request's own 30 s limit, it would be abandoned by the loop's 5 s
  // deadline and read as a timeout.
  for (const bool shared : {true, false}) {
    CAPTURE(shared);
    HttpRequest request;
    request.url = "ftp://127.0.0.1/";
    request.timeout = std::chrono::seconds(30);
    if (shared) request.client = make_http_client();
    auto r = fetch(request, std::chrono::seconds(5));
    CHECK(r.outcome == HttpOutcome::error);
    CHECK(r.error.find("in time") == std::string::npos);
  }
}

TEST_CASE("HTTP: a pinned connection is reused only for the same address") {
  testing::KeepAliveHttpServer server(
      [](const testing::SeenRequest&) { return testing::keepalive_response(204, ""); });
  HttpRequest request;
  request.url = "http://endpoint.example.invalid:" + std::to_string(server.port()) + "/";
  request.pin_address = parse_ip("127.0.0.1");
  request.timeout = std::chrono::seconds(2);
  request.client = make_http_client();
  // The same name pinned to another address, where nothing listens: the
  // idle connection to 127.0.0.1 must not carry it.
  HttpRequest elsewhere = request;
  elsewhere.pin_address = parse_ip("127.0.0.2");
  EventLoop loop;
  auto answers = one_after_another(loop, {request, elsewhere, request});
  REQUIRE(answers.size() == 3);
  CHECK(answers[0].status == 204);
  CHECK(answers[1].outcome == HttpOutcome::refused);
  CHECK(answers[2].status == 204);
  CHECK(server.accepted() == 1);  // the first connection served the third request
}

TEST_CASE("HTTP: a proxy's answer to CONNECT is recorded") {
  for (int answer : {403, 407}) {
    CAPTURE(answer);
    std::string seen;
    testing::LoopbackHttpServer proxy([&](const testing::SeenRequest& r) {
      seen = r.method + " " + r.path;
      return testing::http_response(answer, "");
    });
    HttpRequest request;
    request.url = "https://ssm.example.invalid/";
    request.proxy = proxy.url();
    request.timeout = std::chrono::seconds(2);
    auto r = fetch(request);
    CHECK(seen == "CONNECT ssm.example.invalid:443");
    CHECK(r.outcome == HttpOutcome::error);
    CHECK(r.connected);
    CHECK(r.proxy_connect_status == answer);
    CHECK_FALSE(r.tls_done);
  }
}

TEST_CASE("HTTP: garbage after a proxy's CONNECT 200 is no certificate verdict") {
  testing::LoopbackHttpServer proxy([](const testing::SeenRequest&) {
    return "HTTP/1.1 200 Connection established\r\n\r\n" + std::string(4096, '\x17');
  });
  HttpRequest request;
  request.url = "https://ssm.example.invalid/";
  request.proxy = proxy.url();
  request.timeout = std::chrono::seconds(2);
  auto r = fetch(request);
  CHECK(r.outcome == HttpOutcome::error);
  CHECK(r.proxy_connect_status == 200);
  CHECK_FALSE(r.tls_done);
  // The handshake failed before any certificate: OpenSSL's placeholder
  // verify result must not read as a rejected certificate.
  CHECK(r.tls_verify_result == 0);
}

TEST_CASE("HTTP: a proxy that is not there is not connected") {
  int port = 0;
  {
    testing::LoopbackHttpServer gone([](const testing::SeenRequest&) { return std::nullopt; });
    port = gone.port();
  }
  HttpRequest request;
  request.url = "https://ssm.example.invalid/";
  request.proxy = "http://127.0.0.1:" + std::to_string(port);
  request.timeout = std::chrono::seconds(2);
  auto r = fetch(request);
  CHECK(r.outcome == HttpOutcome::refused);
  CHECK_FALSE(r.connected);
  CHECK(r.proxy_connect_status == 0);
}

}  // namespace
}  // namespace netcheck
