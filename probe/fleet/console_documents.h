// The documents in `ssm-reach fleet`'s input: the JSON that `aws ec2
// get-console-output --output json` prints, one object per instance, as
// one document, a JSON array of them, or several in a row (a shell loop's
// output). Each object is cut out here, bounded in size and nesting, and
// parsed on its own, so a fleet's worth of output is never one value in
// memory and no input can make the parser recurse deeply.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ssmreach {

class ConsoleDocumentSplitter {
 public:
  // A console output is at most 64 KiB of text; escaped in JSON, 6 times as
  // much at worst. 4 MiB per document leaves room and still bounds memory.
  static constexpr std::size_t kMaxDocumentBytes = 4 << 20;
  static constexpr int kMaxDepth = 32;

  // Appends every object completed by `bytes` to `out`. False, with `error`
  // saying what and where (1-based document number), on input that is not
  // a sequence of objects or one array of them, or that passes a bound.
  bool feed(std::string_view bytes, std::vector<std::string>& out, std::string* error);

  // The input ended: false, with `error`, when a document is unfinished.
  bool finish(std::string* error) const;

 private:
  bool fail(std::string* error, const std::string& why) const;
  bool outside(char c, std::string* error);
  bool inside(char c, std::vector<std::string>& out, std::string* error);

  std::string current_;
  int depth_ = 0;          // inside current_: open objects and arrays
  bool in_array_ = false;  // between the '[' and ']' of a top-level array
  bool array_ended_ = false;
  bool in_string_ = false;
  bool escaped_ = false;
  std::size_t documents_ = 0;
};

}  // namespace ssmreach
