// Drives the real c-ares client code against a scripted DNS resolver on
// loopback (the approach of c-ares' own test/ mock server), served by a task
// in the client's own event loop: one thread, no locks.
#include "netcheck/dns.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "netcheck/event_loop.h"
#include "netcheck/unique_fd.h"
#include "tests/unit/mock_dns_server.h"
#include "tests/unit/scratch.h"

namespace netcheck {
namespace {

using testing::ScopedEnv;
using testing::TempFile;

using namespace std::chrono_literals;

using testing::MockDnsServer;
using testing::Reply;
using testing::Zone;

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

// A server to ask: a mock resolver, served in the client's own loop, or a
// bare address (a closed port, an invalid one).
struct Upstream {
  Upstream(MockDnsServer& served) : server(served.server()), mock(&served) {}  // NOLINT: implicit
  Upstream(DnsServer bare) : server(std::move(bare)) {}                        // NOLINT: implicit
  DnsServer server;
  MockDnsServer* mock = nullptr;
};

// Runs one DNS task, with every mock among `upstreams` served by a task in
// the same loop, until the task has called back (the mocks never finish).
Run resolve(const std::string& name, const std::vector<Upstream>& upstreams, Duration timeout = 2s,
            Duration loop_deadline = 10s) {
  Run run;
  EventLoop loop;
  std::vector<DnsServer> servers;
  std::vector<MockDnsServer*> serving;
  for (const Upstream& upstream : upstreams) {
    servers.push_back(upstream.server);
    if (upstream.mock && std::find(serving.begin(), serving.end(), upstream.mock) == serving.end())
      serving.push_back(upstream.mock);
  }
  for (MockDnsServer* mock : serving) loop.add(mock->task());
  const TimePoint start = Clock::now();
  loop.add(make_dns_task(name, std::move(servers), timeout, [&run](DnsResult result) {
    run.result = std::move(result);
    ++run.callbacks;
  }));
  run.loop_finished = loop.run(start + loop_deadline, [&run] { return run.callbacks > 0; });
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
  MockDnsServer dns(
      {{"ssm.test", {Reply::answer, {"10.0.0.7", "10.0.0.5"}, {"fd00::7", "fd00::5"}}}});
  const Run run = resolve("ssm.test", {dns});
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
  MockDnsServer dns({{"ssm.test", {Reply::answer, {"10.0.0.7"}, {}}}});
  const Run run = resolve("SSM.Test", {dns});
  CHECK(run.result.outcome == DnsOutcome::ok);
  CHECK(run.result.name == "SSM.Test");
}

TEST_CASE("A only: AAAA NODATA still makes the server ok") {
  MockDnsServer dns({{"v4only.test", {Reply::answer, {"10.1.1.1"}, {}}}});
  const DnsResult r = resolve("v4only.test", {dns}).result;
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
    MockDnsServer dns({{"name.test", {c.reply, {}, {}}}});
    const Run run = resolve("name.test", {dns}, 10s);
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
    // the timeout (10 s here: room for a loaded machine).
    CHECK(run.elapsed_ms < 5000);
  }
}

TEST_CASE("a truncated UDP reply is asked again over TCP, and the TCP answer counts") {
  MockDnsServer dns(
      {{"big.test",
        {Reply::truncated, {"10.0.0.1", "10.0.0.2", "10.0.0.3"}, {"fd00::1", "fd00::2"}}}});
  const Run run = resolve("big.test", {dns}, 10s);
  const DnsResult& r = run.result;
  CHECK(r.outcome == DnsOutcome::ok);
  // Every record, not only the first one the truncated datagram carried.
  CHECK(texts(r.addresses) ==
        std::vector<std::string>{"10.0.0.1", "10.0.0.2", "10.0.0.3", "fd00::1", "fd00::2"});
  REQUIRE(r.answered_by.has_value());
  CHECK(*r.answered_by == dns.server());
  CHECK(dns.tcp_queries_for("big.test") == 2);  // A and AAAA, once each
  CHECK(dns.queries_for("big.test") == 4);
  CHECK(run.elapsed_ms < 5000);  // asked again at once, not after the 10 s timeout
}

TEST_CASE("a truncated UDP reply with TCP refused is reported as unreachable") {
  // c-ares asks again over TCP at once; the refused connection ends the
  // query with ARES_ECONNREFUSED, the same words as a closed UDP port.
  MockDnsServer dns({{"big.test", {Reply::truncated, {"10.0.0.1", "10.0.0.2"}, {}}}}, Family::v4,
                    MockDnsServer::Tcp::closed);
  const Run run = resolve("big.test", {dns}, 10s);
  const DnsResult& r = run.result;
  CHECK(r.outcome == DnsOutcome::unreachable);
  CHECK(r.addresses.empty());  // not the truncated datagram's first record
  CHECK(r.servers[0].outcome_a == DnsOutcome::unreachable);
  CHECK(r.servers[0].outcome_aaaa == DnsOutcome::unreachable);
  CHECK(r.servers[0].error == ares_strerror(ARES_ECONNREFUSED));
  CHECK_FALSE(r.answered_by.has_value());
  CHECK(dns.queries_for("big.test") == 2);
  CHECK(dns.tcp_queries_for("big.test") == 0);
  CHECK(run.elapsed_ms < 5000);  // refused at once, not the 10 s timeout
}

TEST_CASE("malformed replies") {
  SUBCASE("garbage is dropped by c-ares: the query is retried, then times out") {
    MockDnsServer dns({{"junk.test", {Reply::garbage, {"10.0.0.1"}, {"fd00::1"}}}});
    const Run run = resolve("junk.test", {dns}, 600ms);
    const DnsResult& r = run.result;
    CHECK(run.loop_finished);
    CHECK(r.outcome == DnsOutcome::timeout);
    CHECK(r.servers[0].outcome_a == DnsOutcome::timeout);
    CHECK(r.servers[0].outcome_aaaa == DnsOutcome::timeout);
    CHECK_FALSE(r.answered_by.has_value());
    CHECK(r.ms >= 0.8 * 600);
    // A reply that does not repeat the question is not an answer: each of A
    // and AAAA was sent again, as if nothing had come back.
    CHECK(dns.queries_for("junk.test") == 4);
  }
  SUBCASE("an answer section cut short is an error with c-ares' words, at once") {
    MockDnsServer dns({{"cut.test", {Reply::cut, {"10.0.0.1", "10.0.0.2"}, {"fd00::1"}}}});
    const Run run = resolve("cut.test", {dns}, 10s);
    const DnsResult& r = run.result;
    CHECK(r.outcome == DnsOutcome::error);
    CHECK(r.addresses.empty());  // not the records before the cut either
    CHECK(r.servers[0].outcome_a == DnsOutcome::error);
    CHECK(r.servers[0].outcome_aaaa == DnsOutcome::error);
    CHECK(r.servers[0].error == ares_strerror(ARES_EBADRESP));
    REQUIRE(r.answered_by.has_value());  // the server did answer, badly
    CHECK(*r.answered_by == dns.server());
    CHECK(dns.queries_for("cut.test") == 2);  // not retried
    CHECK(run.elapsed_ms < 5000);             // not the 10 s timeout
  }
  SUBCASE("a misformatted answer moves on to the next server") {
    MockDnsServer broken({{"cut.test", {Reply::cut, {"10.0.0.1"}, {"fd00::1"}}}});
    MockDnsServer good({{"cut.test", {Reply::answer, {"10.0.0.9"}, {}}}});
    const DnsResult r = resolve("cut.test", {broken, good}).result;
    CHECK(r.outcome == DnsOutcome::ok);
    REQUIRE(r.answered_by.has_value());
    CHECK(*r.answered_by == good.server());
    CHECK(r.servers[0].outcome == DnsOutcome::error);
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
    MockDnsServer dns({{"mixed.test", c.zone}});
    const DnsResult r = resolve("mixed.test", {dns}).result;
    CHECK(r.outcome == c.combined);
    CHECK(r.servers[0].outcome == c.combined);
  }
}

TEST_CASE("a silent resolver times out at the cap, retried once, whatever RES_OPTIONS says") {
  // Amazon Linux ships "options timeout:2 attempts:5"; c-ares honours
  // RES_OPTIONS like resolv.conf. Uncapped that would be 10 s per query.
  ScopedEnv options("RES_OPTIONS", "timeout:5 attempts:5");
  MockDnsServer dns({{"quiet.test", {Reply::silence, {}, {}}}});
  const Run run = resolve("quiet.test", {dns}, 600ms);
  const DnsResult& r = run.result;
  CHECK(run.loop_finished);  // the task ended by itself, not by the loop deadline
  CHECK(r.outcome == DnsOutcome::timeout);
  CHECK_FALSE(r.answered_by.has_value());
  CHECK(r.servers[0].outcome_a == DnsOutcome::timeout);
  CHECK(r.servers[0].outcome_aaaa == DnsOutcome::timeout);
  CHECK_FALSE(r.servers[0].error.empty());
  CHECK(run.elapsed_ms < 5000);  // structural: the cap, not c-ares' 25 s schedule
  CHECK(r.ms >= 0.8 * 600);      // and it did not give up early either
  // Each of A and AAAA was sent twice: the second try after a third of the
  // timeout covers one lost datagram.
  CHECK(dns.queries_for("quiet.test") == 4);
}

TEST_CASE("a closed resolver port is reported as unreachable (ICMP port unreachable)") {
  const DnsServer closed = closed_port_server();
  const Run run = resolve("any.test", {closed}, 10s);
  const DnsResult& r = run.result;
  // On Linux loopback the ICMP error arrives at once on c-ares' connected UDP
  // socket as ECONNREFUSED; it must not be waited out as a timeout.
  CHECK(r.outcome == DnsOutcome::unreachable);
  CHECK(r.servers[0].outcome == DnsOutcome::unreachable);
  CHECK_FALSE(r.answered_by.has_value());
  CHECK(run.elapsed_ms < 5000);  // at once, not the 10 s timeout
}

TEST_CASE("an IPv6 resolver is asked over IPv6") {
  MockDnsServer dns({{"six.test", {Reply::answer, {"10.6.6.6"}, {"fd00::6"}}}}, Family::v6);
  CHECK(dns.server().text() == "[::1]:" + std::to_string(dns.server().port));
  const DnsResult r = resolve("six.test", {dns}).result;
  CHECK(r.outcome == DnsOutcome::ok);
  CHECK(texts(r.addresses) == std::vector<std::string>{"10.6.6.6", "fd00::6"});
  CHECK(dns.queries_for("six.test") == 2);
}

TEST_CASE("stub order: a silent first server yields to the second once it times out") {
  MockDnsServer silent({{"ssm.test", {Reply::silence, {}, {}}}});
  MockDnsServer good({{"ssm.test", {Reply::answer, {"10.0.0.9"}, {}}}});
  const Run run = resolve("ssm.test", {silent, good}, 400ms);
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
  MockDnsServer failing({{"ssm.test", {Reply::servfail, {}, {}}}});
  MockDnsServer refusing({{"ssm.test", {Reply::refused, {}, {}}}});
  MockDnsServer good({{"ssm.test", {Reply::answer, {"10.0.0.9"}, {"fd00::9"}}}});
  const DnsResult r = resolve("ssm.test", {failing, refusing, good}).result;
  CHECK(r.outcome == DnsOutcome::ok);
  REQUIRE(r.answered_by.has_value());
  CHECK(*r.answered_by == good.server());
  CHECK(r.servers[0].outcome == DnsOutcome::servfail);
  CHECK(r.servers[1].outcome == DnsOutcome::refused);
  CHECK(r.servers[2].outcome == DnsOutcome::ok);
}

TEST_CASE("stub order: the first server's NXDOMAIN is final") {
  MockDnsServer first({});  // knows no name: NXDOMAIN
  MockDnsServer second({{"gone.test", {Reply::answer, {"10.0.0.1"}, {}}}});
  const DnsResult r = resolve("gone.test", {first, second}).result;
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
  MockDnsServer good({{"ssm.test", {Reply::answer, {"10.0.0.9"}, {}}}});
  MockDnsServer silent({{"ssm.test", {Reply::silence, {}, {}}}});
  const Run run = resolve("ssm.test", {good, silent}, 20s);
  const DnsResult& r = run.result;
  CHECK(r.outcome == DnsOutcome::ok);
  CHECK(*r.answered_by == good.server());
  CHECK(r.servers[1].outcome == DnsOutcome::skipped);
  CHECK(r.servers[1].outcome_a == DnsOutcome::skipped);
  CHECK(r.servers[1].error.empty());
  CHECK(run.elapsed_ms < 5000);  // structural: far below the 20 s timeout
}

TEST_CASE("when every server fails, the most telling failure is reported") {
  SUBCASE("SERVFAIL over silence, naming the server") {
    MockDnsServer silent({{"x.test", {Reply::silence, {}, {}}}});
    MockDnsServer failing({{"x.test", {Reply::servfail, {}, {}}}});
    const DnsResult r = resolve("x.test", {silent, failing}, 300ms).result;
    CHECK(r.outcome == DnsOutcome::servfail);
    REQUIRE(r.answered_by.has_value());
    CHECK(*r.answered_by == failing.server());
    CHECK(r.servers[0].outcome == DnsOutcome::timeout);
  }
  SUBCASE("unreachable only when every server is") {
    const DnsResult both = resolve("x.test", {closed_port_server(), closed_port_server()}).result;
    CHECK(both.outcome == DnsOutcome::unreachable);
    MockDnsServer silent({{"x.test", {Reply::silence, {}, {}}}});
    const DnsResult mixed = resolve("x.test", {closed_port_server(), silent}, 300ms).result;
    CHECK(mixed.outcome == DnsOutcome::timeout);
    CHECK_FALSE(mixed.answered_by.has_value());
    CHECK(mixed.servers[0].outcome == DnsOutcome::unreachable);
  }
}

TEST_CASE("the loop deadline abandons the task: one callback, reporting a timeout") {
  MockDnsServer silent({{"slow.test", {Reply::silence, {}, {}}}});
  MockDnsServer good({{"slow.test", {Reply::answer, {"10.3.3.3"}, {}}}});
  const Run run = resolve("slow.test", {silent, good}, 10s, 300ms);
  CHECK_FALSE(run.loop_finished);
  CHECK(run.elapsed_ms < 5000);  // the 300 ms loop deadline, not the 10 s timeout
  // The first server never answered; the second one's answer stands.
  CHECK(run.result.servers[0].outcome == DnsOutcome::timeout);
  CHECK(run.result.outcome == DnsOutcome::ok);
  CHECK(*run.result.answered_by == good.server());
}

TEST_CASE("local failures are errors with c-ares' words") {
  MockDnsServer dns({});
  SUBCASE("a malformed name") {
    const DnsResult r = resolve("bad..name", {dns}).result;
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
  MockDnsServer dns({{"a.test", {Reply::answer, {"10.0.0.1"}, {}}},
                     {"b.test", {Reply::answer, {}, {"fd00::b"}}},
                     {"c.test", {Reply::servfail, {}, {}}}});
  EventLoop loop;
  loop.add(dns.task());
  std::map<std::string, DnsResult> results;
  for (const char* name : {"a.test", "b.test", "c.test", "d.test"})
    loop.add(make_dns_task(name, {dns.server()}, 2s,
                           [&results](DnsResult r) { results[r.name] = std::move(r); }));
  CHECK(loop.run(Clock::now() + 10s, [&results] { return results.size() == 4; }));
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
