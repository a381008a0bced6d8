#include "probe/gather/boot_wait.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <thread>

#include "netcheck/event_loop.h"
#include "netcheck/http.h"
#include "probe/util/text_util.h"

namespace ssmreach {

namespace {

struct IfaddrsFree {
  void operator()(ifaddrs* list) const { freeifaddrs(list); }
};

bool usable_address(const sockaddr* address) {
  if (!address) return false;
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    return (ntohl(v4->sin_addr.s_addr) >> 24) != 127;
  }
  if (address->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    return !IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr) && !IN6_IS_ADDR_LINKLOCAL(&v6->sin6_addr);
  }
  return false;
}

// One token PUT, as the agent's first IMDS call; true on any HTTP answer.
bool imds_answers(const ImdsSettings& imds, netcheck::Duration timeout) {
  netcheck::HttpRequest request;
  request.method = "PUT";
  request.url = imds.endpoint + "/latest/api/token";
  request.headers = {"X-aws-ec2-metadata-token-ttl-seconds: 60"};
  request.timeout = timeout;
  request.max_body = 0;  // the token: not even buffered
  bool answered = false;
  netcheck::EventLoop loop;
  loop.add(
      netcheck::make_http_task(std::move(request), [&](const netcheck::HttpResponse& response) {
        answered = response.outcome == netcheck::HttpOutcome::ok;
      }));
  loop.run(netcheck::Clock::now() + timeout + std::chrono::milliseconds(200));
  return answered;
}

}  // namespace

bool has_default_route(std::string_view proc_net_route) {
  std::istringstream lines{std::string(proc_net_route)};
  std::string line;
  std::getline(lines, line);  // the header
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string iface, destination, gateway, mask;
    unsigned flags = 0;
    std::string refcnt, use, metric;
    if (!(fields >> iface >> destination >> gateway >> std::hex >> flags >> std::dec >> refcnt >>
          use >> metric >> mask))
      continue;
    if (destination == "00000000" && mask == "00000000" && (flags & RTF_UP) != 0) return true;
  }
  return false;
}

bool network_is_up() {
  std::ifstream route("/proc/net/route");
  std::string text((std::istreambuf_iterator<char>(route)), std::istreambuf_iterator<char>());
  if (has_default_route(text)) return true;
  ifaddrs* raw = nullptr;
  if (getifaddrs(&raw) != 0) return false;
  std::unique_ptr<ifaddrs, IfaddrsFree> list(raw);
  for (const ifaddrs* a = list.get(); a; a = a->ifa_next) {
    if ((a->ifa_flags & IFF_UP) != 0 && usable_address(a->ifa_addr)) return true;
  }
  return false;
}

BootWaitResult wait_for_boot(const ImdsSettings& imds, netcheck::Duration bound) {
  using namespace std::chrono_literals;
  const auto started = netcheck::Clock::now();
  const auto deadline = started + bound;
  BootWaitResult result;
  while (true) {
    const auto attempt = netcheck::Clock::now();
    result.network_up = result.network_up || network_is_up();
    if (result.network_up && imds.enabled) {
      const auto left = std::chrono::duration_cast<netcheck::Duration>(deadline - attempt);
      result.imds_answered = imds_answers(imds, std::clamp<netcheck::Duration>(left, 100ms, 1s));
    }
    if (result.network_up && (result.imds_answered || !imds.enabled)) break;
    const auto now = netcheck::Clock::now();
    if (now >= deadline) {
      result.gave_up = true;
      // Short: the console line must fit 80 columns.
      result.waiting_for = !result.network_up ? "the network" : "IMDS";
      break;
    }
    // Every second, never past the bound.
    std::this_thread::sleep_until(std::min<netcheck::TimePoint>(attempt + 1s, deadline));
  }
  result.waited_s = netcheck::ms_between(started, netcheck::Clock::now()) / 1000.0;
  return result;
}

std::string describe(const BootWaitResult& result, double bound_s) {
  if (result.gave_up)
    return "gave up waiting for " + result.waiting_for + " after " + seconds_text(bound_s * 1000) +
           "; checking anyway";
  return std::string(result.imds_answered ? "network and IMDS" : "network") + " ready after " +
         seconds_text(result.waited_s * 1000);
}

}  // namespace ssmreach
