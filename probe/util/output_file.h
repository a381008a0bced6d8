// Where --save-evidence and --boot-json may write, decided before the run
// (a refusal is a usage error, exit 3, and costs no check):
//   "-"                       stdout;
//   a name that does not exist yet;
//   an empty regular file, or one holding an earlier ssm-reach report or
//   evidence file (its "schema" says so): replaced atomically;
//   any other regular file only with --force.
// Never a directory, device, FIFO, socket or symbolic link: a rename over
// /dev/null would replace the device node itself, a FIFO can block the run
// forever, and a link planted in a shared folder (/tmp) must not lead a run
// as root to another file.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ssmreach {

inline constexpr std::string_view kStdoutPath = "-";

// nullopt when `path` may be written; otherwise one line, starting with
// the path, saying why not and what to do.
std::optional<std::string> refuse_output_path(const std::string& path, bool force);

// True when `head`, the first bytes of a file, opens a JSON document
// ssm-reach writes: {"schema": "ssm-reach-evidence/v1" or "ssm-reach/v1".
bool looks_like_ssm_reach_output(std::string_view head);

// "a directory", "a character device", "a FIFO", ... for a st_mode.
std::string file_kind_text(unsigned mode);

}  // namespace ssmreach
