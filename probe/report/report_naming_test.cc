// The reports say which endpoint names were checked and why, and where IMDS
// was looked for; a stock run says nothing new in its text.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "probe/diagnose/diagnosis.h"
#include "probe/report/report.h"
#include "tests/unit/test_evidence.h"

using namespace ssmreach;
using namespace ssmreach::test;
using Json = nlohmann::json;

namespace {

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

Evidence dualstack_evidence() {
  auto e = evidence_with({healthy("ssm", "10.40.1.10")});
  e.targets[0].target.host = "ssm.eu-west-1.api.aws";
  auto& config = e.context.agent.config;
  config.file = "/etc/amazon/ssm/amazon-ssm-agent.json";
  config.use_dualstack = AgentSetting{"true", "Agent.UseDualStackEndpoint", config.file};
  e.context.naming.dualstack = {true, config.use_dualstack->source()};
  e.context.imds.endpoint = "http://[fd00:ec2::254]";
  e.context.imds.endpoint_source = "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE";
  return e;
}

}  // namespace

TEST_CASE("text report: the names' kind and who chose it, only when something did") {
  const auto stock = evidence_with({healthy("ssm", "10.40.1.10")});
  CHECK_FALSE(has(render_text(stock, diagnose(stock), TextStyle{}), "names:"));
  const auto e = dualstack_evidence();
  const std::string text = render_text(e, diagnose(e), TextStyle{});
  CHECK(has(text, "names: dual-stack (Agent.UseDualStackEndpoint)"));
  auto fips = e;
  fips.context.naming.fips = {true, "--fips"};
  fips.context.region = {"us-east-1", "--region"};
  CHECK(has(render_text(fips, diagnose(fips), TextStyle{}),
            "names: FIPS, dual-stack (--fips, Agent.UseDualStackEndpoint)"));
  auto off = stock;
  off.context.naming.dualstack = {false, "--dualstack"};
  CHECK(has(render_text(off, diagnose(off), TextStyle{}), "names: IPv4-only (--dualstack)"));
}

TEST_CASE("JSON report: context.endpoint_names, the agent's key and IMDS's endpoint source") {
  const auto e = dualstack_evidence();
  const Json doc = Json::parse(render_json(e, diagnose(e)));
  const Json& names = doc["context"]["endpoint_names"];
  CHECK(names["dualstack"]["on"] == true);
  CHECK(names["dualstack"]["source"] ==
        "/etc/amazon/ssm/amazon-ssm-agent.json (Agent.UseDualStackEndpoint)");
  CHECK(names["fips"]["on"] == false);
  CHECK(names["fips"]["source"].is_null());
  CHECK(names["pattern"] == "SVC.eu-west-1.api.aws");
  CHECK(names["notes"].is_array());
  CHECK(doc["context"]["agent"]["config"]["use_dualstack_endpoint"]["value"] == "true");
  CHECK(doc["context"]["imds"]["endpoint_source"] == "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
  const auto stock = evidence_with({healthy("ssm", "10.40.1.10")});
  const Json plain = Json::parse(render_json(stock, diagnose(stock)));
  CHECK(plain["context"]["endpoint_names"]["pattern"] == "SVC.eu-west-1.amazonaws.com");
  CHECK(plain["context"]["imds"]["endpoint_source"].is_null());
}
