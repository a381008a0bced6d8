#include "probe/host/agent_config.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "probe/plan/plan.h"
#include "tests/unit/scratch.h"

namespace ssmreach {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

const std::string kFixtures = std::string(SSM_REACH_SOURCE_DIR) + "/tests/agent/";

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

AgentConfig read_text(const std::string& json) {
  TempDir dir;
  return read_agent_config({dir.write("amazon-ssm-agent.json", json)});
}

TEST_CASE("agent config: the full fixture, endpoints as hosts and URLs") {
  auto path = kFixtures + "amazon-ssm-agent.json";
  auto config = read_agent_config({"/nonexistent/amazon-ssm-agent.json", path});
  CHECK(config.file == path);
  CHECK(config.warnings.empty());
  REQUIRE(config.region);
  CHECK(config.region->value == "eu-west-1");
  CHECK(config.region->source() == path + " (Agent.Region)");
  CHECK_FALSE(config.service_domain);  // "" means unset to the agent
  CHECK_FALSE(config.mgs_region);

  struct Expected {
    const char* service;
    const char* key;
    const char* host;
    std::uint16_t port;
  };
  for (const auto& e : {
           Expected{"ssm", "Ssm.Endpoint",
                    "vpce-0a1b2c3d4e5f60718-ssm.ssm.eu-west-1.vpce.amazonaws.com", 443},
           Expected{"ec2messages", "Mds.Endpoint",
                    "vpce-0a1b2c3d4e5f60718-ec2m.ec2messages.eu-west-1.vpce.amazonaws.com", 443},
           Expected{"ssmmessages", "Mgs.Endpoint", "ssmmessages.eu-west-1.amazonaws.com", 8443},
           Expected{"kms", "Kms.Endpoint", "kms.eu-west-1.amazonaws.com", 443},
       }) {
    const std::string label = e.service;
    INFO(label);
    REQUIRE(config.endpoints.count(e.service) == 1);
    const auto& ep = config.endpoints.at(e.service);
    CHECK(ep.service == e.service);
    CHECK(ep.setting.key == e.key);
    CHECK(ep.setting.file == path);
    CHECK(ep.host_port.host == e.host);
    CHECK(ep.host_port.port == e.port);
  }
  CHECK(config.endpoints.count("s3") == 0);  // "Endpoint": ""
}

TEST_CASE("agent endpoint values: hosts, URLs, ports, and what is refused") {
  struct Case {
    const char* value;
    const char* host;  // nullptr: refused
    std::uint16_t port;
    const char* error_part;
  };
  for (const auto& c : {
           Case{"ssm.us-east-1.amazonaws.com", "ssm.us-east-1.amazonaws.com", 443, ""},
           Case{"  ssm.us-east-1.amazonaws.com\n", "ssm.us-east-1.amazonaws.com", 443, ""},
           Case{"ssm.example.internal:8443", "ssm.example.internal", 8443, ""},
           Case{"https://ssm.us-east-1.amazonaws.com", "ssm.us-east-1.amazonaws.com", 443, ""},
           Case{"https://ssm.us-east-1.amazonaws.com/", "ssm.us-east-1.amazonaws.com", 443, ""},
           Case{"HTTPS://proxy.corp:4443/ssm?x=1", "proxy.corp", 4443, ""},
           Case{"wss://ssmmessages.eu-west-1.amazonaws.com", "ssmmessages.eu-west-1.amazonaws.com",
                443, ""},
           Case{"https://10.0.1.10", "10.0.1.10", 443, ""},
           Case{"https://[fd00::10]:8443", "fd00::10", 8443, ""},
           Case{"", nullptr, 0, "empty"},
           Case{"http://ssm.us-east-1.amazonaws.com", nullptr, 0, "scheme 'http'"},
           Case{"ftp://x.example", nullptr, 0, "scheme 'ftp'"},
           Case{"https://", nullptr, 0, "empty host"},
           Case{"https://user:pw@ssm.example.com", nullptr, 0, "user information"},
           Case{"https://ssm.example.com:0", nullptr, 0, "port"},
           Case{"https://ssm.example.com:70000", nullptr, 0, "port"},
           Case{"ssm.example.com/path", nullptr, 0, "neither a host name"},
           Case{"ssm example com", nullptr, 0, "ssm example com"},
           Case{"ssm.example.com;rm", nullptr, 0, "not a host name"},
       }) {
    const std::string label = c.value;
    INFO(label);
    std::string error;
    auto hp = parse_agent_endpoint(c.value, &error);
    if (c.host) {
      REQUIRE(hp);
      CHECK(hp->host == c.host);
      CHECK(hp->port == c.port);
    } else {
      CHECK_FALSE(hp);
      CHECK(contains(error, c.error_part));
    }
  }
}

TEST_CASE("Agent.ServiceDomain changes the suffix of the names the agent builds") {
  auto plain = read_text(R"({"Agent": {"Region": "cn-north-1"}})");
  CHECK(agent_default_host("ssm", "cn-north-1", plain) == "ssm.cn-north-1.amazonaws.com.cn");
  CHECK(agent_default_host("ssm", "us-east-1", plain) == "ssm.us-east-1.amazonaws.com");

  auto custom =
      read_text(R"({"Agent": {"Region": "us-east-1", "ServiceDomain": "amazonaws.com.cn"}})");
  REQUIRE(custom.service_domain);
  CHECK(custom.service_domain->value == "amazonaws.com.cn");
  CHECK(custom.service_domain->key == "Agent.ServiceDomain");
  CHECK(agent_default_host("ec2messages", "us-east-1", custom) ==
        "ec2messages.us-east-1.amazonaws.com.cn");

  auto bad = read_text(R"({"Agent": {"ServiceDomain": "not a domain"}})");
  CHECK_FALSE(bad.service_domain);
  REQUIRE(bad.warnings.size() == 1);
  CHECK(contains(bad.warnings[0], "Agent.ServiceDomain 'not a domain'"));
}

TEST_CASE("keys match like Go's encoding/json: any case, the last one wins, null is unset") {
  auto config = read_text(R"({
    "agent": {"region": "us-west-2"},
    "AGENT": {"Region": null},
    "Mgs": {"Region": "eu-west-3", "endpoint": "a.example.com", "ENDPOINT": "b.example.com"}
  })");
  CHECK(config.warnings.empty());
  REQUIRE(config.region);
  CHECK(config.region->value == "us-west-2");
  REQUIRE(config.mgs_region);
  CHECK(config.mgs_region->value == "eu-west-3");
  REQUIRE(config.endpoints.count("ssmmessages") == 1);
  CHECK(config.endpoints.at("ssmmessages").host_port.host == "b.example.com");
}

TEST_CASE("a file the agent cannot load gives a warning naming it and no settings") {
  struct Case {
    const char* name;
    std::string json;
    std::vector<std::string> expected;  // all must appear in the single warning
  };
  std::string bom = "\xEF\xBB\xBF{\"Agent\": {\"Region\": \"us-east-1\"}}";
  std::vector<Case> cases = {
      {"syntax error",
       "{\"Agent\": {\"Region\": \"us-east-1\",}}",
       {"invalid JSON", "line 1", "cannot load"}},
      {"trailing comma like the old template",
       "{\n  \"Mgs\": {\n    \"SessionWorkersLimit\" : 1000,\n  }\n}",
       {"invalid JSON", "line 4"}},
      {"empty file", "", {"invalid JSON"}},
      {"not JSON at all", "Region=us-east-1\n", {"invalid JSON"}},
      {"byte-order mark", bom, {"byte-order mark"}},
      {"region is a number",
       R"({"Agent": {"Region": 5}, "Ssm": {"Endpoint": "x.example.com"}})",
       {"Agent.Region is number, not a string"}},
      {"section is a string", R"({"Agent": "us-east-1"})", {"Agent is string, not an object"}},
      {"endpoint is an array",
       R"({"Mgs": {"Endpoint": ["a"]}})",
       {"Mgs.Endpoint is array, not a string"}},
      {"two wrong types",
       R"({"Ssm": {"Endpoint": true}, "Kms": {"Endpoint": {}}})",
       {"Ssm.Endpoint is boolean", "Kms.Endpoint is object"}},
      {"top level array",
       R"([{"Agent": {"Region": "us-east-1"}}])",
       {"top level is array, not an object"}},
  };
  for (const auto& c : cases) {
    const std::string label = c.name;
    INFO(label);
    TempDir dir;
    auto path = dir.write("amazon-ssm-agent.json", c.json);
    auto config = read_agent_config({path});
    CHECK(config.file == path);
    CHECK_FALSE(config.region);
    CHECK(config.endpoints.empty());
    REQUIRE(config.warnings.size() == 1);
    CHECK(contains(config.warnings[0], path + ": "));
    for (const auto& part : c.expected) CHECK_MESSAGE(contains(config.warnings[0], part), part);
  }
}

TEST_CASE("unusable single values are ignored with a warning, the rest still counts") {
  auto config = read_text(R"({
    "Agent": {"Region": "Frankfurt"},
    "Ssm": {"Endpoint": "http://ssm.eu-central-1.amazonaws.com"},
    "Mds": {"Endpoint": "ec2messages.eu-central-1.amazonaws.com"}
  })");
  CHECK_FALSE(config.region);
  CHECK(config.endpoints.count("ssm") == 0);
  CHECK(config.endpoints.count("ec2messages") == 1);
  REQUIRE(config.warnings.size() == 2);
  CHECK(contains(config.warnings[0], "Agent.Region 'Frankfurt' is not a region name"));
  CHECK(contains(config.warnings[1], "Ssm.Endpoint 'http://ssm.eu-central-1.amazonaws.com'"));
}

TEST_CASE("file contents quoted in warnings stay printable") {
  auto config = read_text("{\"Ssm\": {\"Endpoint\": \"\\u001b[2Jevil\\nhost\"}}");
  REQUIRE(config.warnings.size() == 1);
  CHECK(contains(config.warnings[0], "'?[2Jevil?host'"));
  CHECK_FALSE(contains(config.warnings[0], "\x1b"));
  CHECK(printable_excerpt(std::string(100, 'a'), 10) == "aaaaaaaaaa...");
  CHECK(printable_excerpt("caf\xC3\xA9\t", 80) == "caf???");
}

TEST_CASE("a config nested too deeply is a warning, not a crash (issue 15, 2)") {
  // 400 KB of nested arrays before the settings: nlohmann's parser recursed.
  auto config = read_text("{\"x\": " + std::string(200000, '[') + std::string(200000, ']') +
                          ", \"Agent\": {\"Region\": \"eu-west-1\"}}");
  CHECK_FALSE(config.region);
  REQUIRE(config.warnings.size() == 1);
  CHECK(contains(config.warnings[0],
                 "amazon-ssm-agent.json: nested too deeply (more than 64 "
                 "levels of arrays and objects)"));
  // Real configs nest a few levels: read as before.
  CHECK(read_text(R"({"Agent": {"Region": "eu-west-1"}, "Os": {"x": [[1]]}})").region);
}

TEST_CASE("a password in an endpoint URL is not repeated in the warning (issue 15, 6)") {
  auto config = read_text(R"({"Ssm": {"Endpoint": "https://user:s3cret@ssm.example.com"}})");
  REQUIRE(config.warnings.size() == 1);
  CHECK_FALSE(contains(config.warnings[0], "s3cret"));
  CHECK(contains(config.warnings[0], "'https://***@ssm.example.com'"));
}

TEST_CASE("missing, directory, oversized and unreadable config files") {
  TempDir dir;
  SUBCASE("no file at any path: no warning, nothing found") {
    auto config = read_agent_config({dir.path("a.json"), dir.path("missing/b.json")});
    CHECK(config.file.empty());
    CHECK(config.warnings.empty());
    CHECK_FALSE(config.region);
  }
  SUBCASE("the first existing path is the one used, later ones are not read") {
    auto first = dir.write("first.json", R"({"Agent": {"Region": "ap-south-1"}})");
    auto second = dir.write("second.json", R"({"Agent": {"Region": "sa-east-1"}})");
    auto config = read_agent_config({dir.path("none.json"), first, second});
    CHECK(config.file == first);
    REQUIRE(config.region);
    CHECK(config.region->value == "ap-south-1");
  }
  SUBCASE("a directory") {
    fs::create_directory(dir.path("amazon-ssm-agent.json"));
    auto config = read_agent_config({dir.path("amazon-ssm-agent.json")});
    CHECK(config.file == dir.path("amazon-ssm-agent.json"));
    REQUIRE(config.warnings.size() == 1);
    CHECK(contains(config.warnings[0], "is a directory"));
  }
  SUBCASE("a FIFO does not block the read") {
    REQUIRE(::mkfifo(dir.path("fifo.json").c_str(), 0600) == 0);
    auto config = read_agent_config({dir.path("fifo.json")});
    REQUIRE(config.warnings.size() == 1);
    CHECK(contains(config.warnings[0], "not a regular file"));
  }
  SUBCASE("larger than 1 MiB") {
    std::string big = R"({"Agent": {"Region": "us-east-1"}, "Pad": ")" +
                      std::string(kMaxAgentFileBytes, 'x') + "\"}";
    auto config = read_agent_config({dir.write("big.json", big)});
    CHECK_FALSE(config.region);
    REQUIRE(config.warnings.size() == 1);
    CHECK(contains(config.warnings[0], "larger than 1 MiB"));
  }
  SUBCASE("deeply nested JSON within the size limit neither crashes nor counts") {
    std::string deep = std::string(150000, '[') + std::string(150000, ']');
    auto config = read_agent_config({dir.write("deep.json", deep)});
    REQUIRE(config.warnings.size() == 1);
    CHECK(contains(config.warnings[0], "nested too deeply"));
  }
}

TEST_CASE("permission denied is a warning naming the file") {
  TempDir dir;
  auto path = dir.write("amazon-ssm-agent.json", R"({"Agent": {"Region": "us-east-1"}})");
  REQUIRE(::chmod(path.c_str(), 0) == 0);
  if (::geteuid() != 0) {
    auto config = read_agent_config({path});
    CHECK(config.file == path);
    REQUIRE(config.warnings.size() == 1);
    CHECK(contains(config.warnings[0], path + ": cannot read: Permission denied"));
    CHECK_FALSE(config.region);
    return;
  }
  // root reads anything: check as an unprivileged user in a child process.
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);
    auto config = read_agent_config({path});
    std::string out = config.warnings.empty() ? "none" : config.warnings[0];
    if (config.region) out += " REGION";
    if (::write(fds[1], out.data(), out.size()) < 0) ::_exit(4);
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string got;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
    got.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  CHECK(contains(got, path + ": cannot read: Permission denied"));
  CHECK_FALSE(contains(got, "REGION"));
}

TEST_CASE("default paths") {
  auto paths = default_agent_config_paths();
  REQUIRE_FALSE(paths.empty());
  CHECK(paths.front() == "/etc/amazon/ssm/amazon-ssm-agent.json");
  CHECK(default_registration_path() == "/var/lib/amazon/ssm/registration");
}

TEST_CASE("hybrid registration: present, absent, malformed") {
  SUBCASE("the agent's own format") {
    auto reg = read_registration(kFixtures + "registration");
    CHECK(reg.present);
    CHECK(reg.hybrid());
    CHECK(reg.warnings.empty());
    REQUIRE(reg.managed_instance_id);
    CHECK(reg.managed_instance_id->value == "mi-0123456789abcdef0");
    CHECK(reg.managed_instance_id->source() == kFixtures + "registration (ManagedInstanceID)");
    REQUIRE(reg.region);
    CHECK(reg.region->value == "eu-central-1");
  }
  SUBCASE("absent: not hybrid, no warning") {
    auto reg = read_registration("/nonexistent/registration");
    CHECK_FALSE(reg.present);
    CHECK_FALSE(reg.hybrid());
    CHECK(reg.warnings.empty());
  }
  struct Case {
    const char* name;
    const char* content;
    const char* warning_part;
    bool hybrid;
  };
  for (const auto& c : {
           Case{"invalid JSON", "{\"ManagedInstanceID\": \"mi-0123\"", "invalid JSON", false},
           Case{"array", "[]", "top level is array", false},
           Case{"id is a number", R"({"ManagedInstanceID": 7, "Region": "us-east-1"})",
                "ManagedInstanceID is number", false},
           Case{"no id", R"({"Region": "us-east-1"})", "no ManagedInstanceID", false},
           Case{"an EC2 id", R"({"ManagedInstanceID": "i-0abc", "Region": "us-east-1"})",
                "not a managed-instance ID", false},
           Case{"junk id", "{\"ManagedInstanceID\": \"mi-\\u001b[2J\"}",
                "ManagedInstanceID 'mi-?[2J' is not a managed-instance ID", false},
           Case{"bad region", R"({"ManagedInstanceID": "mi-0abc", "Region": "Mars"})",
                "Region 'Mars' is not a region name", true},
           Case{"nested too deeply",
                "{\"x\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]], "
                "\"ManagedInstanceID\": \"mi-0abc\"}",
                "nested too deeply (more than 64 levels", false},
       }) {
    const std::string label = c.name;
    INFO(label);
    TempDir dir;
    auto path = dir.write("registration", c.content);
    auto reg = read_registration(path);
    CHECK(reg.present);
    CHECK(reg.hybrid() == c.hybrid);
    REQUIRE(reg.warnings.size() == 1);
    CHECK(contains(reg.warnings[0], path + ": "));
    CHECK(contains(reg.warnings[0], c.warning_part));
  }
}

TEST_CASE("bounded reads: whole file, tail, limit") {
  TempDir dir;
  auto path = dir.write("f", "0123456789");
  auto whole = read_text_file(path, 10);
  CHECK(whole.status == FileRead::Status::ok);
  CHECK(whole.text == "0123456789");
  auto too_big = read_text_file(path, 9);
  CHECK(too_big.status == FileRead::Status::failed);
  CHECK(too_big.text.empty());
  auto tail = read_text_file(path, 4, true);
  CHECK(tail.status == FileRead::Status::ok);
  CHECK(tail.text == "6789");
  CHECK(read_text_file(dir.path("nope"), 4).status == FileRead::Status::missing);
  CHECK(read_text_file(dir.path("f/under-a-file"), 4).status == FileRead::Status::missing);
}

TEST_CASE("Agent.UseDualStackEndpoint: a JSON boolean, any key case, or the file is unusable") {
  auto config = read_text(R"({"Agent": {"Region": "us-east-1", "usedualstackendpoint": true}})");
  CHECK(config.warnings.empty());
  REQUIRE(config.use_dualstack);
  CHECK(config.use_dualstack->value == "true");
  CHECK(config.use_dualstack->key == "Agent.UseDualStackEndpoint");
  config = read_text(R"({"Agent": {"UseDualStackEndpoint": false}})");
  REQUIRE(config.use_dualstack);
  CHECK(config.use_dualstack->value == "false");
  CHECK_FALSE(read_text(R"({"Agent": {"UseDualStackEndpoint": null}})").use_dualstack);
  // Go cannot put a string into the agent's bool: it loads nothing of the file.
  config = read_text(R"({"Agent": {"Region": "us-east-1", "UseDualStackEndpoint": "true"}})");
  CHECK_FALSE(config.use_dualstack);
  CHECK_FALSE(config.region);
  REQUIRE(config.warnings.size() == 1);
  CHECK(contains(config.warnings[0], "Agent.UseDualStackEndpoint is string, not true or false"));
}

}  // namespace
}  // namespace ssmreach
