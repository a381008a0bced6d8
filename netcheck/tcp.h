// TCP evidence: one non-blocking connect to one address.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "netcheck/clock.h"
#include "netcheck/endpoint.h"
#include "netcheck/event_loop.h"
#include "netcheck/unique_fd.h"

namespace netcheck {

enum class TcpOutcome {
  ok,
  timeout,      // no SYN-ACK in time (silent drop)
  refused,      // RST (ECONNREFUSED)
  unreachable,  // EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL, EPERM, EACCES
  error,        // any other errno
};

const char* to_string(TcpOutcome outcome);

struct TcpResult {
  IpAddress address;
  std::uint16_t port = 0;
  TcpOutcome outcome = TcpOutcome::error;
  std::string errno_name;  // "ECONNREFUSED", "" when ok or timed out
  double ms = 0;
};

// On success `socket` is the connected, non-blocking socket (invalid otherwise).
using TcpCallback = std::function<void(TcpResult, UniqueFd socket)>;

std::unique_ptr<Task> make_tcp_task(IpAddress address, std::uint16_t port, Duration timeout,
                                    TcpCallback on_done);

// "ECONNREFUSED" for ECONNREFUSED; "errno 123" for numbers it does not know.
std::string errno_name(int err);

}  // namespace netcheck
