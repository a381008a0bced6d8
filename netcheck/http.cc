#include "netcheck/http.h"

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <map>
#include <optional>
#include <string_view>

#include "netcheck/http_client.h"
#include "netcheck/tls_observer.h"

namespace netcheck {

const char* to_string(HttpOutcome outcome) {
  switch (outcome) {
    case HttpOutcome::ok:
      return "ok";
    case HttpOutcome::timeout:
      return "timeout";
    case HttpOutcome::refused:
      return "refused";
    case HttpOutcome::unreachable:
      return "unreachable";
    case HttpOutcome::error:
      return "error";
  }
  return "error";
}

namespace {

// Response headers beyond this are dropped: a hostile peer must not grow us.
constexpr std::size_t kMaxHeaderBytes = std::size_t{32} * 1024;

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

// A URL's host as libcurl reads it (an IPv6 literal in brackets) and its
// port (the scheme's default when none is given); empty when it does not
// parse.
struct UrlAuthority {
  std::string host;
  std::string port;
};

UrlAuthority url_authority(const std::string& url) {
  UrlAuthority out;
  CURLU* parsed = curl_url();
  char* host = nullptr;
  char* port = nullptr;
  if (parsed && curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      curl_url_get(parsed, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
    out = {host, port};
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(parsed);
  return out;
}

// "host:port:address:port" for CURLOPT_CONNECT_TO: the request goes to the
// address under test while SNI, certificate checks and Host keep the name.
// (Not CURLOPT_RESOLVE: its entries live in the DNS cache every request of a
// client shares, so two requests pinning one name to two addresses would
// meet; a pinned connection is also only ever reused for the same address.)
std::string connect_to_entry(const std::string& url, const IpAddress& ip) {
  const UrlAuthority authority = url_authority(url);
  if (authority.host.empty()) return "";
  const std::string address = ip.family == Family::v6 ? "[" + ip.text + "]" : ip.text;
  return authority.host + ":" + authority.port + ":" + address + ":" + authority.port;
}

// The name (or IP literal) a URL's certificate must match: its host without
// an IPv6 literal's brackets.
std::string certificate_name(const std::string& url) {
  std::string host = url_authority(url).host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return host;
}

// One request, on its client's multi handle. libcurl tells the client,
// through the socket and timer callbacks, which descriptors to watch and
// when to wake it; the event loop does the waiting, libcurl does all the
// HTTP.
class HttpTask final : public Task, public HttpTransfer {
 public:
  HttpTask(HttpRequest request, HttpCallback on_done)
      : request_(std::move(request)), on_done_(std::move(on_done)), start_(Clock::now()) {
    // libcurl enforces request.timeout itself; this is the backstop should a
    // callback misbehave, so that the task always ends.
    hard_stop_ = start_ + request_.timeout + std::chrono::milliseconds(200);
    client_ = request_.client ? request_.client : make_http_client();
    // A failed setup is reported from the loop, never from here: callers
    // may not be ready for their callback during make_http_task().
    setup_failed_ = !setup();
  }

  ~HttpTask() override { release_easy(); }

  HttpTask(const HttpTask&) = delete;
  HttpTask& operator=(const HttpTask&) = delete;

  void want(std::vector<pollfd>& fds) override {
    for (const auto& [fd, what] : sockets_) {
      short events = 0;
      if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) events |= POLLIN;
      if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) events |= POLLOUT;
      fds.push_back(pollfd{fd, events, 0});
    }
  }

  void on_events(std::span<const pollfd> fds, TimePoint now) override {
    if (done_) return;
    if (setup_failed_) {
      finish_error();
      return;
    }
    // Keeps the client alive should this transfer end (and its last
    // reference to the client go) while it is still acting.
    const std::shared_ptr<HttpClient> client = client_;
    for (const pollfd& p : fds) {
      if (p.revents == 0) continue;
      int mask = 0;
      if (p.revents & POLLIN) mask |= CURL_CSELECT_IN;
      if (p.revents & POLLOUT) mask |= CURL_CSELECT_OUT;
      if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) mask |= CURL_CSELECT_ERR;
      client->act(p.fd, mask);
    }
    client->act_on_timer(now);
    if (!done_ && now >= hard_stop_) abandon(now);
  }

  TimePoint wake_at() const override {
    const auto timer = client_->timer();
    return timer ? std::min(*timer, hard_stop_) : hard_stop_;
  }

  bool done() const override { return done_; }

  void abandon(TimePoint now) override {
    if (done_) return;
    response_.outcome = HttpOutcome::timeout;
    response_.error = "no complete HTTP response in time";
    record_progress(false);
    record_tls(now, true);
    finish(now);
  }

  static bool is_connected_tcp(curl_socket_t fd) {
    int type = 0;
    socklen_t type_length = sizeof type;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_length) != 0 || type != SOCK_STREAM)
      return false;
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    return ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) == 0 &&
           (peer.ss_family == AF_INET || peer.ss_family == AF_INET6);
  }

  // HttpTransfer
  void watch(curl_socket_t fd, int what) override {
    // libcurl asks to read only once a connect completed; getpeername()
    // tells a connected socket (to the server or the proxy) from one still
    // connecting or refused, which libcurl's timings do not for a tunnel.
    // Only a TCP socket to an IP address counts: libcurl also hands over
    // its resolver's wake-up socket (a connected AF_UNIX pair), which made
    // a proxy name that does not resolve look connected, at random.
    if (!saw_connected_) saw_connected_ = is_connected_tcp(fd);
    try {
      if (what == CURL_POLL_REMOVE)
        sockets_.erase(fd);
      else
        sockets_[fd] = what;
    } catch (...) {
      // Not watched: the transfer ends on its timeout.
    }
  }

  void ended(CURLcode result) override {
    if (done_) return;
    classify(result);
    const TimePoint now = Clock::now();
    record_tls(now, result == CURLE_OPERATION_TIMEDOUT);
    finish(now);
  }

 private:
  bool setup() {
    if (!client_ || !client_->valid()) return false;
    easy_ = client_->take_easy();
    if (!easy_) return false;
    CURL* e = easy_;
    curl_easy_setopt(e, CURLOPT_URL, request_.url.c_str());
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    // Every handshake is a full one, verified against the trust store: a
    // resumed session (from a reused easy handle) would skip the check.
    curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L);
    auto timeout_ms = std::chrono::duration_cast<std::chrono::milliseconds>(request_.timeout);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(std::max<long long>(1, timeout_ms.count())));
    // Proxies only as the caller says: an empty CURLOPT_PROXY and NOPROXY
    // keep libcurl from reading http_proxy, https_proxy and no_proxy.
    curl_easy_setopt(e, CURLOPT_PROXY, request_.proxy.c_str());
    curl_easy_setopt(e, CURLOPT_NOPROXY, "");
    if (!request_.proxy.empty()) {
      curl_easy_setopt(e, CURLOPT_HTTPPROXYTUNNEL, 1L);
      curl_easy_setopt(e, CURLOPT_PROXYAUTH, CURLAUTH_BASIC);
    }
    if (request_.tls_evidence && request_.proxy.empty()) {
      observer_ = std::make_shared<TlsObserver>(certificate_name(request_.url));
      curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    }
    set_trust(e);
    if (request_.pin_address) {
      connect_to_.reset(curl_slist_append(
          nullptr, connect_to_entry(request_.url, *request_.pin_address).c_str()));
      if (!connect_to_ || std::string_view(connect_to_->data).empty()) return false;
      curl_easy_setopt(e, CURLOPT_CONNECT_TO, connect_to_.get());
    }
    if (!request_.user_agent.empty())
      curl_easy_setopt(e, CURLOPT_USERAGENT, request_.user_agent.c_str());
    if (request_.method != "GET") {
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, request_.method.c_str());
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, request_.body.c_str());
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(request_.body.size()));
    }
    curl_slist* list = nullptr;
    for (const auto& h : request_.headers) list = curl_slist_append(list, h.c_str());
    list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
    headers_.reset(list);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers_.get());
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &HttpTask::write_callback);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &HttpTask::header_callback);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error_buffer_);
    return client_->start(e, this);
  }

  // The trust store is always explicit: libcurl's built-in default path
  // would hide a missing or wrong bundle.
  void set_trust(CURL* e) {
    if (request_.trust) {
      // No file for libcurl to parse: the run's anchors, installed into the
      // connection's SSL_CTX (and the proxy's) as it is made.
      curl_easy_setopt(e, CURLOPT_CAINFO, nullptr);
      curl_easy_setopt(e, CURLOPT_PROXY_CAINFO, nullptr);
    } else {
      const char* bundle =
          request_.ca_file.empty() ? "/nonexistent/ca-bundle" : request_.ca_file.c_str();
      curl_easy_setopt(e, CURLOPT_CAINFO, bundle);
      curl_easy_setopt(e, CURLOPT_PROXY_CAINFO, bundle);
    }
    curl_easy_setopt(e, CURLOPT_CAPATH, nullptr);
    curl_easy_setopt(e, CURLOPT_PROXY_CAPATH, nullptr);
    if (request_.trust || observer_) {
      curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, &HttpTask::prepare_ssl_ctx);
      curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, this);
    }
  }

  // Each SSL_CTX libcurl makes for this request (the server's, and an https
  // proxy's): the run's trust anchors, and the TLS observer on the server's.
  // A C callback: nothing may be thrown through libcurl.
  static CURLcode prepare_ssl_ctx(CURL*, void* ssl_ctx, void* self_ptr) noexcept {
    auto* self = static_cast<HttpTask*>(self_ptr);
    auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
    if (self->request_.trust) SSL_CTX_set1_cert_store(ctx, self->request_.trust->store());
    if (self->observer_ && !TlsObserver::attach(ctx, self->observer_)) return CURLE_OUT_OF_MEMORY;
    return CURLE_OK;
  }

  // Back to the client for the next request: no longer driven, no more
  // callbacks into this task.
  void release_easy() {
    if (!easy_) return;
    client_->give_back(easy_);
    easy_ = nullptr;
  }

  static std::size_t write_callback(char* data, std::size_t size, std::size_t n, void* self_ptr) {
    auto* self = static_cast<HttpTask*>(self_ptr);
    std::size_t bytes = size * n;
    try {
      std::size_t room = self->request_.max_body - self->response_.body.size();
      if (bytes > room) {
        self->response_.body.append(data, room);
        self->response_.body_truncated = true;
        return 0;  // stop reading: the status and headers are what we need
      }
      self->response_.body.append(data, bytes);
    } catch (...) {
      return 0;
    }
    return bytes;
  }

  static std::size_t header_callback(char* data, std::size_t size, std::size_t n, void* self_ptr) {
    auto* self = static_cast<HttpTask*>(self_ptr);
    std::size_t bytes = size * n;
    self->header_bytes_ += bytes;
    if (self->header_bytes_ > kMaxHeaderBytes) return bytes;  // read, not kept
    try {
      std::string_view line(data, bytes);
      if (line.starts_with("HTTP/")) {
        self->response_.headers.clear();  // a new response (e.g. after 100)
        return bytes;
      }
      auto colon = line.find(':');
      if (colon == std::string_view::npos) return bytes;
      std::string name(line.substr(0, colon));
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
      while (!value.empty() &&
             (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
        value.remove_suffix(1);
      self->response_.headers[name] = std::string(value);
    } catch (...) {
      return 0;
    }
    return bytes;
  }

  void classify(CURLcode code) {
    CURL* e = easy_;
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    response_.status = status;
    response_.curl_code = static_cast<int>(code);
    record_progress(code == CURLE_PEER_FAILED_VERIFICATION);
    // A name that did not resolve was never connected to, whatever sockets
    // libcurl used meanwhile.
    if (code == CURLE_COULDNT_RESOLVE_PROXY || code == CURLE_COULDNT_RESOLVE_HOST)
      response_.connected = false;
    if (code == CURLE_OK || (code == CURLE_WRITE_ERROR && response_.body_truncated)) {
      response_.outcome = HttpOutcome::ok;
      return;
    }
    response_.error = error_buffer_[0] ? error_buffer_ : curl_easy_strerror(code);
    // libcurl refuses a header line over 100 KB with "Out of memory": say
    // what the peer did, not what it sounds like we ran out of.
    if (code == CURLE_OUT_OF_MEMORY && status > 0)
      response_.error = "response header too large (libcurl: " + response_.error + ")";
    if (code == CURLE_OPERATION_TIMEDOUT) {
      response_.outcome = HttpOutcome::timeout;
      return;
    }
    if (code == CURLE_COULDNT_CONNECT) {
      long os_errno = 0;
      curl_easy_getinfo(easy_, CURLINFO_OS_ERRNO, &os_errno);
      if (os_errno == ECONNREFUSED) {
        response_.outcome = HttpOutcome::refused;
        return;
      }
      if (os_errno == EHOSTUNREACH || os_errno == ENETUNREACH || os_errno == EPERM ||
          os_errno == EACCES || os_errno == EADDRNOTAVAIL) {
        response_.outcome = HttpOutcome::unreachable;
        return;
      }
    }
    response_.outcome = HttpOutcome::error;
  }

  // How far the transfer got: TCP, the proxy's CONNECT, TLS.
  // `verify_failed`: libcurl rejected the certificate.
  void record_progress(bool verify_failed) {
    CURL* e = easy_;
    if (e == nullptr) return;
    curl_easy_getinfo(e, CURLINFO_HTTP_CONNECTCODE, &response_.proxy_connect_status);
    curl_easy_getinfo(e, CURLINFO_SSL_VERIFYRESULT, &response_.tls_verify_result);
    curl_off_t connect_us = 0;
    curl_off_t appconnect_us = 0;
    curl_easy_getinfo(e, CURLINFO_CONNECT_TIME_T, &connect_us);
    curl_easy_getinfo(e, CURLINFO_APPCONNECT_TIME_T, &appconnect_us);
    response_.connected = saw_connected_ || connect_us > 0 || response_.status > 0 ||
                          response_.proxy_connect_status > 0;
    // An https request on a connection kept alive from an earlier one made
    // no handshake of its own, but that connection's verified.
    long new_connections = 0;
    curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &new_connections);
    const bool reused_https =
        response_.connected && new_connections == 0 && request_.url.starts_with("https://");
    response_.tls_done = appconnect_us > 0 || response_.status > 0 || reused_https;
    // A handshake that broke off before any certificate was checked (garbage
    // from the peer, a timeout) leaves a placeholder verify result (1,
    // X509_V_ERR_UNSPECIFIED): that is no verdict on a certificate.
    if (!verify_failed && !response_.tls_done) response_.tls_verify_result = 0;
  }

  // The observed handshake, once a connection was made: one that has not
  // ended stopped with the transfer (its timeout, or libcurl's error).
  void record_tls(TimePoint now, bool timed_out) {
    if (!observer_) return;
    // A handshake began, so TCP was connected, even where libcurl never
    // asked to watch the socket (the peer's EOF came with the first read).
    if (observer_->started()) response_.connected = true;
    if (!response_.connected) return;
    if (!observer_->started() && !timed_out && response_.outcome == HttpOutcome::ok) return;
    response_.tls = observer_->result(now, timed_out, response_.error);
  }

  void finish_error() {
    response_.outcome = HttpOutcome::error;
    response_.error = "could not set up the HTTP request";
    finish(Clock::now());
  }

  void finish(TimePoint now) {
    done_ = true;
    response_.ms = ms_between(start_, now);
    // Before the callback: it may start the next request, which can then
    // take this easy handle and this connection (keep-alive).
    release_easy();
    sockets_.clear();
    if (on_done_) on_done_(std::move(response_));
  }

  HttpRequest request_;
  HttpCallback on_done_;
  TimePoint start_;
  TimePoint hard_stop_;
  std::shared_ptr<HttpClient> client_;
  std::shared_ptr<TlsObserver> observer_;  // with request_.tls_evidence
  CURL* easy_ = nullptr;                   // the client's, lent for this request
  std::unique_ptr<curl_slist, SlistDeleter> headers_;
  std::unique_ptr<curl_slist, SlistDeleter> connect_to_;
  std::map<curl_socket_t, int> sockets_;
  HttpResponse response_;
  std::size_t header_bytes_ = 0;
  char error_buffer_[CURL_ERROR_SIZE] = {};
  bool setup_failed_ = false;
  bool saw_connected_ = false;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<Task> make_http_task(HttpRequest request, HttpCallback on_done) {
  return std::make_unique<HttpTask>(std::move(request), std::move(on_done));
}

}  // namespace netcheck
