#include "probe/host/systemd_syntax.h"

#include <doctest/doctest.h>

namespace ssmreach::systemd {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_CASE("unit syntax: sections, comments, continuation lines") {
  auto parsed = parse_unit_text(
      "\xEF\xBB\xBF# a comment\n"
      "[Unit]\n"
      "Description=amazon-ssm-agent\n"
      "\n"
      "[Service]\r\n"
      "  Environment = \"A=1\"   \n"
      "Environment=B=2 \\\n"
      "# comments inside a continued value are skipped\n"
      "  C=3\n"
      "; also a comment\n"
      "ExecStart=/usr/bin/amazon-ssm-agent\n"
      "EnvironmentFile=-/etc/default/x\\\n");
  CHECK(parsed.problems.empty());
  CHECK_FALSE(parsed.refused);
  REQUIRE(parsed.assignments.size() == 5);
  CHECK(parsed.assignments[0].section == "Unit");
  CHECK(parsed.assignments[1].section == "Service");
  CHECK(parsed.assignments[1].key == "Environment");
  CHECK(parsed.assignments[1].value == "\"A=1\"");
  CHECK(parsed.assignments[1].line == 6);
  CHECK(parsed.assignments[2].value == "B=2    C=3");
  CHECK(parsed.assignments[2].line == 7);
  CHECK(parsed.assignments[3].key == "ExecStart");
  CHECK(parsed.assignments[4].value == "-/etc/default/x");  // a continuation at the end
}

TEST_CASE("unit syntax: problems name the line, never the value") {
  auto parsed = parse_unit_text(
      "Environment=https_proxy=http://u:s3cret@p:3128\n"
      "[Service]\n"
      "https_proxy http://u:s3cret@p:3128\n"
      "Environment=\\\\\n"  // an escaped backslash does not continue the line
      "Environment=X=1\n");
  REQUIRE(parsed.problems.size() == 2);
  CHECK(contains(parsed.problems[0], "line 1: assignment outside of a section"));
  CHECK(contains(parsed.problems[1], "line 3: no '='"));
  for (const auto& p : parsed.problems) CHECK_FALSE(contains(p, "s3cret"));
  REQUIRE(parsed.assignments.size() == 2);
  CHECK(parsed.assignments[0].value == "\\\\");
  CHECK(parsed.assignments[1].value == "X=1");

  auto refused = parse_unit_text("[Service]\nEnvironment=A=1\n[Service\nEnvironment=B=2\n");
  CHECK(refused.refused);
  CHECK(refused.assignments.empty());
  REQUIRE(refused.problems.size() == 1);
  CHECK(contains(refused.problems[0], "line 3: unterminated section header"));
}

TEST_CASE("Environment= words: quotes and C escapes as systemd reads them") {
  struct Case {
    const char* value;
    std::vector<std::string> words;
    bool syntax_error;
  };
  const Case cases[] = {
      {"A=1 B=2", {"A=1", "B=2"}, false},
      {"\"A=one two\" 'B=three four'", {"A=one two", "B=three four"}, false},
      {"A=\"x y\"z", {"A=x yz"}, false},  // quotes may start mid-word
      {"  A=1\t\tB=2  ", {"A=1", "B=2"}, false},
      {"A=a\\sb B=\\x41\\101\\u00e9", {"A=a b", "B=AA\xC3\xA9"}, false},
      {"\"A=tab\\there\" B='it''s'", {"A=tab\there", "B=its"}, false},
      {"A=\\\"q\\\"", {"A=\"q\""}, false},
      {"A=1 \"B=unbalanced", {"A=1"}, true},
      {"A=1 B=\\q C=3", {"A=1"}, true},  // unknown escape: the rest is ignored
      {"A=1 B=\\x00", {"A=1"}, true},    // no NUL bytes
      {"A=1 B=2\\", {"A=1"}, true},
      {"", {}, false},
  };
  for (const auto& c : cases) {
    INFO(c.value);
    auto words = split_words(c.value);
    CHECK(words.words == c.words);
    CHECK(words.syntax_error == c.syntax_error);
  }
}

TEST_CASE("specifiers: %% is a percent, an unknown one voids the word") {
  auto ok = resolve_specifiers("https_proxy=http://u:p%%40ss@proxy:3128/%-%");
  CHECK(ok.status == Specifiers::Status::ok);
  CHECK(ok.text == "https_proxy=http://u:p%40ss@proxy:3128/%-%");
  CHECK(resolve_specifiers("https_proxy=http://u:p%40ss@proxy").status ==
        Specifiers::Status::unknown);
  CHECK(resolve_specifiers("X=%z").status == Specifiers::Status::unknown);
  auto host = resolve_specifiers("NO_PROXY=%H");
  CHECK(host.status == Specifiers::Status::unexpanded);
  CHECK(host.specifier == 'H');
}

TEST_CASE("variable names and UTF-8") {
  CHECK(is_variable_name("https_proxy"));
  CHECK(is_variable_name("_X9"));
  CHECK_FALSE(is_variable_name(""));
  CHECK_FALSE(is_variable_name("9X"));
  CHECK_FALSE(is_variable_name("export X"));
  CHECK_FALSE(is_variable_name("A-B"));
  CHECK(is_valid_utf8("caf\xC3\xA9"));
  CHECK_FALSE(is_valid_utf8("\xC3"));
  CHECK_FALSE(is_valid_utf8("\xC0\xAF"));  // overlong
  CHECK_FALSE(is_valid_utf8("\xFF"));
}

TEST_CASE("EnvironmentFile= files: shell-like KEY=VALUE lines") {
  auto parsed = parse_environment_file(
      "# proxy for the agent\n"
      "; also a comment\n"
      "https_proxy=http://proxy.corp:3128   \n"
      "  NO_PROXY = 169.254.169.254,localhost\n"
      "A='single  $quoted \\n'\n"
      "B=\"double \\\"quoted\\\" \\$HOME \\n\"\n"
      "C=one\\\n"
      "two\n"
      "D=a \"b c\"\n"
      "E=\n"
      "no equals sign\n"
      "export F=1\n"
      "G=last");
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& v : parsed.variables) got.emplace_back(v.key, v.value);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"https_proxy", "http://proxy.corp:3128"},
      {"NO_PROXY", "169.254.169.254,localhost"},
      {"A", "single  $quoted \\n"},
      {"B", "double \"quoted\" $HOME \\n"},
      {"C", "onetwo"},
      {"D", "a \"b c\""},
      {"E", ""},
      {"G", "last"},
  };
  CHECK(got == expected);
  CHECK(parsed.variables[1].line == 4);
  REQUIRE(parsed.problems.size() == 1);  // "export F": lines without '=' are dropped silently
  CHECK(contains(parsed.problems[0], "line 12: not a valid variable name"));
  CHECK_FALSE(parsed.refused);

  auto bad = parse_environment_file("A=1\nB=\xFF\n");
  CHECK(bad.refused);
  CHECK(bad.variables.empty());
}

TEST_CASE("systemd syntax: arbitrary bytes never crash") {
  std::string noise;
  for (int i = 0; i < 4096; ++i) noise += static_cast<char>((i * 131 + 7) % 256);
  for (std::size_t cut = 0; cut < noise.size(); cut += 97) {
    const std::string_view part(noise.data() + cut, noise.size() - cut);
    (void)parse_unit_text(part);
    (void)parse_environment_file(part);
    (void)split_words(part);
    (void)resolve_specifiers(part);
  }
  CHECK(true);
}

}  // namespace
}  // namespace ssmreach::systemd
