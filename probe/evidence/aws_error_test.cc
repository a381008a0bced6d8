#include "probe/evidence/aws_error.h"

#include <doctest/doctest.h>

#include <string>

namespace ssmreach {
namespace {

TEST_CASE("AWS errors: JSON protocol, namespaces dropped, either message spelling") {
  auto e = parse_aws_error(
      R"({"__type":"com.amazon.coral.service#AccessDeniedException","Message":"User: arn:aws:sts::123456789012:assumed-role/R/i-0abc is not authorized"})");
  CHECK(e.type == "AccessDeniedException");
  CHECK(e.message == "User: arn:aws:sts::123456789012:assumed-role/R/i-0abc is not authorized");

  e = parse_aws_error(
      R"({"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."})");
  CHECK(e.type == "UnrecognizedClientException");
  CHECK(e.message == "The security token included in the request is invalid.");

  e = parse_aws_error(R"({"__type":"ThrottlingException:http://internal.amazon.com/coral/"})");
  CHECK(e.type == "ThrottlingException");
  CHECK(e.message.empty());
}

TEST_CASE("AWS errors: XML, HTML, empty and junk answers give what they can") {
  auto e = parse_aws_error(
      "<ErrorResponse "
      "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
      "<Code>InvalidClientTokenId</Code><Message>The security token included in the request is "
      "invalid.</Message></Error><RequestId>4a6b8c</RequestId></ErrorResponse>");
  CHECK(e.type == "InvalidClientTokenId");
  CHECK(e.message == "The security token included in the request is invalid.");

  e = parse_aws_error(
      "<?xml version=\"1.0\"?><Error><Code>RequestTimeTooSkewed</Code><Message>The difference "
      "between the request time and the current time is too large.</Message></Error>");
  CHECK(e.type == "RequestTimeTooSkewed");

  e = parse_aws_error("<Error><Message>Don&apos;t &amp; &lt;stop&gt;</Message></Error>");
  CHECK(e.type.empty());
  CHECK(e.message == "Don't & <stop>");

  e = parse_aws_error(
      "<html><head><TITLE>403 Forbidden</TITLE></head>\n<body>Access denied by policy "
      "</body></html>");
  CHECK(e.type.empty());
  CHECK(e.message == "403 Forbidden");

  e = parse_aws_error("");
  CHECK(e.type.empty());
  CHECK(e.message.empty());

  e = parse_aws_error("upstream connect error or\r\n disconnect/reset before headers");
  CHECK(e.message == "upstream connect error or disconnect/reset before headers");

  e = parse_aws_error("{\"__type\": 42, \"message\": [\"not\", \"text\"]}");
  CHECK(e.type.empty());
  CHECK(e.message.empty());
}

TEST_CASE("AWS errors: messages are cut to 400 bytes, never inside a character") {
  const std::string long_text(600, 'x');
  CHECK(parse_aws_error(R"({"message":")" + long_text + R"("})").message.size() == 400);
  // "ü" is two bytes: 399 x's and one ü would end at byte 401.
  const std::string accented = std::string(399, 'x') + "\xc3\xbc" + "tail";
  const auto message = parse_aws_error(R"({"message":")" + accented + R"("})").message;
  CHECK(message == std::string(399, 'x'));
}

}  // namespace
}  // namespace ssmreach
