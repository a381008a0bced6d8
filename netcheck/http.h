// HTTP evidence gathered with libcurl (multi interface) inside the event loop.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "netcheck/clock.h"
#include "netcheck/endpoint.h"
#include "netcheck/event_loop.h"
#include "netcheck/tls.h"
#include "netcheck/trust_anchors.h"
#include "netcheck/unique_fd.h"

namespace netcheck {

// What the requests of one run share: one libcurl multi handle, so one
// connection cache (HTTP keep-alive: a request takes an idle connection to
// the same host, pinned address and proxy instead of opening its own), and
// the easy handles of finished requests, reused. Each new multi or easy
// handle costs libcurl a c-ares channel and more (~0.4 ms of CPU each), so a
// run of 15 requests saves most of that. One thread only; requests without a
// client get one of their own.
class HttpClient;
std::shared_ptr<HttpClient> make_http_client();

// A TCP connection, already made, that the client's requests may use: the
// first one that needs a new connection to that peer address and port takes
// it instead of connecting (IMDS: a second connection made while the token
// is on its way, so the credentials need no connect of their own).
void add_connected_socket(HttpClient& client, UniqueFd socket);

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  Duration timeout{};                             // whole request, connect included
  std::size_t max_body = std::size_t{64} * 1024;  // larger bodies are cut, not buffered
  // The address to connect to for the URL's host (CURLOPT_RESOLVE): the
  // request then tests one address, with the name still in SNI and Host.
  std::optional<IpAddress> pin_address;
  // A proxy URL for libcurl (may hold credentials: never log this field).
  // https URLs are tunnelled with CONNECT. Empty: direct; the proxy and
  // no_proxy environment variables are never read (callers decide).
  std::string proxy;
  // The certificates https URLs (and an https proxy) are verified against,
  // shared with every other handshake of the run (nothing is parsed per
  // request). Null: `ca_file`, parsed by libcurl for this request.
  std::shared_ptr<const TrustAnchors> trust;
  // PEM trust store when there are no `trust` anchors; empty: none
  // trusted, so every https request fails verification.
  std::string ca_file;
  std::string user_agent;
  // Records the evidence of the TLS handshake this request's connection
  // makes (HttpResponse::tls), on a connection of its own: the request never
  // takes an idle one (which made its handshake for another request). Not
  // through a proxy.
  bool tls_evidence = false;
  // Null: a client (and so a connection) of the request's own, closed when
  // it ends.
  std::shared_ptr<HttpClient> client;
};

enum class HttpOutcome {
  ok,  // an HTTP response arrived (any status)
  timeout,
  refused,
  unreachable,
  error,
};

const char* to_string(HttpOutcome outcome);

struct HttpResponse {
  HttpOutcome outcome = HttpOutcome::error;
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // at most max_body bytes
  bool body_truncated = false;
  std::string error;  // curl's words when not ok
  double ms = 0;
  // Where the transfer got to, for telling the layers apart.
  bool connected = false;         // TCP to the server (or the proxy) succeeded
  long proxy_connect_status = 0;  // the proxy's answer to CONNECT; 0 without
  bool tls_done = false;          // the TLS handshake (to the server) completed
  long tls_verify_result = 0;     // OpenSSL's verify result (0 = X509_V_OK)
  int curl_code = 0;              // CURLcode, for the record
  // With HttpRequest::tls_evidence, once a connection was made: how its
  // handshake went, seen from inside it (tls_observer.h). libcurl refuses a
  // certificate that fails verification; this still shows what was served.
  std::optional<TlsResult> tls;
};

using HttpCallback = std::function<void(HttpResponse)>;

std::unique_ptr<Task> make_http_task(HttpRequest request, HttpCallback on_done);

}  // namespace netcheck
