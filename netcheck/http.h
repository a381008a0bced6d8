// HTTP evidence gathered with libcurl (multi interface) inside the event loop.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "netcheck/clock.h"
#include "netcheck/event_loop.h"

namespace netcheck {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  Duration timeout{};                             // whole request, connect included
  std::size_t max_body = std::size_t{64} * 1024;  // larger bodies are cut, not buffered
  bool no_proxy = true;                           // ignore proxy environment variables
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
};

using HttpCallback = std::function<void(HttpResponse)>;

std::unique_ptr<Task> make_http_task(HttpRequest request, HttpCallback on_done);

}  // namespace netcheck
