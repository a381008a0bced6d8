#include "probe/plan/plan.h"

#include <doctest/doctest.h>

namespace ssmreach {
namespace {

TEST_CASE("default plan: the agent's three services, required, port 443") {
  auto targets = plan_targets(PlanRequest{}, "ap-northeast-2");
  REQUIRE(targets.size() == 3);
  CHECK(targets[0].service == "ssm");
  CHECK(targets[1].host == "ssmmessages.ap-northeast-2.amazonaws.com");
  CHECK(targets[2].service == "ec2messages");
  for (const auto& t : targets) {
    CHECK(t.required);
    CHECK(t.port == 443);
    CHECK(t.host_source == "default");
  }
}

TEST_CASE("extras are optional, --endpoint overrides host and port") {
  PlanRequest o;
  o.services = {"ssm", "s3"};
  o.endpoints.push_back({"ssm", {"10.1.2.3", 8443}});
  o.endpoints.push_back({"kms", {"kms.example", 443}});  // not planned: ignored
  auto targets = plan_targets(o, "cn-north-1");
  REQUIRE(targets.size() == 2);
  CHECK(targets[0].host == "10.1.2.3");
  CHECK(targets[0].port == 8443);
  CHECK(targets[0].host_source == "--endpoint");
  CHECK(targets[0].required);
  CHECK(targets[1].host == "s3.cn-north-1.amazonaws.com.cn");
  CHECK_FALSE(targets[1].required);
}

}  // namespace
}  // namespace ssmreach
