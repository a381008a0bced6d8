// A scripted HTTP/1.1 server on 127.0.0.1 that keeps connections alive and
// serves them side by side (one thread, poll), like IMDS: it counts the
// connections it accepted and the most that were open at once, so a test
// can hold a client to a connection limit and to keep-alive. It keeps the
// paths in the order they arrived, and can hold an answer until another
// request has arrived: a test of which request a client sends first then
// depends on no race.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/loopback_http_server.h"

namespace testing {

// A keep-alive response (no "Connection: close").
inline std::string keepalive_response(int status, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

class KeepAliveHttpServer {
 public:
  // The handler's nullopt leaves that request unanswered (the connection
  // stays open until the client gives up).
  explicit KeepAliveHttpServer(Handler handler) : handler_(std::move(handler)) {
    listener_ = listen_on_loopback(64, &port_);
    thread_ = std::thread([this] { serve(); });
  }
  ~KeepAliveHttpServer() {
    stop_ = true;
    thread_.join();
    for (auto& c : connections_) ::close(c.fd);
    ::close(listener_);
  }
  KeepAliveHttpServer(const KeepAliveHttpServer&) = delete;
  KeepAliveHttpServer& operator=(const KeepAliveHttpServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }
  int port() const { return port_; }
  int accepted() const { return accepted_; }
  int most_open() const { return most_open_; }
  std::vector<std::string> paths_in_order() const {
    std::lock_guard lock(mutex_);
    return paths_;
  }

  using Match = std::function<bool(const SeenRequest&)>;
  // Answers to requests that `held` matches wait until a request that
  // `until` matches has arrived (on any connection), then go out in the
  // order they were held. Call before the client starts.
  void hold(Match held, Match until) {
    std::lock_guard lock(mutex_);
    holds_.push_back({std::move(held), std::move(until)});
  }

 private:
  struct Connection {
    int fd = -1;
    std::string data;
  };
  struct Hold {
    Match held, until;
    bool released = false;
  };
  struct HeldAnswer {
    int fd;
    std::string response;
    std::size_t hold;
  };

  void serve() {
    while (!stop_) {
      std::vector<pollfd> fds{{listener_, POLLIN, 0}};
      for (const auto& c : connections_) fds.push_back({c.fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      for (std::size_t i = 1; i < fds.size(); ++i)
        if (fds[i].revents) read_from(connections_[i - 1]);
      std::erase_if(connections_, [](const Connection& c) { return c.fd < 0; });
      if (fds[0].revents & POLLIN) {
        const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
          ++accepted_;
          connections_.push_back({fd, {}});
          most_open_ = std::max<int>(most_open_, static_cast<int>(connections_.size()));
        }
      }
    }
  }

  void read_from(Connection& c) {
    char buf[4096];
    const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n <= 0) {
      std::erase_if(held_, [&](const HeldAnswer& a) { return a.fd == c.fd; });
      ::close(c.fd);
      c.fd = -1;
      return;
    }
    c.data.append(buf, static_cast<std::size_t>(n));
    for (auto end = c.data.find("\r\n\r\n"); end != std::string::npos;
         end = c.data.find("\r\n\r\n")) {
      SeenRequest request;
      request.head = c.data.substr(0, end);
      c.data.erase(0, end + 4);  // the requests here carry no body
      const auto sp1 = request.head.find(' ');
      const auto sp2 = request.head.find(' ', sp1 + 1);
      request.method = request.head.substr(0, sp1);
      request.path = request.head.substr(sp1 + 1, sp2 - sp1 - 1);
      ++requests_;
      {
        std::lock_guard lock(mutex_);
        paths_.push_back(request.path);
      }
      const auto response = handler_(request);
      if (response) answer(c.fd, request, *response);
      // else silent: the client times out and closes
      release_holds(request);
    }
  }

  void answer(int fd, const SeenRequest& request, const std::string& response) {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < holds_.size(); ++i)
      if (!holds_[i].released && holds_[i].held(request)) {
        held_.push_back({fd, response, i});
        return;
      }
    ::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
  }

  void release_holds(const SeenRequest& arrived) {
    std::lock_guard lock(mutex_);
    for (auto& h : holds_)
      if (!h.released && h.until(arrived)) h.released = true;
    std::erase_if(held_, [&](const HeldAnswer& a) {
      if (!holds_[a.hold].released) return false;
      ::send(a.fd, a.response.data(), a.response.size(), MSG_NOSIGNAL);
      return true;
    });
  }

  Handler handler_;
  int listener_ = -1;
  int port_ = 0;
  std::vector<Connection> connections_;  // the server thread's only
  std::vector<HeldAnswer> held_;         // the server thread's only; a closed
                                         // connection's are dropped
  mutable std::mutex mutex_;
  std::vector<Hold> holds_;         // under mutex_
  std::vector<std::string> paths_;  // under mutex_
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::atomic<int> accepted_{0};
  std::atomic<int> most_open_{0};
  std::thread thread_;
};

}  // namespace testing
