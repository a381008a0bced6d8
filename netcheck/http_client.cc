#include "netcheck/http_client.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace netcheck {

namespace {

// Same family, address and port (getpeername's form and libcurl's agree on
// those fields, not necessarily on padding).
bool same_peer(const sockaddr* a, const sockaddr_storage& b) {
  if (a->sa_family != b.ss_family) return false;
  if (a->sa_family == AF_INET) {
    const auto* x = reinterpret_cast<const sockaddr_in*>(a);
    const auto* y = reinterpret_cast<const sockaddr_in*>(&b);
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a->sa_family == AF_INET6) {
    const auto* x = reinterpret_cast<const sockaddr_in6*>(a);
    const auto* y = reinterpret_cast<const sockaddr_in6*>(&b);
    return x->sin6_port == y->sin6_port &&
           std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
  }
  return false;
}

HttpTransfer* transfer_of(CURL* easy) {
  char* data = nullptr;
  curl_easy_getinfo(easy, CURLINFO_PRIVATE, &data);
  return reinterpret_cast<HttpTransfer*>(data);
}

}  // namespace

HttpClient::HttpClient() : multi_(curl_multi_init()) {
  if (!multi_) return;
  // libcurl's default cache holds 4 idle connections per easy handle in
  // the multi and closes the oldest beyond that: as a run's requests end
  // and their handles leave, it would close connections a later request
  // (the signed call after an address's GET /) means to reuse. A run's
  // connections are few (IMDS, one per address) and end with it.
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, kMaxIdleConnections);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &HttpClient::on_socket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &HttpClient::on_timer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

HttpClient::~HttpClient() {
  for (CURL* easy : idle_) curl_easy_cleanup(easy);
  // Closes the cached connections; every transfer was removed by its task,
  // which held this client alive until then.
  if (multi_) curl_multi_cleanup(multi_);
}

CURL* HttpClient::take_easy() {
  CURL* easy = nullptr;
  if (!idle_.empty()) {
    easy = idle_.back();
    idle_.pop_back();
  } else {
    easy = curl_easy_init();
    if (!easy) return nullptr;
  }
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &HttpClient::open_socket);
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, this);
  curl_easy_setopt(easy, CURLOPT_SOCKOPTFUNCTION, &HttpClient::socket_options);
  curl_easy_setopt(easy, CURLOPT_SOCKOPTDATA, this);
  return easy;
}

bool HttpClient::start(CURL* easy, HttpTransfer* transfer) {
  curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer);
  if (curl_multi_add_handle(multi_, easy) != CURLM_OK) return false;
  // libcurl starts a new transfer from its timer; run it now, so the
  // connect (or the request on an idle connection) leaves at once, not
  // after everything else this turn of the loop does. Transfers that end
  // are told on the next act(), never from inside a request's creation.
  timer_.reset();
  int running = 0;
  curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
  // A transfer may have ended at once (no socket for its address family):
  // it is told on the loop's next turn, which this makes come at once.
  tell_ended_ = true;
  return true;
}

void HttpClient::give_back(CURL* easy) {
  curl_multi_remove_handle(multi_, easy);
  curl_easy_reset(easy);
  try {
    idle_.push_back(easy);
  } catch (...) {
    curl_easy_cleanup(easy);
  }
}

void HttpClient::act(curl_socket_t fd, int mask) {
  int running = 0;
  curl_multi_socket_action(multi_, fd, mask, &running);
  deliver_ended();
}

void HttpClient::act_on_timer(TimePoint now) {
  if (tell_ended_) {
    tell_ended_ = false;
    deliver_ended();
  }
  if (!timer_ || now < *timer_) return;
  timer_.reset();
  act(CURL_SOCKET_TIMEOUT, 0);
}

void HttpClient::deliver_ended() {
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    const CURLcode result = msg->data.result;
    // The transfer gives its handle back (invalidating msg): read it first.
    if (HttpTransfer* transfer = transfer_of(msg->easy_handle)) transfer->ended(result);
  }
}

void HttpClient::add_connected_socket(UniqueFd socket) {
  Connected connected;
  connected.length = sizeof connected.peer;
  if (!socket.valid() || ::getpeername(socket.get(), reinterpret_cast<sockaddr*>(&connected.peer),
                                       &connected.length) != 0)
    return;
  connected.socket = std::move(socket);
  try {
    connected_.push_back(std::move(connected));
  } catch (...) {
    // Without it the request connects on its own.
  }
}

int HttpClient::on_socket(CURL* easy, curl_socket_t fd, int what, void*, void*) {
  // The multi's own handle (closing connections) has no transfer: its
  // sockets are not watched, which only delays a polite close.
  if (HttpTransfer* transfer = transfer_of(easy)) transfer->watch(fd, what);
  return 0;
}

int HttpClient::on_timer(CURLM*, long timeout_ms, void* self) {
  auto* client = static_cast<HttpClient*>(self);
  if (timeout_ms < 0)
    client->timer_.reset();
  else
    client->timer_ = Clock::now() + std::chrono::milliseconds(timeout_ms);
  return 0;
}

curl_socket_t HttpClient::open_socket(void* self, curlsocktype purpose, curl_sockaddr* address) {
  auto* client = static_cast<HttpClient*>(self);
  if (purpose == CURLSOCKTYPE_IPCXN && address->socktype == SOCK_STREAM) {
    auto& pool = client->connected_;
    auto match = std::find_if(pool.begin(), pool.end(), [&](const Connected& c) {
      return same_peer(&address->addr, c.peer);
    });
    if (match != pool.end()) {
      const curl_socket_t fd = match->socket.release();
      pool.erase(match);
      try {
        client->handed_over_.insert(fd);
        return fd;
      } catch (...) {
        ::close(fd);  // and open a fresh one below
      }
    }
  }
  return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

int HttpClient::socket_options(void* self, curl_socket_t fd, curlsocktype) {
  auto* client = static_cast<HttpClient*>(self);
  return client->handed_over_.erase(fd) != 0 ? CURL_SOCKOPT_ALREADY_CONNECTED : CURL_SOCKOPT_OK;
}

std::shared_ptr<HttpClient> make_http_client() { return std::make_shared<HttpClient>(); }

void add_connected_socket(HttpClient& client, UniqueFd socket) {
  client.add_connected_socket(std::move(socket));
}

}  // namespace netcheck
