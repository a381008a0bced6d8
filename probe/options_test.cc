#include "probe/options.h"

#include <doctest/doctest.h>

#include <initializer_list>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace ssmreach {
namespace {

ParsedCommandLine parse(std::initializer_list<const char*> args) {
  std::vector<const char*> argv = {"ssm-reach"};
  argv.insert(argv.end(), args.begin(), args.end());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

TEST_CASE("defaults when no flag is given") {
  auto p = parse({});
  CHECK_FALSE(p.exit_code);
  CHECK_FALSE(p.options.region);
  CHECK(p.options.output == OutputFormat::text);
  CHECK(p.options.timeout_s == doctest::Approx(3.0));
  CHECK(p.options.deadline_s == doctest::Approx(20.0));
  CHECK(p.options.services.empty());
  CHECK_FALSE(p.options.no_imds);
}

TEST_CASE("every contract flag parses") {
  auto p = parse({"--region",        "ap-northeast-2",
                  "--output",        "json",
                  "--ca-file",       "/tmp/ca.pem",
                  "--timeout",       "0.5",
                  "--services",      "ssm,s3",
                  "--endpoint",      "ssm=vpce-1.ssm.example:8443",
                  "--dns-server",    "10.0.0.2",
                  "--dns-server",    "[fd00::2]:5353",
                  "--imds-endpoint", "http://127.0.0.1:8080",
                  "--no-imds",       "--no-proxy"});
  REQUIRE_FALSE(p.exit_code);
  const Options& o = p.options;
  CHECK(o.region == "ap-northeast-2");
  CHECK(o.output == OutputFormat::json);
  CHECK(o.ca_file == "/tmp/ca.pem");
  CHECK(o.timeout_s == doctest::Approx(0.5));
  CHECK(o.services == std::vector<std::string>{"ssm", "s3"});
  REQUIRE(o.endpoints.size() == 1);
  CHECK(o.endpoints[0].service == "ssm");
  CHECK(o.endpoints[0].endpoint.host == "vpce-1.ssm.example");
  CHECK(o.endpoints[0].endpoint.port == 8443);
  REQUIRE(o.dns_servers.size() == 2);
  CHECK(o.dns_servers[0].text() == "10.0.0.2:53");
  CHECK(o.dns_servers[1].text() == "[fd00::2]:5353");
  CHECK(o.imds_endpoint == "http://127.0.0.1:8080");
  CHECK(o.no_imds);
  CHECK(o.no_proxy);
}

TEST_CASE("--help and --version exit 0 with text for stdout") {
  auto help = parse({"--help"});
  REQUIRE(help.exit_code == 0);
  CHECK(help.message.find("--dns-server") != std::string::npos);
  CHECK(help.message.find("Exit status") != std::string::npos);
  // --help fits an 80-column serial console, like the reports.
  std::istringstream lines(help.message);
  for (std::string line; std::getline(lines, line);) {
    CAPTURE(line);
    CHECK(line.size() <= 80);
  }
  auto version = parse({"--version"});
  REQUIRE(version.exit_code == 0);
  CHECK(version.message.starts_with("ssm-reach "));
}

// Each bad usage: exit 3, one line, naming the flag (and what it accepts).
struct BadUsage {
  std::vector<const char*> args;
  const char* must_mention;
};

TEST_CASE("bad usage is one line naming the flag, exit 3") {
  const std::vector<BadUsage> cases = {
      {{"--bogus"}, "--bogus"},
      {{"--output", "xml"}, "text, json"},
      {{"--timeout", "abc"}, "--timeout"},
      {{"--timeout", "0"}, "--timeout"},
      {{"--timeout", "-1"}, "--timeout"},
      {{"--timeout", "nan"}, "--timeout"},
      {{"--timeout", "1e1"}, "--timeout"},
      {{"--timeout", "0x10"}, "--timeout"},
      {{"--timeout", " 2"}, "--timeout"},
      {{"--timeout", "1.2.3"}, "--timeout"},
      {{"--timeout", "."}, "--timeout"},
      {{"--deadline", "soon"}, "--deadline"},
      {{"--deadline", "0"}, "--deadline"},
      {{"--deadline", "0.5"}, "from 1 to 3600"},
      {{"--deadline", "inf"}, "--deadline"},
      {{"--deadline", "3601"}, "--deadline"},
      {{"--deadline"}, "--deadline"},
      // One step could not finish within the whole run.
      {{"--timeout", "5", "--deadline", "4"}, "--timeout: 5 s per step is longer"},
      {{"--services", "ssm,bogus"}, "ssm,ssmmessages,ec2messages"},
      {{"--services", ""}, "--services"},
      {{"--endpoint", "nope"}, "SVC=HOST[:PORT]"},
      {{"--endpoint", "foo=bar"}, "--endpoint"},
      {{"--endpoint", "ssm=host:99999"}, "--endpoint"},
      {{"--dns-server", "resolver.example"}, "--dns-server"},
      {{"--dns-server", "10.0.0.2:0"}, "--dns-server"},
      {{"--imds-endpoint", "169.254.169.254"}, "--imds-endpoint"},
      {{"--region", "US EAST"}, "--region"},
      {{"--region"}, "--region"},
      {{"--proxy", "http://p:3128", "--no-proxy"}, "--no-proxy"},
      {{"--proxy", "http://user:s3cret@proxy:port"}, "--proxy: 'http://***@proxy:port': "},
      {{"stray"}, "stray"},
  };
  for (const auto& c : cases) {
    std::vector<const char*> argv = {"ssm-reach"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    auto p = parse_command_line(static_cast<int>(argv.size()), argv.data());
    INFO("args: ", c.args.front());
    REQUIRE(p.exit_code == 3);
    CHECK(p.message.find('\n') == std::string::npos);
    CHECK(p.message.find(c.must_mention) != std::string::npos);
    CHECK(p.message.starts_with("ssm-reach: "));
  }
}

TEST_CASE("--deadline bounds the whole run, --timeout fits inside it") {
  auto p = parse({"--deadline", "3", "--timeout", "1"});
  REQUIRE_FALSE(p.exit_code);
  CHECK(p.options.deadline_s == doctest::Approx(3.0));
  CHECK(p.options.timeout_s == doctest::Approx(1.0));
  // Without --deadline, the default grows to fit long steps.
  auto long_steps = parse({"--timeout", "30"});
  CHECK(long_steps.options.deadline_s == doctest::Approx(181.0));
  CHECK(parse({"--timeout", "3"}).options.deadline_s == doctest::Approx(20.0));
  // A longer step with a longer deadline given is fine too.
  auto longer = parse({"--timeout", "30", "--deadline", "120"});
  REQUIRE_FALSE(longer.exit_code);
  CHECK(longer.options.deadline_s == doctest::Approx(120.0));
  auto equal = parse({"--timeout", "2.5", "--deadline", "2.5"});
  CHECK_FALSE(equal.exit_code);
  auto boot = parse({"--boot", "--boot-wait", "5", "--deadline", "10"});
  REQUIRE_FALSE(boot.exit_code);
  CHECK(boot.options.deadline_s == doctest::Approx(10.0));
  // explain contacts nothing: no deadline applies.
  auto explain = parse({"explain", "/tmp/run.json", "--deadline", "5"});
  CHECK(explain.exit_code == 3);
}

TEST_CASE("--save-evidence and the explain subcommand") {
  auto save = parse({"--region", "us-east-1", "--save-evidence", "/tmp/run.json"});
  REQUIRE_FALSE(save.exit_code);
  CHECK(save.options.save_evidence == "/tmp/run.json");
  CHECK_FALSE(save.options.explain_file);

  auto explain = parse({"explain", "run.json"});
  REQUIRE_FALSE(explain.exit_code);
  CHECK(explain.options.explain_file == "run.json");
  CHECK(explain.options.output == OutputFormat::text);
  CHECK_FALSE(explain.options.save_evidence);

  // --output on either side of the subcommand.
  CHECK(parse({"explain", "run.json", "--output", "json"}).options.output == OutputFormat::json);
  CHECK(parse({"explain", "--output", "json", "run.json"}).options.output == OutputFormat::json);
  CHECK(parse({"--output", "json", "explain", "run.json"}).options.output == OutputFormat::json);

  auto help = parse({"--help"});
  CHECK(help.message.find("--save-evidence") != std::string::npos);
  CHECK(help.message.find("explain") != std::string::npos);
  auto explain_help = parse({"explain", "--help"});
  REQUIRE(explain_help.exit_code == 0);
  CHECK(explain_help.message.find("FILE") != std::string::npos);
}

TEST_CASE("explain and --save-evidence: bad usage is one line, exit 3") {
  const std::vector<BadUsage> cases = {
      {{"explain"}, "explain: needs FILE"},
      {{"explain", "a.json", "b.json"}, "b.json"},
      {{"explain", "a.json", "--output", "xml"}, "text, json"},
      {{"explain", "a.json", "--region", "us-east-1"}, "explain: --region does not apply"},
      {{"--no-imds", "explain", "a.json"}, "explain: --no-imds does not apply"},
      {{"--save-evidence", "x.json", "explain", "a.json"}, "--save-evidence does not apply"},
      {{"--save-evidence", ""}, "--save-evidence"},
      {{"--save-evidence"}, "--save-evidence"},
      {{"explian", "a.json"}, "explian"},
  };
  for (const auto& c : cases) {
    std::vector<const char*> argv = {"ssm-reach"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    auto p = parse_command_line(static_cast<int>(argv.size()), argv.data());
    INFO("args: ", c.args.front(), " ... (", c.args.size(), ")");
    REQUIRE(p.exit_code == 3);
    CAPTURE(p.message);
    CHECK(p.message.find('\n') == std::string::npos);
    CHECK(p.message.find(c.must_mention) != std::string::npos);
    CHECK(p.message.starts_with("ssm-reach: "));
  }
}

TEST_CASE("--dualstack and --fips: unset, on, =false, and a bad value") {
  auto p = parse({});
  CHECK_FALSE(p.options.naming.dualstack);
  CHECK_FALSE(p.options.naming.fips);
  p = parse({"--dualstack", "--fips"});
  REQUIRE_FALSE(p.exit_code);
  CHECK(p.options.naming.dualstack == true);
  CHECK(p.options.naming.fips == true);
  CHECK(plan_request(p.options).naming.dualstack == true);
  p = parse({"--dualstack=false", "--fips=FALSE"});
  REQUIRE_FALSE(p.exit_code);
  CHECK(p.options.naming.dualstack == false);
  CHECK(p.options.naming.fips == false);
  p = parse({"--dualstack=maybe"});
  CHECK(p.exit_code == 3);
  CHECK(p.message.find("--dualstack") != std::string::npos);
  CHECK(p.message.find("true or false") != std::string::npos);
  CHECK(p.message.find('\n') == std::string::npos);
}

}  // namespace
}  // namespace ssmreach

namespace ssmreach {

TEST_CASE("--boot, --boot-wait and --boot-json") {
  auto defaults = parse_command_line(1, std::vector<const char*>{"ssm-reach"}.data());
  CHECK_FALSE(defaults.options.boot);
  CHECK(defaults.options.boot_wait_s == doctest::Approx(60.0));
  CHECK(defaults.options.boot_json == "/var/log/ssm-reach/boot.json");

  std::vector<const char*> argv = {"ssm-reach", "--boot",      "--boot-wait",
                                   "2",         "--boot-json", "/tmp/b.json"};
  auto p = parse_command_line(static_cast<int>(argv.size()), argv.data());
  REQUIRE_FALSE(p.exit_code);
  CHECK(p.options.boot);
  CHECK(p.options.boot_wait_s == doctest::Approx(2.0));
  CHECK(p.options.boot_json == "/tmp/b.json");

  SUBCASE("bad usage exits 3 with one line naming the flag") {
    for (auto bad :
         std::vector<std::vector<const char*>>{{"ssm-reach", "--boot", "--boot-wait", "-1"},
                                               {"ssm-reach", "--boot", "--boot-wait", "soon"},
                                               {"ssm-reach", "--boot-wait", "2"},
                                               {"ssm-reach", "--boot", "--output", "json"}}) {
      auto r = parse_command_line(static_cast<int>(bad.size()), bad.data());
      REQUIRE(r.exit_code == 3);
      CHECK(r.message.find('\n') == std::string::npos);
      CHECK((r.message.find("--boot") != std::string::npos));
    }
  }
  SUBCASE("--help names them within 80 columns") {
    std::vector<const char*> help = {"ssm-reach", "--help"};
    auto h = parse_command_line(2, help.data());
    CHECK(h.message.find("--boot-wait") != std::string::npos);
    CHECK(h.message.find("--boot-json") != std::string::npos);
    std::istringstream lines(h.message);
    for (std::string line; std::getline(lines, line);) CHECK(line.size() <= 80);
  }
}

}  // namespace ssmreach

namespace ssmreach {
namespace {

ParsedCommandLine parse_args(std::vector<const char*> args) {
  args.insert(args.begin(), "ssm-reach");
  return parse_command_line(static_cast<int>(args.size()), args.data());
}

}  // namespace

TEST_CASE("--deadline alone: the default step shrinks to fit (issue 15, 5)") {
  auto p = parse_args({"--deadline", "1"});
  REQUIRE_FALSE(p.exit_code);
  CHECK(p.options.deadline_s == doctest::Approx(1.0));
  CHECK(p.options.timeout_s == doctest::Approx(1.0));
  auto two = parse_args({"--deadline", "2.5"});
  REQUIRE_FALSE(two.exit_code);
  CHECK(two.options.timeout_s == doctest::Approx(2.5));
  // A long deadline keeps the default step.
  CHECK(parse_args({"--deadline", "60"}).options.timeout_s == doctest::Approx(3.0));
  // A --timeout the user gave still has to fit.
  auto both = parse_args({"--deadline", "1", "--timeout", "2"});
  CHECK(both.exit_code == 3);
}

TEST_CASE("seconds are decimal numbers only (issue 15, 12)") {
  for (const char* bad : {"0x10", "1e1", " 3", "3 ", "+3", "3s", "inf", "0x1p3", ""}) {
    CAPTURE(bad);
    auto p = parse_args({"--timeout", bad});
    REQUIRE(p.exit_code == 3);
    CHECK(p.message.find("--timeout") != std::string::npos);
    CHECK(p.message.find("decimal number of seconds") != std::string::npos);
    CHECK(parse_args({"--deadline", bad}).exit_code == 3);
    CHECK(parse_args({"--boot", "--boot-wait", bad}).exit_code == 3);
  }
  CHECK(parse_args({"--timeout", "0.25"}).options.timeout_s == doctest::Approx(0.25));
  CHECK(parse_args({"--timeout", "2."}).options.timeout_s == doctest::Approx(2.0));
  CHECK(parse_args({"--timeout", ".5"}).options.timeout_s == doctest::Approx(0.5));
  CHECK(parse_args({"--timeout", "10"}).options.timeout_s == doctest::Approx(10.0));
}

TEST_CASE("usage errors never repeat a password (issue 15, 6)") {
  for (std::vector<const char*> args :
       {std::vector<const char*>{"--endpoint", "ssm=user:s3cret@host"},
        {"--endpoint", "ssm=https://user:s3cret@host"},
        {"--endpoint", "bogus=user:s3cret@host"},
        {"--endpoint", "ssm=user:s3cret@host:99999"},
        {"--imds-endpoint", "ftp://user:s3cret@host"},
        {"--dns-server", "user:s3cret@10.0.0.2"}}) {
    auto p = parse_args(args);
    CAPTURE(p.message);
    REQUIRE(p.exit_code == 3);
    CHECK(p.message.find("s3cret") == std::string::npos);
    CHECK(p.message.find(args[0]) != std::string::npos);
  }
  auto endpoint = parse_args({"--endpoint", "ssm=user:s3cret@host"});
  CHECK(endpoint.message.find("'ssm=***@host'") != std::string::npos);
  CHECK(endpoint.message.find("user information") != std::string::npos);
}

TEST_CASE("usage errors print control characters escaped (issue 15, 10)") {
  for (std::vector<const char*> args : {std::vector<const char*>{"--region", "us-east-1\x1b[2J"},
                                        {"--region", "us-east-1\nssm-reach: all ok"},
                                        {"--endpoint", "ssm=host\x1b]0;pwned\x07"},
                                        {"--services", "ssm,\x1b[31m"},
                                        {"--output", "\x1b[1mjson"},
                                        {"--bogus\x1b[2J"}}) {
    auto p = parse_args(args);
    CAPTURE(p.message);
    REQUIRE(p.exit_code == 3);
    CHECK(p.message.find('\x1b') == std::string::npos);
    CHECK(p.message.find('\n') == std::string::npos);
    CHECK(p.message.find('\x07') == std::string::npos);
  }
  CHECK(parse_args({"--region", "us-east-1\x1b[2J"}).message.find("'us-east-1\\x1b[2J'") !=
        std::string::npos);
}

TEST_CASE("--force applies to the files a run writes, - is stdout") {
  auto save = parse_args({"--save-evidence", "-", "--force"});
  REQUIRE_FALSE(save.exit_code);
  CHECK(save.options.save_evidence == "-");
  CHECK(save.options.force);
  CHECK_FALSE(parse_args({"--boot", "--force"}).exit_code);
  CHECK_FALSE(parse_args({}).options.force);
  auto alone = parse_args({"--force"});
  REQUIRE(alone.exit_code == 3);
  CHECK(alone.message.find("--force: applies only with --save-evidence or --boot") !=
        std::string::npos);
  CHECK(parse_args({"explain", "a.json", "--force"}).exit_code == 3);
}

TEST_CASE("AWS_EC2_METADATA_SERVICE_ENDPOINT is validated like --imds-endpoint (issue 15, 7)") {
  auto env_with = [](std::map<std::string, std::string> vars) -> GetEnv {
    return [vars](const char* name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end() || it->second.empty()) return std::nullopt;
      return it->second;
    };
  };
  const Options defaults;
  auto problem =
      check_environment(defaults, env_with({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "garbage"}}));
  REQUIRE(problem);
  CHECK(
      problem->starts_with("ssm-reach: AWS_EC2_METADATA_SERVICE_ENDPOINT: 'garbage' is not a URL"));
  auto secret = check_environment(
      defaults, env_with({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "ftp://u:s3cret@h\x1b"}}));
  REQUIRE(secret);
  CHECK(secret->find("s3cret") == std::string::npos);
  CHECK(secret->find('\x1b') == std::string::npos);
  CHECK_FALSE(check_environment(
      defaults, env_with({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:8080"}})));
  CHECK_FALSE(check_environment(defaults, env_with({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", ""}})));
  // Not used, so not judged: a flag names the endpoint, or IMDS is off.
  const auto garbage = env_with(
      {{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "garbage"}, {"AWS_EC2_METADATA_DISABLED", "TRUE"}});
  CHECK_FALSE(check_environment(defaults, garbage));
  Options flag;
  flag.imds_endpoint = "http://127.0.0.1";
  CHECK_FALSE(check_environment(flag, env_with({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "x"}})));
  Options off;
  off.no_imds = true;
  CHECK_FALSE(check_environment(off, env_with({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "x"}})));
}

}  // namespace ssmreach
