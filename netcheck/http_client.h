// The libcurl side of HttpClient (http.h): one multi handle that drives
// every transfer of its requests, a pool of easy handles, and connected
// sockets waiting to be used. Only http.cc uses this header.
#pragma once

#include <curl/curl.h>
#include <sys/socket.h>

#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "netcheck/clock.h"
#include "netcheck/http.h"
#include "netcheck/unique_fd.h"

namespace netcheck {

// One transfer on a client: told which sockets to watch and when it ended.
class HttpTransfer {
 public:
  virtual ~HttpTransfer() = default;
  // libcurl's CURL_POLL_* for `fd` (CURL_POLL_REMOVE: stop watching it).
  virtual void watch(curl_socket_t fd, int what) = 0;
  virtual void ended(CURLcode result) = 0;
};

class HttpClient {
 public:
  // Idle connections kept for later requests: more than a run makes.
  static constexpr long kMaxIdleConnections = 1024;

  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  bool valid() const { return multi_ != nullptr; }

  // An easy handle with default options (a reused one when there is one),
  // routed through this client's sockets; nullptr when out of memory.
  CURL* take_easy();
  // Starts `easy` (from take_easy) for `transfer`; false when libcurl refuses.
  bool start(CURL* easy, HttpTransfer* transfer);
  // Stops `easy` (ended or abandoned) and keeps it for the next request.
  void give_back(CURL* easy);

  // Drives libcurl for activity on `fd` (CURL_CSELECT_* in `mask`), or its
  // timer (fd CURL_SOCKET_TIMEOUT), then tells ended transfers.
  void act(curl_socket_t fd, int mask);
  // libcurl's timer, shared by every transfer of the client; a past
  // instant while transfers that ended at a start are yet to be told.
  std::optional<TimePoint> timer() const {
    return tell_ended_ ? std::optional<TimePoint>(TimePoint::min()) : timer_;
  }
  // Runs the timer once it is due (whichever transfer's task gets there
  // first), and tells transfers that ended while one was started.
  void act_on_timer(TimePoint now);

  void add_connected_socket(UniqueFd socket);

 private:
  struct Connected {
    sockaddr_storage peer{};
    socklen_t length = 0;
    UniqueFd socket;
  };

  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* self, void*);
  static int on_timer(CURLM*, long timeout_ms, void* self);
  static curl_socket_t open_socket(void* self, curlsocktype purpose, curl_sockaddr* address);
  static int socket_options(void* self, curl_socket_t fd, curlsocktype purpose);
  void deliver_ended();

  CURLM* multi_ = nullptr;
  std::vector<CURL*> idle_;
  std::optional<TimePoint> timer_;
  bool tell_ended_ = false;
  std::vector<Connected> connected_;
  std::set<curl_socket_t> handed_over_;  // given to libcurl as already connected
};

}  // namespace netcheck
