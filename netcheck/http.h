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

namespace netcheck {

// Idle connections that requests carrying the same share may reuse (HTTP
// keep-alive across tasks): a request then takes a finished one's
// connection instead of opening its own. One thread only.
struct ConnectionShare;
std::shared_ptr<ConnectionShare> make_connection_share();

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
  // PEM trust store for https URLs (and an https proxy); empty: none
  // trusted, so every https request fails verification.
  std::string ca_file;
  // Trust ssm-reach's embedded Amazon roots instead of `ca_file`.
  bool ca_embedded = false;
  std::string user_agent;
  // Null: a connection of the request's own, closed when it ends.
  std::shared_ptr<ConnectionShare> connection_share;
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
};

using HttpCallback = std::function<void(HttpResponse)>;

std::unique_ptr<Task> make_http_task(HttpRequest request, HttpCallback on_done);

}  // namespace netcheck
