// A nesting limit for every JSON document ssm-reach reads (the agent's
// config and registration, evidence files, IMDS and AWS answers).
// nlohmann's parser and its copies recurse once per level of arrays and
// objects: a file of a few hundred KiB of '[' overflows the stack. Real
// documents nest fewer than 12 levels.
#pragma once

#include <cstddef>
#include <string_view>

namespace ssmreach {

inline constexpr std::size_t kMaxJsonDepth = 64;

// True when `text` nests arrays and objects more than `max_depth` deep
// (brackets inside strings do not count). Reads the text once, without
// recursion; says nothing else about whether it is valid JSON.
bool json_nested_too_deeply(std::string_view text, std::size_t max_depth = kMaxJsonDepth);

// The words for such a document, naming the limit: "nested too deeply (more
// than 64 levels of arrays and objects)".
const char* json_too_deep_text();

}  // namespace ssmreach
