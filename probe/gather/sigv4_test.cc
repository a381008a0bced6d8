#include "probe/gather/sigv4.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ssmreach {
namespace {

namespace fs = std::filesystem;

const fs::path kSuite = fs::path(SSM_REACH_SOURCE_DIR) / "tests/data/sigv4";

// The suite's example credentials and scope (tests/data/sigv4/README.md).
const AwsCredentials kSuiteCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                       ""};
const SigningScope kSuiteScope{"us-east-1", "service", "20150830T123600Z"};
const std::string kSuiteToken =
    "AQoDYXdzEPT//////////"
    "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx"
    "7"
    "mSEI/qkPpKPi/"
    "kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q"
    "6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+"
    "scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx"
    "3iSIlTJabIQwj2ICCR/oLxBA==";

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in, "cannot read " << path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A .req file: "METHOD TARGET HTTP/1.1", "Name:value" lines, an empty line,
// the body. Header values are kept untrimmed: trimming is the signer's job.
SignableRequest parse_req(const std::string& text) {
  SignableRequest request;
  request.headers.clear();
  std::istringstream in(text);
  std::string line;
  REQUIRE(std::getline(in, line));
  const auto first_space = line.find(' ');
  const auto last_space = line.rfind(' ');
  REQUIRE(first_space != std::string::npos);
  request.method = line.substr(0, first_space);
  const std::string target = line.substr(first_space + 1, last_space - first_space - 1);
  const auto question = target.find('?');
  request.path = target.substr(0, question);
  request.query = question == std::string::npos ? "" : target.substr(question + 1);
  while (std::getline(in, line) && !line.empty()) {
    const auto colon = line.find(':');
    REQUIRE(colon != std::string::npos);
    request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  std::ostringstream body;
  body << in.rdbuf();
  request.body = body.str();
  return request;
}

std::vector<fs::path> suite_cases() {
  std::vector<fs::path> cases;
  for (const auto& entry : fs::recursive_directory_iterator(kSuite)) {
    if (entry.path().extension() == ".req") cases.push_back(entry.path());
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

bool has_header(const HeaderList& headers, const std::string& name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& header) { return header.first == name; });
}

TEST_CASE("SigV4: the AWS test suite's canonical requests, strings to sign and signatures") {
  const auto cases = suite_cases();
  CHECK(cases.size() >= 8);
  bool saw_session_token = false;
  for (const auto& req : cases) {
    const std::string name = req.stem().string();
    INFO(name);
    const auto request = parse_req(read_text(req));
    const auto expected = [&](const char* extension) {
      return read_text(fs::path(req).replace_extension(extension));
    };
    AwsCredentials credentials = kSuiteCredentials;
    if (has_header(request.headers, "X-Amz-Security-Token")) {
      credentials.session_token = kSuiteToken;
      saw_session_token = true;
    }
    CHECK(canonical_request(request) == expected(".creq"));
    CHECK(string_to_sign(request, kSuiteScope) == expected(".sts"));
    CHECK(authorization_header(request, kSuiteScope, credentials) == expected(".authz"));
  }
  CHECK(saw_session_token);
}

TEST_CASE("SigV4: sign_request adds the date, the signed session token and the authorization") {
  // post-sts-header-before, given only Host: sign_request must supply the
  // rest and arrive at the suite's signature.
  SignableRequest request;
  request.method = "POST";
  request.headers = {{"Host", "example.amazonaws.com"}};
  AwsCredentials credentials = kSuiteCredentials;
  credentials.session_token = kSuiteToken;
  const auto added = sign_request(request, kSuiteScope, credentials);
  REQUIRE(added.size() == 3);
  CHECK(added[0] == std::pair<std::string, std::string>{"X-Amz-Date", "20150830T123600Z"});
  CHECK(added[1] == std::pair<std::string, std::string>{"X-Amz-Security-Token", kSuiteToken});
  CHECK(added[2].first == "Authorization");
  CHECK(added[2].second ==
        read_text(kSuite / "post-sts-token/post-sts-header-before/post-sts-header-before.authz"));
}

TEST_CASE("SigV4: no token header without a token, and stale signing headers are replaced") {
  SignableRequest request;
  request.headers = {{"Host", "example.amazonaws.com"},
                     {"X-Amz-Date", "19700101T000000Z"},
                     {"Authorization", "stale"}};
  const auto added = sign_request(request, kSuiteScope, kSuiteCredentials);
  REQUIRE(added.size() == 2);
  CHECK(added[0].first == "X-Amz-Date");
  CHECK(added[1].first == "Authorization");
  CHECK(added[1].second == read_text(kSuite / "get-vanilla/get-vanilla.authz"));
}

TEST_CASE("SigV4: the secret key never appears in what is produced") {
  SignableRequest request;
  request.headers = {{"Host", "example.amazonaws.com"}};
  AwsCredentials credentials = kSuiteCredentials;
  credentials.session_token = "token";
  for (const auto& [name, value] : sign_request(request, kSuiteScope, credentials)) {
    CHECK(value.find(credentials.secret_access_key) == std::string::npos);
  }
  CHECK(string_to_sign(request, kSuiteScope).find(credentials.secret_access_key) ==
        std::string::npos);
}

TEST_CASE("SigV4: X-Amz-Date from Unix time, in UTC") {
  CHECK(amz_date_from_unix(1440938160) == "20150830T123600Z");
  CHECK(amz_date_from_unix(0) == "19700101T000000Z");
  CHECK(amz_date_from_unix(1709251210) == "20240301T000010Z");
}

}  // namespace
}  // namespace ssmreach
