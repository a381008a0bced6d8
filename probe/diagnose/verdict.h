// The diagnosis of a run: per target status, failed layer, cause and advice.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "probe/diagnose/cause.h"
#include "probe/diagnose/status.h"

namespace ssmreach {

// The layer of a cause, when there is one: the failed layer.
inline std::optional<Layer> layer_of(const std::optional<Cause>& cause) {
  return cause ? std::optional<Layer>(layer_of(*cause)) : std::nullopt;
}

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

  std::optional<Layer> failed_layer() const { return layer_of(cause); }
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

  std::optional<Layer> failed_layer() const { return layer_of(cause); }
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
};

// SigV4 rejects requests whose time is more than 5 minutes off.
constexpr double kMaxClockSkewSeconds = 300;

inline bool clock_skewed(const std::optional<double>& offset_s) {
  return offset_s && (*offset_s > kMaxClockSkewSeconds || *offset_s < -kMaxClockSkewSeconds);
}

}  // namespace ssmreach
