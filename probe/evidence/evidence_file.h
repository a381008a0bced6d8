// Evidence files: everything a run observed, saved as versioned JSON so that
// `ssm-reach explain FILE` can re-run the diagnosis offline, for example on a
// support engineer's laptop with a file copied off a serial console.
//
// The document is {"schema": "ssm-reach-evidence/v1", "context": ...,
// "targets": [...], "elapsed_ms": ...} and holds every field of Evidence,
// losslessly (doubles round-trip exactly; strings that are not UTF-8 get
// U+FFFD for the bad bytes, as in the JSON report). Enums are written as
// netcheck's to_string() names, IP addresses as their text ("10.0.0.2",
// the family follows from it), absent optionals as null.
//
// No secrets: Evidence holds none (the IMDS token is never stored), and IMDS
// facts that look like credentials or user data are dropped on writing, as
// the JSON report drops them. The credential evidence records only what was
// observed (source, role name, instance profile ARN, Code, dates, errors),
// never an access key id, a secret key, a session token or the IMDS token;
// a field of it that looks like a credentials answer is dropped too.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "probe/evidence/evidence.h"

namespace ssmreach {

// The only schema the reader accepts. A change that old readers would
// misread needs v2; adding a field does not (readers ignore unknown fields).
inline constexpr std::string_view kEvidenceSchema = "ssm-reach-evidence/v1";

// The document, pretty-printed and newline-terminated.
std::string evidence_to_json(const Evidence& evidence);

// Strict reading: a document that is not JSON, has another schema, lacks a
// field or holds a value of the wrong type or an unknown enum name gives
// nullopt and one line in `error` naming the JSON path, e.g.
// "targets[1].addresses[0].tcp.outcome: unknown value 'bogus' (...)".
// Fields this version does not know are ignored. Never throws.
std::optional<Evidence> evidence_from_json(std::string_view text, std::string* error);

// Writes a new FILE.XXXXXX (write_file_atomically), syncs it and renames it
// to FILE, so FILE is either the old file or the complete new one. On
// failure returns false with one line in `error` (FILE and the system's
// reason); no temporary file is left.
bool save_evidence_file(const std::string& path, const Evidence& evidence, std::string* error);

// The largest evidence file explain reads (real ones are a few hundred KiB).
inline constexpr std::size_t kMaxEvidenceFileBytes = std::size_t{8} << 20;

// Reads and parses FILE: a regular file of at most kMaxEvidenceFileBytes
// (a FIFO or device is refused without blocking), nested at most
// kMaxJsonDepth deep, its times within what a run can take. Errors are one
// line starting with the path.
std::optional<Evidence> load_evidence_file(const std::string& path, std::string* error);

}  // namespace ssmreach
