#include "probe/gather/boot_wait.h"

#include <doctest/doctest.h>

namespace ssmreach {

TEST_CASE("a default route in /proc/net/route") {
  const char* header =
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";
  CHECK(has_default_route(std::string(header) +
                          "eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
                          "eth0\t0000000A\t00000000\t0001\t0\t0\t100\t0000FFFF\t0\t0\t0\n"));
  SUBCASE("only a subnet route: no default") {
    CHECK_FALSE(has_default_route(
        std::string(header) + "eth0\t0000000A\t00000000\t0001\t0\t0\t100\t0000FFFF\t0\t0\t0\n"));
  }
  SUBCASE("a default route that is not up") {
    CHECK_FALSE(has_default_route(
        std::string(header) + "eth0\t00000000\t0100000A\t0002\t0\t0\t100\t00000000\t0\t0\t0\n"));
  }
  SUBCASE("empty or garbage") {
    CHECK_FALSE(has_default_route(""));
    CHECK_FALSE(has_default_route(std::string(header) + "garbage\n"));
  }
}

TEST_CASE("boot wait: gives up at the bound, saying what it waited for") {
  ImdsSettings imds;
  // A closed loopback port: refused at once, every retry.
  imds.endpoint = "http://127.0.0.1:9";
  const auto result = wait_for_boot(imds, std::chrono::milliseconds(1500));
  CHECK(result.gave_up);
  CHECK(result.waited_s >= 1.4);
  CHECK(result.waited_s < 10.0);  // the bound, not forever: room for a loaded machine
  const std::string text = describe(result, 1.5);
  CHECK(text.find("gave up waiting for") != std::string::npos);
  CHECK(text.find("checking anyway") != std::string::npos);
}

TEST_CASE("boot wait: without IMDS only the network counts") {
  ImdsSettings imds;
  imds.enabled = false;
  const auto result = wait_for_boot(imds, std::chrono::milliseconds(300));
  // The test machine has a network (a route or an address) or not: either
  // way the wait is bounded and says which.
  CHECK(result.waited_s < 10.0);
  CHECK(result.gave_up == !result.network_up);
  CHECK_FALSE(result.imds_answered);
}

}  // namespace ssmreach
