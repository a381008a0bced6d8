// Text from a user or a file, made safe to print on a terminal or a serial
// console as one line: a value with ESC or a line break in it must not move
// the cursor, change colours or forge a line of the report.
#pragma once

#include <string>
#include <string_view>

namespace ssmreach {

// Printable ASCII (0x20-0x7e) is kept; every other byte (control characters
// such as ESC, CR and LF, DEL, the bytes of non-ASCII characters) becomes
// "\xNN" with two lower-case hex digits.
std::string printable_line(std::string_view text);

}  // namespace ssmreach
