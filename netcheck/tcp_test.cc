#include "netcheck/tcp.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <optional>

#include "netcheck/event_loop.h"

namespace netcheck {
namespace {

using namespace std::chrono_literals;

IpAddress v4(const char* text) { return {Family::v4, text}; }
IpAddress v6(const char* text) { return {Family::v6, text}; }

// A TCP socket bound to 127.0.0.1 on an ephemeral port; listening only when
// asked (bound but not listening answers SYNs with RST).
struct LoopbackSocket {
  UniqueFd fd;
  std::uint16_t port = 0;

  explicit LoopbackSocket(std::optional<int> backlog) {
    fd.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(fd.valid());
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    if (backlog) REQUIRE(::listen(fd.get(), *backlog) == 0);
    socklen_t len = sizeof(addr);
    REQUIRE(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port = ntohs(addr.sin_port);
  }
};

struct Probe {
  std::optional<TcpResult> result;
  UniqueFd socket;
  int callbacks = 0;
};

// Runs one TCP task through the loop, as the real program does.
Probe run_tcp(IpAddress address, std::uint16_t port, Duration timeout, Duration run_limit = 5s) {
  Probe probe;
  EventLoop loop;
  loop.add(make_tcp_task(std::move(address), port, timeout, [&](TcpResult r, UniqueFd s) {
    ++probe.callbacks;
    probe.result = std::move(r);
    probe.socket = std::move(s);
  }));
  loop.run(Clock::now() + run_limit);
  return probe;
}

// Linux drops a SYN when the listener's accept queue is full (it does not
// answer RST), which is what a security group's silent drop looks like. With
// backlog 0 the queue holds one connection; once filled by a connection
// nobody accepts, further SYNs go unanswered.
struct SilentListener {
  LoopbackSocket listener{0};
  UniqueFd filler;

  SilentListener() {
    Probe first = run_tcp(v4("127.0.0.1"), listener.port, 2s);
    REQUIRE(first.result);
    REQUIRE(first.result->outcome == TcpOutcome::ok);
    filler = std::move(first.socket);
  }
};

bool ipv6_sockets_available() {
  UniqueFd probe(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  return probe.valid();
}

TEST_CASE("tcp outcome names are the contract's JSON strings") {
  CHECK(std::string(to_string(TcpOutcome::ok)) == "ok");
  CHECK(std::string(to_string(TcpOutcome::timeout)) == "timeout");
  CHECK(std::string(to_string(TcpOutcome::refused)) == "refused");
  CHECK(std::string(to_string(TcpOutcome::unreachable)) == "unreachable");
  CHECK(std::string(to_string(TcpOutcome::error)) == "error");
}

TEST_CASE("errno_name gives symbolic names and a number for the rest") {
  CHECK(errno_name(ECONNREFUSED) == "ECONNREFUSED");
  CHECK(errno_name(ETIMEDOUT) == "ETIMEDOUT");
  CHECK(errno_name(EHOSTUNREACH) == "EHOSTUNREACH");
  CHECK(errno_name(ENETUNREACH) == "ENETUNREACH");
  CHECK(errno_name(EADDRNOTAVAIL) == "EADDRNOTAVAIL");
  CHECK(errno_name(EPERM) == "EPERM");
  CHECK(errno_name(EACCES) == "EACCES");
  CHECK(errno_name(ECONNRESET) == "ECONNRESET");
  CHECK(errno_name(ENETDOWN) == "ENETDOWN");
  CHECK(errno_name(EAFNOSUPPORT) == "EAFNOSUPPORT");
  CHECK(errno_name(EINVAL) == "EINVAL");
  CHECK(errno_name(EMFILE) == "EMFILE");
  CHECK(errno_name(ENOBUFS) == "ENOBUFS");
  CHECK(errno_name(EDOM) == "errno " + std::to_string(EDOM));
  CHECK(errno_name(100000) == "errno 100000");
}

TEST_CASE("tcp connects to a listening socket and hands the socket over") {
  LoopbackSocket listener(8);
  Probe probe = run_tcp(v4("127.0.0.1"), listener.port, 2s);
  REQUIRE(probe.result);
  CHECK(probe.callbacks == 1);
  CHECK(probe.result->outcome == TcpOutcome::ok);
  CHECK(probe.result->errno_name.empty());
  CHECK(probe.result->address == v4("127.0.0.1"));
  CHECK(probe.result->port == listener.port);
  CHECK(probe.result->ms >= 0);
  REQUIRE(probe.socket.valid());

  sockaddr_in peer{};
  socklen_t len = sizeof(peer);
  REQUIRE(::getpeername(probe.socket.get(), reinterpret_cast<sockaddr*>(&peer), &len) == 0);
  CHECK(ntohs(peer.sin_port) == listener.port);
}

TEST_CASE("tcp connects over IPv6 loopback") {
  if (!ipv6_sockets_available()) return;
  UniqueFd listener(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    MESSAGE("no ::1 on this host; IPv6 connect not tested");
    return;
  }
  REQUIRE(::listen(listener.get(), 8) == 0);
  socklen_t len = sizeof(addr);
  REQUIRE(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);

  Probe probe = run_tcp(v6("::1"), ntohs(addr.sin6_port), 2s);
  REQUIRE(probe.result);
  CHECK(probe.result->outcome == TcpOutcome::ok);
  CHECK(probe.socket.valid());
}

TEST_CASE("tcp reports refused when nothing listens") {
  LoopbackSocket bound_not_listening(std::nullopt);  // holds the port: no race
  Probe probe = run_tcp(v4("127.0.0.1"), bound_not_listening.port, 2s);
  REQUIRE(probe.result);
  CHECK(probe.callbacks == 1);
  CHECK(probe.result->outcome == TcpOutcome::refused);
  CHECK(probe.result->errno_name == "ECONNREFUSED");
  CHECK_FALSE(probe.socket.valid());
}

TEST_CASE("tcp times out on its own timer when SYNs go unanswered") {
  SilentListener silent;
  Probe probe = run_tcp(v4("127.0.0.1"), silent.listener.port, 200ms);
  REQUIRE(probe.result);
  CHECK(probe.callbacks == 1);
  CHECK(probe.result->outcome == TcpOutcome::timeout);
  CHECK(probe.result->errno_name.empty());
  CHECK(probe.result->ms >= 199.0);  // never earlier than the timeout
  CHECK_FALSE(probe.socket.valid());
}

TEST_CASE("tcp reports a timeout when the run's deadline abandons it") {
  SilentListener silent;
  // The task would wait 30 s; the loop's deadline ends it after 200 ms.
  Probe probe = run_tcp(v4("127.0.0.1"), silent.listener.port, 30s, 200ms);
  REQUIRE(probe.result);
  CHECK(probe.callbacks == 1);
  CHECK(probe.result->outcome == TcpOutcome::timeout);
  CHECK(probe.result->ms < 10000.0);
}

TEST_CASE("tcp reports unreachable, from the loop, when connect fails at once") {
  if (!ipv6_sockets_available()) return;
  // Linux rejects a TCP connect to a multicast address with ENETUNREACH
  // before routing or sending anything: a deterministic local failure that
  // puts no packet on any network.
  Probe probe;
  EventLoop loop;
  loop.add(make_tcp_task(v6("ff02::1"), 443, 2s, [&](TcpResult r, UniqueFd s) {
    ++probe.callbacks;
    probe.result = std::move(r);
    probe.socket = std::move(s);
  }));
  CHECK(probe.callbacks == 0);  // never from inside make_tcp_task
  CHECK(loop.run(Clock::now() + 5s));
  REQUIRE(probe.result);
  CHECK(probe.callbacks == 1);
  CHECK(probe.result->outcome == TcpOutcome::unreachable);
  CHECK(probe.result->errno_name == "ENETUNREACH");
  CHECK_FALSE(probe.socket.valid());
}

TEST_CASE("tcp reports an address it cannot use as an error") {
  Probe probe = run_tcp(v4("not-an-address"), 443, 2s);
  REQUIRE(probe.result);
  CHECK(probe.result->outcome == TcpOutcome::error);
  CHECK(probe.result->errno_name == "EINVAL");
}

TEST_CASE("many tcp probes share one deadline") {
  SilentListener silent;
  LoopbackSocket listener(16);
  LoopbackSocket closed(std::nullopt);
  std::vector<TcpResult> results;
  EventLoop loop;
  auto record = [&](TcpResult r, UniqueFd) { results.push_back(std::move(r)); };
  for (int i = 0; i < 8; ++i) {
    loop.add(make_tcp_task(v4("127.0.0.1"), silent.listener.port, 300ms, record));
    loop.add(make_tcp_task(v4("127.0.0.1"), listener.port, 300ms, record));
    loop.add(make_tcp_task(v4("127.0.0.1"), closed.port, 300ms, record));
  }
  TimePoint start = Clock::now();
  CHECK(loop.run(start + 10s));
  REQUIRE(results.size() == 24);
  int timeouts = 0, oks = 0, refused = 0;
  for (const TcpResult& r : results) {
    timeouts += r.outcome == TcpOutcome::timeout;
    oks += r.outcome == TcpOutcome::ok;
    refused += r.outcome == TcpOutcome::refused;
  }
  CHECK(timeouts == 8);
  CHECK(oks == 8);
  CHECK(refused == 8);
  // Structural, not a benchmark: eight sequential timeouts would take 2.4 s.
  CHECK(ms_between(start, Clock::now()) < 1200.0);
}

}  // namespace
}  // namespace netcheck
