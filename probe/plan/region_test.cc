#include "probe/plan/region.h"

#include <doctest/doctest.h>

#include <map>

#include "tests/unit/fake_env.h"

namespace ssmreach {
namespace {

using testing::fake_env;

TEST_CASE("region names") {
  for (const char* good : {"us-east-1", "ap-northeast-2", "us-gov-west-1", "cn-north-1",
                           "us-isob-east-1", "eu-isoe-west-1", "il-central-1"})
    CHECK_MESSAGE(is_valid_region_name(good), good);
  for (const char* bad : {"", "us", "US-EAST-1", "us-east", "us--east-1", "-us-east-1",
                          "us-east-1-", "us east 1", "us-east-1;rm", "ssm.us-east-1"})
    CHECK_FALSE_MESSAGE(is_valid_region_name(bad), bad);
}

TEST_CASE("endpoint names follow the partition") {
  CHECK(service_host("ssm", "us-east-1") == "ssm.us-east-1.amazonaws.com");
  CHECK(service_host("ssmmessages", "cn-northwest-1") ==
        "ssmmessages.cn-northwest-1.amazonaws.com.cn");
  CHECK(service_host("ssm", "us-gov-west-1") == "ssm.us-gov-west-1.amazonaws.com");
  CHECK(service_host("ssm", "us-iso-east-1") == "ssm.us-iso-east-1.c2s.ic.gov");
  CHECK(service_host("ssm", "us-isob-east-1") == "ssm.us-isob-east-1.sc2s.sgov.gov");
  CHECK(service_host("ssm", "eu-isoe-west-1") == "ssm.eu-isoe-west-1.cloud.adc-e.uk");
  CHECK(service_host("ssm", "us-isof-south-1") == "ssm.us-isof-south-1.csp.hci.ic.gov");
}

TEST_CASE("region precedence: flag, AWS_REGION, AWS_DEFAULT_REGION") {
  auto env = fake_env({{"AWS_REGION", "eu-west-1"}, {"AWS_DEFAULT_REGION", "eu-west-2"}});
  std::string warning;
  auto r = region_from_flag_or_env(std::string("us-east-2"), env, &warning);
  CHECK(r.value == "us-east-2");
  CHECK(r.source == "--region");
  r = region_from_flag_or_env(std::nullopt, env, &warning);
  CHECK(r.value == "eu-west-1");
  CHECK(r.source == "AWS_REGION");
  r = region_from_flag_or_env(std::nullopt, fake_env({{"AWS_DEFAULT_REGION", "eu-west-2"}}),
                              &warning);
  CHECK(r.source == "AWS_DEFAULT_REGION");
  r = region_from_flag_or_env(std::nullopt, fake_env({{"AWS_REGION", ""}}), &warning);
  CHECK(r.empty());
}

TEST_CASE("a malformed AWS_REGION is ignored with a warning") {
  std::string warning;
  auto r = region_from_flag_or_env(
      std::nullopt, fake_env({{"AWS_REGION", "Frankfurt"}, {"AWS_DEFAULT_REGION", "eu-central-1"}}),
      &warning);
  CHECK(r.value == "eu-central-1");
  CHECK(warning.find("Frankfurt") != std::string::npos);
}

}  // namespace
}  // namespace ssmreach
