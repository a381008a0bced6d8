#include "probe/fleet/fleet.h"

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "probe/fleet/fleet_report.h"
#include "probe/util/printable.h"
#include "probe/util/standard_streams.h"

namespace ssmreach {
namespace {

using Json = nlohmann::ordered_json;

std::string string_member(const Json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Reads `in` to its end through `reader`, in pieces.
bool read_all(std::istream& in, ConsoleOutputReader& reader, std::string* error) {
  std::string buffer(1 << 16, '\0');
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got > 0 && !reader.feed(std::string_view(buffer.data(), got), error)) return false;
  }
  if (in.bad()) {
    *error = "read error";
    return false;
  }
  return reader.finish(error);
}

}  // namespace

bool ConsoleOutputReader::add_document(const std::string& text, std::string* error) {
  const std::string_view view(text);
  Json document = Json::parse(view.begin(), view.end(), nullptr, /*allow_exceptions=*/false);
  const std::string where = "document " + std::to_string(verdicts_.size() + 1) + ": ";
  if (document.is_discarded()) {
    *error = where + "not valid JSON";
    return false;
  }
  const std::string instance = string_member(document, "InstanceId");
  if (instance.empty()) {
    *error = where + "no \"InstanceId\" (expected what 'aws ec2 get-console-output --output " +
             "json' prints)";
    return false;
  }
  // No "Output" (or null): the instance has written nothing to its console yet.
  verdicts_.push_back(instance_verdict(instance, string_member(document, "Timestamp"),
                                       string_member(document, "Output")));
  return true;
}

bool ConsoleOutputReader::feed(std::string_view bytes, std::string* error) {
  pending_.clear();
  if (!splitter_.feed(bytes, pending_, error)) return false;
  for (const auto& text : pending_)
    if (!add_document(text, error)) return false;
  pending_.clear();
  return true;
}

bool ConsoleOutputReader::finish(std::string* error) { return splitter_.finish(error); }

int run_fleet(const std::vector<std::string>& files, bool json) {
  std::vector<InstanceVerdict> all;
  bool stdin_read = false;
  for (const auto& file : files) {
    ConsoleOutputReader reader;
    std::string error;
    const std::string name = file == "-" ? "stdin" : file;
    bool ok = false;
    if (file == "-") {
      if (stdin_read) {
        write_stderr("ssm-reach: fleet: - (stdin) given twice\n");
        return 3;
      }
      stdin_read = true;
      ok = read_all(std::cin, reader, &error);
    } else {
      std::ifstream in(file, std::ios::binary);
      if (!in) {
        write_stderr("ssm-reach: fleet: " + printable_line(file) + ": cannot open\n");
        return 3;
      }
      ok = read_all(in, reader, &error);
    }
    if (!ok) {
      write_stderr("ssm-reach: fleet: " + printable_line(name + ": " + error) + "\n");
      return 3;
    }
    if (reader.verdicts().empty()) {
      write_stderr("ssm-reach: fleet: " + printable_line(name) +
                   ": no document (expected what 'aws ec2 get-console-output --output json' "
                   "prints)\n");
      return 3;
    }
    for (auto& v : reader.verdicts()) all.push_back(std::move(v));
  }
  const int code = fleet_exit_code(all);
  write_stdout(json ? render_fleet_json(std::move(all)) : render_fleet_text(std::move(all)));
  return code;
}

}  // namespace ssmreach
