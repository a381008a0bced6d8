// DNS evidence gathered with c-ares: what each resolver answered for a name.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "netcheck/clock.h"
#include "netcheck/endpoint.h"
#include "netcheck/event_loop.h"

namespace netcheck {

enum class DnsOutcome {
  ok,           // at least one A or AAAA address
  nxdomain,     // the name does not exist (NXDOMAIN)
  no_address,   // the name exists but has no A/AAAA record (NODATA)
  servfail,     // SERVFAIL
  refused,      // REFUSED
  timeout,      // no answer in time
  unreachable,  // the resolver's port is closed or unreachable (ICMP)
  skipped,      // not asked: an earlier resolver already answered
  error,        // anything else (malformed answer, local failure)
};

const char* to_string(DnsOutcome outcome);

// The resolver to ask: an IP literal and a port.
struct DnsServer {
  IpAddress address;
  std::uint16_t port = 53;
  std::string text() const { return format_host_port(address.text, port); }
  friend bool operator==(const DnsServer&, const DnsServer&) = default;
};

// Servers from /etc/resolv.conf as c-ares reads them (in order; c-ares 1.18
// also honours LOCALDOMAIN and RES_OPTIONS). When the file names no server or
// cannot be read, c-ares falls back to 127.0.0.1, as glibc does; that is what
// a stub resolver would ask, so it is reported as is. An empty vector with
// `error` set when c-ares cannot initialise or reports no server at all.
struct SystemResolvers {
  std::vector<DnsServer> servers;
  std::string error;
  // Set when the file names no nameserver (or cannot be read) and `servers`
  // is only the library's fallback: the report must say so.
  std::string fallback_note;
};
SystemResolvers read_system_resolvers();

// The same, from a resolv.conf-format file at `path` (tests, and a future
// option to inspect another file).
SystemResolvers read_resolvers_from(const std::string& path);

// What one resolver answered for one name (A and AAAA asked concurrently).
struct ServerAnswer {
  DnsServer server;
  DnsOutcome outcome = DnsOutcome::skipped;  // combined over A and AAAA
  DnsOutcome outcome_a = DnsOutcome::skipped;
  DnsOutcome outcome_aaaa = DnsOutcome::skipped;
  std::vector<IpAddress> addresses;  // A first, then AAAA, answer order
  std::string error;                 // c-ares' words, when not ok
  double ms = 0;                     // time to the last of the two answers
};

// The answer a stub resolver would act on, plus every resolver's own answer.
struct DnsResult {
  std::string name;
  DnsOutcome outcome = DnsOutcome::error;
  std::vector<IpAddress> addresses;      // of the effective answer
  std::optional<DnsServer> answered_by;  // server of the effective answer
  std::vector<ServerAnswer> servers;     // one per server, in config order
  double ms = 0;                         // until the effective answer
};

// Addresses that the hosts file (/etc/hosts, as c-ares reads it) pins for a
// name: every matching line, IPv4 first, each family in file order; empty
// when the name is not there (or is an IP literal). c-ares reads $CARES_HOSTS
// instead when it is set (tests use it), and like glibc answers "localhost"
// with loopback addresses even when the file does not list it.
struct HostsAnswer {
  std::vector<IpAddress> addresses;
};
HostsAnswer lookup_hosts_file(const std::string& name);

using DnsCallback = std::function<void(DnsResult)>;

// A task that asks every server for A and AAAA of `name`, each query capped
// at `timeout` whatever resolv.conf's timeout/attempts say. The effective
// answer follows stub-resolver order: the first server (in order) with a
// definitive answer (ok, nxdomain, no_address) wins once every server before
// it has failed; SERVFAIL/REFUSED/timeouts move on to the next server. The
// task completes as soon as the effective answer is known; servers not yet
// needed are recorded as `skipped`. `servers` must not be empty.
std::unique_ptr<Task> make_dns_task(std::string name, std::vector<DnsServer> servers,
                                    Duration timeout, DnsCallback on_done);

}  // namespace netcheck
