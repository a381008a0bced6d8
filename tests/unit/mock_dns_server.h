// A scripted DNS resolver for the DNS tests, on one ephemeral port of
// 127.0.0.1 or ::1 (UDP, and TCP for truncated answers). It has no thread:
// it is served by a netcheck::Task added to the same EventLoop as the client
// under test, the way c-ares' own test suite drives its client against its
// mock server, so a test is single-threaded and deterministic.
#pragma once

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "netcheck/dns.h"
#include "netcheck/event_loop.h"
#include "netcheck/unique_fd.h"
#include "tests/unit/dns_packet.h"

namespace testing {

// What the mock says for one name (and type).
enum class Reply {
  answer,     // NOERROR with the zone's records of the asked type; none = NODATA
  nxdomain,   // NXDOMAIN
  servfail,   // SERVFAIL
  refused,    // REFUSED
  silence,    // nothing at all
  truncated,  // over UDP: TC set, only the first record; over TCP: the answer
  garbage,    // bytes that are no DNS message (after the query's ID)
  cut,        // the answer with its last record cut short (give it records)
};

struct Zone {
  Reply reply = Reply::answer;
  std::vector<std::string> a;                      // records for A queries
  std::vector<std::string> aaaa;                   // records for AAAA queries
  std::optional<Reply> aaaa_reply = std::nullopt;  // when AAAA differs from A
};

class MockDnsServer {
 public:
  // Whether TCP queries are answered; `closed` leaves the TCP port bound
  // but not listening, so a connection is refused.
  enum class Tcp { serve, closed };

  // Names not in `zones` get NXDOMAIN (matched case-insensitively).
  explicit MockDnsServer(std::map<std::string, Zone> zones,
                         netcheck::Family family = netcheck::Family::v4, Tcp tcp = Tcp::serve)
      : zones_(std::move(zones)) {
    // UDP and TCP on the same port number: bind TCP to an ephemeral port,
    // then UDP to that one (retried on the rare clash with another UDP user).
    for (int attempt = 0; attempt < 20 && !udp_.valid(); ++attempt) {
      tcp_ = bound_socket(family, SOCK_STREAM, 0);
      udp_ = bound_socket(family, SOCK_DGRAM, port_of(tcp_));
    }
    REQUIRE(udp_.valid());
    if (tcp == Tcp::serve) REQUIRE(::listen(tcp_.get(), 8) == 0);
    listening_ = tcp == Tcp::serve;
    server_ = netcheck::DnsServer{
        netcheck::IpAddress{family, family == netcheck::Family::v6 ? "::1" : "127.0.0.1"},
        port_of(udp_)};
  }

  MockDnsServer(const MockDnsServer&) = delete;
  MockDnsServer& operator=(const MockDnsServer&) = delete;

  const netcheck::DnsServer& server() const { return server_; }

  // How many queries (any type, UDP or TCP) arrived for `name`.
  int queries_for(const std::string& name) const { return count(seen_, name); }

  // How many of those came over TCP.
  int tcp_queries_for(const std::string& name) const { return count(seen_tcp_, name); }

  // The task that serves this resolver in an EventLoop. It only refers to
  // the server (which must outlive the loop's run) and never finishes by
  // itself: run the loop until the client is done (EventLoop::run's
  // `enough`) or its deadline.
  std::unique_ptr<netcheck::Task> task() { return std::make_unique<Serving>(*this); }

 private:
  class Serving final : public netcheck::Task {
   public:
    explicit Serving(MockDnsServer& server) : server_(server) {}
    void want(std::vector<pollfd>& fds) override { server_.want(fds); }
    void on_events(std::span<const pollfd> fds, netcheck::TimePoint) override {
      server_.on_events(fds);
    }
    netcheck::TimePoint wake_at() const override { return netcheck::TimePoint::max(); }
    bool done() const override { return false; }
    void abandon(netcheck::TimePoint) override {}

   private:
    MockDnsServer& server_;
  };

  // An accepted TCP connection: DNS messages with a two-byte length prefix.
  struct Connection {
    netcheck::UniqueFd fd;
    std::vector<unsigned char> received;
    bool closed = false;
  };

  static netcheck::UniqueFd bound_socket(netcheck::Family family, int type, std::uint16_t port) {
    const bool v6 = family == netcheck::Family::v6;
    netcheck::UniqueFd fd(
        ::socket(v6 ? AF_INET6 : AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    REQUIRE(fd.valid());
    sockaddr_storage address{};
    socklen_t length = 0;
    if (v6) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&address);
      in6->sin6_family = AF_INET6;
      in6->sin6_addr = in6addr_loopback;
      in6->sin6_port = htons(port);
      length = sizeof *in6;
    } else {
      auto* in4 = reinterpret_cast<sockaddr_in*>(&address);
      in4->sin_family = AF_INET;
      in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      in4->sin_port = htons(port);
      length = sizeof *in4;
    }
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), length) != 0) return {};
    return fd;
  }

  static std::uint16_t port_of(const netcheck::UniqueFd& fd) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    REQUIRE(fd.valid());
    REQUIRE(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) == 0);
    return ntohs(address.ss_family == AF_INET6
                     ? reinterpret_cast<sockaddr_in6*>(&address)->sin6_port
                     : reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  }

  static int count(const std::map<std::string, int>& seen, const std::string& name) {
    auto it = seen.find(name);
    return it == seen.end() ? 0 : it->second;
  }

  // The pollfds, in this order: UDP, the TCP listener (when listening), then
  // each connection.
  void want(std::vector<pollfd>& fds) {
    fds.push_back(pollfd{udp_.get(), POLLIN, 0});
    if (listening_) fds.push_back(pollfd{tcp_.get(), POLLIN, 0});
    for (const Connection& connection : connections_)
      fds.push_back(pollfd{connection.fd.get(), POLLIN, 0});
  }

  void on_events(std::span<const pollfd> fds) {
    std::size_t at = 0;
    const auto ready = [&fds](std::size_t i) { return i < fds.size() && fds[i].revents != 0; };
    if (ready(at)) serve_udp();
    ++at;
    const bool accept_now = listening_ && ready(at);
    if (listening_) ++at;
    // Only the connections that were polled: accepted ones come after.
    const std::size_t polled = std::min(connections_.size(), fds.size() - std::min(at, fds.size()));
    for (std::size_t i = 0; i < polled; ++i)
      if (ready(at + i)) serve_tcp(connections_[i]);
    std::erase_if(connections_, [](const Connection& c) { return c.closed; });
    if (accept_now) accept_all();
  }

  void serve_udp() {
    unsigned char buffer[4096];
    for (;;) {
      sockaddr_storage peer{};
      socklen_t peer_length = sizeof peer;
      const ssize_t got = ::recvfrom(udp_.get(), buffer, sizeof buffer, 0,
                                     reinterpret_cast<sockaddr*>(&peer), &peer_length);
      if (got < 0) return;  // EAGAIN: all read
      auto reply = respond(std::span<const unsigned char>(buffer, static_cast<std::size_t>(got)),
                           /*over_tcp=*/false);
      if (reply)
        (void)::sendto(udp_.get(), reply->data(), reply->size(), 0,
                       reinterpret_cast<sockaddr*>(&peer), peer_length);
    }
  }

  void accept_all() {
    for (;;) {
      netcheck::UniqueFd fd(::accept4(tcp_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (!fd.valid()) return;
      connections_.push_back(Connection{std::move(fd), {}, false});
    }
  }

  void serve_tcp(Connection& connection) {
    unsigned char buffer[4096];
    for (;;) {
      const ssize_t got = ::recv(connection.fd.get(), buffer, sizeof buffer, 0);
      if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        connection.closed = true;
        break;
      }
      if (got < 0) break;
      connection.received.insert(connection.received.end(), buffer, buffer + got);
    }
    auto& in = connection.received;
    while (in.size() >= 2) {
      const std::size_t length = dns_wire::get16(in.data());
      if (in.size() < 2 + length) break;
      auto reply = respond(std::span<const unsigned char>(in.data() + 2, length),
                           /*over_tcp=*/true);
      in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(2 + length));
      if (!reply || connection.closed) continue;
      std::vector<unsigned char> framed(2);
      dns_wire::put16(framed.data(), static_cast<unsigned>(reply->size()));
      framed.insert(framed.end(), reply->begin(), reply->end());
      // Small messages on loopback: the socket buffer takes them whole.
      (void)::send(connection.fd.get(), framed.data(), framed.size(), MSG_NOSIGNAL);
    }
  }

  // The reply to one query, or nullopt to stay silent.
  std::optional<std::vector<unsigned char>> respond(std::span<const unsigned char> query,
                                                    bool over_tcp) {
    const std::optional<DnsQuestion> question = read_question(query);
    if (!question) return std::nullopt;
    std::string name = question->name;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    ++seen_[name];
    if (over_tcp) ++seen_tcp_[name];

    Reply reply = Reply::nxdomain;
    std::vector<std::string> records;
    if (auto zone = zones_.find(name); zone != zones_.end()) {
      reply = zone->second.reply;
      if (question->type == ns_t_aaaa && zone->second.aaaa_reply) reply = *zone->second.aaaa_reply;
      if (question->type == ns_t_a) records = zone->second.a;
      if (question->type == ns_t_aaaa) records = zone->second.aaaa;
    }

    DnsReply out(*question);
    switch (reply) {
      case Reply::silence:
        return std::nullopt;
      case Reply::nxdomain:
        return out.rcode(ns_r_nxdomain).bytes();
      case Reply::servfail:
        return out.rcode(ns_r_servfail).bytes();
      case Reply::refused:
        return out.rcode(ns_r_refused).bytes();
      case Reply::garbage:
        return garbage_reply(question->id);
      case Reply::truncated:
        if (!over_tcp) {
          if (!records.empty()) out.address(records.front());
          return out.truncated().bytes();
        }
        break;
      case Reply::answer:
      case Reply::cut:
        break;
    }
    for (const std::string& record : records) out.address(record);
    // Three bytes short: the last record's address ends early.
    return reply == Reply::cut ? out.cut(3) : out.bytes();
  }

  std::map<std::string, Zone> zones_;
  netcheck::UniqueFd udp_;
  netcheck::UniqueFd tcp_;
  bool listening_ = false;
  netcheck::DnsServer server_;
  std::vector<Connection> connections_;
  std::map<std::string, int> seen_;
  std::map<std::string, int> seen_tcp_;
};

}  // namespace testing
