// The monitoring block of the command line: --output prometheus,
// --textfile, --watch and `fleet`.
#include <doctest/doctest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "probe/options.h"

namespace ssmreach {
namespace {

ParsedCommandLine parse(std::initializer_list<const char*> args) {
  std::vector<const char*> argv = {"ssm-reach"};
  argv.insert(argv.end(), args.begin(), args.end());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

void check_usage_error(std::initializer_list<const char*> args, const std::string& says) {
  auto p = parse(args);
  REQUIRE(p.exit_code);
  CHECK(*p.exit_code == 3);
  CHECK_MESSAGE(p.message.find(says) != std::string::npos, p.message);
}

TEST_CASE("monitoring options: --output prometheus, --textfile, --watch") {
  auto p = parse({"--output", "prometheus", "--textfile", "/var/lib/x/ssm_reach.prom"});
  CHECK_FALSE(p.exit_code);
  CHECK(p.options.output == OutputFormat::prometheus);
  CHECK(p.options.textfile == "/var/lib/x/ssm_reach.prom");
  CHECK_FALSE(p.options.watch_s);
  p = parse({"--watch", "2.5", "--textfile", "a.prom"});
  CHECK_FALSE(p.exit_code);
  CHECK(p.options.watch_s == doctest::Approx(2.5));
  p = parse({"explain", "run.json", "--output", "prometheus"});
  CHECK_FALSE(p.exit_code);
  CHECK(p.options.output == OutputFormat::prometheus);
}

TEST_CASE("monitoring options: bad values and combinations are usage errors") {
  check_usage_error({"--output", "yaml"}, "is not one of: text, json, prometheus");
  check_usage_error({"--textfile", "metrics.txt"}, "reads only files named *.prom");
  check_usage_error({"--textfile", "/x/.prom"}, "reads only files named *.prom");
  check_usage_error({"--watch", "0"},
                    "--watch: '0' is not a decimal number of seconds from 1 to 86400");
  check_usage_error({"--watch", "5", "--boot"}, "--watch: does not apply with --boot");
  check_usage_error({"--watch", "5", "--save-evidence", "e.json"},
                    "--save-evidence does not apply");
  check_usage_error({"--watch", "5", "--output", "json"}, "--output json does not apply");
  check_usage_error({"explain", "run.json", "--watch", "5"}, "explain: --watch does not apply");
}

TEST_CASE("fleet: files or -, its own --output, nothing of the live run") {
  auto p = parse({"fleet", "a.json", "-", "--output", "json"});
  CHECK_FALSE(p.exit_code);
  CHECK(p.options.fleet);
  CHECK(p.options.fleet_files == std::vector<std::string>{"a.json", "-"});
  CHECK(p.options.output == OutputFormat::json);
  p = parse({"fleet", "-"});
  CHECK_FALSE(p.exit_code);
  CHECK(p.options.output == OutputFormat::text);
  check_usage_error({"fleet"}, "fleet: needs FILE...");
  check_usage_error({"fleet", "a.json", "--output", "prometheus"},
                    "fleet: --output: 'prometheus' is not one of: text, json");
  check_usage_error({"fleet", "a.json", "--region", "eu-west-1"}, "fleet: --region does not apply");
  check_usage_error({"--no-auth", "fleet", "a.json"}, "fleet: --no-auth does not apply");
}

}  // namespace
}  // namespace ssmreach
