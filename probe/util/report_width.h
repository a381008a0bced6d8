// How wide the text report may be: 80 columns, or on a terminal what the
// terminal says (COLUMNS first, as curses reads it), within 60..120.
#pragma once

#include <optional>
#include <string>

namespace ssmreach {

inline constexpr int kDefaultReportWidth = 80;
inline constexpr int kMinReportWidth = 60;
inline constexpr int kMaxReportWidth = 120;

// The width for a report: kDefaultReportWidth unless stdout is a terminal;
// there `columns` (the COLUMNS variable, when it is a number) or else
// `terminal_columns` (0: unknown), clamped to kMinReportWidth..kMaxReportWidth.
int report_width(bool stdout_is_terminal, const std::optional<std::string>& columns,
                 int terminal_columns);

// The width of the terminal `fd` is, or 0 when it is none or does not say.
int terminal_columns(int fd);

}  // namespace ssmreach
