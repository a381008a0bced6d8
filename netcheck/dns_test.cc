// Drives the real c-ares client code against a scripted DNS responder on
// loopback (the approach of c-ares' own test/ mock server).
#include "netcheck/dns.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "netcheck/event_loop.h"
#include "netcheck/unique_fd.h"
#include "tests/unit/scratch.h"

namespace netcheck {
namespace {

using testing::ScopedEnv;
using testing::TempFile;

using namespace std::chrono_literals;

constexpr std::uint16_t kTypeA = 1;
constexpr std::uint16_t kTypeAaaa = 28;

// What the mock says for one name.
enum class Reply { answer, nxdomain, servfail, refused, silence };

struct Zone {
  Reply reply = Reply::answer;
  std::vector<std::string> a;                      // with Reply::answer; none = NODATA for A
  std::vector<std::string> aaaa;                   // same for AAAA
  std::optional<Reply> aaaa_reply = std::nullopt;  // when AAAA differs from A
};

// A UDP DNS responder on 127.0.0.1 or ::1 (ephemeral port) in its own thread.
// Names not in `zones` get NXDOMAIN.
class MockDns {
 public:
  explicit MockDns(std::map<std::string, Zone> zones, Family family = Family::v4)
      : zones_(std::move(zones)) {
    const int af = family == Family::v6 ? AF_INET6 : AF_INET;
    socket_.reset(::socket(af, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    REQUIRE(socket_.valid());
    sockaddr_storage address{};
    socklen_t length = 0;
    if (family == Family::v6) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&address);
      in6->sin6_family = AF_INET6;
      in6->sin6_addr = in6addr_loopback;
      length = sizeof *in6;
    } else {
      auto* in4 = reinterpret_cast<sockaddr_in*>(&address);
      in4->sin_family = AF_INET;
      in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      length = sizeof *in4;
    }
    REQUIRE(::bind(socket_.get(), reinterpret_cast<sockaddr*>(&address), length) == 0);
    REQUIRE(::getsockname(socket_.get(), reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port_ = ntohs(family == Family::v6 ? reinterpret_cast<sockaddr_in6*>(&address)->sin6_port
                                       : reinterpret_cast<sockaddr_in*>(&address)->sin_port);
    server_ = DnsServer{IpAddress{family, family == Family::v6 ? "::1" : "127.0.0.1"}, port_};
    int pipe_fds[2];
    REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
    stop_read_.reset(pipe_fds[0]);
    stop_write_.reset(pipe_fds[1]);
    thread_ = std::thread([this] { serve(); });
  }

  ~MockDns() {
    (void)!::write(stop_write_.get(), "x", 1);
    thread_.join();
  }

  MockDns(const MockDns&) = delete;
  MockDns& operator=(const MockDns&) = delete;

  const DnsServer& server() const { return server_; }

  // How many queries (any type) arrived for `name`.
  int queries_for(const std::string& name) const {
    std::lock_guard lock(mutex_);
    auto it = seen_.find(name);
    return it == seen_.end() ? 0 : it->second;
  }

 private:
  void serve() {
    std::vector<unsigned char> buffer(4096);
    for (;;) {
      pollfd fds[2] = {{socket_.get(), POLLIN, 0}, {stop_read_.get(), POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) continue;
      if (fds[1].revents) return;
      sockaddr_storage peer{};
      socklen_t peer_length = sizeof peer;
      const ssize_t got = ::recvfrom(socket_.get(), buffer.data(), buffer.size(), 0,
                                     reinterpret_cast<sockaddr*>(&peer), &peer_length);
      if (got <= 0) continue;
      auto response = respond(buffer.data(), static_cast<std::size_t>(got));
      if (!response.empty())
        (void)::sendto(socket_.get(), response.data(), response.size(), 0,
                       reinterpret_cast<sockaddr*>(&peer), peer_length);
    }
  }

  // Builds the response from the query itself: its ID and question are
  // copied, QR/RA and the RCODE set, and answers appended whose owner is a
  // compression pointer to the question name at offset 12 (0xC00C).
  std::vector<unsigned char> respond(const unsigned char* query, std::size_t length) {
    if (length < 12) return {};
    std::size_t at = 12;
    std::string name;
    while (at < length && query[at] != 0) {
      const std::size_t label = query[at];
      if (label > 63 || at + 1 + label > length) return {};
      if (!name.empty()) name += '.';
      for (std::size_t i = 0; i < label; ++i)
        name += static_cast<char>(std::tolower(query[at + 1 + i]));
      at += 1 + label;
    }
    const std::size_t question_end = at + 1 + 4;  // root label, QTYPE, QCLASS
    if (question_end > length) return {};
    const auto type = static_cast<std::uint16_t>(query[at + 1] << 8 | query[at + 2]);
    {
      std::lock_guard lock(mutex_);
      ++seen_[name];
    }

    auto zone = zones_.find(name);
    Reply reply = Reply::nxdomain;
    const std::vector<std::string>* addresses = nullptr;
    if (zone != zones_.end()) {
      reply = zone->second.reply;
      if (type == kTypeAaaa && zone->second.aaaa_reply) reply = *zone->second.aaaa_reply;
      addresses = type == kTypeA ? &zone->second.a : &zone->second.aaaa;
    }
    unsigned char rcode = 0;
    switch (reply) {
      case Reply::silence:
        return {};
      case Reply::answer:
        rcode = 0;
        break;
      case Reply::servfail:
        rcode = 2;
        break;
      case Reply::nxdomain:
        rcode = 3;
        break;
      case Reply::refused:
        rcode = 5;
        break;
    }

    std::vector<unsigned char> out(query, query + question_end);
    out[2] = static_cast<unsigned char>(0x80 | (query[2] & 0x79));  // QR, opcode, RD
    out[3] = static_cast<unsigned char>(0x80 | rcode);              // RA, RCODE
    for (std::size_t i = 4; i < 12; ++i) out[i] = 0;
    out[5] = 1;  // QDCOUNT
    std::uint16_t answers = 0;
    if (reply == Reply::answer && addresses && (type == kTypeA || type == kTypeAaaa)) {
      for (const auto& text : *addresses) {
        unsigned char bytes[16];
        const bool v6 = type == kTypeAaaa;
        REQUIRE(::inet_pton(v6 ? AF_INET6 : AF_INET, text.c_str(), bytes) == 1);
        const unsigned char size = v6 ? 16 : 4;
        const unsigned char record[] = {0xC0, 0x0C,  // name: pointer to question
                                        0,    static_cast<unsigned char>(type),
                                        0,    1,  // class IN
                                        0,    0,
                                        0,    60,  // TTL 60 s
                                        0,    size};
        out.insert(out.end(), record, record + sizeof record);
        out.insert(out.end(), bytes, bytes + size);
        ++answers;
      }
    }
    out[7] = static_cast<unsigned char>(answers);  // ANCOUNT (< 256 here)
    return out;
  }

  std::map<std::string, Zone> zones_;
  UniqueFd socket_;
  UniqueFd stop_read_;
  UniqueFd stop_write_;
  std::uint16_t port_ = 0;
  DnsServer server_;
  mutable std::mutex mutex_;
  std::map<std::string, int> seen_;
  std::thread thread_;
};

// A loopback UDP port with nothing bound to it (bound once, then released).
DnsServer closed_port_server() {
  UniqueFd probe(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  REQUIRE(probe.valid());
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  REQUIRE(::bind(probe.get(), reinterpret_cast<sockaddr*>(&address), length) == 0);
  REQUIRE(::getsockname(probe.get(), reinterpret_cast<sockaddr*>(&address), &length) == 0);
  return DnsServer{IpAddress{Family::v4, "127.0.0.1"}, ntohs(address.sin_port)};
}

struct Run {
  DnsResult result;
  int callbacks = 0;
  bool loop_finished = false;  // false when the loop deadline abandoned the task
  double elapsed_ms = 0;
};

Run resolve(const std::string& name, std::vector<DnsServer> servers, Duration timeout = 2s,
            Duration loop_deadline = 10s) {
  Run run;
  EventLoop loop;
  const TimePoint start = Clock::now();
  loop.add(make_dns_task(name, std::move(servers), timeout, [&run](DnsResult result) {
    run.result = std::move(result);
    ++run.callbacks;
  }));
  run.loop_finished = loop.run(start + loop_deadline);
  run.elapsed_ms = ms_between(start, Clock::now());
  REQUIRE(run.callbacks == 1);
  return run;
}

std::vector<std::string> texts(const std::vector<IpAddress>& addresses) {
  std::vector<std::string> out;
  for (const auto& a : addresses) out.push_back(a.text);
  return out;
}

TEST_CASE("DnsOutcome strings are the JSON words") {
  CHECK(std::string(to_string(DnsOutcome::ok)) == "ok");
  CHECK(std::string(to_string(DnsOutcome::nxdomain)) == "nxdomain");
  CHECK(std::string(to_string(DnsOutcome::no_address)) == "no-address");
  CHECK(std::string(to_string(DnsOutcome::servfail)) == "servfail");
  CHECK(std::string(to_string(DnsOutcome::refused)) == "refused");
  CHECK(std::string(to_string(DnsOutcome::timeout)) == "timeout");
  CHECK(std::string(to_string(DnsOutcome::unreachable)) == "unreachable");
  CHECK(std::string(to_string(DnsOutcome::skipped)) == "skipped");
  CHECK(std::string(to_string(DnsOutcome::error)) == "error");
}

TEST_CASE("several A and AAAA records merge, A first, in answer order") {
  MockDns dns({{"ssm.test", {Reply::answer, {"10.0.0.7", "10.0.0.5"}, {"fd00::7", "fd00::5"}}}});
  const Run run = resolve("ssm.test", {dns.server()});
  const DnsResult& r = run.result;
  CHECK(run.loop_finished);
  CHECK(r.name == "ssm.test");
  CHECK(r.outcome == DnsOutcome::ok);
  CHECK(texts(r.addresses) ==
        std::vector<std::string>{"10.0.0.7", "10.0.0.5", "fd00::7", "fd00::5"});
  CHECK(r.addresses[2].family == Family::v6);
  REQUIRE(r.answered_by.has_value());
  CHECK(*r.answered_by == dns.server());
  REQUIRE(r.servers.size() == 1);
  CHECK(r.servers[0].outcome == DnsOutcome::ok);
  CHECK(r.servers[0].outcome_a == DnsOutcome::ok);
  CHECK(r.servers[0].outcome_aaaa == DnsOutcome::ok);
  CHECK(r.servers[0].addresses == r.addresses);
  CHECK(r.servers[0].error.empty());
  CHECK(r.ms > 0);
  CHECK(r.servers[0].ms > 0);
}

TEST_CASE("names are matched case-insensitively by the resolver, not rewritten") {
  MockDns dns({{"ssm.test", {Reply::answer, {"10.0.0.7"}, {}}}});
  const Run run = resolve("SSM.Test", {dns.server()});
  CHECK(run.result.outcome == DnsOutcome::ok);
  CHECK(run.result.name == "SSM.Test");
}

TEST_CASE("A only: AAAA NODATA still makes the server ok") {
  MockDns dns({{"v4only.test", {Reply::answer, {"10.1.1.1"}, {}}}});
  const DnsResult r = resolve("v4only.test", {dns.server()}).result;
  CHECK(r.outcome == DnsOutcome::ok);
  CHECK(texts(r.addresses) == std::vector<std::string>{"10.1.1.1"});
  CHECK(r.servers[0].outcome_a == DnsOutcome::ok);
  CHECK(r.servers[0].outcome_aaaa == DnsOutcome::no_address);
}

TEST_CASE("each resolver reply maps to its outcome") {
  struct Case {
    Reply reply;
    DnsOutcome outcome;
  };
  const std::vector<Case> cases = {
      {Reply::nxdomain, DnsOutcome::nxdomain},
      {Reply::servfail, DnsOutcome::servfail},
      {Reply::refused, DnsOutcome::refused},
      {Reply::answer, DnsOutcome::no_address},  // NOERROR without records: NODATA
  };
  for (const auto& c : cases) {
    CAPTURE(to_string(c.outcome));
    MockDns dns({{"name.test", {c.reply, {}, {}}}});
    const Run run = resolve("name.test", {dns.server()});
    const DnsResult& r = run.result;
    CHECK(r.outcome == c.outcome);
    CHECK(r.addresses.empty());
    CHECK(r.servers[0].outcome_a == c.outcome);
    CHECK(r.servers[0].outcome_aaaa == c.outcome);
    CHECK_FALSE(r.servers[0].error.empty());
    // A definitive answer or the server's own failure: it is named.
    REQUIRE(r.answered_by.has_value());
    CHECK(*r.answered_by == dns.server());
    // Answered, not waited out: SERVFAIL/REFUSED must not be retried until
    // the timeout (which is 2 s here).
    CHECK(run.elapsed_ms < 1500);
  }
}

TEST_CASE("a server whose A and AAAA answers differ gets one combined outcome") {
  struct Case {
    Zone zone;
    DnsOutcome combined;
  };
  const std::vector<Case> cases = {
      // NXDOMAIN is about the name: it wins over NODATA and over failures.
      {{Reply::nxdomain, {}, {}, Reply::answer}, DnsOutcome::nxdomain},
      {{Reply::servfail, {}, {}, Reply::nxdomain}, DnsOutcome::nxdomain},
      // A record of one type is enough.
      {{Reply::answer, {"10.2.2.2"}, {}, Reply::servfail}, DnsOutcome::ok},
      {{Reply::refused, {}, {"fd00::2"}, Reply::answer}, DnsOutcome::ok},
      // NODATA plus a failure is not proof of "no address": the failure,
      // whichever type it came from.
      {{Reply::refused, {}, {}, Reply::answer}, DnsOutcome::refused},
      {{Reply::answer, {}, {}, Reply::servfail}, DnsOutcome::servfail},
      // Two failures: the more telling one.
      {{Reply::refused, {}, {}, Reply::servfail}, DnsOutcome::servfail},
      {{Reply::servfail, {}, {}, Reply::refused}, DnsOutcome::servfail},
  };
  for (const auto& c : cases) {
    CAPTURE(static_cast<int>(c.zone.reply));
    CAPTURE(static_cast<int>(*c.zone.aaaa_reply));
    MockDns dns({{"mixed.test", c.zone}});
    const DnsResult r = resolve("mixed.test", {dns.server()}).result;
    CHECK(r.outcome == c.combined);
    CHECK(r.servers[0].outcome == c.combined);
  }
}

TEST_CASE("a silent resolver times out at the cap, retried once, whatever RES_OPTIONS says") {
  // Amazon Linux ships "options timeout:2 attempts:5"; c-ares honours
  // RES_OPTIONS like resolv.conf. Uncapped that would be 10 s per query.
  ScopedEnv options("RES_OPTIONS", "timeout:5 attempts:5");
  MockDns dns({{"quiet.test", {Reply::silence, {}, {}}}});
  const Run run = resolve("quiet.test", {dns.server()}, 600ms);
  const DnsResult& r = run.result;
  CHECK(run.loop_finished);  // the task ended by itself, not by the loop deadline
  CHECK(r.outcome == DnsOutcome::timeout);
  CHECK_FALSE(r.answered_by.has_value());
  CHECK(r.servers[0].outcome_a == DnsOutcome::timeout);
  CHECK(r.servers[0].outcome_aaaa == DnsOutcome::timeout);
  CHECK_FALSE(r.servers[0].error.empty());
  CHECK(run.elapsed_ms < 2000);  // structural: the cap, not c-ares' schedule
  CHECK(r.ms >= 0.8 * 600);      // and it did not give up early either
  // Each of A and AAAA was sent twice: the second try after a third of the
  // timeout covers one lost datagram.
  CHECK(dns.queries_for("quiet.test") == 4);
}

TEST_CASE("a closed resolver port is reported as unreachable (ICMP port unreachable)") {
  const DnsServer closed = closed_port_server();
  const Run run = resolve("any.test", {closed}, 2s);
  const DnsResult& r = run.result;
  // On Linux loopback the ICMP error arrives at once on c-ares' connected UDP
  // socket as ECONNREFUSED; it must not be waited out as a timeout.
  CHECK(r.outcome == DnsOutcome::unreachable);
  CHECK(r.servers[0].outcome == DnsOutcome::unreachable);
  CHECK_FALSE(r.answered_by.has_value());
  CHECK(run.elapsed_ms < 1500);
}

TEST_CASE("an IPv6 resolver is asked over IPv6") {
  MockDns dns({{"six.test", {Reply::answer, {"10.6.6.6"}, {"fd00::6"}}}}, Family::v6);
  CHECK(dns.server().text() == "[::1]:" + std::to_string(dns.server().port));
  const DnsResult r = resolve("six.test", {dns.server()}).result;
  CHECK(r.outcome == DnsOutcome::ok);
  CHECK(texts(r.addresses) == std::vector<std::string>{"10.6.6.6", "fd00::6"});
  CHECK(dns.queries_for("six.test") == 2);
}

TEST_CASE("stub order: a silent first server yields to the second once it times out") {
  MockDns silent({{"ssm.test", {Reply::silence, {}, {}}}});
  MockDns good({{"ssm.test", {Reply::answer, {"10.0.0.9"}, {}}}});
  const Run run = resolve("ssm.test", {silent.server(), good.server()}, 400ms);
  const DnsResult& r = run.result;
  CHECK(r.outcome == DnsOutcome::ok);
  CHECK(texts(r.addresses) == std::vector<std::string>{"10.0.0.9"});
  REQUIRE(r.answered_by.has_value());
  CHECK(*r.answered_by == good.server());
  REQUIRE(r.servers.size() == 2);
  CHECK(r.servers[0].outcome == DnsOutcome::timeout);
  CHECK(r.servers[1].outcome == DnsOutcome::ok);
  // The effective answer is known only once the first server has failed.
  CHECK(r.ms >= r.servers[0].ms);
  CHECK(r.servers[1].ms < r.servers[0].ms);
}

TEST_CASE("stub order: SERVFAIL and REFUSED move on to the next server") {
  MockDns failing({{"ssm.test", {Reply::servfail, {}, {}}}});
  MockDns refusing({{"ssm.test", {Reply::refused, {}, {}}}});
  MockDns good({{"ssm.test", {Reply::answer, {"10.0.0.9"}, {"fd00::9"}}}});
  const DnsResult r =
      resolve("ssm.test", {failing.server(), refusing.server(), good.server()}).result;
  CHECK(r.outcome == DnsOutcome::ok);
  REQUIRE(r.answered_by.has_value());
  CHECK(*r.answered_by == good.server());
  CHECK(r.servers[0].outcome == DnsOutcome::servfail);
  CHECK(r.servers[1].outcome == DnsOutcome::refused);
  CHECK(r.servers[2].outcome == DnsOutcome::ok);
}

TEST_CASE("stub order: the first server's NXDOMAIN is final") {
  MockDns first({});  // knows no name: NXDOMAIN
  MockDns second({{"gone.test", {Reply::answer, {"10.0.0.1"}, {}}}});
  const DnsResult r = resolve("gone.test", {first.server(), second.server()}).result;
  CHECK(r.outcome == DnsOutcome::nxdomain);
  CHECK(r.addresses.empty());
  REQUIRE(r.answered_by.has_value());
  CHECK(*r.answered_by == first.server());
  // The second server ran concurrently: its real answer if it had one
  // already, otherwise it is recorded as skipped.
  CHECK((r.servers[1].outcome == DnsOutcome::ok || r.servers[1].outcome == DnsOutcome::skipped));
  if (r.servers[1].outcome == DnsOutcome::ok)
    CHECK(texts(r.servers[1].addresses) == std::vector<std::string>{"10.0.0.1"});
}

TEST_CASE("stub order: an answer from the first server does not wait for a silent second") {
  MockDns good({{"ssm.test", {Reply::answer, {"10.0.0.9"}, {}}}});
  MockDns silent({{"ssm.test", {Reply::silence, {}, {}}}});
  const Run run = resolve("ssm.test", {good.server(), silent.server()}, 5s);
  const DnsResult& r = run.result;
  CHECK(r.outcome == DnsOutcome::ok);
  CHECK(*r.answered_by == good.server());
  CHECK(r.servers[1].outcome == DnsOutcome::skipped);
  CHECK(r.servers[1].outcome_a == DnsOutcome::skipped);
  CHECK(r.servers[1].error.empty());
  CHECK(run.elapsed_ms < 2000);  // structural: far below the 5 s timeout
}

TEST_CASE("when every server fails, the most telling failure is reported") {
  SUBCASE("SERVFAIL over silence, naming the server") {
    MockDns silent({{"x.test", {Reply::silence, {}, {}}}});
    MockDns failing({{"x.test", {Reply::servfail, {}, {}}}});
    const DnsResult r = resolve("x.test", {silent.server(), failing.server()}, 300ms).result;
    CHECK(r.outcome == DnsOutcome::servfail);
    REQUIRE(r.answered_by.has_value());
    CHECK(*r.answered_by == failing.server());
    CHECK(r.servers[0].outcome == DnsOutcome::timeout);
  }
  SUBCASE("unreachable only when every server is") {
    const DnsResult both = resolve("x.test", {closed_port_server(), closed_port_server()}).result;
    CHECK(both.outcome == DnsOutcome::unreachable);
    MockDns silent({{"x.test", {Reply::silence, {}, {}}}});
    const DnsResult mixed =
        resolve("x.test", {closed_port_server(), silent.server()}, 300ms).result;
    CHECK(mixed.outcome == DnsOutcome::timeout);
    CHECK_FALSE(mixed.answered_by.has_value());
    CHECK(mixed.servers[0].outcome == DnsOutcome::unreachable);
  }
}

TEST_CASE("the loop deadline abandons the task: one callback, reporting a timeout") {
  MockDns silent({{"slow.test", {Reply::silence, {}, {}}}});
  MockDns good({{"slow.test", {Reply::answer, {"10.3.3.3"}, {}}}});
  const Run run = resolve("slow.test", {silent.server(), good.server()}, 10s, 300ms);
  CHECK_FALSE(run.loop_finished);
  CHECK(run.elapsed_ms < 2000);
  // The first server never answered; the second one's answer stands.
  CHECK(run.result.servers[0].outcome == DnsOutcome::timeout);
  CHECK(run.result.outcome == DnsOutcome::ok);
  CHECK(*run.result.answered_by == good.server());
}

TEST_CASE("local failures are errors with c-ares' words") {
  MockDns dns({});
  SUBCASE("a malformed name") {
    const DnsResult r = resolve("bad..name", {dns.server()}).result;
    CHECK(r.outcome == DnsOutcome::error);
    CHECK_FALSE(r.servers[0].error.empty());
    CHECK(dns.queries_for("bad..name") == 0);
  }
  SUBCASE("no server at all") {
    const DnsResult r = resolve("x.test", {}).result;
    CHECK(r.outcome == DnsOutcome::error);
    CHECK(r.servers.empty());
  }
  SUBCASE("a server address that is not an IP") {
    const DnsResult r = resolve("x.test", {DnsServer{IpAddress{Family::v4, "nope"}, 53}}).result;
    CHECK(r.outcome == DnsOutcome::error);
    CHECK(r.servers[0].error.find("nope") != std::string::npos);
  }
}

TEST_CASE("many names at once in one loop, each with its own callback") {
  MockDns dns({{"a.test", {Reply::answer, {"10.0.0.1"}, {}}},
               {"b.test", {Reply::answer, {}, {"fd00::b"}}},
               {"c.test", {Reply::servfail, {}, {}}}});
  EventLoop loop;
  std::map<std::string, DnsResult> results;
  for (const char* name : {"a.test", "b.test", "c.test", "d.test"})
    loop.add(make_dns_task(name, {dns.server()}, 2s,
                           [&results](DnsResult r) { results[r.name] = std::move(r); }));
  CHECK(loop.run(Clock::now() + 10s));
  REQUIRE(results.size() == 4);
  CHECK(results["a.test"].outcome == DnsOutcome::ok);
  CHECK(texts(results["b.test"].addresses) == std::vector<std::string>{"fd00::b"});
  CHECK(results["c.test"].outcome == DnsOutcome::servfail);
  CHECK(results["d.test"].outcome == DnsOutcome::nxdomain);
}

TEST_CASE("hosts file lookups through CARES_HOSTS") {
  TempFile hosts(
      "# test hosts file\n"
      "127.0.0.1 localhost\n"
      "10.1.2.3  pinned.test alias.test\n"
      "fd00::5   pinned.test\n"
      "10.9.9.9  pinned.test\n"
      "fd00::6   v6only.test\n");
  ScopedEnv env("CARES_HOSTS", hosts.path());

  // Every matching line counts; IPv4 first, each family in file order.
  CHECK(texts(lookup_hosts_file("pinned.test").addresses) ==
        std::vector<std::string>{"10.1.2.3", "10.9.9.9", "fd00::5"});
  CHECK(texts(lookup_hosts_file("PINNED.test").addresses) ==
        std::vector<std::string>{"10.1.2.3", "10.9.9.9", "fd00::5"});
  CHECK(texts(lookup_hosts_file("alias.test").addresses) == std::vector<std::string>{"10.1.2.3"});
  CHECK(texts(lookup_hosts_file("v6only.test").addresses) == std::vector<std::string>{"fd00::6"});
  CHECK(lookup_hosts_file("absent.test").addresses.empty());
  CHECK(lookup_hosts_file("test").addresses.empty());
  // A literal is never "pinned".
  CHECK(lookup_hosts_file("10.1.2.3").addresses.empty());
}

TEST_CASE("a missing hosts file means no pinned address") {
  ScopedEnv env("CARES_HOSTS", "/nonexistent/netcheck-hosts");
  CHECK(lookup_hosts_file("pinned.test").addresses.empty());
}

TEST_CASE("resolver configuration as c-ares reads it") {
  SUBCASE("the system file: servers or an error, never a crash") {
    const SystemResolvers system = read_system_resolvers();
    CHECK((!system.servers.empty() || !system.error.empty()));
    for (const auto& s : system.servers) CHECK(parse_ip(s.address.text).has_value());
  }
  SUBCASE("servers of both families, in order, default port 53") {
    TempFile conf(
        "search example.internal\n"
        "nameserver 10.0.0.2\n"
        "nameserver fd00::2\n"
        "options timeout:2 attempts:5\n");
    const SystemResolvers r = read_resolvers_from(conf.path());
    CHECK(r.error.empty());
    REQUIRE(r.servers.size() == 2);
    CHECK(r.servers[0] == DnsServer{IpAddress{Family::v4, "10.0.0.2"}, 53});
    CHECK(r.servers[1] == DnsServer{IpAddress{Family::v6, "fd00::2"}, 53});
    CHECK(r.fallback_note.empty());
  }
  SUBCASE("no nameserver line: c-ares' (and glibc's) fallback 127.0.0.1") {
    TempFile conf("search example.internal\n");
    const SystemResolvers r = read_resolvers_from(conf.path());
    REQUIRE(r.servers.size() == 1);
    CHECK(r.servers[0].address.text == "127.0.0.1");
    CHECK(r.servers[0].port == 53);
    // c-ares does not say it fell back; the note does.
    CHECK(r.fallback_note.find("names no nameserver") != std::string::npos);
    CHECK(r.fallback_note.find("127.0.0.1") != std::string::npos);
  }
  SUBCASE("a missing file: the same fallback") {
    const SystemResolvers r = read_resolvers_from("/nonexistent/resolv.conf");
    REQUIRE(r.servers.size() == 1);
    CHECK(r.servers[0].address.text == "127.0.0.1");
    CHECK_FALSE(r.fallback_note.empty());
  }
}

}  // namespace
}  // namespace netcheck
