// The boot check's report file (--boot-json, /var/log/ssm-reach/boot.json):
// readable by every user (0644, its directory 0755), replaced atomically so
// a reader never sees half a report.
#pragma once

#include <string>

namespace ssmreach {

// Writes `json` to `path`, creating missing directories (0755). False, with
// `error` naming the path and the reason, when it cannot.
bool write_boot_json(const std::string& path, const std::string& json, std::string* error);

}  // namespace ssmreach
