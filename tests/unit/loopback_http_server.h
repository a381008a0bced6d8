// A tiny scripted HTTP/1.1 server on 127.0.0.1 for unit tests: one thread,
// one connection at a time, each request answered by a handler.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>

namespace testing {

struct SeenRequest {
  std::string method;
  std::string path;
  std::string head;  // request line and headers, as received
};

// Returns the raw response to send, or nullopt to stay silent (the client
// then times out).
using Handler = std::function<std::optional<std::string>(const SeenRequest&)>;

// A listening TCP socket on 127.0.0.1 at an ephemeral port (`*port`).
inline int listen_on_loopback(int backlog, int* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(fd, backlog);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

class LoopbackHttpServer {
 public:
  explicit LoopbackHttpServer(Handler handler) : handler_(std::move(handler)) {
    fd_ = listen_on_loopback(16, &port_);
    thread_ = std::thread([this] { serve(); });
  }
  ~LoopbackHttpServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }

 private:
  bool wait_readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    while (!stop_) {
      if (::poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }

  void serve() {
    while (wait_readable(fd_)) {
      int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) continue;
      handle(conn);
      ::close(conn);
    }
  }

  void handle(int conn) {
    std::string data;
    char buf[4096];
    while (data.find("\r\n\r\n") == std::string::npos) {
      if (!wait_readable(conn)) return;
      ssize_t n = ::recv(conn, buf, sizeof buf, 0);
      if (n <= 0) return;
      data.append(buf, static_cast<std::size_t>(n));
    }
    ++requests_;
    SeenRequest request;
    request.head = data.substr(0, data.find("\r\n\r\n"));
    auto sp1 = request.head.find(' ');
    auto sp2 = request.head.find(' ', sp1 + 1);
    request.method = request.head.substr(0, sp1);
    request.path = request.head.substr(sp1 + 1, sp2 - sp1 - 1);
    auto response = handler_(request);
    if (!response) {
      wait_readable(conn);  // hold the connection open until the client gives up
      return;
    }
    std::size_t sent = 0;
    while (sent < response->size() && !stop_) {
      ssize_t n = ::send(conn, response->data() + sent, response->size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

inline std::string http_response(int status, const std::string& body,
                                 const std::string& extra_headers = "") {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n" +
         extra_headers + "\r\n" + body;
}

}  // namespace testing
