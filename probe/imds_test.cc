#include "probe/imds.h"

#include <doctest/doctest.h>

#include <map>

#include "tests/unit/fake_env.h"
#include "tests/unit/loopback_http_server.h"

namespace ssmreach {
namespace {

using testing::fake_env;

constexpr const char* kToken = "AQAEAFAKE-IMDS-TOKEN==";

// A fake IMDSv2: the token PUT answers per `token_mode`, GETs need the token
// unless `allow_v1`.
testing::Handler imds_handler(const std::string& token_mode, bool allow_v1) {
  return [=](const testing::SeenRequest& r) -> std::optional<std::string> {
    if (r.method == "PUT" && r.path == "/latest/api/token") {
      if (token_mode == "silent") return std::nullopt;
      if (token_mode == "forbidden") return testing::http_response(403, "");
      if (r.head.find("X-aws-ec2-metadata-token-ttl-seconds:") == std::string::npos)
        return testing::http_response(400, "");
      return testing::http_response(200, kToken);
    }
    bool has_token =
        r.head.find(std::string("X-aws-ec2-metadata-token: ") + kToken) != std::string::npos;
    if (!has_token && !allow_v1) return testing::http_response(401, "");
    if (r.path == "/latest/meta-data/placement/region")
      return testing::http_response(200, "ap-northeast-2");
    if (r.path == "/latest/meta-data/instance-id") return testing::http_response(200, "i-0abc1234");
    if (r.path == "/latest/dynamic/instance-identity/document")
      return testing::http_response(200,
                                    R"({"accountId":"123456789012","region":"ap-northeast-2"})");
    if (r.path == "/latest/meta-data/mac") return testing::http_response(200, "0a:1b:2c:3d:4e:5f");
    const std::string macs = "/latest/meta-data/network/interfaces/macs/0a:1b:2c:3d:4e:5f/";
    if (r.path == macs + "vpc-id") return testing::http_response(200, "vpc-0abc");
    if (r.path == macs + "vpc-ipv4-cidr-blocks")
      return testing::http_response(200, "10.40.0.0/16\n100.64.0.0/16");
    return testing::http_response(404, "");
  };
}

ImdsEvidence converse(const std::string& url, netcheck::Duration timeout) {
  ImdsSettings settings;
  settings.endpoint = url;
  settings.timeout = timeout;
  netcheck::EventLoop loop;
  ImdsEvidence evidence;
  bool done = false;
  start_imds(loop, settings, &evidence, [&] { done = true; });
  loop.run(netcheck::Clock::now() + std::chrono::seconds(5));
  REQUIRE(done);
  return evidence;
}

std::string everything_recorded(const ImdsEvidence& e) {
  std::string all = e.endpoint;
  for (const auto& c : e.calls) all += c.path + c.error;
  for (const auto& [k, v] : e.facts) all += k + v;
  return all;
}

TEST_CASE("IMDS settings: flags beat environment; disabled by env") {
  Options o;
  auto s = imds_settings(o, fake_env({}));
  CHECK(s.enabled);
  CHECK(s.endpoint == "http://169.254.169.254");
  s = imds_settings(o,
                    fake_env({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://[fd00:ec2::254]/"}}));
  CHECK(s.endpoint == "http://[fd00:ec2::254]");
  o.imds_endpoint = "http://127.0.0.1:9";
  CHECK(imds_settings(o, fake_env({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://x"}})).endpoint ==
        "http://127.0.0.1:9");
  s = imds_settings(Options{}, fake_env({{"AWS_EC2_METADATA_DISABLED", "TRUE"}}));
  CHECK_FALSE(s.enabled);
  CHECK(s.skipped_by == "AWS_EC2_METADATA_DISABLED");
  Options off;
  off.no_imds = true;
  CHECK(imds_settings(off, fake_env({})).skipped_by == "--no-imds");
  off.timeout_s = 0.2;
  CHECK(imds_settings(off, fake_env({})).timeout == netcheck::seconds(0.2));
}

TEST_CASE("IMDSv2: token, then GETs with it; the token is never recorded") {
  testing::LoopbackHttpServer imds(imds_handler("ok", false));
  auto e = converse(imds.url(), std::chrono::seconds(1));
  CHECK(e.attempted);
  CHECK(e.token_ok);
  CHECK_FALSE(e.v1_used);
  CHECK(e.facts["meta-data/placement/region"] == "ap-northeast-2");
  CHECK(e.facts["meta-data/instance-id"] == "i-0abc1234");
  CHECK(e.facts["account-id"] == "123456789012");
  // The MAC leads to the primary interface's VPC facts.
  const std::string macs = "meta-data/network/interfaces/macs/0a:1b:2c:3d:4e:5f/";
  CHECK(e.facts[macs + "vpc-id"] == "vpc-0abc");
  CHECK(e.facts[macs + "vpc-ipv4-cidr-blocks"] == "10.40.0.0/16\n100.64.0.0/16");
  CHECK_FALSE(e.facts.contains(macs + "subnet-id"));  // 404 here: absent, not empty
  CHECK(e.calls.size() == 1 + imds_paths().size() + imds_interface_paths().size());
  CHECK(everything_recorded(e).find(kToken) == std::string::npos);
}

TEST_CASE("IMDS: token PUT refused (403), GETs without token answer") {
  testing::LoopbackHttpServer imds(imds_handler("forbidden", true));
  auto e = converse(imds.url(), std::chrono::seconds(1));
  CHECK_FALSE(e.token_ok);
  CHECK(e.v1_used);
  CHECK(e.calls[0].status == 403);
  CHECK(e.facts["meta-data/placement/region"] == "ap-northeast-2");
}

TEST_CASE("IMDS: token PUT silent (hop limit), GETs answer 401 under IMDSv2-only") {
  testing::LoopbackHttpServer imds(imds_handler("silent", false));
  auto e = converse(imds.url(), std::chrono::milliseconds(300));
  CHECK_FALSE(e.token_ok);
  CHECK(e.calls[0].outcome == netcheck::HttpOutcome::timeout);
  bool saw_401 = false;
  for (const auto& c : e.calls) saw_401 |= c.status == 401;
  CHECK(saw_401);
  CHECK(e.facts.empty());
}

TEST_CASE("IMDS disabled: nothing attempted, done at once") {
  ImdsSettings settings;
  settings.enabled = false;
  settings.skipped_by = "--no-imds";
  netcheck::EventLoop loop;
  ImdsEvidence e;
  bool done = false;
  start_imds(loop, settings, &e, [&] { done = true; });
  CHECK(done);
  CHECK_FALSE(e.attempted);
  CHECK(e.skipped_by == "--no-imds");
  CHECK(loop.pending() == 0);
}

}  // namespace
}  // namespace ssmreach
