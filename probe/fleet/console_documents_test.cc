#include "probe/fleet/console_documents.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace ssmreach {
namespace {

std::vector<std::string> split(const std::string& input, std::size_t piece, std::string* error) {
  ConsoleDocumentSplitter splitter;
  std::vector<std::string> out;
  for (std::size_t i = 0; i < input.size(); i += piece)
    if (!splitter.feed(std::string_view(input).substr(i, piece), out, error)) return {};
  if (!splitter.finish(error)) return {};
  return out;
}

TEST_CASE("console documents: one object, an array, several in a row, in any pieces") {
  for (std::size_t piece : {1, 3, 1000}) {
    std::string error;
    CHECK(split("{\"InstanceId\": \"i-1\"}\n", piece, &error) ==
          std::vector<std::string>{"{\"InstanceId\": \"i-1\"}"});
    CHECK(split("[ {\"a\": [1, {\"b\": 2}]} ,\n {\"c\": \"}]\\\"\"} ]", piece, &error) ==
          std::vector<std::string>{"{\"a\": [1, {\"b\": 2}]}", "{\"c\": \"}]\\\"\"}"});
    CHECK(split("{\"a\":1}{\"b\":2}\n\n{\"c\":3}", piece, &error).size() == 3);
  }
}

TEST_CASE("console documents: what is not objects is refused, naming the document") {
  std::string error;
  CHECK(split("{\"a\":1} 42", 100, &error).empty());
  CHECK(error == "document 2: expected a JSON object (get-console-output's), found '4'");
  CHECK(split("{\"a\": {\"b\": 1}", 100, &error).empty());
  CHECK(error == "document 1: the input ends inside it (cut short?)");
  CHECK(split("[{\"a\":1}", 100, &error).empty());
  CHECK(error.find("no closing ']'") != std::string::npos);
  CHECK(split("[{\"a\":1}] {\"b\":2}", 100, &error).empty());
  CHECK(split("[[{\"a\":1}]]", 100, &error).empty());
}

TEST_CASE("console documents: nesting and size are bounded") {
  std::string error;
  CHECK(
      split("{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}", 4096, &error).empty());
  CHECK(error == "document 1: nested deeper than 32 levels");
  const std::string huge =
      "{\"Output\":\"" + std::string(ConsoleDocumentSplitter::kMaxDocumentBytes, 'x') + "\"}";
  CHECK(split(huge, 1 << 16, &error).empty());
  CHECK(error.find("larger than 4 MiB") != std::string::npos);
}

}  // namespace
}  // namespace ssmreach
