#include "probe/util/json_depth.h"

#include <doctest/doctest.h>

#include <string>

namespace ssmreach {

TEST_CASE("json_nested_too_deeply counts arrays and objects, not brackets in strings") {
  CHECK_FALSE(json_nested_too_deeply(R"({"a": [1, {"b": [[]]}]})"));
  CHECK_FALSE(json_nested_too_deeply(std::string(64, '[') + std::string(64, ']')));
  CHECK(json_nested_too_deeply(std::string(65, '[') + std::string(65, ']')));
  CHECK(json_nested_too_deeply("{\"a\":" + std::string(400000, '[')));  // unterminated too
  CHECK(json_nested_too_deeply(R"({"a":{"b":{"c":1}}})", 2));
  CHECK_FALSE(json_nested_too_deeply(R"({"a":{"b":1},"c":{"d":1}})", 2));
  // Brackets in strings, also after an escaped quote, are text.
  CHECK_FALSE(json_nested_too_deeply("{\"a\": \"" + std::string(100, '[') + "\"}"));
  CHECK_FALSE(json_nested_too_deeply(R"({"a": "\"[[[[", "b": "\\"})", 2));
  CHECK(json_nested_too_deeply(R"({"a": "\\", "b": [[1]]})", 2));
  CHECK(std::string(json_too_deep_text()).find("64") != std::string::npos);
}

}  // namespace ssmreach
