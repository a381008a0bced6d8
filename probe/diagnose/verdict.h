// The diagnosis of a run: per target status, failed layer, cause and advice,
// and everything the renderers need to show it (the table's cells, the IMDS
// summary, findings grouped by root cause), so report code only formats.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "netcheck/http.h"
#include "probe/diagnose/cause.h"
#include "probe/diagnose/status.h"

namespace ssmreach {

// The layer of a cause, when there is one: the failed layer.
inline std::optional<Layer> layer_of(const std::optional<Cause>& cause) {
  return cause ? std::optional<Layer>(layer_of(*cause)) : std::nullopt;
}

// What one layer showed, as one cell of the text report's table: the
// diagnosis judges (an untrusted chain, a missing IMDSv2 token), the
// renderer only picks the word.
enum class CellStatus {
  none,              // not checked, or not on this path: "-"
  ok,                // passed; Cell::value or Cell::ms says how
  hosts,             // DNS: /etc/hosts answered
  no_answer,         // DNS: no lookup result at all
  nxdomain,          // DNS
  no_data,           // DNS: the name exists, without an address
  servfail,          // DNS
  refused,           // DNS or TCP
  timeout,           // any layer
  unreachable,       // DNS or TCP: no route
  error,             // any layer
  no_token,          // IMDS answered, but gave no IMDSv2 token
  proxy_failed,      // the proxy itself could not be used
  proxy_connect,     // CONNECT not answered with a tunnel (value: its status)
  protocol,          // TLS: no TLS 1.2+ spoken
  closed,            // TLS: closed during the handshake
  untrusted,         // TLS: certificate from an untrusted issuer
  name_mismatch,     // TLS: certificate for another name
  expired,           // TLS
  not_yet_valid,     // TLS
  verify_failed,     // TLS: certificate rejected otherwise
  handshake_failed,  // TLS through a proxy: failed, no verify result
};

struct Cell {
  CellStatus status = CellStatus::none;
  std::string value{};         // "TLSv1.3", an HTTP or CONNECT status: what the cell shows
  std::optional<double> ms{};  // a passed TCP connect: its time
};

// The RESULT cell of one address's row.
struct RowResult {
  enum class Kind {
    status,    // `status`
    no_route,  // an IPv6 address without a route, harmless here
    not_used,  // direct, but the agent goes through the proxy
  };
  Kind kind = Kind::status;
  Status status = Status::unknown;
};

// What the diagnosis concluded about one address of a target.
struct AddressVerdict {
  std::string ip;
  std::string address_class;   // vpc, private, public, loopback, link-local
  bool usable = false;         // every layer checked passed
  std::optional<Cause> cause;  // tcp.timeout; its layer is the failed layer
  std::string detail;          // "TCP 443 timed out after 3.0 s"
  // Fails, but harmlessly: an IPv6 address this instance has no route for,
  // while IPv4 addresses of the same target work. Not counted as failing.
  bool ignored = false;
  // The table's cells of this address's row.
  Cell tcp{};
  Cell tls{};
  Cell http{};
  RowResult result{};

  std::optional<Layer> failed_layer() const { return layer_of(cause); }
};

// The path through the proxy, as the table's "via proxy" row.
struct ProxyRow {
  Cell tcp{};  // CONNECT
  Cell tls{};
  Cell http{};
};

struct TargetVerdict {
  std::string service;
  std::string host;
  std::uint16_t port = 443;
  bool required = true;
  Status status = Status::ok;
  std::optional<Cause> cause;  // its layer is the failed layer ("dns", "tcp", ...)
  std::string headline;        // one line: "TCP 443 to 10.40.1.11 timed out (3.0 s)."
  std::string explanation;     // one or two plain sentences: what failed, why
  std::string impact;          // what breaks for the user
  std::string remedy;          // what to change; commands on their own lines
  std::vector<AddressVerdict> addresses;
  Cell dns{};                           // the table's DNS cell
  std::optional<ProxyRow> proxy_row{};  // when the agent goes through a proxy
  // Targets with equal keys fail for the same root cause and take the same
  // remedy, up to their own service name and addresses: they are told as one
  // finding. Empty for a target without a finding (ok, skipped).
  std::string problem_key{};

  std::optional<Layer> failed_layer() const { return layer_of(cause); }
};

// IMDS's requests summed up once: the IMDS diagnosis, the table's IMDS row
// and the JSON's IMDS target read this, and nothing else walks the calls.
struct ImdsSummary {
  std::string ip{};             // the endpoint's host, "169.254.169.254"
  std::string address_class{};  // "link-local"; "unknown" when the host is a name
  bool answered = false;        // some request got an HTTP answer: this is EC2
  bool token_ok = false;        // the IMDSv2 token came
  bool get_answered = false;    // some GET got an HTTP answer
  bool get_ok = false;          // some GET got 200
  std::size_t gets = 0;         // GET requests made
  // Indexes into the evidence's calls: the first PUT (the token) and GET.
  std::optional<std::size_t> first_put{};
  std::optional<std::size_t> first_get{};
  // The first request: how it ended and how long it took.
  std::optional<netcheck::HttpOutcome> first_outcome{};
  double first_ms = 0;
  // The table's cells: TCP (what the connections showed) and HTTP (200
  // when anything worked, else the first answer's status).
  Cell tcp{};
  Cell http{};
};

// One finding as the text report tells it: one root cause and one remedy,
// for every target it hits. The JSON keeps one finding per target.
struct Problem {
  std::vector<std::string> services{};  // "ssm", "ssmmessages": the targets it hits
  Status status = Status::unknown;
  std::optional<Cause> cause{};
  std::string headline{};
  std::string explanation{};
  std::string impact{};
  // Prose and "$ " command lines, as TargetVerdict::remedy; a command that
  // differs only by service runs once per service in a `for s in ...` loop.
  std::string remedy{};
};

struct Verdict {
  Status status = Status::ok;
  // The instance metadata service, a required target of its own on EC2 (the
  // agent takes its region and credentials from it); absent when not asked.
  std::optional<TargetVerdict> imds;
  std::vector<TargetVerdict> targets;
  std::vector<std::string> notes;  // run-wide remarks (clock suspect, IMDS, ...)
  // The service's clock minus this instance's (median over the HTTP Date
  // headers seen), in seconds; absent when no endpoint answered.
  std::optional<double> clock_offset_s;
  // When IMDS was asked.
  std::optional<ImdsSummary> imds_summary{};
  // The findings by root cause, what to fix first first (IMDS, then the
  // targets' order): what the text report's blocks say.
  std::vector<Problem> problems{};
  // One line before the details: "3 of 3 services blocked: no interface
  // endpoints and no NAT". Empty when nothing is wrong.
  std::string summary{};
};

// SigV4 rejects requests whose time is more than 5 minutes off.
constexpr double kMaxClockSkewSeconds = 300;

inline bool clock_skewed(const std::optional<double>& offset_s) {
  return offset_s && (*offset_s > kMaxClockSkewSeconds || *offset_s < -kMaxClockSkewSeconds);
}

}  // namespace ssmreach
