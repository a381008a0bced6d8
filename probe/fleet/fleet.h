// `ssm-reach fleet FILE...`: the boot checks' verdicts of many instances
// from their console output, as `aws ec2 get-console-output --output json`
// prints it. Nothing is contacted.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "probe/fleet/console_documents.h"
#include "probe/fleet/fleet_verdict.h"

namespace ssmreach {

// One input (a file or stdin), fed in pieces of any size.
class ConsoleOutputReader {
 public:
  // False, with `error` ("document 3: ..."), when the input is not
  // get-console-output's JSON.
  bool feed(std::string_view bytes, std::string* error);
  bool finish(std::string* error);
  std::vector<InstanceVerdict>& verdicts() { return verdicts_; }

 private:
  bool add_document(const std::string& text, std::string* error);

  ConsoleDocumentSplitter splitter_;
  std::vector<std::string> pending_;
  std::vector<InstanceVerdict> verdicts_;
};

// Reads every file ("-": stdin), prints the table (or JSON) on stdout and
// returns the exit status: fleet_exit_code(), or 3 with one line on stderr
// when an input cannot be read or is not get-console-output's JSON.
int run_fleet(const std::vector<std::string>& files, bool json);

}  // namespace ssmreach
